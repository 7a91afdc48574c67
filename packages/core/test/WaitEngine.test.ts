import { describe, expect, it } from "@effect/vitest"
import { IngestionJob, WaitEngine, type WaitError } from "@tensoras/ingestion"
import type { SimulatorEngine } from "@tensoras/ingestion-testkit"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Schedule from "effect/Schedule"
import * as Scope from "effect/Scope"
import * as TestClock from "effect/testing/TestClock"
import * as fc from "fast-check"
import { fetchCalls } from "./utils/countingFetch.js"
import {
  EPOCH,
  engineTest,
  errorOf,
  jobsIn,
  load,
  makeEngine,
  moveTo,
  nextWake,
  now,
  type Observed,
  register,
  requestsOf,
  runUntil,
  setNow,
  settle,
  simulator,
  useSimulator,
  withSleepsInView
} from "./utils/engineWorld.js"

useSimulator()

describe("WaitEngine", { timeout: 60_000 }, () => {
  engineTest("runs one loop per knowledge base: 1,000 waits cost a sweep of list pages, not 1,000 GETs", () =>
    Effect.gen(function* () {
      let jobIds: ReadonlyArray<string> = []
      yield* load((sim) => {
        // 10 jobs that end at +10 s, and 990 that stay queued for a minute.
        jobIds = [...jobsIn(sim, "kb_many", 10, 0, "job_short"), ...jobsIn(sim, "kb_many", 990, 60_000)]
      })
      const { engine, rounds } = yield* makeEngine()
      const waits = yield* Effect.forEach(jobIds, (jobId) =>
        register(engine, "kb_many", jobId, { pollInterval: "5 seconds" })
      )
      yield* settle
      // 990 queued jobs: 10 pages of `status=queued`, then 1 page of `status=processing`.
      // (The loop may start its first round while the waits are still registering: that sweep sees them all.)
      expect(rounds.map(({ mode, requests }) => ({ mode, requests }))).toStrictEqual([
        { mode: "sweep", requests: 11 }
      ])
      expect(requestsOf("kb_many").every((request) => request.route === "list")).toBe(true)
      expect(waits.every((wait) => wait.events.length === 1 && wait.exits.length === 0)).toBe(true)

      yield* moveTo(EPOCH + 5_000)
      yield* moveTo(EPOCH + 10_000)
      // At +10 s the 10 short jobs are missing from both lists: one GET each tells they completed.
      expect(
        rounds.map(({ mode, requests, followUpGets }) => ({ mode, requests, followUpGets }))
      ).toStrictEqual([
        { mode: "sweep", requests: 11, followUpGets: 0 },
        { mode: "sweep", requests: 11, followUpGets: 0 },
        { mode: "sweep", requests: 21, followUpGets: 10 }
      ])
      expect(requestsOf("kb_many").length).toBe(43)
      expect(waits.filter((wait) => wait.exits[0]?.exit._tag === "Success").length).toBe(10)
    })
  )

  engineTest("reports the round that ends the loop's last waits, with every request it sent", () =>
    Effect.gen(function* () {
      let jobIds: ReadonlyArray<string> = []
      // 20 jobs that all end at +10 s: the sweep then finds none of them, and its follow-up GETs end every
      // wait, the loop's last, while the round still runs (the loop stops, and with it the round).
      yield* load((sim) => {
        jobIds = jobsIn(sim, "kb_last", 20, 0)
      })
      const { engine, rounds } = yield* makeEngine()
      const waits = yield* Effect.forEach(jobIds, (jobId) =>
        register(engine, "kb_last", jobId, { pollInterval: "5 seconds" })
      )
      yield* runUntil(() => waits.every((wait) => wait.exits.length > 0))
      expect(waits.every((wait) => wait.exits[0]?.exit._tag === "Success")).toBe(true)
      const last = rounds.at(-1)
      expect(last).toMatchObject({ mode: "sweep", followUpGets: 20 })
      // Every request the engine sent is in a round's report.
      expect(rounds.reduce((sum, round) => sum + round.requests, 0)).toBe(requestsOf("kb_last").length)
    })
  )

  engineTest(
    "GETs a job that left the processing list once the sweep has read past it, not after the last page",
    () =>
      Effect.gen(function* () {
        let jobIds: ReadonlyArray<string> = []
        yield* load((sim) => {
          sim.addKnowledgeBase("kb_pass")
          const add = (prefix: string, count: number, durationMs: number) =>
            Array.from(
              { length: count },
              (_, index) =>
                sim.addDataSource("kb_pass", {
                  jobId: `${prefix}_${String(index).padStart(5, "0")}`,
                  queuedMs: 0,
                  documents: [{ name: `${prefix}-${index}.md`, durationMs }]
                }).job.id
            )
          // Created first, 5 jobs that end at +5 s; then 295 that run for a minute: 3 pages of processing jobs.
          jobIds = [...add("job_soon", 5, 5_000), ...add("job_long", 295, 60_000)]
        })
        const { engine, rounds } = yield* makeEngine()
        const waits = yield* Effect.forEach(jobIds, (jobId) =>
          register(engine, "kb_pass", jobId, { pollInterval: "5 seconds" })
        )
        yield* settle
        const before = fetchCalls.length
        yield* moveTo(EPOCH + 5_000)
        const calls = fetchCalls.slice(before).map((call) => call.replace(/^.*\/ingestion-jobs/, ""))
        // The first page of this sweep holds jobs of the last sweep's second page: the jobs of its first
        // page not on it have left the list. Their GETs go out before the sweep reads its last page.
        const lastPage = calls.indexOf("?limit=100&after=job_long_00199&status=processing")
        const gets = calls.filter((call) => call.startsWith("/job_soon_"))
        expect(lastPage, JSON.stringify(calls)).toBeGreaterThan(0)
        expect(gets).toHaveLength(5)
        for (const get of gets) expect(calls.indexOf(get)).toBeLessThan(lastPage)
        expect(rounds.at(-1)).toMatchObject({
          mode: "sweep",
          requests: 9,
          followUpGets: 5,
          activeProcessing: 295
        })
        expect(waits.filter((wait) => wait.exits[0]?.exit._tag === "Success")).toHaveLength(5)
        expect(waits.slice(5).every((wait) => wait.exits.length === 0)).toBe(true)
      })
  )

  engineTest("GETs each due job when few are due (a GET is cheaper than the two lists of a sweep)", () =>
    Effect.gen(function* () {
      yield* load((sim) => void jobsIn(sim, "kb_few", 2, 5_000))
      const { engine, rounds } = yield* makeEngine()
      yield* register(engine, "kb_few", "job_00000", { pollInterval: "2 seconds" })
      yield* register(engine, "kb_few", "job_00001", { pollInterval: "2 seconds" })
      yield* settle
      yield* moveTo(EPOCH + 2_000)
      expect(rounds.map(({ mode, requests }) => ({ mode, requests }))).toStrictEqual([
        { mode: "get", requests: 2 },
        { mode: "get", requests: 2 }
      ])
      expect(requestsOf("kb_few").map((request) => [request.route, request.jobId, request.at])).toStrictEqual(
        [
          ["get", "job_00000", EPOCH],
          ["get", "job_00001", EPOCH],
          ["get", "job_00000", EPOCH + 2_000],
          ["get", "job_00001", EPOCH + 2_000]
        ]
      )
    })
  )

  engineTest("sweeps every page of status=queued, then of status=processing, so no job slips between", () =>
    Effect.gen(function* () {
      yield* load((sim) => {
        jobsIn(sim, "kb_sweep", 150, 60_000, "job_waiting") // 150 queued: two pages
        jobsIn(sim, "kb_sweep", 3, 0, "job_running") // 3 processing
      })
      const { engine, rounds } = yield* makeEngine()
      for (const jobId of ["job_waiting_00000", "job_running_00001", "job_running_00002"]) {
        yield* register(engine, "kb_sweep", jobId)
      }
      yield* settle
      expect(requestsOf("kb_sweep").map((request) => request.query)).toStrictEqual([
        { status: "queued", limit: "100" },
        { status: "queued", limit: "100", after: "job_waiting_00099" },
        { status: "processing", limit: "100" }
      ])
      expect(rounds).toMatchObject([{ mode: "sweep", requests: 3, activeQueued: 150, activeProcessing: 3 }])
    })
  )

  engineTest(
    "cuts a sweep that would cost more than the GETs it replaces; the jobs it missed are GET next",
    () =>
      Effect.gen(function* () {
        // Before any sweep the engine guesses 2 list pages; this knowledge base has 4 of queued jobs.
        yield* load((sim) => {
          jobsIn(sim, "kb_big", 350, 60_000, "job_waiting")
          jobsIn(sim, "kb_big", 2, 0, "job_running")
        })
        const { engine, rounds } = yield* makeEngine()
        for (const jobId of ["job_waiting_00000", "job_running_00000", "job_running_00001"]) {
          yield* register(engine, "kb_big", jobId)
        }
        yield* settle
        // Three jobs served, so three requests at most: two queued pages (one left for processing).
        expect(
          rounds.map(({ mode, requests, activeQueued, activeProcessing }) => ({
            mode,
            requests,
            activeQueued,
            activeProcessing
          }))
        ).toStrictEqual([
          { mode: "sweep", requests: 2, activeQueued: 201, activeProcessing: undefined },
          { mode: "get", requests: 2, activeQueued: undefined, activeProcessing: undefined }
        ])
        const requests = requestsOf("kb_big")
        expect(requests.slice(0, 2).map((request) => request.query)).toStrictEqual([
          { status: "queued", limit: "100" },
          { status: "queued", limit: "100", after: "job_waiting_00099" }
        ])
        expect(
          requests
            .slice(2)
            .map((request) => [request.route, request.jobId])
            .sort()
        ).toStrictEqual([
          ["get", "job_running_00000"],
          ["get", "job_running_00001"]
        ])
      })
  )

  engineTest("fetches a terminal job once for all of its waits", () =>
    Effect.gen(function* () {
      yield* load((sim) => void jobsIn(sim, "kb_done", 1, 0))
      simulator.control.setTime(EPOCH + 60_000)
      yield* TestClock.setTime(EPOCH + 60_000)
      const { engine } = yield* makeEngine()
      const waits = yield* Effect.forEach([1, 2, 3, 4, 5], () => register(engine, "kb_done", "job_00000"))
      yield* settle
      expect(requestsOf("kb_done").length).toBe(1)
      for (const wait of waits) {
        expect(wait.exits.length).toBe(1)
        expect(wait.exits[0]?.exit).toMatchObject({ _tag: "Success", value: { status: "completed" } })
      }
    })
  )

  engineTest("a 429 pauses the whole knowledge base once: no request to it before Retry-After", () =>
    Effect.gen(function* () {
      yield* load((sim) => void jobsIn(sim, "kb_limited", 3, 60_000))
      // No client retries here: the engine itself sees the 429.
      const { engine, rounds } = yield* makeEngine({}, Schedule.recurs(0))
      const first = yield* register(engine, "kb_limited", "job_00000", { pollInterval: "1 second" })
      yield* settle
      // The second wait's first GET is answered with a 429 asking for 7 seconds.
      simulator.control.injectFault({ kind: "rate-limit", retryAfter: 7, kbId: "kb_limited" })
      const second = yield* register(engine, "kb_limited", "job_00001", { pollInterval: "1 second" })
      yield* runUntil(() => false, EPOCH + 7_000)
      const seen = requestsOf("kb_limited").map((request) => [request.status, request.at])
      // No request to the knowledge base until the Retry-After is over, for either wait; then both.
      expect(seen).toStrictEqual([
        [200, EPOCH],
        [429, EPOCH],
        [200, EPOCH + 7_000],
        [200, EPOCH + 7_000]
      ])
      expect(rounds.map((round) => round.at)).toStrictEqual([EPOCH, EPOCH, EPOCH + 7_000])
      expect(first.exits.length + second.exits.length).toBe(0)
    })
  )

  engineTest("a 401 or 403 fails every wait of the knowledge base, after one request", () =>
    Effect.gen(function* () {
      for (const status of [401, 403]) {
        yield* load((sim) => void jobsIn(sim, "kb_denied", 3, 60_000))
        const { engine } = yield* makeEngine()
        simulator.control.injectFault({ kind: "http-error", status, kbId: "kb_denied" })
        const waits = yield* Effect.forEach(["job_00000", "job_00001", "job_00002"], (jobId) =>
          register(engine, "kb_denied", jobId)
        )
        yield* settle
        expect(requestsOf("kb_denied").length).toBe(1)
        expect(waits.map((wait) => errorOf(wait)?._tag)).toStrictEqual(
          Array(3).fill(status === 401 ? "Unauthorized" : "Forbidden")
        )
      }
    })
  )

  engineTest(
    "a knowledge base that does not exist fails all of its waits with NotFound, after one request",
    () =>
      Effect.gen(function* () {
        yield* load(() => {})
        const { engine } = yield* makeEngine()
        const waits = yield* Effect.forEach(["job_a", "job_b", "job_c"], (jobId) =>
          register(engine, "kb_nowhere", jobId)
        )
        yield* settle
        expect(requestsOf("kb_nowhere").length).toBe(1)
        expect(waits.map((wait) => errorOf(wait))).toMatchObject(
          Array(3).fill({ _tag: "NotFound", code: "knowledge_base_not_found" })
        )
      })
  )

  engineTest("a job that is not found (or vanishes) fails only its own waits", () =>
    Effect.gen(function* () {
      yield* load((sim) => void jobsIn(sim, "kb_mixed", 2, 60_000))
      const { engine } = yield* makeEngine()
      const kept = yield* register(engine, "kb_mixed", "job_00000", { pollInterval: "1 second" })
      const missing = yield* register(engine, "kb_mixed", "job_never", { pollInterval: "1 second" })
      const vanishing = yield* register(engine, "kb_mixed", "job_00001", { pollInterval: "1 second" })
      yield* settle
      expect(errorOf(missing)).toMatchObject({ _tag: "NotFound", code: "ingestion_job_not_found" })
      simulator.control.removeJob("kb_mixed", "job_00001")
      yield* moveTo(EPOCH + 1_000)
      expect(errorOf(vanishing)).toMatchObject({ _tag: "NotFound", code: "ingestion_job_not_found" })
      yield* moveTo(EPOCH + 2_000)
      expect(kept.exits).toStrictEqual([])
      expect(kept.events.length).toBe(3)
    })
  )

  engineTest("the last wait leaving a knowledge base stops its loop: no request after", () =>
    Effect.gen(function* () {
      yield* load((sim) => void jobsIn(sim, "kb_left", 2, 60_000))
      const { engine } = yield* makeEngine()
      const first = yield* register(engine, "kb_left", "job_00000", { pollInterval: "1 second" })
      const second = yield* register(engine, "kb_left", "job_00001", { pollInterval: "1 second" })
      yield* settle
      yield* first.registration!.leave
      yield* moveTo(EPOCH + 1_000)
      expect(requestsOf("kb_left").map((request) => request.jobId)).toStrictEqual([
        "job_00000",
        "job_00001",
        "job_00001"
      ])
      yield* second.registration!.leave
      yield* runUntil(() => false, EPOCH + 60 * 60_000)
      expect(requestsOf("kb_left").length).toBe(3)
      expect([...first.exits, ...second.exits]).toStrictEqual([])
    })
  )

  engineTest("closing the engine's scope stops every loop: no request, no exit after", () =>
    Effect.gen(function* () {
      yield* load((sim) => {
        jobsIn(sim, "kb_one", 1, 60_000, "job_one")
        jobsIn(sim, "kb_two", 1, 60_000, "job_two")
      })
      const scope = yield* Scope.make()
      const { engine } = yield* Scope.provide(makeEngine(), scope)
      const waits = [
        yield* register(engine, "kb_one", "job_one_00000", { pollInterval: "1 second" }),
        yield* register(engine, "kb_two", "job_two_00000", { pollInterval: "1 second" })
      ]
      yield* settle
      yield* Scope.close(scope, Exit.void)
      yield* runUntil(() => false, EPOCH + 60 * 60_000)
      expect(simulator.control.requestCount()).toBe(2)
      expect(waits.flatMap((wait) => wait.exits)).toStrictEqual([])
    })
  )

  engineTest("a listener that throws disturbs neither the loop nor the other waits", () =>
    Effect.gen(function* () {
      yield* load((sim) => void jobsIn(sim, "kb_throws", 2, 0))
      const { engine } = yield* makeEngine()
      const fail = () => {
        throw new Error("a listener's bug")
      }
      yield* engine.register(
        "kb_throws",
        "job_00000",
        { pollInterval: "5 seconds" },
        { onEvent: fail, onExit: fail }
      )
      const sameJob = yield* register(engine, "kb_throws", "job_00000", { pollInterval: "5 seconds" })
      const otherJob = yield* register(engine, "kb_throws", "job_00001", { pollInterval: "5 seconds" })
      yield* runUntil(() => sameJob.exits.length > 0 && otherJob.exits.length > 0)
      expect(sameJob.exits[0]?.exit._tag).toBe("Success")
      expect(otherJob.exits[0]?.exit._tag).toBe("Success")
      expect(sameJob.exits[0]?.at).toBe(EPOCH + 10_000)
    })
  )

  engineTest(
    "a schedule of the caller's own paces its wait, even one whose step is an Effect; one that ends gives up",
    () =>
      Effect.gen(function* () {
        yield* load((sim) => void jobsIn(sim, "kb_own", 1, 60_000))
        const { engine } = yield* makeEngine()
        // `upTo` steps as an Effect (not a value the engine reads at once): two polls after the first, then done.
        const wait = yield* register(engine, "kb_own", "job_00000", {
          schedule: Schedule.spaced("2 seconds").pipe(Schedule.upTo({ times: 2 }))
        })
        yield* runUntil(() => wait.exits.length > 0)
        expect(requestsOf("kb_own").map((request) => request.at)).toStrictEqual([
          EPOCH,
          EPOCH + 2_000,
          EPOCH + 4_000
        ])
        expect(
          wait.events.map((event) => (event._tag === "Polled" ? event.nextPollAt : event._tag))
        ).toStrictEqual([EPOCH + 2_000, EPOCH + 4_000, null])
        expect(wait.exits.map((exit) => exit.at)).toStrictEqual([EPOCH + 4_000])
        expect(errorOf(wait)).toMatchObject({ _tag: "WaitTimeout", reason: "schedule" })
      })
  )

  engineTest("a schedule that fails ends its own wait with that failure, and no other", () =>
    Effect.gen(function* () {
      yield* load((sim) => void jobsIn(sim, "kb_broken", 2, 60_000))
      const { engine } = yield* makeEngine()
      const broken = yield* register(engine, "kb_broken", "job_00000", {
        schedule: Schedule.fromStep(Effect.succeed(() => Effect.die(new Error("a schedule's bug"))))
      })
      const other = yield* register(engine, "kb_broken", "job_00001", { pollInterval: "1 second" })
      yield* runUntil(() => false, EPOCH + 2_000)
      expect(broken.exits).toHaveLength(1)
      const exit = broken.exits[0]!.exit
      expect(Exit.isFailure(exit) && Cause.hasDies(exit.cause)).toBe(true)
      expect(other.exits).toStrictEqual([])
      expect(other.events).toHaveLength(3)
    })
  )
})

// --- Properties: random worlds against a per-job oracle --------------------------------------

interface WaitSpec {
  readonly joinAtMs: number
  readonly intervalMs: number
  readonly timeoutMs: number
  readonly leaveAfterMs: number | null
}
interface JobSpec {
  readonly queuedMs: number
  readonly documents: ReadonlyArray<{
    readonly durationMs: number
    readonly fail: boolean
    readonly skipped: boolean
  }>
  readonly failAfterMs: number | null
  readonly unknownStatus: { readonly fromMs: number; readonly forMs: number | null } | null
  readonly vanishAfterMs: number | null
  readonly waits: ReadonlyArray<WaitSpec>
}
interface FaultSpec {
  readonly atMs: number
  readonly kind: "rate-limit" | "server-error"
  readonly times: number
  readonly retryAfter: number
}
interface KnowledgeBaseSpec {
  readonly jobs: ReadonlyArray<JobSpec>
  /** Unwatched active jobs added at some point: the active set grows past a page or two. */
  readonly background: { readonly atMs: number; readonly count: number } | null
  /**
   * Unwatched jobs processing from the start, created right after the first watched job: the other
   * watched jobs sit pages later in `status=processing`, so a sweep passes the first one's page.
   */
  readonly between: number | null
  readonly faults: ReadonlyArray<FaultSpec>
}

const waitSpec: fc.Arbitrary<WaitSpec> = fc.record({
  joinAtMs: fc.integer({ min: 0, max: 20_000 }),
  intervalMs: fc.constantFrom(1_000, 2_000, 5_000),
  timeoutMs: fc.integer({ min: 1_000, max: 60_000 }),
  leaveAfterMs: fc.option(fc.integer({ min: 0, max: 30_000 }), { freq: 4 })
})
const jobSpec: fc.Arbitrary<JobSpec> = fc.record({
  queuedMs: fc.integer({ min: 0, max: 10_000 }),
  documents: fc.array(
    fc.record({
      durationMs: fc.integer({ min: 0, max: 8_000 }),
      fail: fc.boolean(),
      skipped: fc.boolean()
    }),
    { maxLength: 4 }
  ),
  failAfterMs: fc.option(fc.integer({ min: 0, max: 20_000 }), { freq: 3 }),
  unknownStatus: fc.option(
    fc.record({
      fromMs: fc.integer({ min: 0, max: 15_000 }),
      forMs: fc.option(fc.integer({ min: 500, max: 15_000 }), { freq: 3 })
    }),
    { freq: 4 }
  ),
  vanishAfterMs: fc.option(fc.integer({ min: 0, max: 40_000 }), { freq: 4 }),
  waits: fc.array(waitSpec, { minLength: 1, maxLength: 3 })
})
const knowledgeBaseSpec: fc.Arbitrary<KnowledgeBaseSpec> = fc.record({
  jobs: fc.array(jobSpec, { minLength: 1, maxLength: 4 }),
  background: fc.option(
    fc.record({ atMs: fc.integer({ min: 0, max: 30_000 }), count: fc.constantFrom(60, 120, 250) }),
    { freq: 3 }
  ),
  between: fc.option(fc.constantFrom(99, 180), { freq: 2 }),
  faults: fc.array(
    fc.record({
      atMs: fc.integer({ min: 0, max: 40_000 }),
      kind: fc.constantFrom("rate-limit" as const, "server-error" as const),
      times: fc.integer({ min: 1, max: 3 }),
      retryAfter: fc.integer({ min: 1, max: 3 })
    }),
    { maxLength: 3 }
  )
})
const worldSpec = fc.array(knowledgeBaseSpec, { minLength: 1, maxLength: 3 })

interface WatchedWait {
  readonly kb: string
  readonly jobId: string
  readonly spec: WaitSpec
  readonly observed: Observed
  leftAt: number | null
}

/** When the job ends on the server (ms after its creation), as the simulator plans it. */
const plannedEnd = (job: JobSpec): number => {
  const processingEnd = job.queuedMs + job.documents.reduce((sum, document) => sum + document.durationMs, 0)
  return job.failAfterMs === null ? processingEnd : Math.max(0, Math.min(job.failAfterMs, processingEnd))
}

/** When the job is seen to end: its terminal status once no unknown status hides it, or its 404. */
const oracle = (job: JobSpec, terminalAt: number, createdAt: number) => {
  let visibleAt = terminalAt
  if (job.unknownStatus !== null) {
    const from = createdAt + Math.min(job.unknownStatus.fromMs, plannedEnd(job))
    const until = job.unknownStatus.forMs === null ? Number.POSITIVE_INFINITY : from + job.unknownStatus.forMs
    if (from <= terminalAt && terminalAt < until) visibleAt = until
  }
  const vanishAt = job.vanishAfterMs === null ? Number.POSITIVE_INFINITY : createdAt + job.vanishAfterMs
  return { visibleAt, vanishAt, endsAt: Math.min(visibleAt, vanishAt) }
}

const runWorld = (world: ReadonlyArray<KnowledgeBaseSpec>) =>
  Effect.gen(function* () {
    let sim: SimulatorEngine.SimulatorEngine | undefined
    const terminalAt = new Map<string, number>()
    yield* load((engine) => {
      sim = engine
      world.forEach((kbSpec, k) => {
        const kb = engine.addKnowledgeBase(`kb_w${k}`)
        kbSpec.jobs.forEach((job, j) => {
          const { job: info } = engine.addDataSource(kb, {
            jobId: `job_w${k}_${j}`,
            queuedMs: job.queuedMs,
            documents: job.documents.map((document, n) => ({
              name: `doc-${n}.md`,
              durationMs: document.durationMs,
              ...(document.fail ? { fail: true } : {}),
              ...(document.skipped ? { status: "skipped" } : {})
            })),
            ...(job.failAfterMs === null ? {} : { failure: { afterMs: job.failAfterMs } }),
            ...(job.unknownStatus === null
              ? {}
              : {
                  reportStatus: {
                    status: "paused",
                    // A window that opens by the job's end at the latest: a finished job stays finished.
                    fromMs: Math.min(job.unknownStatus.fromMs, plannedEnd(job)),
                    ...(job.unknownStatus.forMs === null
                      ? {}
                      : {
                          untilMs:
                            Math.min(job.unknownStatus.fromMs, plannedEnd(job)) + job.unknownStatus.forMs
                        })
                  }
                })
          })
          terminalAt.set(info.id, info.terminalAt)
          if (j === 0 && kbSpec.between !== null) {
            for (let n = 0; n < kbSpec.between; n++) {
              engine.addDataSource(kb, {
                jobId: `job_w${k}_between_${n}`,
                queuedMs: 0,
                documents: [{ name: "long.md", durationMs: 10 * 60_000 }]
              })
            }
          }
        })
      })
    })
    const simulated = sim!
    const reports: Array<{ readonly round: WaitEngine.RoundReport; readonly arrivedAt: number }> = []
    const { engine } = yield* makeEngine({ onRound: (round) => reports.push({ round, arrivedAt: now }) })

    // What the simulated world does, and what the waits do, at their instants.
    const finals = new Map<string, ReturnType<SimulatorEngine.SimulatorEngine["getJob"]>>()
    const waits: Array<WatchedWait> = []
    type Action = { readonly at: number; readonly world: boolean; readonly run: Effect.Effect<void> }
    const actions: Array<Action> = []
    world.forEach((kbSpec, k) => {
      const kb = `kb_w${k}`
      kbSpec.jobs.forEach((job, j) => {
        const jobId = `job_w${k}_${j}`
        if (job.vanishAfterMs !== null) {
          actions.push({
            at: EPOCH + job.vanishAfterMs,
            world: true,
            run: Effect.sync(() => void simulated.removeJob(kb, jobId))
          })
        }
        for (const spec of job.waits) {
          const wait: WatchedWait = {
            kb,
            jobId,
            spec,
            observed: { events: [], exits: [], registration: undefined },
            leftAt: null
          }
          waits.push(wait)
          const joinAt = EPOCH + spec.joinAtMs
          actions.push({
            at: joinAt,
            world: false,
            run: Effect.orDie(
              Effect.tap(
                register(engine, kb, jobId, { pollInterval: spec.intervalMs, timeout: spec.timeoutMs }),
                (observed) =>
                  Effect.sync(() => {
                    wait.observed.events.push(...observed.events)
                    Object.assign(wait, { observed })
                  })
              ).pipe(Effect.asVoid)
            )
          })
          if (spec.leaveAfterMs !== null) {
            actions.push({
              at: joinAt + spec.leaveAfterMs,
              world: false,
              run: Effect.suspend(() => {
                if (wait.observed.exits.length > 0) return Effect.void
                wait.leftAt = now
                return wait.observed.registration!.leave
              })
            })
          }
        }
      })
      if (kbSpec.background !== null) {
        const { atMs, count } = kbSpec.background
        actions.push({
          at: EPOCH + atMs,
          world: true,
          run: Effect.sync(() => {
            for (let n = 0; n < count; n++) {
              simulated.addDataSource(kb, {
                jobId: `job_w${k}_bg_${n}`,
                queuedMs: n % 2 === 0 ? 0 : 10 * 60_000,
                documents: [{ name: "long.md", durationMs: 10 * 60_000 }]
              })
            }
          })
        })
      }
      for (const fault of kbSpec.faults) {
        actions.push({
          at: EPOCH + fault.atMs,
          world: true,
          run: Effect.sync(
            () =>
              void simulator.control.injectFault(
                fault.kind === "rate-limit"
                  ? { kind: "rate-limit", kbId: kb, times: fault.times, retryAfter: fault.retryAfter }
                  : { kind: "server-error", status: 503, kbId: kb, times: fault.times }
              )
          )
        })
      }
    })
    actions.sort((a, b) => a.at - b.at)

    // Active jobs per knowledge base at every instant the test stopped at.
    const active: Array<{
      readonly at: number
      readonly kb: string
      readonly queued: number
      readonly processing: number
    }> = []
    const countActive = (at: number) => {
      for (let k = 0; k < world.length; k++) {
        const kb = `kb_w${k}`
        // The terminal job as the server reports it, from the first instant the test sees it.
        for (let j = 0; j < world[k]!.jobs.length; j++) {
          const jobId = `job_w${k}_${j}`
          const job = simulated.getJob(kb, jobId)
          if (!finals.has(jobId) && (job?.status === "completed" || job?.status === "failed"))
            finals.set(jobId, job)
        }
        const count = (status: "queued" | "processing") =>
          simulated.listJobs(kb, { limit: Number.MAX_SAFE_INTEGER, status }).data.length
        active.push({ at, kb, queued: count("queued"), processing: count("processing") })
      }
    }

    // The discrete-event run.
    let next = 0
    countActive(EPOCH)
    yield* settle
    for (;;) {
      const pendingActions = next < actions.length
      if (!pendingActions && waits.every((wait) => wait.observed.exits.length > 0 || wait.leftAt !== null))
        break
      const at = Math.min(yield* nextWake, actions[next]?.at ?? Number.POSITIVE_INFINITY)
      if (at === Number.POSITIVE_INFINITY) break
      if (at > simulator.control.now()) simulator.control.setTime(at)
      const due = actions.filter((action, index) => index >= next && action.at === at)
      for (const action of due) if (action.world) yield* action.run
      countActive(at)
      setNow(at)
      yield* TestClock.setTime(at)
      yield* settle
      for (const action of due) if (!action.world) yield* action.run
      next += due.length
      yield* settle
    }

    // --- Each wait against the oracle of its job.
    for (const wait of waits) {
      const [k, j] = wait.jobId.slice("job_w".length).split("_").map(Number) as [number, number]
      const job = world[k]!.jobs[j]!
      const { visibleAt, vanishAt, endsAt } = oracle(job, terminalAt.get(wait.jobId)!, EPOCH)
      const joinAt = EPOCH + wait.spec.joinAtMs
      const deadline = joinAt + wait.spec.timeoutMs
      const faults = world[k]!.faults.reduce((sum, fault) => sum + fault.times, 0)
      const slack = wait.spec.intervalMs + faults * 8_000 + 1_000
      const { exits, events } = wait.observed
      const context = `${wait.jobId} (join ${wait.spec.joinAtMs}, interval ${wait.spec.intervalMs}, timeout ${wait.spec.timeoutMs})`

      // Heard at most once, and nothing after it.
      expect(exits.length, context).toBeLessThanOrEqual(1)
      const exit = exits[0]
      if (wait.leftAt !== null && exit === undefined) continue
      if (exit === undefined) throw new Error(`${context}: never ended`)
      if (wait.leftAt !== null) expect(exit.at, context).toBeLessThanOrEqual(wait.leftAt)
      const lastEvent = events.at(-1)
      for (const event of events) expect(event.at, context).toBeLessThanOrEqual(exit.at)
      const terminalEvents = events.filter(
        (event) =>
          event._tag === "Polled" && IngestionJob.isTerminal(event.job) && "document_details" in event.job
      )

      const start = Math.max(endsAt, joinAt)
      const left = wait.leftAt ?? Number.POSITIVE_INFINITY
      if (endsAt >= deadline) {
        expect(exit.exit, context).toMatchObject({
          _tag: "Failure",
          cause: { reasons: [{ _tag: "Fail", error: { _tag: "WaitTimeout", reason: "deadline" } }] }
        })
        expect(exit.at, context).toBe(deadline)
      } else if (start + slack < Math.min(deadline, left)) {
        expect(exit.at, context).toBeGreaterThanOrEqual(start)
        expect(exit.at, context).toBeLessThanOrEqual(start + slack)
      }
      if (Exit.isSuccess(exit.exit)) {
        const job = exit.exit.value
        const final = finals.get(wait.jobId)
        expect(exit.at, context).toBeGreaterThanOrEqual(visibleAt)
        expect(exit.at, context).toBeLessThan(vanishAt)
        expect(
          {
            status: IngestionJob.statusText(job.status),
            processed: job.documents_processed,
            failed: job.documents_failed,
            chunks: job.chunks_created,
            documents: job.document_details.map((document) => IngestionJob.statusText(document.status))
          },
          context
        ).toStrictEqual({
          status: final?.status,
          processed: final?.documents_processed,
          failed: final?.documents_failed,
          chunks: final?.chunks_created,
          documents: final?.document_details?.map((document) => document.status)
        })
        // The terminal job was delivered exactly once, as the last event.
        expect(terminalEvents.length, context).toBe(1)
        expect(lastEvent, context).toBe(terminalEvents[0])
      } else {
        expect(terminalEvents.length, context).toBe(0)
        const error = errorOf(wait.observed)
        if (error?._tag === "NotFound") {
          expect(error.code, context).toBe("ingestion_job_not_found")
          expect(exit.at, context).toBeGreaterThanOrEqual(vanishAt)
        } else {
          expect(error, context).toMatchObject({ _tag: "WaitTimeout", reason: "deadline" })
          expect(exit.at, context).toBe(deadline)
        }
      }
    }

    // --- Every round within the bound, and every request accounted for.
    for (const { round, arrivedAt } of reports) {
      const seen = active.filter(
        (sample) => sample.kb === round.knowledgeBaseId && sample.at >= round.at && sample.at <= arrivedAt
      )
      const queued = Math.max(0, ...seen.map((sample) => sample.queued))
      const processing = Math.max(0, ...seen.map((sample) => sample.processing))
      const sweep = Math.max(1, Math.ceil(queued / 100)) + Math.max(1, Math.ceil(processing / 100))
      expect(round.requests, JSON.stringify(round)).toBeLessThanOrEqual(
        Math.min(round.dueJobs, sweep) + round.followUpGets
      )
      if (round.mode === "get")
        expect(round.requests, JSON.stringify(round)).toBeLessThanOrEqual(round.dueJobs)
    }
    // Every request a round reports reached the simulator. (Not the converse: a round interrupted
    // because its last wait left, e.g. during a retry's delay, reports nothing.)
    for (let k = 0; k < world.length; k++) {
      const kb = `kb_w${k}`
      const reported = reports
        .filter(({ round }) => round.knowledgeBaseId === kb)
        .reduce((sum, { round }) => sum + round.requests, 0)
      expect(requestsOf(kb).length, kb).toBeGreaterThanOrEqual(reported)
    }
  })

describe("WaitEngine properties", { timeout: 240_000 }, () => {
  it.live("in random worlds, every wait ends as its job's oracle says, and every round keeps the bound", () =>
    Effect.promise(() =>
      fc.assert(
        fc.asyncProperty(worldSpec, async (world) => {
          const started = performance.now()
          try {
            await Effect.runPromise(
              Effect.scoped(withSleepsInView(runWorld(world))).pipe(Effect.provide(TestClock.layer()))
            )
          } finally {
            if (process.env.ENGINE_DEBUG) console.log(`world run in ${(performance.now() - started) | 0} ms`)
          }
        }),
        {
          numRuns: Number(process.env.ENGINE_RUNS ?? 6),
          ...(process.env.ENGINE_SEED ? { seed: Number(process.env.ENGINE_SEED) } : {}),
          ...(process.env.ENGINE_NO_SHRINK ? { endOnFailure: true } : {})
        }
      )
    )
  )
})

describe("WaitEngine.observe and WaitEngine.combineObserved", { timeout: 60_000 }, () => {
  const none: WaitError.Observed = { responses: 0, retries: 0, statuses: {}, httpStatuses: {} }

  engineTest("a wait's events, counted with observe, are what its WaitTimeout says it observed", () =>
    Effect.gen(function* () {
      yield* load((sim) => void jobsIn(sim, "kb_observed", 1, 60_000))
      const { engine } = yield* makeEngine()
      // The first GET is answered 503 twice: two Retrying events, then the job.
      simulator.control.injectFault({ kind: "server-error", status: 503, times: 2, kbId: "kb_observed" })
      const wait = yield* register(engine, "kb_observed", "job_00000", {
        pollInterval: "1 second",
        timeout: "3500 millis"
      })
      yield* runUntil(() => wait.exits.length > 0)
      const error = errorOf(wait)
      if (error?._tag !== "WaitTimeout") return expect.fail(`a WaitTimeout, not ${error?._tag}`)

      const counted = wait.events.reduce(WaitEngine.observe, none)
      expect(counted).toStrictEqual({
        responses: 4,
        retries: 2,
        statuses: { queued: 4 },
        httpStatuses: { "200": 4, "503": 2 }
      })
      expect(error.observed).toStrictEqual(counted)
      // Counted in two parts (a tab's own polls, its leader's), the parts add up to the whole.
      const half = Math.floor(wait.events.length / 2)
      expect(
        WaitEngine.combineObserved(
          wait.events.slice(0, half).reduce(WaitEngine.observe, none),
          wait.events.slice(half).reduce(WaitEngine.observe, none)
        )
      ).toStrictEqual(counted)
      // What was counted before is left as it was.
      expect(none).toStrictEqual({ responses: 0, retries: 0, statuses: {}, httpStatuses: {} })
    })
  )
})
