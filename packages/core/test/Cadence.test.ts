import { describe, expect, it } from "@effect/vitest"
import { Cadence, IngestionJob, PollSchedule } from "@tensoras/ingestion"
import { SimulatorClock, SimulatorEngine, Workload } from "@tensoras/ingestion-testkit"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import { observe, type Store, scheduleFor } from "../src/internal/cadence/store.js"
import { stepper } from "./utils/pollSchedule.js"

const EPOCH_MS = Date.UTC(2025, 0, 1)
const decodeDetail = Schema.decodeUnknownSync(IngestionJob.IngestionJobDetail)

/** A knowledge base of one law: single documents of about 20 s, queued about 3 s, no failures. */
const steady: Workload.KnowledgeBase = {
  id: "kb_steady",
  law: {
    queue: { medianMs: 3_000, spread: 0.4 },
    document: { medianMs: 20_000, spread: 0.35 },
    documents: { median: 1, spread: 0 },
    interval: { medianMs: 60_000, spread: 0.5 }
  }
}

/**
 * The ended jobs of a knowledge base as the engine reads them (a GET of each once it has ended:
 * whole-second timestamps, `document_details`), in the order they end.
 */
const endedJobs = (
  kb: Workload.KnowledgeBase,
  count: number,
  seed = 1
): ReadonlyArray<IngestionJob.IngestionJobDetail> => {
  const clock = SimulatorClock.make({ mode: "manual", epochMs: EPOCH_MS })
  const engine = SimulatorEngine.make(clock, seed)
  engine.addKnowledgeBase(kb.id)
  const planned = Workload.jobs(kb, { count, seed })
  for (const job of planned) {
    clock.setTime(Math.max(clock.now(), EPOCH_MS + job.createdAfterMs))
    engine.addDataSource(kb.id, Workload.syncOptions(job, EPOCH_MS))
  }
  clock.setTime(
    EPOCH_MS + planned.reduce((last, job) => Math.max(last, job.createdAfterMs + job.durationMs), 0)
  )
  return [...planned]
    .sort((a, b) => a.createdAfterMs + a.durationMs - (b.createdAfterMs + b.durationMs))
    .map((job) => decodeDetail(engine.getJob(kb.id, job.id)))
}

/** Feeds a cadence the jobs, as the engine does with every job it reads. */
const feed = (cadence: Cadence.Cadence, jobs: ReadonlyArray<IngestionJob.IngestionJob>): void => {
  for (const job of jobs) observe(cadence as Store, job.knowledge_base_id, job)
}

describe("Cadence", () => {
  it.effect("learns a knowledge base's laws from the jobs that ended", () =>
    Effect.sync(() => {
      const cadence = Cadence.make()
      feed(cadence, endedJobs(steady, 50))
      const learned = Cadence.learned(cadence, steady.id)!
      // Within the noise of 32 jobs timed to the second: medians within 20 %, spreads within 0.15.
      expect(learned.document.medianMs / 20_000).toBeGreaterThan(0.8)
      expect(learned.document.medianMs / 20_000).toBeLessThan(1.2)
      expect(Math.abs(Math.hypot(learned.document.spread, learned.jobSpread) - 0.35)).toBeLessThan(0.15)
      expect(learned.queue.medianMs / 3_000).toBeGreaterThan(0.8)
      expect(learned.queue.medianMs / 3_000).toBeLessThan(1.2)
      expect(learned.failingShare).toBeLessThan(0.05)
      expect(learned.completed).toBe(32)
    })
  )

  it.effect("with no history, a wait gets today's schedule; too few jobs do not change that", () =>
    Effect.sync(() => {
      const cadence = Cadence.make() as Store
      expect(scheduleFor(cadence, steady.id)).toBe(PollSchedule.defaultSchedule)
      feed(cadence, endedJobs(steady, 7))
      expect(Cadence.learned(cadence, steady.id)).toBeUndefined()
      expect(scheduleFor(cadence, steady.id)).toBe(PollSchedule.defaultSchedule)
      feed(cadence, endedJobs(steady, 8, 2))
      expect(scheduleFor(cadence, steady.id)).not.toBe(PollSchedule.defaultSchedule)
    })
  )

  it.effect("a job that has not ended teaches nothing, and a job read twice is learned once", () =>
    Effect.sync(() => {
      const cadence = Cadence.make()
      const [job] = endedJobs(steady, 1)
      const running: IngestionJob.IngestionJob = { ...job!, status: "processing", completed_at: null }
      feed(cadence, [running, running])
      expect(Cadence.toJSON(cadence).knowledgeBases).toStrictEqual({})
      feed(cadence, [job!, job!])
      expect(Cadence.toJSON(cadence).knowledgeBases[steady.id]!.completed).toHaveLength(1)
    })
  )
})

describe("Cadence", () => {
  it.effect("stays small: the last 32 jobs of each kind, at most 256 knowledge bases", () =>
    Effect.sync(() => {
      const cadence = Cadence.make()
      feed(cadence, endedJobs(steady, 300))
      const kept = Cadence.toJSON(cadence).knowledgeBases[steady.id]!
      expect([kept.completed.length, kept.queued.length, kept.failed.length]).toStrictEqual([32, 32, 32])
      const [job] = endedJobs(steady, 1)
      for (let i = 0; i < 300; i++) feed(cadence, [{ ...job!, knowledge_base_id: `kb_${i}` }])
      const ids = Object.keys(Cadence.toJSON(cadence).knowledgeBases)
      expect(ids).toHaveLength(256)
      // The knowledge bases learned from least recently were forgotten first.
      expect(ids).not.toContain(steady.id)
      expect(ids).toContain("kb_299")
      expect(JSON.stringify(cadence).length).toBeLessThan(256 * 200)
    })
  )

  it.effect("exports to JSON and imports back what it learned", () =>
    Effect.gen(function* () {
      const cadence = Cadence.make()
      feed(cadence, endedJobs(steady, 50))
      const saved = JSON.stringify(cadence)
      const restored = yield* Cadence.fromJSON(JSON.parse(saved))
      expect(JSON.stringify(restored)).toBe(saved)
      expect(Cadence.learned(restored, steady.id)).toStrictEqual(Cadence.learned(cadence, steady.id))
      expect(scheduleFor(restored as Store, steady.id)).not.toBe(PollSchedule.defaultSchedule)
      expect(Cadence.fromJSONSync(JSON.parse(saved)).toJSON()).toStrictEqual(Cadence.toJSON(cadence))
    })
  )

  it.effect("bad JSON fails with InvalidCadence, naming the field at fault", () =>
    Effect.gen(function* () {
      const valid = { completed: [{ documents: 2, seconds: 30 }], queued: [3], failed: [false] }
      const cases: ReadonlyArray<readonly [unknown, string]> = [
        [{ version: 2, knowledgeBases: {} }, "version"],
        [{ version: 1 }, "knowledgeBases"],
        [
          { version: 1, knowledgeBases: { kb_1: { ...valid, queued: [-1] } } },
          "knowledgeBases.kb_1.queued.0"
        ],
        [
          { version: 1, knowledgeBases: { kb_1: { ...valid, completed: [{ documents: 0, seconds: 4 }] } } },
          "knowledgeBases.kb_1.completed.0.documents"
        ],
        [
          {
            version: 1,
            knowledgeBases: { kb_1: { ...valid, failed: Array.from({ length: 33 }, () => false) } }
          },
          "knowledgeBases.kb_1.failed"
        ]
      ]
      for (const [json, path] of cases) {
        const error = yield* Effect.flip(Cadence.fromJSON(json))
        expect(error._tag).toBe("InvalidCadence")
        expect(error.path).toBe(path)
        expect(error.message).toContain(path)
        expect(() => Cadence.fromJSONSync(json)).toThrow(Cadence.InvalidCadence)
      }
    })
  )
})

describe("Cadence", () => {
  it.effect("follows a knowledge base that becomes 2× slower within 20 jobs", () =>
    Effect.sync(() => {
      const slower: Workload.KnowledgeBase = { ...steady, drift: [{ fromJob: 50, factor: 2 }] }
      const cadence = Cadence.make()
      const jobs = endedJobs(slower, 70)
      const index = (job: IngestionJob.IngestionJob) => Number(job.id.slice(-4)) - 1
      feed(
        cadence,
        jobs.filter((job) => index(job) < 50)
      )
      const before = Cadence.learned(cadence, steady.id)!.document.medianMs
      feed(
        cadence,
        jobs.filter((job) => index(job) >= 50)
      )
      const after = Cadence.learned(cadence, steady.id)!.document.medianMs
      // Twice as slow, within 25 %: the jobs before the change were dropped once it was seen.
      expect(after / before).toBeGreaterThan(1.6)
      expect(after / before).toBeLessThan(2.5)
    })
  )

  it.effect("a learned schedule waits for the end the knowledge base's jobs predict", () =>
    Effect.gen(function* () {
      const cadence = Cadence.make()
      feed(cadence, endedJobs(steady, 50))
      const step = yield* stepper(scheduleFor(cadence as Store, steady.id))
      const T0 = 1_709_125_000_000
      const seen = (startedMs: number | null): PollSchedule.Polled => ({
        id: "job_next",
        object: "ingestion_job",
        knowledge_base_id: steady.id,
        data_source_id: "ds_1",
        status: startedMs === null ? "queued" : "processing",
        documents_processed: 0,
        documents_failed: 0,
        chunks_created: 0,
        started_at: startedMs === null ? null : (T0 + startedMs) / 1000,
        completed_at: null,
        created_at: T0 / 1000,
        error: null,
        documents: { ended: 0, total: 1 }
      })
      // Today's schedule polls a single document at about the root of its age: every 1–4 s from the
      // start. Its knowledge base's documents take about 20 s: nothing is polled for the first seconds,
      // then polls come dense around 20 s.
      const queued = (yield* step(T0 + 500, seen(null)))!
      expect(queued.delay).toBeGreaterThan(8_000)
      const first = T0 + 500 + queued.delay
      const near = (yield* step(first, seen(3_000)))!
      expect(near.delay).toBeLessThan(5_000)
      expect(near.delay).toBeGreaterThanOrEqual(500)
    })
  )

  it.effect("its schedule steps to values (an Exit), as the engine reads them", () =>
    Effect.gen(function* () {
      const cadence = Cadence.make()
      feed(cadence, endedJobs(steady, 50))
      const step = yield* Schedule.toStep(scheduleFor(cadence as Store, steady.id))
      const [job] = endedJobs(steady, 1)
      const running: PollSchedule.Polled = {
        ...job!,
        status: "processing",
        completed_at: null,
        documents: { ended: 0, total: 1 }
      }
      const stepped = step((job!.started_at! + 5) * 1000, running)
      expect(Exit.isExit(stepped) && Exit.isSuccess(stepped)).toBe(true)
    })
  )
})
