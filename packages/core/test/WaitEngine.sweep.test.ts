import { describe, expect, it } from "@effect/vitest"
import { type IngestionJob, IngestionJobs, WaitEngine } from "@tensoras/ingestion"
import * as Clock from "effect/Clock"
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

  /**
   * 250 processing jobs in creation order (three pages of a sweep), all watched, on an in-memory
   * client that records its calls (with the clock's time); `slow` delays the GET of a job.
   */
  const pagedWorld = (
    slow: (jobId: string) => Effect.Effect<void> = () => Effect.void,
    ending: (ids: ReadonlyArray<string>) => ReadonlyArray<string> = (ids) => ids.slice(0, 12)
  ) =>
    Effect.gen(function* () {
      const calls: Array<{ readonly call: string; readonly at: number }> = []
      const rounds: Array<WaitEngine.RoundReport> = []
      const ids = Array.from({ length: 250 }, (_, index) => `job_${String(index).padStart(3, "0")}`)
      const ended = new Set<string>()
      const record = (call: string) =>
        Effect.map(Clock.currentTimeMillis, (at) => void calls.push({ call, at }))
      const processing = (id: string) => ({ ...job(id, "queued"), status: "processing" as const })
      const client: IngestionJobs.IngestionJobs["Service"] = {
        list: (_kb, options) =>
          Effect.map(record(`list ${options?.status} ${options?.after ?? "-"}`), () => {
            if (options?.status !== "processing")
              return { object: "list" as const, data: [], has_more: false }
            const from = options.after === undefined ? 0 : ids.indexOf(options.after) + 1
            const left = ids.slice(from).filter((id) => !ended.has(id))
            return {
              object: "list" as const,
              data: left.slice(0, 100).map(processing),
              has_more: left.length > 100
            }
          }),
        poll: (_kb, jobId) =>
          Effect.andThen(
            record(`get ${jobId}`),
            Effect.as(slow(jobId), ended.has(jobId) ? completed(jobId) : processing(jobId))
          ),
        get: () => Effect.die("not used"),
        listAll: () => Effect.die("not used") as never
      }
      const engine = yield* WaitEngine.make({ onRound: (round) => void rounds.push(round) }).pipe(
        Effect.provide(Layer.succeed(IngestionJobs.IngestionJobs, client))
      )
      const exits: Array<string> = []
      const polled = new Map<string, Array<IngestionJob.IngestionJob>>()
      const onEvent = (event: WaitEngine.WaitEvent) => {
        if (event._tag !== "Polled") return
        const seen = polled.get(event.job.id) ?? []
        seen.push(event.job)
        polled.set(event.job.id, seen)
      }
      for (const jobId of ids) {
        yield* engine.register(
          KB,
          jobId,
          { pollInterval: "5 seconds" },
          { onEvent, onExit: () => void exits.push(jobId) }
        )
      }
      for (let turn = 0; turn < 20 && rounds.length < 1; turn++) yield* TestClock.adjust("1 millis")
      // Some end before the second sweep (the first 12, unless `ending` says otherwise).
      for (const id of ending(ids)) ended.add(id)
      calls.length = 0
      return { calls, rounds, ids, exits, polled }
    })

  it.effect(
    "a sweep that finds jobs gone reads its next page once their GETs are answered, not beside them",
    () =>
      Effect.gen(function* () {
        const { calls, rounds, ids, exits } = yield* pagedWorld()
        for (let turn = 0; turn < 60 && rounds.length < 2; turn++) yield* TestClock.adjust("100 millis")

        // The first page of the second sweep holds jobs of the last sweep's second page: the twelve of
        // its first page not on it have ended. Their GETs (more than go out at once) are all answered
        // before the next page is asked for.
        const order = calls.map(({ call }) => call)
        const nextPage = order.indexOf("list processing job_111")
        const gets = order.flatMap((call, index) => (call.startsWith("get ") ? [index] : []))
        expect(order.slice(0, 2)).toStrictEqual(["list queued -", "list processing -"])
        expect(gets).toHaveLength(12)
        expect(nextPage, JSON.stringify(order)).toBeGreaterThan(Math.max(...gets))
        expect(rounds[1]).toMatchObject({
          mode: "sweep",
          requests: 16,
          followUpGets: 12,
          activeProcessing: 238
        })
        expect(exits.sort()).toStrictEqual(ids.slice(0, 12))
      })
  )

  it.effect("a GET that does not answer holds the sweep's next page up for the round's budget at most", () =>
    Effect.gen(function* () {
      // job_000's GET takes a minute; the sweep's budget is 1 s (the default: no interval is shorter).
      // The first 12 end, and 3 of the last sweep's second page: the second page of this sweep shows
      // those gone.
      const { calls, rounds, exits } = yield* pagedWorld(
        (jobId) => (jobId === "job_000" ? Effect.sleep("1 minute") : Effect.void),
        (ids) => [...ids.slice(0, 12), ...ids.slice(150, 153)]
      )
      for (let turn = 0; turn < 80 && rounds.length < 2 && exits.length < 14; turn++)
        yield* TestClock.adjust("100 millis")

      const at = (call: string) => calls.find((record) => record.call === call)?.at
      const sweptAt = at("list queued -") as number
      // The other eleven ended at once; the next page went out at the budget's end, not after the
      // minute, and the page after it at once: a GET took too long, this sweep waits no more.
      expect(at("list processing job_111")).toBe(sweptAt + 1000)
      expect(at("list processing job_214")).toBe(sweptAt + 1000)
      expect(exits).toHaveLength(14)
      // The slow one ends when its answer comes.
      yield* TestClock.adjust("1 minute")
      expect(exits).toHaveLength(15)
    })
  )

  it.effect("a job a sweep lists as the last one did is handed over as the copy the waits have", () =>
    Effect.gen(function* () {
      const { rounds, polled } = yield* pagedWorld()
      for (let turn = 0; turn < 60 && rounds.length < 2; turn++) yield* TestClock.adjust("100 millis")
      // job_200 did not change: the second sweep's copy of it is let go, the first one handed over again.
      const [first, second] = polled.get("job_200") ?? []
      expect(second).toBe(first)
      expect(polled.get("job_200")).toHaveLength(2)
    })
  )
})
