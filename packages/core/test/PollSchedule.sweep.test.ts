import { describe, expect, it } from "@effect/vitest"
import { type IngestionJob, PollSchedule } from "@tensoras/ingestion"
import * as Effect from "effect/Effect"
import type * as Schedule from "effect/Schedule"
import { job, run, stepper } from "./utils/pollSchedule.js"

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

describe("PollSchedule", () => {
  describe("the default cadence without the count (a sweep lists the jobs: paced by the counters)", () => {
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
  })
})

describe("PollSchedule", () => {
  describe("the default cadence without the count (a sweep lists the jobs: paced by the counters)", () => {
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
})
