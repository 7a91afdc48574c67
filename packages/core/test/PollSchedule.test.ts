import { describe, expect, it } from "@effect/vitest"
import { type IngestionJob, PollSchedule } from "@tensoras/ingestion"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Pull from "effect/Pull"
import * as Schedule from "effect/Schedule"
import { compare, jobsOf, workloads } from "../../../bench/cadence.js"

const job = (
  processed: number,
  status: IngestionJob.JobStatus = "processing"
): IngestionJob.IngestionJob => ({
  id: "job_1",
  object: "ingestion_job",
  knowledge_base_id: "kb_1",
  data_source_id: "ds_1",
  status,
  documents_processed: processed,
  documents_failed: 0,
  chunks_created: processed * 10,
  started_at: 1,
  completed_at: null,
  created_at: 1,
  error: null
})

/**
 * Starts a schedule (as a wait does) and gives a function that steps it at `now` with a job: its output
 * and its delay in ms, or `undefined` once it has ended.
 */
const stepper = <Out, In>(schedule: Schedule.Schedule<Out, In>) =>
  Effect.map(
    Schedule.toStep(schedule),
    (step) => (now: number, input: In) =>
      Pull.catchDone(
        Effect.map(step(now, input), ([output, delay]) => ({ output, delay: Duration.toMillis(delay) })),
        () => Effect.succeed(undefined)
      )
  )

/** Steps a schedule over the jobs seen by successive polls, each poll happening when the last delay ends. */
const run = <Out>(
  schedule: Schedule.Schedule<Out, IngestionJob.IngestionJob>,
  jobs: ReadonlyArray<IngestionJob.IngestionJob>
) =>
  Effect.gen(function* () {
    let now = 0
    const step = yield* stepper(schedule)
    const steps: Array<{ delay: number; output: Out }> = []
    for (const seen of jobs) {
      const stepped = yield* step(now, seen)
      if (stepped === undefined) break
      steps.push(stepped)
      now += stepped.delay
    }
    return steps
  })

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

  describe("the default cadence, counting the documents left (a GET of the job)", () => {
    const T0 = 1_709_125_000_000
    /** The job as a GET sees it: started `startedMs` after T0 (null: queued), `ended` of `total` documents. */
    const counted = (startedMs: number | null, ended: number, total: number): PollSchedule.Polled => ({
      ...job(ended, startedMs === null ? "queued" : "processing"),
      created_at: T0 / 1000,
      started_at: startedMs === null ? null : Math.floor((T0 + startedMs) / 1000),
      documents: { ended, total }
    })
    /** Steps the default schedule over polls at the given instants (ms after creation). */
    const paces = (polls: ReadonlyArray<readonly [atMs: number, job: PollSchedule.Polled]>) =>
      Effect.gen(function* () {
        const step = yield* stepper(PollSchedule.paced())
        const out: Array<{
          delay: number
          phase: PollSchedule.Pace["phase"]
          expectedEndAt: number | undefined
        }> = []
        for (const [at, seenJob] of polls) {
          const { output: pace, delay } = (yield* step(T0 + at, seenJob))!
          out.push({
            delay: Math.round(delay),
            phase: pace.phase,
            expectedEndAt: pace.expectedEndAt === undefined ? undefined : Math.round(pace.expectedEndAt - T0)
          })
        }
        return out
      })

    it.effect(
      "while queued, polls less the longer the job has waited, never more often than every second",
      () =>
        Effect.gen(function* () {
          const steps = yield* paces([
            [500, counted(null, 0, 3)],
            [5_000, counted(null, 0, 3)],
            [30_000, counted(null, 0, 3)]
          ])
          expect(steps.map((s) => s.phase)).toStrictEqual(["queued", "queued", "queued"])
          const delays = steps.map((s) => s.delay)
          expect(delays[0]).toBeGreaterThanOrEqual(1000)
          expect(delays[1]).toBeGreaterThan(delays[0]!)
          expect(delays[2]).toBeGreaterThan(delays[1]!)
        })
    )

    it.effect(
      "a single document: polls grow with the time since the start, slower than it (about its root)",
      () =>
        Effect.gen(function* () {
          const steps = yield* paces([
            [11_500, counted(1_500, 0, 1)],
            [41_500, counted(1_500, 0, 1)],
            [161_500, counted(1_500, 0, 1)]
          ])
          expect(steps.map((s) => s.phase)).toStrictEqual(["starting", "starting", "starting"])
          const delays = steps.map((s) => s.delay)
          // 10, 40, 160 s since the start: four times the time, not four times the delay (about twice: the
          // end is as likely in every decade, so the chance it comes now falls as 1 ÷ the time).
          for (let i = 1; i < delays.length; i++) {
            expect(delays[i]).toBeGreaterThan(delays[i - 1]!)
            expect(delays[i]! / delays[i - 1]!).toBeLessThan(2.2)
          }
        })
    )

    it.effect(
      "a single document is polled more often than a job of several at the same point: its polls alone find its end",
      () =>
        Effect.gen(function* () {
          const single = yield* paces([
            [500, counted(null, 0, 1)],
            [3_000, counted(null, 0, 1)],
            [8_000, counted(1_500, 0, 1)]
          ])
          const several = yield* paces([
            [500, counted(null, 0, 3)],
            [3_000, counted(null, 0, 3)]
          ])
          // Queued: the same chance that the job ends now, but a request is worth 100 ms on a single
          // document (`singleDocumentPollCost`) and 800 ms on several (`pollCost`).
          expect(single[0]!.delay).toBeLessThan(several[0]!.delay)
          expect(single[1]!.delay).toBeLessThan(several[1]!.delay)
          // Its price sets its delays: a dearer request, longer delays.
          const dearer = yield* Effect.gen(function* () {
            const step = yield* stepper(PollSchedule.paced({ singleDocumentPollCost: "400 millis" }))
            const delays: Array<number> = []
            for (const [at, seenJob] of [
              [500, counted(null, 0, 1)],
              [3_000, counted(null, 0, 1)],
              [8_000, counted(1_500, 0, 1)]
            ] as const) {
              delays.push(Math.round((yield* step(T0 + at, seenJob))!.delay))
            }
            return delays
          })
          for (let i = 0; i < 3; i++) expect(dearer[i]).toBeGreaterThan(single[i]!.delay)
          expect(single[2]!.phase).toBe("starting")
        })
    )

    it.effect("several documents: sparse while many are left, dense around the end they predict", () =>
      Effect.gen(function* () {
        const steps = yield* paces([
          [1_000, counted(null, 0, 40)],
          [2_000, counted(1_500, 0, 40)],
          // 5 documents ended between 2 s and 12 s: the latest about 12 − 10 ÷ 6 s ≈ 10.33 s after creation,
          // each in about (10.33 − 1.5) ÷ 5 ≈ 1.77 s (started at 1.5 s, between the polls and `started_at`).
          [12_000, counted(1_500, 5, 40)],
          [27_000, counted(1_500, 13, 40)],
          [70_000, counted(1_500, 38, 40)],
          [73_000, counted(1_500, 39, 40)]
        ])
        expect(steps.slice(2).map((s) => s.phase)).toStrictEqual([
          "predicting",
          "predicting",
          "predicting",
          "predicting"
        ])
        // 35 documents left at about 1.77 s: the end is over a minute away, so the longest delay (15 s).
        expect(steps[2]!.expectedEndAt).toBe(72_170)
        expect(steps[2]!.delay).toBe(15_000)
        expect(steps[3]!.delay).toBe(15_000)
        // Two, then one document left: the end may come any moment, so polls come often.
        expect(steps[4]!.delay).toBeLessThan(3_000)
        expect(steps[5]!.delay).toBeLessThan(2_000)
        expect(steps[5]!.delay).toBeGreaterThanOrEqual(1_000)
      })
    )

    it.effect("backs off again when the job runs well past the end it predicted", () =>
      Effect.gen(function* () {
        const late = (at: number) => [at, counted(1_500, 9, 10)] as const
        const steps = yield* paces([
          [2_000, counted(1_500, 0, 10)],
          [20_000, counted(1_500, 9, 10)],
          late(24_000),
          late(60_000),
          late(120_000)
        ])
        const delays = steps.slice(2).map((s) => s.delay)
        expect(delays[1]).toBeGreaterThan(delays[0]!)
        expect(delays[2]).toBeGreaterThan(delays[1]!)
        expect(Math.max(...delays)).toBeLessThanOrEqual(15_000)
      })
    )

    it.effect(
      "every document ended but the job not yet: polls at half the time since the last one ended",
      () =>
        Effect.gen(function* () {
          const steps = yield* paces([
            [2_000, counted(1_500, 0, 2)],
            [10_000, counted(1_500, 2, 2)],
            [11_000, counted(1_500, 2, 2)],
            [20_000, counted(1_500, 2, 2)]
          ])
          expect(steps.slice(1).map((s) => s.phase)).toStrictEqual(["finishing", "finishing", "finishing"])
          // Both documents ended between 2 s and 10 s: the latest at about 10 − 8 ÷ 3 s ≈ 7.33 s. Half the time
          // since then: 1.33 s at 10 s, 1.83 s at 11 s, 6.33 s at 20 s.
          expect(steps.slice(1).map((s) => s.delay)).toStrictEqual([1333, 1833, 6333])
        })
    )
  })

  describe("the default cadence without the count (a sweep lists the jobs: paced by the counters)", () => {
    const T0 = 1_709_125_000_000
    /** The job as seen `atMs` after its creation at T0: started `startedMs` in, `done` documents done. */
    const seen = (startedMs: number | null, done: number): IngestionJob.IngestionJob => ({
      ...job(done, startedMs === null ? "queued" : "processing"),
      created_at: T0 / 1000,
      started_at: startedMs === null ? null : Math.floor((T0 + startedMs) / 1000)
    })
    /** Steps the default schedule over polls at the given instants (ms after creation). */
    const delays = (polls: ReadonlyArray<readonly [atMs: number, job: IngestionJob.IngestionJob]>) =>
      Effect.gen(function* () {
        const step = yield* stepper(
          PollSchedule.defaultSchedule as Schedule.Schedule<PollSchedule.Pace, IngestionJob.IngestionJob>
        )
        const out: Array<{ delay: number; phase: PollSchedule.Pace["phase"] }> = []
        for (const [at, seenJob] of polls) {
          const { output: pace, delay } = (yield* step(T0 + at, seenJob))!
          out.push({ delay, phase: pace.phase })
        }
        return out
      })

    it.effect("polls every second while the job is fresh in the queue, then less as the queue drags on", () =>
      Effect.gen(function* () {
        const steps = yield* delays([
          [500, seen(null, 0)],
          [1_500, seen(null, 0)],
          [4_000, seen(null, 0)],
          [9_000, seen(null, 0)],
          [30_000, seen(null, 0)]
        ])
        expect(steps.map((s) => s.phase)).toStrictEqual(["queued", "queued", "queued", "queued", "queued"])
        // Half the time queued so far, at least 1 s, at most √age seconds.
        expect(steps.map((s) => Math.round(s.delay))).toStrictEqual([1000, 1000, 2000, 3000, 5477])
      })
    )

    it.effect("once processing, waits for the first document at a pace of the time since the start", () =>
      Effect.gen(function* () {
        const steps = yield* delays([
          [1_000, seen(null, 0)],
          [2_000, seen(1_500, 0)],
          [6_000, seen(1_500, 0)],
          [16_000, seen(1_500, 0)]
        ])
        expect(steps.slice(1).map((s) => s.phase)).toStrictEqual(["starting", "starting", "starting"])
        // Started between the last queued poll (1 s) and 2 s: taken as 1.5 s. Then 0.3 × the time since
        // (at least 1 s), at most √age seconds (√16 = 4 s).
        expect(steps.slice(1).map((s) => Math.round(s.delay))).toStrictEqual([1000, 1350, 4000])
      })
    )

    it.effect("after a long document ends, skips the time the next cannot take, then polls at its pace", () =>
      Effect.gen(function* () {
        // Started at 1.5 s; the first document ends between the polls at 20.5 s and 21.5 s (21 s, 19.5 s in).
        const steps = yield* delays([
          [1_000, seen(null, 0)],
          [2_000, seen(1_500, 0)],
          [20_500, seen(1_500, 0)],
          [21_500, seen(1_500, 1)],
          [28_325, seen(1_500, 1)],
          [34_175, seen(1_500, 1)]
        ])
        expect(steps.slice(3).map((s) => s.phase)).toStrictEqual(["after-document", "expecting", "expecting"])
        // Dead zone: 0.35 × 19.5 s from the end, less the 0.5 s already gone. Then 0.3 × 19.5 s = 5.85 s,
        // at most √age seconds (√28.3 s = 5.32 s, √34.2 s = 5.85 s).
        expect(steps.slice(3).map((s) => Math.round(s.delay))).toStrictEqual([6325, 5322, 5846])
      })
    )

    it.effect("when documents end faster than it would poll, paces by the job's age, capped at 6 s", () =>
      Effect.gen(function* () {
        const steps = yield* delays([
          [1_000, seen(null, 0)],
          [2_000, seen(1_500, 0)],
          [5_000, seen(1_500, 4)],
          [9_000, seen(1_500, 9)],
          [100_000, seen(1_500, 200)]
        ])
        expect(steps.slice(2).map((s) => s.phase)).toStrictEqual(["pacing", "pacing", "pacing"])
        // √age seconds: √5 s, √9 s, then the cap.
        expect(steps.slice(2).map((s) => Math.round(s.delay))).toStrictEqual([2236, 3000, 6000])
      })
    )

    it.effect("never polls faster than `min`", () =>
      Effect.gen(function* () {
        const steps = yield* run(PollSchedule.paced({ min: "2 seconds" }), [
          job(0, "queued"),
          job(0, "queued")
        ])
        for (const step of steps) expect(step.delay).toBeGreaterThanOrEqual(2000)
      })
    )
  })

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
        [
          { ...workloads.seconds, jobs: 60 },
          { ...workloads.minutes, jobs: 60 }
        ]
      )
      const [seconds, secondsSwept, minutes, minutesSwept] = compared
      // One wait (documents counted). Jobs of 1–10 min: the target, with room (about half the latency
      // for under half the requests). Jobs of 3–60 s: about 0.6× the latency for under 1.5× the requests:
      // about half the loop's latency on jobs of several documents, about two thirds on single documents
      // (nothing announces their end: their polls cost more).
      expect(minutes!.latencyRatio).toBeLessThanOrEqual(0.7)
      expect(minutes!.requestsRatio).toBeLessThanOrEqual(0.6)
      expect(seconds!.latencyRatio).toBeLessThanOrEqual(0.65)
      expect(seconds!.requestsRatio).toBeLessThanOrEqual(1.5)
      expect(seconds!.families.several.latency).toBeLessThanOrEqual(0.55)
      expect(seconds!.families.single.latency).toBeLessThanOrEqual(0.8)
      // A sweep (no count): the counters alone, as before the count.
      expect(secondsSwept!.latencyRatio).toBeLessThanOrEqual(0.85)
      expect(secondsSwept!.requestsRatio).toBeLessThanOrEqual(2.1)
      expect(minutesSwept!.latencyRatio).toBeLessThanOrEqual(1.2)
      expect(minutesSwept!.requestsRatio).toBeLessThanOrEqual(1.05)
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
