import { afterAll, beforeAll, beforeEach, describe, expect, it } from "@effect/vitest"
import { createIngestionJobsClient, IngestionJobs, PollSchedule, Wait, WaitEngine } from "@tensoras/ingestion"
import * as JobActor from "@tensoras/ingestion/JobActor"
import { Canary, type Fault, NodeSimulator, TestLimit } from "@tensoras/ingestion-testkit"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import * as Schedule from "effect/Schedule"
import * as TestClock from "effect/testing/TestClock"
import * as fc from "fast-check"
import { sleeps } from "./utils/clock.js"
import { countingFetch, fetchesInFlight } from "./utils/countingFetch.js"

/**
 * The project's own reliability suite (docs/reliability.md): every fault the testkit can inject,
 * against every way to wait, with a canary key that must never come out; random fault schedules
 * checked against an oracle; leaks; and a `kill -9` in the middle of a machine's wait.
 */

const KEY = Canary.make()
const KB = "kb_abc123"
/** Completed from the start in the `docs` scenario: how a wait ends is up to the faults alone. */
const JOB = "job_abc123"
/** More random schedules: `TENSORAS_RELIABILITY_RUNS=1000 pnpm vitest run --project core Reliability`. */
const RUNS = Number(process.env.TENSORAS_RELIABILITY_RUNS ?? 10)
const SEED =
  process.env.TENSORAS_RELIABILITY_SEED === undefined
    ? undefined
    : Number(process.env.TENSORAS_RELIABILITY_SEED)

let simulator: NodeSimulator.RunningSimulator
const unhandled: Array<unknown> = []
const onUnhandled = (reason: unknown) => void unhandled.push(reason)
beforeAll(async () => {
  process.on("unhandledRejection", onUnhandled)
  simulator = await NodeSimulator.start({ scenario: "docs", apiKey: KEY, clock: "manual" })
})
afterAll(async () => {
  await simulator.close()
  process.off("unhandledRejection", onUnhandled)
  // Leak check: nothing the suite started rejected unseen (a floating promise, a stray waiter).
  expect(unhandled).toStrictEqual([])
})
beforeEach(() => simulator.control.setScenario("docs"))

/** The server's log of requests that no client should have made: redirects followed. */
const followedRedirects = () => simulator.control.requests.filter((r) => r.query.redirected === "1")

// --- The spec: each fault, and how a wait on a completed job ends with it ---------------------

type Outcome =
  | "Completed"
  | "WaitTimeout"
  | "Unauthorized"
  | "Forbidden"
  | "NotFound"
  | "InvalidRequest"
  | "ResponseDecodeError"

interface Cell {
  readonly fault: string
  readonly inject: ReadonlyArray<Fault.Fault>
  readonly outcome: Outcome
}

const once = (fault: Fault.Fault): ReadonlyArray<Fault.Fault> => [{ ...fault, times: 1 } as Fault.Fault]
const always = (fault: Fault.Fault): ReadonlyArray<Fault.Fault> => [
  { ...fault, times: Number.POSITIVE_INFINITY } as Fault.Fault
]

/**
 * The fault matrix, one row per fault kind. Transient faults are ridden out (the wait completes);
 * a fault that will not go away ends the wait with its typed error, or at its deadline.
 */
const MATRIX: ReadonlyArray<Cell> = [
  {
    fault: "429, Retry-After in seconds",
    inject: once({ kind: "rate-limit", retryAfter: 1, retryAfterFormat: "seconds" }),
    outcome: "Completed"
  },
  {
    fault: "429, Retry-After as an HTTP date",
    inject: once({ kind: "rate-limit", retryAfter: 1, retryAfterFormat: "http-date" }),
    outcome: "Completed"
  },
  {
    fault: "429, no Retry-After",
    inject: once({ kind: "rate-limit", retryAfterFormat: "none" }),
    outcome: "Completed"
  },
  {
    fault: "429 on every request",
    inject: always({ kind: "rate-limit", retryAfterFormat: "none" }),
    outcome: "WaitTimeout"
  },
  { fault: "500", inject: once({ kind: "server-error", status: 500 }), outcome: "Completed" },
  { fault: "502", inject: once({ kind: "server-error", status: 502 }), outcome: "Completed" },
  {
    fault: "503 with Retry-After",
    inject: once({ kind: "server-error", status: 503, retryAfter: 1 }),
    outcome: "Completed"
  },
  { fault: "504", inject: once({ kind: "server-error", status: 504 }), outcome: "Completed" },
  { fault: "connection dropped", inject: once({ kind: "drop" }), outcome: "Completed" },
  { fault: "hang (the request times out)", inject: once({ kind: "hang" }), outcome: "Completed" },
  { fault: "hang on every request", inject: always({ kind: "hang" }), outcome: "WaitTimeout" },
  { fault: "slow answer (real latency)", inject: once({ kind: "latency", ms: 150 }), outcome: "Completed" },
  { fault: "502 gateway page (not JSON)", inject: once({ kind: "non-json" }), outcome: "Completed" },
  {
    fault: "200 that is not JSON",
    inject: once({ kind: "non-json", status: 200 }),
    outcome: "ResponseDecodeError"
  },
  { fault: "truncated body", inject: once({ kind: "truncated" }), outcome: "ResponseDecodeError" },
  { fault: "unknown fields", inject: once({ kind: "extra-fields" }), outcome: "Completed" },
  {
    fault: "oversized body (~4 MB of unknown fields)",
    inject: once({ kind: "extra-fields", fields: { padding: "x".repeat(256 * 1024) } }),
    outcome: "Completed"
  },
  { fault: "unknown status, once", inject: once({ kind: "unknown-status" }), outcome: "Completed" },
  { fault: "unknown status, for good", inject: always({ kind: "unknown-status" }), outcome: "WaitTimeout" },
  { fault: "400", inject: always({ kind: "http-error", status: 400 }), outcome: "InvalidRequest" },
  { fault: "401", inject: always({ kind: "http-error", status: 401 }), outcome: "Unauthorized" },
  { fault: "403", inject: always({ kind: "http-error", status: 403 }), outcome: "Forbidden" },
  { fault: "404", inject: always({ kind: "http-error", status: 404 }), outcome: "NotFound" },
  { fault: "302 redirect", inject: always({ kind: "redirect" }), outcome: "ResponseDecodeError" },
  {
    fault: "307 redirect elsewhere",
    inject: always({ kind: "redirect", status: 307, location: "https://elsewhere.example/v1" }),
    outcome: "ResponseDecodeError"
  },
  {
    fault: "the key echoed in every string (status unknown)",
    inject: always({ kind: "echo-key" }),
    outcome: "WaitTimeout"
  },
  { fault: "the key echoed in a 500", inject: once({ kind: "echo-key", status: 500 }), outcome: "Completed" },
  {
    fault: "the key echoed in a 401",
    inject: always({ kind: "echo-key", status: 401 }),
    outcome: "Unauthorized"
  }
]

const inject = (faults: ReadonlyArray<Fault.Fault>) => {
  for (const fault of faults) simulator.control.injectFault(fault)
}

/** How a wait ended, as the name the table uses; the value, to search for the key. */
const outcomeOf = (
  result: Result.Result<{ readonly status: unknown }, { readonly _tag: string }>
): Outcome => {
  if (Result.isSuccess(result)) {
    expect(result.success.status).toBe("completed")
    return "Completed"
  }
  return result.failure._tag as Outcome
}

// --- Virtual time: the Effect waits and the machine on TestClock + the simulator's manual clock --

/** Requests the server holds on purpose (a `hang`): only moving the clock (a timeout) ends them. */
const hanging = () =>
  simulator.control.requests.filter((r) => r.outcome === "pending" && r.faults.some((f) => f.kind === "hang"))
    .length

const realTurn = Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, 0)))

/** Waits (real time) until nothing can happen without the clock moving: no HTTP in flight but hangs. */
const settle = Effect.gen(function* () {
  const limit = Date.now() + TestLimit.ms
  let stable = 0
  let last = ""
  while (stable < 3) {
    yield* realTurn
    const signature = `${fetchesInFlight()} ${simulator.control.requestCount()} ${(yield* sleeps).join(",")}`
    stable = fetchesInFlight() === hanging() && signature === last ? stable + 1 : 0
    last = signature
    if (Date.now() > limit)
      return yield* Effect.die(new Error(`the wait did not settle within ${TestLimit.ms} ms`))
  }
})

/**
 * Runs `effect` as a discrete-event simulation: lets it run until it is idle, then moves both
 * clocks to the earliest instant it sleeps until, until it ends.
 */
const drive = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function* () {
    yield* TestClock.setTime(simulator.control.now())
    const fiber = yield* Effect.forkChild(effect)
    for (;;) {
      yield* settle
      const done = fiber.pollUnsafe()
      if (done !== undefined) return done
      const at = (yield* sleeps).reduce((min, t) => Math.min(min, t), Number.POSITIVE_INFINITY)
      if (at === Number.POSITIVE_INFINITY)
        return yield* Effect.die(new Error("the wait is stuck: nothing is due"))
      if (at > simulator.control.now()) simulator.control.setTime(at)
      yield* TestClock.setTime(at)
    }
  })

/** The Effect client against the simulator, counting its fetches (built per test: the port). */
const provideClient = <A, E>(effect: Effect.Effect<A, E, WaitEngine.WaitEngine>) =>
  Effect.suspend(() =>
    Effect.provide(
      effect,
      WaitEngine.layer().pipe(
        Layer.provide(
          IngestionJobs.layer({
            apiKey: Redacted.make(KEY),
            baseUrl: simulator.baseUrl,
            requestTimeout: "10 seconds",
            retrySchedule: Schedule.max([Schedule.exponential("100 millis"), Schedule.recurs(3)])
          })
        ),
        Layer.provide(FetchHttpClient.layer),
        Layer.provide(Layer.succeed(FetchHttpClient.Fetch, countingFetch)),
        // As every adapter's fetch layer does: a redirect is answered, not followed.
        Layer.provide(Layer.succeed(FetchHttpClient.RequestInit, { redirect: "manual" }))
      )
    )
  )

const VIRTUAL = { schedule: PollSchedule.fixed("5 seconds"), timeout: "30 seconds" } as const

/** The machine, as a caller uses it: an actor, its snapshots persisted on every change, its result. */
const machineWait = (persisted: Array<unknown>) =>
  Effect.scoped(
    Effect.gen(function* () {
      const actor = yield* JobActor.start(KB, JOB, VIRTUAL)
      persisted.push(actor.getPersistedSnapshot())
      actor.subscribe(() => persisted.push(actor.getPersistedSnapshot()))
      return yield* JobActor.result(actor)
    })
  )

describe("the fault matrix: every fault × every wait API", () => {
  describe("Effect: Wait.waitFor (virtual time)", () => {
    it.effect.each(MATRIX.map((cell) => [cell.fault, cell] as const))("%s", ([, cell]) =>
      Effect.gen(function* () {
        inject(cell.inject)
        const updates: Array<unknown> = []
        const exit = yield* drive(
          Effect.result(Wait.waitFor(KB, JOB, { ...VIRTUAL, onUpdate: (job) => void updates.push(job) }))
        )
        expect(Exit.isSuccess(exit)).toBe(true)
        if (!Exit.isSuccess(exit)) return
        expect(outcomeOf(exit.value)).toBe(cell.outcome)
        expect(Canary.leaks(KEY, exit.value, updates)).toStrictEqual([])
        expect(followedRedirects()).toStrictEqual([])
      }).pipe(provideClient)
    )
  })

  describe("XState: the machine via JobActor (virtual time, snapshots persisted)", () => {
    it.effect.each(MATRIX.map((cell) => [cell.fault, cell] as const))("%s", ([, cell]) =>
      Effect.gen(function* () {
        inject(cell.inject)
        const persisted: Array<unknown> = []
        const exit = yield* drive(Effect.result(machineWait(persisted)))
        expect(Exit.isSuccess(exit)).toBe(true)
        if (!Exit.isSuccess(exit)) return
        expect(outcomeOf(exit.value)).toBe(cell.outcome)
        expect(persisted.length).toBeGreaterThan(1)
        expect(Canary.leaks(KEY, exit.value, persisted)).toStrictEqual([])
        expect(followedRedirects()).toStrictEqual([])
      }).pipe(provideClient)
    )
  })

  describe("Promise: client.waitFor (real time, short limits)", () => {
    it.each(MATRIX.map((cell) => [cell.fault, cell] as const))("%s", async (_name, cell) => {
      inject(cell.inject)
      const client = createIngestionJobsClient({
        apiKey: KEY,
        baseUrl: simulator.baseUrl,
        // Only a hang waits for the request timeout: elsewhere a busy machine must not cause one.
        requestTimeoutMs: cell.inject.some((fault) => fault.kind === "hang") ? 300 : TestLimit.ms,
        retrySchedule: Schedule.max([Schedule.exponential("10 millis"), Schedule.recurs(3)])
      })
      const updates: Array<unknown> = []
      // A wait that must time out gets a short deadline; the others the tests' one generous limit.
      const timeoutMs = cell.outcome === "WaitTimeout" ? 1_500 : TestLimit.ms
      const result = await client
        .waitFor(KB, JOB, { pollIntervalMs: 50, timeoutMs, onUpdate: (job) => void updates.push(job) })
        .then(Result.succeed, (error: { _tag: string }) => Result.fail(error))
      expect(outcomeOf(result)).toBe(cell.outcome)
      expect(Canary.leaks(KEY, result, updates)).toStrictEqual([])
      expect(followedRedirects()).toStrictEqual([])
    })
  })
})

// --- Random fault schedules, against an oracle -------------------------------------------------

/** Faults that go away by themselves, and those that end the wait, with the error they end it with. */
const transientFault = fc.constantFrom<Fault.Fault>(
  { kind: "rate-limit", retryAfter: 2, retryAfterFormat: "seconds" },
  { kind: "rate-limit", retryAfter: 3, retryAfterFormat: "http-date" },
  { kind: "rate-limit", retryAfterFormat: "none" },
  { kind: "server-error", status: 500 },
  { kind: "server-error", status: 503, retryAfter: 5 },
  { kind: "drop" },
  { kind: "hang" },
  { kind: "non-json" },
  { kind: "extra-fields" },
  { kind: "unknown-status" },
  { kind: "echo-key", status: 502 }
)
const fatalFault = fc.constantFrom<readonly [Fault.Fault, Outcome]>(
  [{ kind: "http-error", status: 400 }, "InvalidRequest"],
  [{ kind: "http-error", status: 401 }, "Unauthorized"],
  [{ kind: "http-error", status: 403 }, "Forbidden"],
  [{ kind: "http-error", status: 404 }, "NotFound"],
  [{ kind: "truncated" }, "ResponseDecodeError"],
  [{ kind: "redirect" }, "ResponseDecodeError"],
  [{ kind: "echo-key", status: 401 }, "Unauthorized"]
)
const schedule = fc.record({
  transient: fc.array(transientFault, { maxLength: 8 }),
  fatal: fc.option(fatalFault, { nil: undefined }),
  deadlineMs: fc.integer({ min: 1_000, max: 10 * 60_000 }),
  api: fc.constantFrom("Wait.waitFor", "JobActor")
})

describe("seeded random fault schedules", () => {
  it(`end as the oracle says, never poll past the deadline, never leak the key (${RUNS} runs)`, () =>
    fc.assert(
      fc.asyncProperty(schedule, async ({ transient, fatal, deadlineMs, api }) => {
        simulator.control.setScenario("docs")
        // Each fault answers one request, in order; then the fatal one (if any), for good.
        inject(transient.map((fault) => ({ ...fault, times: 1 }) as Fault.Fault))
        if (fatal !== undefined) inject(always(fatal[0]))
        const run = Effect.gen(function* () {
          const start = simulator.control.now()
          const deadline = start + deadlineMs
          const options = { schedule: PollSchedule.fixed("5 seconds"), deadline }
          const wait =
            api === "Wait.waitFor"
              ? Wait.waitFor(KB, JOB, options)
              : Effect.scoped(Effect.flatMap(JobActor.start(KB, JOB, options), JobActor.result))
          const exit = yield* drive(Effect.result(wait))
          if (!Exit.isSuccess(exit)) return expect.fail(`the wait died: ${String(exit)}`)
          const outcome = outcomeOf(exit.value)
          // The oracle: faults answer requests in order; an answer with unknown fields is the
          // completed job, so the wait completes before the fatal fault; else the fatal fault's
          // error, else completed; or the deadline came first.
          const answered = transient.some((fault) => fault.kind === "extra-fields")
          const expected = answered ? "Completed" : (fatal?.[1] ?? "Completed")
          if (outcome === "WaitTimeout") expect(simulator.control.now()).toBeGreaterThanOrEqual(deadline)
          else expect(outcome).toBe(expected)
          expect(simulator.control.requests.filter((r) => r.at > deadline)).toStrictEqual([])
          expect(Canary.leaks(KEY, exit.value)).toStrictEqual([])
        })
        await Effect.runPromise(run.pipe(provideClient, Effect.provide(TestClock.layer())))
      }),
      { numRuns: RUNS, ...(SEED === undefined ? {} : { seed: SEED }) }
    ))
})

// --- Leaks ----------------------------------------------------------------------------------

describe("leaks", () => {
  it.effect("an interrupted wait leaves nothing running: its request is aborted, nothing polls later", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(simulator.control.now())
      const hang = simulator.control.injectFault({ kind: "hang", times: Number.POSITIVE_INFINITY })
      const effectWait = yield* Effect.forkChild(Wait.waitFor(KB, JOB, VIRTUAL))
      const machine = yield* Effect.forkChild(machineWait([]))
      yield* settle
      // Two waits on one job in one engine: one GET answers both.
      expect(hanging()).toBe(1)
      yield* Fiber.interrupt(effectWait)
      yield* Fiber.interrupt(machine)
      yield* settle
      expect(fetchesInFlight()).toBe(0)
      expect(simulator.control.requests.map((r) => r.outcome)).toStrictEqual(["hung"])
      // Past every timer the waits had set (request timeout, polls, deadline): nothing wakes up.
      hang.remove()
      yield* TestClock.adjust("1 hour")
      yield* settle
      // The next request the server sees is one of our own.
      expect((yield* Wait.waitFor(KB, JOB, VIRTUAL)).status).toBe("completed")
      expect(simulator.control.requests.map((r) => r.outcome)).toStrictEqual(["hung", "responded"])
    }).pipe(provideClient)
  )
})
