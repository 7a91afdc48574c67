import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { IngestionError, IngestionJob, IngestionJobs, WaitEngine } from "@tensoras/ingestion"
import { type RunningSimulator, type Scenario, type SimulatorEngine, startSimulator } from "@tensoras/ingestion-testkit"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import * as Scope from "effect/Scope"
import * as TestClock from "effect/TestClock"
import * as TestContext from "effect/TestContext"
import * as fc from "fast-check"

/**
 * The engine against the simulator over loopback HTTP, on two clocks the test moves together:
 * the simulator's manual clock (what the jobs report) and Effect's `TestClock` (when the engine
 * polls). The test is a discrete-event simulation: it lets the engine run until nothing can
 * happen without time moving, then moves both clocks to the next instant anything is due.
 */

const API_KEY = "tns_canary_engine_5c1e"
const EPOCH = Date.UTC(2025, 0, 1)
/** The one real-time limit of this file: how long the engine may take to settle after a step. */
const SETTLE_LIMIT_MS = 10_000

let simulator: RunningSimulator
beforeAll(async () => {
  simulator = await startSimulator({ scenario: "empty", apiKey: API_KEY, clock: "manual", epochMs: EPOCH })
})
afterAll(() => simulator.close())

// --- Knowing when the engine is idle ---------------------------------------------------------

/** Fetches in flight, counted from the call until the whole body has arrived. */
let fetchesInFlight = 0
const countingFetch: typeof globalThis.fetch = async (input, init) => {
  fetchesInFlight++
  try {
    const response = await globalThis.fetch(input, init)
    const body = await response.arrayBuffer()
    return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers })
  } finally {
    fetchesInFlight--
  }
}

/** Bumped by every listener call, round and gate: anything the engine does shows here. */
let activity = 0

const realTurn = Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, 0)))

/**
 * Waits (in real time) until the engine is idle: no HTTP in flight, and nothing it does changes
 * over several turns of the event loop. Then only moving the clock can make anything happen.
 */
const settle = Effect.gen(function* () {
  const limit = Date.now() + SETTLE_LIMIT_MS
  let stable = 0
  let last = ""
  while (stable < 3) {
    yield* realTurn
    const sleeps = yield* TestClock.sleeps()
    const signature = `${fetchesInFlight} ${activity} ${Chunk.join(Chunk.map(sleeps, String), ",")}`
    stable = fetchesInFlight === 0 && signature === last ? stable + 1 : 0
    last = signature
    if (Date.now() > limit) return yield* Effect.dieMessage(`the engine did not settle within ${SETTLE_LIMIT_MS} ms`)
  }
})

/** The earliest instant the engine sleeps until (its loops, the client's retries), if any. */
const nextWake = Effect.map(TestClock.sleeps(), (sleeps) =>
  Chunk.reduce(sleeps, Number.POSITIVE_INFINITY, (min, at) => Math.min(min, at))
)

/** Moves the simulated world, then the client's clock, to `at`, and lets the engine settle. */
const moveTo = (at: number) =>
  Effect.gen(function* () {
    if (at > simulator.control.now()) simulator.control.setTime(at)
    now = at
    yield* TestClock.setTime(at)
    yield* settle
  })

/** Steps from one due instant to the next until `done` holds (or nothing is due any more). */
const runUntil = (done: () => boolean, until = Number.POSITIVE_INFINITY) =>
  Effect.gen(function* () {
    yield* settle
    while (!done()) {
      const at = yield* nextWake
      if (at > until || at === Number.POSITIVE_INFINITY) return
      yield* moveTo(at)
    }
  })

// --- The engine under test -------------------------------------------------------------------

/** Two retries of a transient failure, 100 then 200 ms later (or after `Retry-After`). */
const twoRetries = Schedule.exponential("100 millis").pipe(Schedule.intersect(Schedule.recurs(2)))

const clientLayer = (retrySchedule: Schedule.Schedule<unknown, IngestionError.IngestionError> = twoRetries) =>
  IngestionJobs.layer({ apiKey: Redacted.make(API_KEY), baseUrl: simulator.baseUrl, retrySchedule }).pipe(
    Layer.provide(FetchHttpClient.layer),
    Layer.provide(Layer.succeed(FetchHttpClient.Fetch, countingFetch))
  )

/** An engine in the current scope, its rounds recorded. */
const makeEngine = (
  options: WaitEngine.EngineOptions = {},
  retrySchedule?: Schedule.Schedule<unknown, IngestionError.IngestionError>
) =>
  Effect.gen(function* () {
    const rounds: Array<WaitEngine.RoundReport> = []
    const engine = yield* WaitEngine.make({
      ...options,
      onRound: (round) => {
        activity++
        rounds.push(round)
        options.onRound?.(round)
      }
    }).pipe(Effect.provide(clientLayer(retrySchedule)))
    return { engine, rounds }
  })

/** A wait as the test sees it: every event, and how (and when) it ended. */
interface Observed {
  readonly events: Array<WaitEngine.WaitEvent>
  readonly exits: Array<{ readonly exit: WaitEngine.WaitExit; readonly at: number }>
  registration: WaitEngine.Registration | undefined
}

/** The test's own notion of "now" for listeners (plain callbacks cannot read the Effect clock). */
let now = EPOCH

const register = (
  engine: WaitEngine.WaitEngine["Type"],
  knowledgeBaseId: string,
  jobId: string,
  options: WaitEngine.WaitOptions = {}
) =>
  Effect.gen(function* () {
    const observed: Observed = { events: [], exits: [], registration: undefined }
    observed.registration = yield* engine.register(knowledgeBaseId, jobId, options, {
      onEvent: (event) => {
        activity++
        observed.events.push(event)
      },
      onExit: (exit) => {
        activity++
        observed.exits.push({ exit, at: now })
      }
    })
    return observed
  })

/** Loads a world of the test's own (a scenario), and starts both clocks at its epoch. */
const load = (setup: (engine: SimulatorEngine) => void) =>
  Effect.gen(function* () {
    const scenario: Scenario = { name: "wait-engine", description: "built by the test", epochMs: EPOCH, setup }
    simulator.control.setScenario(scenario)
    now = EPOCH
    yield* TestClock.setTime(EPOCH)
  })

/** `count` jobs in `kb` that stay queued for `queuedMs`, then process one 10 s document. */
const jobsIn = (engine: SimulatorEngine, kb: string, count: number, queuedMs: number, prefix = "job") => {
  if (!engine.hasKnowledgeBase(kb)) engine.addKnowledgeBase(kb)
  return Array.from(
    { length: count },
    (_, index) =>
      engine.addDataSource(kb, {
        jobId: `${prefix}_${String(index).padStart(5, "0")}`,
        queuedMs,
        documents: [{ name: `${prefix}-${index}.md`, durationMs: 10_000 }]
      }).job.id
  )
}

const requestsOf = (kb: string) => simulator.control.requests.filter((request) => request.kbId === kb)

const errorOf = (observed: Observed) => {
  const exit = observed.exits[0]?.exit
  return exit !== undefined && Exit.isFailure(exit) && exit.cause._tag === "Fail" ? exit.cause.error : undefined
}

// --- Examples: what the engine does ----------------------------------------------------------

describe("WaitEngine", { timeout: 60_000 }, () => {
  it.scoped("runs one loop per knowledge base: 1,000 waits cost a sweep of list pages, not 1,000 GETs", () =>
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
      expect(rounds.map(({ mode, requests }) => ({ mode, requests }))).toStrictEqual([{ mode: "sweep", requests: 11 }])
      expect(requestsOf("kb_many").every((request) => request.route === "list")).toBe(true)
      expect(waits.every((wait) => wait.events.length === 1 && wait.exits.length === 0)).toBe(true)

      yield* moveTo(EPOCH + 5_000)
      yield* moveTo(EPOCH + 10_000)
      // At +10 s the 10 short jobs are missing from both lists: one GET each tells they completed.
      expect(rounds.map(({ mode, requests, followUpGets }) => ({ mode, requests, followUpGets }))).toStrictEqual([
        { mode: "sweep", requests: 11, followUpGets: 0 },
        { mode: "sweep", requests: 11, followUpGets: 0 },
        { mode: "sweep", requests: 21, followUpGets: 10 }
      ])
      expect(requestsOf("kb_many").length).toBe(43)
      expect(waits.filter((wait) => wait.exits[0]?.exit._tag === "Success").length).toBe(10)
    })
  )

  it.scoped("GETs each due job when few are due (a GET is cheaper than the two lists of a sweep)", () =>
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
      expect(requestsOf("kb_few").map((request) => [request.route, request.jobId, request.at])).toStrictEqual([
        ["get", "job_00000", EPOCH],
        ["get", "job_00001", EPOCH],
        ["get", "job_00000", EPOCH + 2_000],
        ["get", "job_00001", EPOCH + 2_000]
      ])
    })
  )

  it.scoped("sweeps every page of status=queued, then of status=processing, so no job slips between", () =>
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

  it.scoped("fetches a terminal job once for all of its waits", () =>
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

  it.scoped("a 429 pauses the whole knowledge base once: no request to it before Retry-After", () =>
    Effect.gen(function* () {
      yield* load((sim) => void jobsIn(sim, "kb_limited", 3, 60_000))
      // No client retries here: the engine itself sees the 429.
      const { engine, rounds } = yield* makeEngine({}, Schedule.stop)
      simulator.control.injectFault({ kind: "rate-limit", retryAfter: 7, kbId: "kb_limited" })
      for (const jobId of ["job_00000", "job_00001"]) {
        yield* register(engine, "kb_limited", jobId, { pollInterval: "1 second" })
      }
      yield* runUntil(() => false, EPOCH + 7_000)
      expect(requestsOf("kb_limited").map((request) => [request.status, request.at])).toStrictEqual([
        [429, EPOCH],
        [200, EPOCH + 7_000],
        [200, EPOCH + 7_000]
      ])
      expect(rounds.map((round) => round.at)).toStrictEqual([EPOCH, EPOCH + 7_000])
    })
  )

  it.scoped("a 401 or 403 fails every wait of the knowledge base, after one request", () =>
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

  it.scoped("a knowledge base that does not exist fails all of its waits with NotFound, after one request", () =>
    Effect.gen(function* () {
      yield* load(() => {})
      const { engine } = yield* makeEngine()
      const waits = yield* Effect.forEach(["job_a", "job_b", "job_c"], (jobId) => register(engine, "kb_nowhere", jobId))
      yield* settle
      expect(requestsOf("kb_nowhere").length).toBe(1)
      expect(waits.map((wait) => errorOf(wait))).toMatchObject(
        Array(3).fill({ _tag: "NotFound", code: "knowledge_base_not_found" })
      )
    })
  )

  it.scoped("a job that is not found (or vanishes) fails only its own waits", () =>
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

  it.scoped("the last wait leaving a knowledge base stops its loop: no request after", () =>
    Effect.gen(function* () {
      yield* load((sim) => void jobsIn(sim, "kb_left", 2, 60_000))
      const { engine } = yield* makeEngine()
      const first = yield* register(engine, "kb_left", "job_00000", { pollInterval: "1 second" })
      const second = yield* register(engine, "kb_left", "job_00001", { pollInterval: "1 second" })
      yield* settle
      yield* first.registration!.leave
      yield* moveTo(EPOCH + 1_000)
      expect(requestsOf("kb_left").map((request) => request.jobId)).toStrictEqual(["job_00000", "job_00001", "job_00001"])
      yield* second.registration!.leave
      yield* runUntil(() => false, EPOCH + 60 * 60_000)
      expect(requestsOf("kb_left").length).toBe(3)
      expect([...first.exits, ...second.exits]).toStrictEqual([])
    })
  )

  it.effect("closing the engine's scope stops every loop: no request, no exit after", () =>
    Effect.gen(function* () {
      yield* load((sim) => {
        jobsIn(sim, "kb_one", 1, 60_000, "job_one")
        jobsIn(sim, "kb_two", 1, 60_000, "job_two")
      })
      const scope = yield* Scope.make()
      const { engine } = yield* Scope.extend(makeEngine(), scope)
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

  it.scoped("a listener that throws disturbs neither the loop nor the other waits", () =>
    Effect.gen(function* () {
      yield* load((sim) => void jobsIn(sim, "kb_throws", 2, 0))
      const { engine } = yield* makeEngine()
      const fail = () => {
        throw new Error("a listener's bug")
      }
      yield* engine.register("kb_throws", "job_00000", { pollInterval: "5 seconds" }, { onEvent: fail, onExit: fail })
      const sameJob = yield* register(engine, "kb_throws", "job_00000", { pollInterval: "5 seconds" })
      const otherJob = yield* register(engine, "kb_throws", "job_00001", { pollInterval: "5 seconds" })
      yield* runUntil(() => sameJob.exits.length > 0 && otherJob.exits.length > 0)
      expect(sameJob.exits[0]?.exit._tag).toBe("Success")
      expect(otherJob.exits[0]?.exit._tag).toBe("Success")
      expect(sameJob.exits[0]?.at).toBe(EPOCH + 10_000)
    })
  )
})
