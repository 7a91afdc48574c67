import { describe, expect, it } from "@effect/vitest"
import { type IngestionJob, PollSchedule } from "@tensoras/ingestion"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Schedule from "effect/Schedule"
import * as ScheduleDecision from "effect/ScheduleDecision"
import * as ScheduleIntervals from "effect/ScheduleIntervals"

const job = (
  processed: number,
  status: IngestionJob.JobStatus = "processing"
): IngestionJob.IngestionJobDetail => ({
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
  error: null,
  document_details: []
})

/** Steps a schedule over the jobs seen by successive polls, each poll happening when the last delay ends. */
const run = <Out>(
  schedule: Schedule.Schedule<Out, IngestionJob.IngestionJobDetail>,
  jobs: ReadonlyArray<IngestionJob.IngestionJobDetail>
) =>
  Effect.gen(function* () {
    let now = 0
    let state = schedule.initial
    const steps: Array<{ delay: number; output: Out }> = []
    for (const seen of jobs) {
      const [next, output, decision] = yield* schedule.step(now, seen, state)
      state = next
      if (ScheduleDecision.isDone(decision)) break
      const delay = ScheduleIntervals.start(decision.intervals) - now
      steps.push({ delay, output })
      now += delay
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

  it.effect("the default is the jittered backoff: about 1 s first, never above 20 s", () =>
    Effect.gen(function* () {
      const steps = yield* run(PollSchedule.defaultSchedule, same(30))
      expect(steps[0]!.delay).toBeGreaterThanOrEqual(800)
      expect(steps[0]!.delay).toBeLessThanOrEqual(1000)
      expect(Math.max(...steps.map((s) => s.delay))).toBeLessThanOrEqual(20000)
      expect(steps.at(-1)!.delay).toBeGreaterThanOrEqual(16000)
    })
  )
})
