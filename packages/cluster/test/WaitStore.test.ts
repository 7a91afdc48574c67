import * as SqlClient from "@effect/sql/SqlClient"
import * as PgClient from "@effect/sql-pg/PgClient"
import { describe, expect, it } from "@effect/vitest"
import { WaitStore } from "@tensoras/ingestion-cluster"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import { beforeAll, inject } from "vitest"
import { Outcome } from "../src/internal/outcome.js"
import { createDatabase } from "./support/postgres.js"

let databaseUrl: string
beforeAll(async () => {
  databaseUrl = await createDatabase(inject("postgresUrl"), "wait_store")
})

const live = () =>
  WaitStore.layer.pipe(
    Layer.provideMerge(PgClient.layer({ url: Redacted.make(databaseUrl), maxConnections: 8 }))
  )

const store = WaitStore.WaitStore
let n = 0
/** A fresh knowledge base id per test: the tests share one database. */
const freshKb = () => `kb_store_${++n}`

const notFound = Schema.encodeSync(Outcome)(
  Either.left({
    _tag: "NotFound",
    method: "GET",
    url: "http://127.0.0.1/v1/knowledge-bases/kb/ingestion-jobs/job_gone",
    status: 404,
    message: "Ingestion job 'job_gone' not found"
  } as never)
)

describe("WaitStore", () => {
  it.effect("registers a batch once, however often the registration is retried", () =>
    Effect.gen(function* () {
      const kb = freshKb()
      const s = yield* store
      const batch = {
        batchId: `${kb}-b1`,
        knowledgeBaseId: kb,
        token: "token-1",
        waits: [
          { jobId: "job_a", deadlineAt: 1_000 },
          { jobId: "job_b", deadlineAt: 1_000 }
        ]
      }
      yield* s.register(batch)
      // A retried activity registers again, with a later deadline: the first registration stands.
      yield* s.register({ ...batch, waits: batch.waits.map((wait) => ({ ...wait, deadlineAt: 9_000 })) })
      const pending = yield* s.pending(kb)
      expect(pending.map((wait) => [wait.jobId, wait.deadlineAt])).toEqual([
        ["job_a", 1_000],
        ["job_b", 1_000]
      ])
    }).pipe(Effect.provide(live()))
  )

  it.effect("records a wait's first outcome only, and closes its batch with one delivery row", () =>
    Effect.gen(function* () {
      const kb = freshKb()
      const s = yield* store
      const batchId = `${kb}-b1`
      yield* s.register({
        batchId,
        knowledgeBaseId: kb,
        token: "token-1",
        waits: [
          { jobId: "job_a", deadlineAt: 1_000 },
          { jobId: "job_b", deadlineAt: 1_000 }
        ]
      })
      const first = yield* s.complete("runner-1", [{ batchId, jobId: "job_a", outcome: notFound }])
      expect(first).toEqual([]) // job_b still waits
      const second = yield* s.complete("runner-1", [{ batchId, jobId: "job_b", outcome: notFound }])
      expect(second.map((batch) => [batch.batchId, batch.token, batch.outcomes.map((o) => o.jobId)])).toEqual(
        [[batchId, "token-1", ["job_a", "job_b"]]]
      )
      // Another runner reporting the same job again (a duplicate poll after failover) changes nothing.
      const again = yield* s.complete("runner-2", [{ batchId, jobId: "job_b", outcome: notFound }])
      expect(again).toEqual([])
      const sql = yield* SqlClient.SqlClient
      const log = yield* sql<{
        runner: string
      }>`SELECT runner FROM tensoras_wait_deliveries WHERE batch_id = ${batchId}`
      expect(log).toEqual([{ runner: "runner-1" }])
    }).pipe(Effect.provide(live()))
  )

  it.effect("closes a batch once when many completions race for it", () =>
    Effect.gen(function* () {
      const kb = freshKb()
      const s = yield* store
      const batchId = `${kb}-b1`
      const jobIds = Array.from({ length: 40 }, (_, i) => `job_${i}`)
      yield* s.register({
        batchId,
        knowledgeBaseId: kb,
        token: "t",
        waits: jobIds.map((jobId) => ({ jobId, deadlineAt: 1 }))
      })
      // Every job reported twice, by two "runners", all at once.
      const closed = yield* Effect.forEach(
        [...jobIds, ...jobIds],
        (jobId, i) => s.complete(`runner-${i % 2}`, [{ batchId, jobId, outcome: notFound }]),
        { concurrency: "unbounded" }
      )
      expect(closed.flat().map((batch) => batch.batchId)).toEqual([batchId])
      const sql = yield* SqlClient.SqlClient
      const [row] = yield* sql<{
        n: string
      }>`SELECT count(*) AS n FROM tensoras_wait_deliveries WHERE batch_id = ${batchId}`
      expect(Number(row?.n)).toBe(1)
    }).pipe(Effect.provide(live()))
  )

  it.effect("hands back batches that were closed but not acknowledged, until they are", () =>
    Effect.gen(function* () {
      const kb = freshKb()
      const s = yield* store
      const batchId = `${kb}-b1`
      yield* s.register({
        batchId,
        knowledgeBaseId: kb,
        token: "t",
        waits: [{ jobId: "job_a", deadlineAt: 1 }]
      })
      const closed = yield* s.complete("runner-1", [{ batchId, jobId: "job_a", outcome: notFound }])
      expect(closed).toHaveLength(1)
      // The runner died before completing the deferred: the next one delivers it again (keyed, so once).
      const resend = yield* s.undelivered("runner-2", kb)
      expect(resend.map((batch) => batch.batchId)).toEqual([batchId])
      yield* s.acknowledge([batchId])
      expect(yield* s.undelivered("runner-2", kb)).toEqual([])
      expect(yield* s.pending(kb)).toEqual([])
    }).pipe(Effect.provide(live()))
  )
})
