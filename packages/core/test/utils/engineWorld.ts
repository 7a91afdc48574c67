import { afterAll, beforeAll, it } from "@effect/vitest"
import { type IngestionError, IngestionJobs, WaitEngine } from "@tensoras/ingestion"
import { NodeSimulator, type Scenarios, type SimulatorEngine } from "@tensoras/ingestion-testkit"
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import * as TestClock from "effect/testing/TestClock"
import { countingFetch, fetchesInFlight } from "./countingFetch.js"

/**
 * The engine against the simulator over loopback HTTP, on two clocks the test moves together:
 * the simulator's manual clock (what the jobs report) and Effect's `TestClock` (when the engine
 * polls). The test is a discrete-event simulation: it lets the engine run until nothing can
 * happen without time moving, then moves both clocks to the next instant anything is due.
 */

export const API_KEY = "tns_canary_engine_5c1e"
export const EPOCH = Date.UTC(2025, 0, 1)
/** The one real-time limit of this file: how long the engine may take to settle after a step. */
const SETTLE_LIMIT_MS = 10_000

export let simulator: NodeSimulator.RunningSimulator

/** Starts the file's simulator (manual clock, empty world) before its tests, and closes it after. */
export const useSimulator = (): void => {
  beforeAll(async () => {
    simulator = await NodeSimulator.start({
      scenario: "empty",
      apiKey: API_KEY,
      clock: "manual",
      epochMs: EPOCH
    })
  })
  afterAll(() => simulator.close())
}

// --- Knowing when the engine is idle ---------------------------------------------------------

/**
 * The instants the fibers sleeping on the test's clock wake at (the engine's loops, the client's
 * retries), one entry per sleep in progress: what `TestClock.sleeps()` told before Effect 4.
 */
let sleeping: Array<number> = []

/**
 * Runs `effect` on the `TestClock` with its sleeps in view: on a copy of it (its methods are bound
 * to it) whose `sleep` records each sleep in `sleeping` while it lasts. The engine's loops and the
 * client take their clock from the fiber that registers or runs them: this one.
 */
export const withSleepsInView = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.clockWith((clock) => {
    const testClock = clock as TestClock.TestClock
    sleeping = []
    const recorded = sleeping
    const inView: TestClock.TestClock = {
      ...testClock,
      sleep: (duration) =>
        Effect.suspend(() => {
          const until = testClock.currentTimeMillisUnsafe() + Duration.toMillis(duration)
          if (until <= testClock.currentTimeMillisUnsafe()) return testClock.sleep(duration)
          recorded.push(until)
          return Effect.ensuring(
            testClock.sleep(duration),
            Effect.sync(() => void recorded.splice(recorded.indexOf(until), 1))
          )
        })
    }
    return Effect.provideService(effect, Clock.Clock, inView)
  })

/** A test of the engine: `it.effect` (scoped, on the `TestClock`), its sleeps in view. */
export const engineTest = (name: string, body: () => Effect.Effect<void, unknown, Scope.Scope>) =>
  it.effect(name, () => withSleepsInView(body()))

/** Bumped by every listener call, round and gate: anything the engine does shows here. */
export let activity = 0

export const realTurn = Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, 0)))

/**
 * Waits (in real time) until the engine is idle: no HTTP in flight, and nothing it does changes
 * over several turns of the event loop. Then only moving the clock can make anything happen.
 */
export const settle = Effect.gen(function* () {
  const limit = Date.now() + SETTLE_LIMIT_MS
  let stable = 0
  let last = ""
  while (stable < 3) {
    yield* realTurn
    // A request the simulator holds (a `hang` fault) stays in flight until the client lets it go.
    const busy = fetchesInFlight() - hangingRequests()
    const signature = `${busy} ${activity} ${[...sleeping].sort((a, b) => a - b).join(",")}`
    stable = busy === 0 && signature === last ? stable + 1 : 0
    last = signature
    if (Date.now() > limit)
      return yield* Effect.die(new Error(`the engine did not settle within ${SETTLE_LIMIT_MS} ms`))
  }
})

/** Requests the simulator holds without an answer (`hang` faults), until their client lets go. */
export const hangingRequests = (): number =>
  simulator.control.requests.filter(
    (request) => request.outcome === "pending" && request.faults.some((fault) => fault.kind === "hang")
  ).length

/** The earliest instant the engine sleeps until (its loops, the client's retries), if any. */
export const nextWake = Effect.sync(() => Math.min(Number.POSITIVE_INFINITY, ...sleeping))

/** Moves the simulated world, then the client's clock, to `at`, and lets the engine settle. */
export const moveTo = (at: number) =>
  Effect.gen(function* () {
    if (at > simulator.control.now()) simulator.control.setTime(at)
    now = at
    yield* TestClock.setTime(at)
    yield* settle
  })

/** Steps from one due instant to the next until `done` holds (or nothing is due any more). */
export const runUntil = (done: () => boolean, until = Number.POSITIVE_INFINITY) =>
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
export const twoRetries = Schedule.max([Schedule.exponential("100 millis"), Schedule.recurs(2)])

export const clientLayer = (
  retrySchedule: Schedule.Schedule<unknown, IngestionError.IngestionError> = twoRetries
) =>
  IngestionJobs.layer({ apiKey: Redacted.make(API_KEY), baseUrl: simulator.baseUrl, retrySchedule }).pipe(
    Layer.provide(FetchHttpClient.layer),
    Layer.provide(Layer.succeed(FetchHttpClient.Fetch, countingFetch))
  )

/** An engine in the current scope, its rounds recorded. */
export const makeEngine = (
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
export interface Observed {
  readonly events: Array<WaitEngine.WaitEvent>
  readonly exits: Array<{ readonly exit: WaitEngine.WaitExit; readonly at: number }>
  registration: WaitEngine.Registration | undefined
}

/** The test's own notion of "now" for listeners (plain callbacks cannot read the Effect clock). */
export let now = EPOCH

/** Sets the test's "now" (see `now`): a test that moves the clocks step by step itself. */
export const setNow = (at: number): void => {
  now = at
}

export const register = (
  engine: WaitEngine.WaitEngine["Service"],
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
export const load = (setup: (engine: SimulatorEngine.SimulatorEngine) => void) =>
  Effect.gen(function* () {
    const scenario: Scenarios.Scenario = {
      name: "wait-engine",
      description: "built by the test",
      epochMs: EPOCH,
      setup
    }
    simulator.control.setScenario(scenario)
    now = EPOCH
    yield* TestClock.setTime(EPOCH)
  })

/** `count` jobs in `kb` that stay queued for `queuedMs`, then process one 10 s document. */
export const jobsIn = (
  engine: SimulatorEngine.SimulatorEngine,
  kb: string,
  count: number,
  queuedMs: number,
  prefix = "job"
) => {
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

export const requestsOf = (kb: string) => simulator.control.requests.filter((request) => request.kbId === kb)

export const errorOf = (observed: Observed) => {
  const exit = observed.exits[0]?.exit
  return exit !== undefined && Exit.isFailure(exit)
    ? Option.getOrUndefined(Cause.findErrorOption(exit.cause))
    : undefined
}

// --- Examples: what the engine does ----------------------------------------------------------
