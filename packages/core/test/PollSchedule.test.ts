import { describe, expect, it } from "@effect/vitest"
import { PollSchedule } from "@tensoras/ingestion"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Schedule from "effect/Schedule"
import { compare, jobsOf, workloads } from "../../../bench/cadence.js"
import { compared, runLearning } from "../../../bench/cadenceLearning.js"
import { job, run } from "./utils/pollSchedule.js"

const same = (n: number) => Array.from({ length: n }, () => job(1))

describe("PollSchedule", () => {
  it.effect("fixed: the API docs' 5 seconds between polls", () =>
    Effect.gen(function* () {
      const steps = yield* run(PollSchedule.fixed(), same(4))
      expect(steps.map((s) => s.delay)).toStrictEqual([5000, 5000, 5000, 5000])
    })
  )

  it.effect("backoff: starts fast, grows by the factor, is capped", () =>
    Effect.gen(function* () {
      const steps = yield* run(PollSchedule.backoff({ jitter: 0 }), same(11))
      expect(steps.map((s) => Math.round(s.delay))).toStrictEqual([
        1000, 1500, 2250, 3375, 5063, 7594, 11391, 17086, 20000, 20000, 20000
      ])
    })
  )

  it.effect("backoff: stays jittered at the cap, never above it, so waits do not poll in lockstep", () =>
    Effect.gen(function* () {
      const steps = yield* run(PollSchedule.backoff({ max: "10 seconds", jitter: 0.2 }), same(60))
      const atCap = steps.slice(20).map((s) => s.delay)
      for (const delay of atCap) {
        expect(delay).toBeGreaterThanOrEqual(8000)
        expect(delay).toBeLessThanOrEqual(10000)
      }
      expect(new Set(atCap).size).toBeGreaterThan(10)
    })
  )

  it.effect(
    "progressive: fast while counters move, backing off while they stall, back to fast on progress",
    () =>
      Effect.gen(function* () {
        const seen = [job(1), job(2), job(3), job(3), job(3), job(3), job(3), job(4), job(4)]
        const steps = yield* run(
          PollSchedule.progressive({ jitter: 0, fast: "1 second", max: "4 seconds" }),
          seen
        )
        expect(steps.map((s) => s.delay)).toStrictEqual([
          1000, 1000, 1000, 2000, 4000, 4000, 4000, 1000, 2000
        ])
      })
  )
})

describe("PollSchedule", () => {
  it.effect("progressive: a status change is progress too", () =>
    Effect.gen(function* () {
      const seen = [job(0, "queued"), job(0, "queued"), job(0, "processing")]
      const steps = yield* run(PollSchedule.progressive({ jitter: 0 }), seen)
      expect(steps.map((s) => s.delay)).toStrictEqual([1000, 2000, 1000])
    })
  )

  it.effect("progressive: reports stalled once nothing moved for stallAfter, and clears it on progress", () =>
    Effect.gen(function* () {
      const seen = [job(1), job(1), job(1), job(1), job(1), job(2)]
      const steps = yield* run(
        PollSchedule.progressive({
          jitter: 0,
          fast: "10 seconds",
          max: "10 seconds",
          stallAfter: "30 seconds"
        }),
        seen
      )
      // Polls at 0, 10, 20, 30, 40 s see the same counters; the one at 50 s sees progress.
      expect(steps.map((s) => PollSchedule.isStalled(s.output))).toStrictEqual([
        false,
        false,
        false,
        true,
        true,
        false
      ])
      expect(Duration.toMillis((steps[0]!.output as PollSchedule.Progress).delay)).toBe(10000)
    })
  )
})

describe("PollSchedule", () => {
  it.effect(
    "every preset steps to a value (an Exit): the engine reads it without running an Effect per wait",
    () =>
      Effect.gen(function* () {
        const presets: ReadonlyArray<PollSchedule.PollSchedule> = [
          PollSchedule.fixed(),
          PollSchedule.backoff(),
          PollSchedule.progressive(),
          PollSchedule.paced({ jitter: 0.1 }),
          PollSchedule.defaultSchedule
        ]
        for (const schedule of presets) {
          const step = yield* Schedule.toStep(schedule)
          for (const seen of [job(0, "queued"), job(1), job(2)]) {
            const stepped = step(0, seen)
            expect(Exit.isExit(stepped) && Exit.isSuccess(stepped)).toBe(true)
          }
        }
      })
  )

  it.effect("against the API docs' 5-second loop, in virtual time, on seeded realistic jobs", () =>
    Effect.gen(function* () {
      const compared = yield* compare(
        [
          ["one wait", PollSchedule.defaultSchedule, "get"],
          ["a sweep", PollSchedule.defaultSchedule, "list"]
        ],
        // 120 jobs of each family: the testkit's `Workload` draws them from 20 knowledge bases of laws of
        // their own, 6 each; with 60, which jobs fail as a whole swung the figures by a fifth.
        [
          { ...workloads.seconds, jobs: 120 },
          { ...workloads.minutes, jobs: 120 }
        ]
      )
      const [seconds, secondsSwept, minutes, minutesSwept] = compared
      // One wait (documents counted). Jobs of 1–10 min: about 0.8× the latency (0.85 here, 0.7 before the
      // `Workload`) for under half the requests. What moved it: jobs that fail as a whole, 12 % of these
      // (a job that fails ends sooner, so falls in the range more often than the 10 % drawn), which this
      // cadence sees 2.4× later than the loop does (its delays reach 15 s while many documents are left,
      // and nothing announces a failure); on the other jobs it is at about 0.6×. Jobs of 3–60 s: about
      // 0.55× the latency for under 1.5× the requests: under half the loop's latency on jobs of several
      // documents, about two thirds on single documents (nothing announces their end: their polls cost
      // more).
      expect(minutes!.latencyRatio).toBeLessThanOrEqual(0.85)
      expect(minutes!.requestsRatio).toBeLessThanOrEqual(0.6)
      expect(seconds!.latencyRatio).toBeLessThanOrEqual(0.65)
      expect(seconds!.requestsRatio).toBeLessThanOrEqual(1.5)
      expect(seconds!.families.several.latency).toBeLessThanOrEqual(0.55)
      expect(seconds!.families.single.latency).toBeLessThanOrEqual(0.8)
      // A sweep (no count): the counters alone, as before the count. Jobs of 1–10 min: 1.08× the requests
      // (1.05× before the `Workload`): its knowledge bases keep their documents' pace, and those of short
      // documents (a few seconds each) are polled at the pace of the job's age, up to 6 s, for their
      // whole length: about the loop's 5 s.
      expect(secondsSwept!.latencyRatio).toBeLessThanOrEqual(0.85)
      expect(secondsSwept!.requestsRatio).toBeLessThanOrEqual(2.1)
      expect(minutesSwept!.latencyRatio).toBeLessThanOrEqual(1.2)
      expect(minutesSwept!.requestsRatio).toBeLessThanOrEqual(1.1)
    })
  )
})

describe("PollSchedule", () => {
  it.effect("a cadence learned per knowledge base, after 50 of its jobs ended, against the loop", () =>
    Effect.gen(function* () {
      // 20 knowledge bases of each family, each running 70 jobs; every job that ends is observed, as the
      // engine observes the jobs it reads; the jobs in range after the 50th ended are waited for by the
      // loop, today's default and the learned cadence (see bench/cadenceLearning.ts).
      const run = { jobs: 70, history: 50, knowledgeBases: 20 }
      const seconds = compared(yield* runLearning(workloads.seconds, run))
      const minutes = compared(yield* runLearning(workloads.minutes, run))
      // Issue 19 §3's targets: jobs of 3–60 s at ≤ 0.30× the loop's latency with ≤ 1.5× its requests (here
      // 0.26× at 1.43×; the bench's 100 knowledge bases: 0.31× at 1.45×); jobs of 1–10 min at ≤ 0.40× with
      // ≤ 0.60× (here 0.29× at 0.64×; the bench: 0.35× at 0.57×). The bounds leave room for what a
      // sample of 20 knowledge bases draws (which of them run single documents, which jobs fail).
      expect(seconds.learned.latency).toBeLessThanOrEqual(0.33)
      expect(seconds.learned.requests).toBeLessThanOrEqual(1.5)
      expect(minutes.learned.latency).toBeLessThanOrEqual(0.4)
      expect(minutes.learned.requests).toBeLessThanOrEqual(0.7)
      // Against today's default on the same jobs: about half its latency, for about its requests.
      expect(seconds.learned.latency).toBeLessThanOrEqual(0.6 * seconds.today.latency)
      expect(minutes.learned.latency).toBeLessThanOrEqual(0.6 * minutes.today.latency)
    })
  )

  it.effect("the benchmark's jobs give away nothing a service would not", () =>
    Effect.gen(function* () {
      const jobs = yield* jobsOf({ ...workloads.seconds, jobs: 200 })
      for (const job of jobs) {
        expect(job.durationMs).toBeGreaterThanOrEqual(workloads.seconds.durationMs[0])
        expect(job.durationMs).toBeLessThanOrEqual(workloads.seconds.durationMs[1])
      }
      // The queue time is drawn alone: it is never a fixed share of the job (which would tell a single
      // document's duration from it).
      const singles = jobs.filter((job) => job.documents === 1 && job.failsAfterMs === null)
      expect(singles.length).toBeGreaterThan(40)
      const shares = singles.map((job) => Math.round((1000 * job.queuedMs) / job.durationMs))
      expect(new Set(shares).size).toBeGreaterThan(0.9 * shares.length)
      // Each document's time is drawn on its own: a job's documents do not add up to count × their mean.
      const several = jobs.filter((job) => job.documents > 1)
      const sums = several.map(
        (job) =>
          job.specs.reduce((sum, spec) => sum + (spec.durationMs ?? 0), 0) / (job.documents * job.documentMs)
      )
      expect(sums.filter((ratio) => Math.abs(ratio - 1) > 0.05).length).toBeGreaterThan(0.5 * sums.length)
    })
  )
})
