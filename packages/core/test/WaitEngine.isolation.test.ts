import { describe, expect } from "@effect/vitest"
import { Eventually } from "@tensoras/ingestion-testkit"
import * as Effect from "effect/Effect"
import { fetchesInFlight } from "./utils/countingFetch.js"
import {
  EPOCH,
  engineTest,
  jobsIn,
  load,
  makeEngine,
  register,
  requestsOf,
  runUntil,
  settle,
  simulator,
  useSimulator
} from "./utils/engineWorld.js"

/**
 * One slow or hung job never holds the others: a round that still waits on a request past its time
 * budget is carried, and the next round starts beside it; the job's last wait leaving closes its
 * request at once.
 */

useSimulator()

const KB = "kb_isolation"

/** When (ms after the epoch) each request for `jobId` (or each list request: `null`) arrived. */
const arrivals = (jobId: string | null) =>
  requestsOf(KB)
    .filter((request) => request.jobId === jobId)
    .map((request) => request.at - EPOCH)

const outcomes = (jobId: string) =>
  requestsOf(KB)
    .filter((request) => request.jobId === jobId)
    .map((request) => request.outcome)

describe("WaitEngine isolation", { timeout: 60_000 }, () => {
  engineTest("a GET that hangs delays no other job's poll: the others poll every interval", () =>
    Effect.gen(function* () {
      yield* load((sim) => void jobsIn(sim, KB, 2, 600_000))
      simulator.control.injectFault({ kind: "hang", route: "get", jobId: "job_00001", times: 1e9 })
      const { engine, rounds } = yield* makeEngine()
      yield* register(engine, KB, "job_00000", { pollInterval: "1 second" })
      yield* register(engine, KB, "job_00001", { pollInterval: "1 second" })
      yield* runUntil(() => false, EPOCH + 5_000)
      expect(arrivals("job_00000")).toStrictEqual([0, 1000, 2000, 3000, 4000, 5000])
      // The hung GET is still the only one of its job: no round sends it again meanwhile.
      expect(outcomes("job_00001")).toStrictEqual(["pending"])
      expect(rounds.every((round) => round.mode === "get")).toBe(true)
    })
  )

  engineTest(
    "the last wait on a job leaving closes its request at once, and no request for it follows; one wait leaving keeps it",
    () =>
      Effect.gen(function* () {
        yield* load((sim) => void jobsIn(sim, KB, 2, 600_000))
        simulator.control.injectFault({ kind: "hang", route: "get", jobId: "job_00001", times: 1e9 })
        const { engine } = yield* makeEngine()
        yield* register(engine, KB, "job_00000", { pollInterval: "1 second" })
        const first = yield* register(engine, KB, "job_00001", { pollInterval: "1 second" })
        const second = yield* register(engine, KB, "job_00001", { pollInterval: "2 seconds" })
        yield* runUntil(() => false, EPOCH + 2_000)
        yield* first.registration!.leave
        yield* settle
        // Still needed by the other wait.
        expect(outcomes("job_00001")).toStrictEqual(["pending"])
        yield* second.registration!.leave
        yield* Effect.promise(() =>
          Eventually.until("the hung request closed by the client", () => outcomes("job_00001")[0] === "hung")
        )
        expect(fetchesInFlight()).toBe(0)
        yield* runUntil(() => false, EPOCH + 60_000)
        expect(outcomes("job_00001")).toStrictEqual(["hung"])
        expect(arrivals("job_00000").length).toBe(61)
        expect([...first.exits, ...second.exits]).toStrictEqual([])
      })
  )

  engineTest(
    "a sweep's follow-up GET that hangs holds no sweep: the other jobs are swept every interval",
    () =>
      Effect.gen(function* () {
        yield* load((sim) => {
          jobsIn(sim, KB, 3, 600_000)
          // Ends at +10 s: the sweep at +10 s misses it, and its follow-up GET hangs.
          sim.addDataSource(KB, {
            jobId: "job_ends",
            queuedMs: 0,
            documents: [{ name: "a.md", durationMs: 10_000 }]
          })
        })
        simulator.control.injectFault({ kind: "hang", route: "get", jobId: "job_ends", times: 1e9 })
        const { engine, rounds } = yield* makeEngine()
        for (const jobId of ["job_00000", "job_00001", "job_00002", "job_ends"]) {
          yield* register(engine, KB, jobId, { pollInterval: "1 second" })
        }
        yield* runUntil(() => false, EPOCH + 15_000)
        expect(rounds.every((round) => round.mode === "sweep")).toBe(true)
        expect(outcomes("job_ends")).toStrictEqual(["pending"])
        // Two lists (queued, processing) a second, the one at +10 s included, without a gap after it.
        const lists = arrivals(null)
        for (let second = 0; second <= 15; second++) {
          expect(lists.filter((at) => at === second * 1000).length).toBe(2)
        }
      })
  )
})
