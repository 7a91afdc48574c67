import { describe, expect, it } from "@effect/vitest"
import { PollSchedule } from "@tensoras/ingestion"
import * as Effect from "effect/Effect"
import { job, stepper } from "./utils/pollSchedule.js"

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

describe("PollSchedule", () => {
  describe("the default cadence, counting the documents left (a GET of the job)", () => {
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
  })
})

describe("PollSchedule", () => {
  describe("the default cadence, counting the documents left (a GET of the job)", () => {
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
  })
})

describe("PollSchedule", () => {
  describe("the default cadence, counting the documents left (a GET of the job)", () => {
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
})
