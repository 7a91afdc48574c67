import { describe, expect } from "@effect/vitest"
import type { WaitEngine } from "@tensoras/ingestion"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import {
  EPOCH,
  engineTest,
  errorOf,
  jobsIn,
  load,
  makeEngine,
  type Observed,
  register,
  requestsOf,
  runUntil,
  settle,
  simulator,
  useSimulator
} from "./utils/engineWorld.js"

/**
 * How a wait ends, in both of the engine's modes: a failed request concerns one job (its waits
 * end), the knowledge base or the key (every wait of it ends), or nobody (a transient failure: the
 * waits poll on, and a `WaitTimeout` names the last one).
 */

useSimulator()

const endedAll = (waits: ReadonlyArray<Observed>) => () => waits.every((wait) => wait.exits.length > 0)

const statusOf = (wait: Observed) => {
  const exit = wait.exits[0]?.exit
  return exit === undefined ? "pending" : Exit.isSuccess(exit) ? exit.value.status : errorOf(wait)?._tag
}

describe("WaitEngine outcomes", { timeout: 60_000 }, () => {
  engineTest("a wait that times out names the last failure it saw, as a typed field", () =>
    Effect.gen(function* () {
      yield* load((sim) => void jobsIn(sim, "kb_flaky", 1, 600_000))
      const { engine } = yield* makeEngine()
      simulator.control.injectFault({
        kind: "server-error",
        status: 503,
        jobId: "job_00000",
        skip: 1,
        times: 1e9
      })
      const wait = yield* register(engine, "kb_flaky", "job_00000", {
        pollInterval: "1 second",
        timeout: "5 seconds"
      })
      yield* runUntil(endedAll([wait]))
      const error = errorOf(wait)
      expect(error).toMatchObject({ _tag: "WaitTimeout", lastFailure: { _tag: "ServerError", status: 503 } })
      expect(error?.message).toContain("last failure")
    })
  )

  engineTest("a wait that never saw a failure has no lastFailure", () =>
    Effect.gen(function* () {
      yield* load((sim) => void jobsIn(sim, "kb_calm", 1, 600_000))
      const { engine } = yield* makeEngine()
      const wait = yield* register(engine, "kb_calm", "job_00000", {
        pollInterval: "1 second",
        timeout: "3 seconds"
      })
      yield* runUntil(endedAll([wait]))
      const error = errorOf(wait)
      expect(error?._tag).toBe("WaitTimeout")
      expect(error !== undefined && "lastFailure" in error).toBe(false)
    })
  )

  engineTest(
    "a client that never had an answer ends every wait of the knowledge base with Unreachable (GET mode)",
    () =>
      Effect.gen(function* () {
        yield* load((sim) => void jobsIn(sim, "kb_dark", 2, 600_000))
        // A fresh client (three attempts a request), every connection dropped: the sixth attempt in
        // a row without an answer is the client's `unreachableAfter`.
        const { engine } = yield* makeEngine()
        simulator.control.injectFault({ kind: "drop", kbId: "kb_dark", times: 1e9 })
        const waits = [
          yield* register(engine, "kb_dark", "job_00000", { pollInterval: "1 second", timeout: "1 hour" }),
          yield* register(engine, "kb_dark", "job_00001", { pollInterval: "1 second", timeout: "1 hour" })
        ]
        yield* runUntil(endedAll(waits), EPOCH + 60_000)
        expect(waits.map(errorOf)).toMatchObject([
          { _tag: "Unreachable", reason: "Network", attempts: 6 },
          { _tag: "Unreachable", reason: "Network", attempts: 6 }
        ])
        // Two rounds of two GETs of three attempts: nothing after the client gave up.
        yield* runUntil(() => false, EPOCH + 120_000)
        expect(requestsOf("kb_dark").length).toBeLessThanOrEqual(12)
      })
  )

  engineTest(
    "a list page that cannot be read ends no wait: the jobs are fetched one by one, and only the job whose answer cannot be read ends",
    () =>
      Effect.gen(function* () {
        yield* load((sim) => void jobsIn(sim, "kb_garbled", 3, 5_000))
        const { engine, rounds } = yield* makeEngine()
        // The first sweep's list is cut short; every GET of the second job is too.
        simulator.control.injectFault({ kind: "truncated", route: "list", kbId: "kb_garbled", times: 1 })
        simulator.control.injectFault({ kind: "truncated", route: "get", jobId: "job_00001", times: 1e9 })
        const waits = yield* Effect.forEach(["job_00000", "job_00001", "job_00002"], (jobId) =>
          register(engine, "kb_garbled", jobId, { pollInterval: "1 second", timeout: "1 hour" })
        )
        yield* settle
        // Three due jobs cost more as GETs than a sweep: the first round sweeps, and its list fails.
        expect(rounds[0]).toMatchObject({ mode: "sweep", requests: 1 })
        expect(waits.map(statusOf)).toStrictEqual(["pending", "pending", "pending"])
        yield* runUntil(endedAll(waits))
        expect(rounds[1]).toMatchObject({ mode: "get", requests: 3 })
        expect(waits.map(statusOf)).toStrictEqual(["completed", "ResponseDecodeError", "completed"])
        expect(errorOf(waits[1]!)).toMatchObject({ reason: "Malformed" })
      })
  )

  engineTest(
    "a sweep whose list fails half-way reports what it had listed, a lower bound that accounts for every page it sent",
    () =>
      Effect.gen(function* () {
        yield* load((sim) => void jobsIn(sim, "kb_half", 250, 600_000))
        const { engine, rounds } = yield* makeEngine()
        // Two pages of queued jobs are read; the third is cut short.
        simulator.control.injectFault({
          kind: "truncated",
          route: "list",
          kbId: "kb_half",
          skip: 2,
          times: 1
        })
        yield* Effect.forEach(
          Array.from({ length: 250 }, (_, index) => `job_${String(index).padStart(5, "0")}`),
          (jobId) => register(engine, "kb_half", jobId, { pollInterval: "1 second", timeout: "1 hour" })
        )
        yield* settle
        // 200 listed and the list said it had more: at least 201, three pages, the three it sent.
        expect(rounds[0]).toMatchObject({ mode: "sweep", requests: 3, activeQueued: 201 })
        expect(rounds[0]?.activeProcessing).toBeUndefined()
      })
  )

  engineTest("a GET's malformed answer ends that job's waits, every wait of it, and no other job's", () =>
    Effect.gen(function* () {
      yield* load((sim) => void jobsIn(sim, "kb_one_bad", 2, 5_000))
      const { engine } = yield* makeEngine()
      simulator.control.injectFault({
        kind: "truncated",
        route: "get",
        jobId: "job_00000",
        skip: 1,
        times: 1e9
      })
      const waits = [
        yield* register(engine, "kb_one_bad", "job_00000", { pollInterval: "1 second" }),
        yield* register(engine, "kb_one_bad", "job_00000", { pollInterval: "2 seconds" }),
        yield* register(engine, "kb_one_bad", "job_00001", { pollInterval: "1 second" })
      ]
      yield* runUntil(endedAll(waits))
      expect(waits.map(statusOf)).toStrictEqual(["ResponseDecodeError", "ResponseDecodeError", "completed"])
    })
  )

  engineTest(
    "a wait's exit is never a transient error: a 503 that outlasts every retry is polled through",
    () =>
      Effect.gen(function* () {
        yield* load((sim) => void jobsIn(sim, "kb_busy", 1, 3_000))
        const { engine } = yield* makeEngine()
        // Three attempts of each of the first two polls fail; the job ends at +13 s.
        simulator.control.injectFault({ kind: "server-error", status: 503, kbId: "kb_busy", times: 6 })
        const wait = yield* register(engine, "kb_busy", "job_00000", { pollInterval: "1 second" })
        yield* runUntil(endedAll([wait]))
        expect(statusOf(wait)).toBe("completed")
        const exit: WaitEngine.WaitExit = wait.exits[0]!.exit
        expect(Exit.isSuccess(exit)).toBe(true)
      })
  )
})
