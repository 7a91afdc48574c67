import { describe, expect, it } from "@effect/vitest"
import { type IngestionJob, IngestionJobs, WaitEngine } from "@tensoras/ingestion"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as TestClock from "effect/testing/TestClock"

/**
 * A sweep and the waits registered while it reads its pages, on an in-memory client: the test
 * decides exactly when a registration happens (during the first list request of the sweep).
 */

const KB = "kb_sweep_join"

const job = (id: string, status: "queued" | "completed"): IngestionJob.IngestionJob => ({
  id,
  object: "ingestion_job",
  knowledge_base_id: KB,
  data_source_id: "ds_1",
  status,
  documents_processed: status === "completed" ? 1 : 0,
  documents_failed: 0,
  chunks_created: status === "completed" ? 2 : 0,
  started_at: status === "completed" ? 1_700_000_000 : null,
  completed_at: status === "completed" ? 1_700_000_100 : null,
  created_at: 1_700_000_000,
  error: null
})

const completed = (id: string) => ({
  ...job(id, "completed"),
  status: "completed" as const,
  document_details: [
    {
      document_id: "doc_1",
      document_name: "a.md",
      status: "completed" as const,
      chunks_created: 2,
      error: null
    }
  ]
})

describe("WaitEngine sweeps", () => {
  it.effect(
    "a job watched while a sweep reads its pages is not GET as missing by it: the next round polls it",
    () =>
      Effect.gen(function* () {
        const rounds: Array<WaitEngine.RoundReport> = []
        const gets: Array<string> = []
        const exits: Array<string> = []
        let joinDuringList: Effect.Effect<void> = Effect.void
        // Three queued jobs, listed; `job_late` completed long ago: never in an active list.
        const client: IngestionJobs.IngestionJobs["Service"] = {
          list: (_kb, options) => {
            const join = joinDuringList
            joinDuringList = Effect.void
            const data =
              options?.status === "queued" ? ["job_a", "job_b", "job_c"].map((id) => job(id, "queued")) : []
            return Effect.as(join, { object: "list" as const, data, has_more: false })
          },
          poll: (_kb, jobId) => {
            gets.push(jobId)
            return Effect.succeed(jobId === "job_late" ? completed(jobId) : job(jobId, "queued"))
          },
          get: () => Effect.die("not used"),
          listAll: () => Effect.die("not used") as never
        }
        const engine = yield* WaitEngine.make({ onRound: (round) => void rounds.push(round) }).pipe(
          Effect.provide(Layer.succeed(IngestionJobs.IngestionJobs, client))
        )
        const listener = (jobId: string): WaitEngine.Listener => ({
          onExit: (exit) => void exits.push(`${jobId} ${Exit.isSuccess(exit) ? exit.value.status : "failed"}`)
        })
        joinDuringList = Effect.orDie(
          Effect.asVoid(engine.register(KB, "job_late", { pollInterval: "5 seconds" }, listener("job_late")))
        )
        for (const jobId of ["job_a", "job_b", "job_c"]) {
          yield* engine.register(KB, jobId, { pollInterval: "5 seconds" }, listener(jobId))
        }
        for (let turn = 0; turn < 20 && exits.length === 0; turn++) yield* TestClock.adjust("1 millis")

        // The sweep (three due jobs: more than its two list requests) began before `job_late` was
        // watched: not finding it tells nothing, so it sends no follow-up GET for it.
        expect(rounds[0]).toMatchObject({ mode: "sweep", requests: 2, followUpGets: 0, dueJobs: 3 })
        // Its wait's first poll is due at once: the next round GETs it, and it ends.
        expect(rounds[1]).toMatchObject({ mode: "get", requests: 1, dueJobs: 1 })
        expect(gets).toStrictEqual(["job_late"])
        expect(exits).toStrictEqual(["job_late completed"])
      })
  )

  it.effect(
    "waits that come while a sweep reads its pages join the next sweep when it is the cheaper way, not a GET each",
    () =>
      Effect.gen(function* () {
        const rounds: Array<WaitEngine.RoundReport> = []
        const gets: Array<string> = []
        let joinDuringList: Effect.Effect<void> = Effect.void
        const early = ["job_a", "job_b", "job_c"]
        const late = ["job_d", "job_e", "job_f", "job_g", "job_h"]
        // Every job stays queued: each list lists all of them.
        const client: IngestionJobs.IngestionJobs["Service"] = {
          list: (_kb, options) => {
            // They come once the queued list was read: the sweep did not see them.
            const join = options?.status === "processing" ? joinDuringList : Effect.void
            if (options?.status === "processing") joinDuringList = Effect.void
            const data =
              options?.status === "queued" ? [...early, ...late].map((id) => job(id, "queued")) : []
            return Effect.as(join, { object: "list" as const, data, has_more: false })
          },
          poll: (_kb, jobId) => {
            gets.push(jobId)
            return Effect.succeed(job(jobId, "queued"))
          },
          get: () => Effect.die("not used"),
          listAll: () => Effect.die("not used") as never
        }
        const engine = yield* WaitEngine.make({ onRound: (round) => void rounds.push(round) }).pipe(
          Effect.provide(Layer.succeed(IngestionJobs.IngestionJobs, client))
        )
        const listener: WaitEngine.Listener = { onExit: () => {} }
        // Five waits registered during the first sweep's second list request.
        joinDuringList = Effect.orDie(
          Effect.forEach(
            late,
            (jobId) => engine.register(KB, jobId, { pollInterval: "5 seconds" }, listener),
            {
              discard: true
            }
          )
        )
        for (const jobId of early) yield* engine.register(KB, jobId, { pollInterval: "5 seconds" }, listener)
        for (let turn = 0; turn < 20 && rounds.length < 2; turn++) yield* TestClock.adjust("1 millis")
        // The first sweep served the three; the five, due at once, cost more as GETs than the two
        // list requests of a sweep: the next round sweeps, and no job is fetched by GET.
        expect(rounds.slice(0, 2)).toMatchObject([
          { mode: "sweep", requests: 2, dueJobs: 3 },
          { mode: "sweep", requests: 2, followUpGets: 0 }
        ])
        expect(gets).toStrictEqual([])
      })
  )
})
