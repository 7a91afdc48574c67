import { afterAll, beforeAll, beforeEach, describe, expect, it } from "@effect/vitest"
import { IngestionJobs, Wait, WaitEngine } from "@tensoras/ingestion"
import { NodeSimulator } from "@tensoras/ingestion-testkit"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/testing/TestClock"
import {
  addNewJob,
  ENDS_AT,
  fetchChangingWorld,
  idOf,
  KB,
  RUNNING,
  raceScenario,
  TIE_KB
} from "./utils/activeScenario.js"

const API_KEY = "tns_canary_active_5e1b"

let simulator: NodeSimulator.RunningSimulator
beforeAll(async () => {
  simulator = await NodeSimulator.start({ scenario: raceScenario, apiKey: API_KEY, clock: "manual" })
})
afterAll(() => simulator.close())
beforeEach(() => simulator.control.setScenario(raceScenario))

/** The client and engine on the simulator, through `fetch` (default: the global one). */
const provideClient =
  (fetch: typeof globalThis.fetch = globalThis.fetch, apiKey = API_KEY) =>
  <A, E>(effect: Effect.Effect<A, E, WaitEngine.WaitEngine | IngestionJobs.IngestionJobs>) =>
    Effect.suspend(() =>
      Effect.provide(
        // The calls begin when the simulated world does: both clocks agree on "now".
        Effect.andThen(TestClock.setTime(simulator.control.now()), effect),
        WaitEngine.layer().pipe(
          Layer.provideMerge(
            IngestionJobs.layer({
              apiKey: Redacted.make(apiKey),
              baseUrl: simulator.baseUrl,
              retrySchedule: Schedule.max([Schedule.exponential("100 millis"), Schedule.recurs(2)])
            })
          ),
          Layer.provide(FetchHttpClient.layer),
          Layer.provide(Layer.succeed(FetchHttpClient.Fetch, fetch))
        )
      )
    )

/** The list requests the simulator received, as `status` / `after` pairs. */
const lists = () =>
  simulator.control.requests
    .filter((request) => request.route === "list")
    .map((request) => `${request.query.status ?? "*"} after ${request.query.after ?? "-"}`)

/** Every running job ends (the simulator jumps past {@link ENDS_AT}) just before the page after `cursor` is read. */
const endAllBefore = (cursor: string, alsoThen: () => void = () => {}) =>
  fetchChangingWorld(new RegExp(`/ingestion-jobs\\?.*after=${cursor}(&|$)`), () => {
    simulator.control.advance(ENDS_AT + 60_000 - simulator.control.now())
    alsoThen()
  })

const ALL = Array.from({ length: RUNNING }, (_, index) => idOf(index))

describe("Wait.activeJobs", () => {
  it.effect("a list by status, read while jobs end, loses them: the race of 'list, then wait'", () => {
    const world = endAllBefore(idOf(99))
    return Effect.gen(function* () {
      const listed = yield* Stream.runCollect(IngestionJobs.listAll(KB, { status: "processing" }))
      expect(world.fired()).toBe(true)
      // The first page was read while all were running; by the second, every job had ended.
      expect(listed.map((job) => job.id)).toStrictEqual(ALL.slice(0, 100))
    }).pipe(provideClient(world.fetch))
  })

  it.effect("keeps a job that ended while the list was read (it was running when the call began)", () => {
    const world = endAllBefore(idOf(100))
    return Effect.gen(function* () {
      const jobs = yield* Wait.activeJobs(KB)
      expect(world.fired()).toBe(true)
      expect(jobs.map((job) => job.id)).toStrictEqual(ALL)
      // Read as running before the world moved, as ended after: all of them were running at the start.
      expect(jobs.slice(0, 101).every((job) => job.status === "processing")).toBe(true)
      expect(jobs.slice(101).every((job) => job.status === "completed")).toBe(true)
      // job_old and job_done had ended before the call. Three one-job reads, then the list from the oldest.
      expect(lists()).toStrictEqual([
        "processing after -",
        "queued after -",
        "processing after -",
        `* after ${idOf(0)}`,
        `* after ${idOf(100)}`,
        `* after ${idOf(200)}`
      ])
    }).pipe(provideClient(world.fetch))
  })

  it.effect("leaves out a job created after the call began, unless includeNew", () =>
    Effect.gen(function* () {
      const world = endAllBefore(idOf(100), () => addNewJob(simulator, "job_new", 30_000))
      const without = yield* provideClient(world.fetch)(Wait.activeJobs(KB))
      expect(without.map((job) => job.id)).toStrictEqual(ALL)
      simulator.control.setScenario(raceScenario)
      const again = endAllBefore(idOf(100), () => addNewJob(simulator, "job_new", 30_000))
      const withNew = yield* provideClient(again.fetch)(Wait.activeJobs(KB, { includeNew: true }))
      expect(withNew.map((job) => job.id)).toStrictEqual([...ALL, "job_new"])
    })
  )

  it.effect("jobs created within one second, listed in either order: those between them are read too", () =>
    Effect.gen(function* () {
      // The oldest processing job (job_p) and the oldest queued (job_q) have the same created_at: the
      // list after job_p does not hold job_q, so the jobs from job_q up to job_p are read as well.
      const jobs = yield* Wait.activeJobs(TIE_KB)
      expect(jobs.map((job) => [job.id, job.status])).toStrictEqual([
        ["job_q", "queued"],
        ["job_x", "queued"],
        ["job_p", "processing"]
      ])
      expect(lists()).toStrictEqual([
        "processing after -",
        "queued after -",
        "processing after -",
        "* after job_p",
        "* after job_q"
      ])
    }).pipe(provideClient())
  )

  it.effect("nothing running: three one-job requests, and no job", () =>
    Effect.gen(function* () {
      simulator.control.advance(ENDS_AT + 1_000 - simulator.control.now())
      expect(yield* Wait.activeJobs(KB)).toStrictEqual([])
      expect(lists()).toStrictEqual(["processing after -", "queued after -", "processing after -"])
    }).pipe(provideClient())
  )

  it.effect("validates the knowledge base's ID before anything is sent", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(Wait.activeJobs("kb race/../x"))
      expect(error._tag).toBe("InvalidInput")
      expect(simulator.control.requestCount()).toBe(0)
    }).pipe(provideClient())
  )
})

describe("Wait.waitForActive", () => {
  it.effect(
    "waits for every job running when the call began, those that ended while it listed them included",
    () => {
      const world = endAllBefore(idOf(100))
      return Effect.gen(function* () {
        const updates: Array<string> = []
        const ended = yield* Wait.waitForActive(KB, {
          onUpdate: (update) => void (update._tag === "Ended" && updates.push(update.jobId))
        })
        expect(ended.map((job) => job.jobId)).toStrictEqual(ALL)
        // Jobs listed as processing that ended before their first poll: reported with their result.
        for (const job of ended) {
          expect(Result.isSuccess(job.result) && job.result.success.chunks_created).toBe(3)
        }
        expect([...updates].sort()).toStrictEqual(ALL)
      }).pipe(provideClient(world.fetch))
    }
  )

  it.effect("includeNew: jobs created after the call began too, until none is running", () => {
    // One new job created while the list is read, one after the list (found by looking again).
    const world = endAllBefore(idOf(100), () => addNewJob(simulator, "job_during", 30_000))
    const later = fetchChangingWorld(
      /\/ingestion-jobs\/job_/,
      () => addNewJob(simulator, "job_after", 90_000),
      world.fetch
    )
    return Effect.gen(function* () {
      const ended = yield* Wait.waitForActive(KB, { includeNew: true })
      expect(later.fired()).toBe(true)
      expect(ended.map((job) => job.jobId)).toStrictEqual([...ALL, "job_during", "job_after"])
      expect(ended.every((job) => Result.isSuccess(job.result))).toBe(true)
      // After the last wait ended, the list after the newest job was read once more: nothing new.
      expect(lists().at(-1)).toBe("* after job_after")
    }).pipe(provideClient(later.fetch))
  })

  it.effect("typed errors: an unknown knowledge base is NotFound, a refused key Unauthorized", () =>
    Effect.gen(function* () {
      const missing = yield* Effect.flip(provideClient()(Wait.waitForActive("kb_nope")))
      expect(missing._tag).toBe("NotFound")
      const refused = yield* Effect.flip(
        provideClient(globalThis.fetch, "tns_not_the_key")(Wait.waitForActive(KB))
      )
      expect(refused._tag).toBe("Unauthorized")
    })
  )

  it.effect("invalid input fails before anything is sent", () =>
    Effect.gen(function* () {
      expect((yield* Effect.flip(Wait.waitForActive("")))._tag).toBe("InvalidInput")
      expect((yield* Effect.flip(Wait.waitForActive(KB, { timeout: "soon" as never })))._tag).toBe(
        "InvalidInput"
      )
      expect(simulator.control.requestCount()).toBe(0)
    }).pipe(provideClient())
  )

  it.effect("the deadline ends a listing that does not answer: WaitTimeout, the request closed", () =>
    Effect.gen(function* () {
      simulator.control.injectFault({ kind: "hang", route: "list" })
      const fiber = yield* Effect.forkChild(Effect.flip(Wait.waitForActive(KB, { timeout: "10 seconds" })))
      yield* Effect.promise(() => simulator.control.waitForRequests(1))
      yield* TestClock.adjust("10 seconds")
      const error = yield* Fiber.join(fiber)
      expect(error._tag).toBe("WaitTimeout")
      expect(error.message).toBe(`The active jobs of ${KB} were not all listed by the deadline`)
      const [request] = yield* Effect.promise(() => simulator.control.waitForRequests(1, { settled: true }))
      expect(request?.outcome).toBe("hung")
    }).pipe(provideClient())
  )

  it.live("a transient failure is asked again until the deadline, then WaitTimeout names it", () =>
    Effect.gen(function* () {
      simulator.control.injectFault({
        kind: "server-error",
        status: 503,
        route: "list",
        times: Number.POSITIVE_INFINITY
      })
      const retries: Array<number> = []
      const error = yield* Effect.flip(
        Wait.waitForActive(KB, {
          timeout: "1500 millis",
          onRetry: (retry) => void retries.push(retry.attempt)
        })
      )
      expect(error._tag).toBe("WaitTimeout")
      if (error._tag !== "WaitTimeout") return
      expect(error.lastFailure?._tag).toBe("ServerError")
      expect(error.message).toMatch(
        /^The active jobs of kb_race were not all listed by the deadline; last failure: /
      )
      // The client's retries (2), then asked again after its own pause: more than the client alone makes.
      expect(retries.length).toBeGreaterThan(2)
      expect(retries).toStrictEqual(retries.map((_, index) => index + 1))
    }).pipe(
      Effect.provide(
        WaitEngine.layer().pipe(
          Layer.provideMerge(
            IngestionJobs.layer({
              apiKey: Redacted.make(API_KEY),
              baseUrl: simulator.baseUrl,
              retrySchedule: Schedule.max([Schedule.exponential("10 millis"), Schedule.recurs(2)])
            })
          ),
          Layer.provide(FetchHttpClient.layer)
        )
      )
    )
  )

  it.effect("interrupting it closes the list request in flight and sends nothing more", () =>
    Effect.gen(function* () {
      simulator.control.injectFault({ kind: "hang", route: "list" })
      const fiber = yield* Effect.forkChild(Wait.waitForActive(KB))
      yield* Effect.promise(() => simulator.control.waitForRequests(1))
      yield* Fiber.interrupt(fiber)
      const [request] = yield* Effect.promise(() => simulator.control.waitForRequests(1, { settled: true }))
      expect(request?.outcome).toBe("hung")
      expect(simulator.control.requestCount()).toBe(1)
    }).pipe(provideClient())
  )
})
