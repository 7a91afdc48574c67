/**
 * The `WaitStore` service over PostgreSQL (its tables: `waitSchema.ts`; its rows as read: `waitRows.ts`), in the
 * parts its callers use: registrations, what the runners record, and the re-drive sweep's bookkeeping.
 */
import { IngestionJob } from "@tensoras/ingestion/IngestionJob"
import * as Arr from "effect/Array"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import type * as SqlClient from "effect/sql/SqlClient"
import type { SqlError } from "effect/sql/SqlError"
import type {
  ClosedBatch,
  Completion,
  DeliveryStats,
  NewBatch,
  Observation,
  WaitStore
} from "../WaitStore.js"
import type { Delivered } from "./outcome.js"
import { CHUNK, type PendingRow, toPending } from "./waitRows.js"

// The version of the tables this store reads and writes (the tests pin it here).
export { SCHEMA_VERSION } from "./waitSchema.js"

type Store = WaitStore["Service"]

const encodeJob = Schema.encodeSync(IngestionJob)

interface ClosedRow {
  readonly batch_id: string
  readonly token: string
}

/**
 * The channel on which runners announce recorded outcomes (`LISTEN tensoras_outcomes`): the payload is a JSON
 * array of the batches (workflow executions) some of whose waits just ended, or `*` (too many to list).
 */
export const OUTCOMES_CHANNEL = "tensoras_outcomes"
const MAX_PAYLOAD = 7_000

export const outcomesPayload = (batchIds: ReadonlyArray<string>): string => {
  const payload = JSON.stringify(batchIds)
  return payload.length > MAX_PAYLOAD ? "*" : payload
}

/** The batches whose waits have all ended: closed once each, and read with their outcomes to be delivered. */
const batches = (sql: SqlClient.SqlClient) => {
  const outcomesOf = (rows: ReadonlyArray<ClosedRow>): Effect.Effect<ReadonlyArray<ClosedBatch>, SqlError> =>
    rows.length === 0
      ? Effect.succeed([])
      : Effect.map(
          sql<{ batch_id: string; job_id: string; outcome: Delivered["outcome"] }>`
            SELECT batch_id, job_id, outcome FROM tensoras_waits
            WHERE ${sql.in(
              "batch_id",
              rows.map((row) => row.batch_id)
            )}
            ORDER BY batch_id, position`,
          (waits) => {
            const byBatch = Arr.groupBy(waits, (wait) => wait.batch_id)
            return rows.map((row) => ({
              batchId: row.batch_id,
              token: row.token,
              outcomes: (byBatch[row.batch_id] ?? []).map((wait) => ({
                jobId: wait.job_id,
                outcome: wait.outcome
              }))
            }))
          }
        )

  // Closes the given batches (or every closable batch of a knowledge base) whose waits have all ended; the
  // guard `closed_at IS NULL` under the row lock makes each batch close once, with one delivery-log row.
  const close = (
    runner: string,
    where: { readonly batchIds: ReadonlyArray<string> } | { readonly knowledgeBaseId: string }
  ): Effect.Effect<ReadonlyArray<ClosedBatch>, SqlError> => {
    if ("batchIds" in where && where.batchIds.length === 0) return Effect.succeed([])
    const scope =
      "batchIds" in where
        ? sql.in("b.batch_id", where.batchIds)
        : sql`b.knowledge_base_id = ${where.knowledgeBaseId} AND b.closed_at IS NULL`
    return Effect.flatMap(
      sql<ClosedRow>`
        WITH closed AS (
          UPDATE tensoras_wait_batches b SET closed_at = now()
          WHERE ${scope} AND b.closed_at IS NULL
            AND NOT EXISTS (SELECT 1 FROM tensoras_waits w WHERE w.batch_id = b.batch_id AND w.outcome IS NULL)
          RETURNING b.batch_id, b.token
        ), logged AS (
          INSERT INTO tensoras_wait_deliveries (batch_id, runner) SELECT batch_id, ${runner} FROM closed
        )
        SELECT batch_id, token FROM closed`,
      outcomesOf
    )
  }
  return { outcomesOf, close }
}

type Batches = ReturnType<typeof batches>

/** Registering waits, and reading those that have not ended: what an entity polls. */
const registrations = (
  sql: SqlClient.SqlClient
): Pick<Store, "register" | "pending" | "knowledgeBasesWithPendingWaits" | "pendingOf"> => {
  const pendingColumns = sql`w.batch_id, w.job_id, w.deadline_at, w.last_job, w.observed,
    extract(epoch from b.created_at) * 1000 AS registered_at`
  return {
    register: (batch: NewBatch) =>
      sql.withTransaction(
        Effect.gen(function* () {
          yield* sql`INSERT INTO tensoras_wait_batches ${sql.insert({
            batch_id: batch.batchId,
            knowledge_base_id: batch.knowledgeBaseId,
            token: batch.token
          })} ON CONFLICT (batch_id) DO NOTHING`
          const rows = batch.waits.map((wait, position) => ({
            batch_id: batch.batchId,
            job_id: wait.jobId,
            position,
            knowledge_base_id: batch.knowledgeBaseId,
            deadline_at: wait.deadlineAt
          }))
          for (const chunk of Arr.chunksOf(rows, CHUNK)) {
            yield* sql`INSERT INTO tensoras_waits ${sql.insert(chunk)} ON CONFLICT (batch_id, job_id) DO NOTHING`
          }
        })
      ),

    pending: (knowledgeBaseId) =>
      Effect.map(
        sql<PendingRow>`SELECT ${pendingColumns}
          FROM tensoras_waits w JOIN tensoras_wait_batches b ON b.batch_id = w.batch_id
          WHERE w.knowledge_base_id = ${knowledgeBaseId} AND w.outcome IS NULL`,
        Arr.map(toPending)
      ),

    knowledgeBasesWithPendingWaits: Effect.map(
      sql<{
        knowledge_base_id: string
      }>`SELECT DISTINCT knowledge_base_id FROM tensoras_waits WHERE outcome IS NULL`,
      Arr.map((row) => row.knowledge_base_id)
    ),

    pendingOf: (batchId) =>
      Effect.map(
        sql<PendingRow>`SELECT ${pendingColumns}
          FROM tensoras_waits w JOIN tensoras_wait_batches b ON b.batch_id = w.batch_id
          WHERE w.batch_id = ${batchId} AND w.outcome IS NULL ORDER BY w.position`,
        Arr.map(toPending)
      )
  }
}

/** What the runners record: what the polls saw, then each wait's outcome (closing the batches it ends), delivered. */
const records = (
  sql: SqlClient.SqlClient,
  { close, outcomesOf }: Batches
): Pick<Store, "complete" | "undelivered" | "acknowledge" | "observe"> => ({
  complete: (runner: string, completions: ReadonlyArray<Completion>) =>
    completions.length === 0
      ? Effect.succeed([])
      : Effect.gen(function* () {
          const rows = completions.map((c) => ({
            batch_id: c.batchId,
            job_id: c.jobId,
            outcome: c.outcome
          }))
          // The guard `outcome IS NULL` makes the first outcome of a wait the only one.
          const ended = yield* sql<{ batch_id: string }>`
              UPDATE tensoras_waits w SET outcome = v.outcome, ended_at = now(), ended_by = ${runner}
              FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS v(batch_id text, job_id text, outcome jsonb)
              WHERE w.batch_id = v.batch_id AND w.job_id = v.job_id AND w.outcome IS NULL
              RETURNING w.batch_id`
          const batchIds = Arr.dedupe(ended.map((row) => row.batch_id))
          // Whoever awaits these batches (`tensoras-cluster wait`, `waitFor`) learns at once, not at its next look.
          if (batchIds.length > 0) {
            yield* sql`SELECT pg_notify(${OUTCOMES_CHANNEL}, ${outcomesPayload(batchIds)})`
          }
          return yield* close(runner, { batchIds })
        }),

  undelivered: (runner, knowledgeBaseId) =>
    Effect.gen(function* () {
      const closedBefore = yield* sql<ClosedRow>`SELECT batch_id, token FROM tensoras_wait_batches
          WHERE knowledge_base_id = ${knowledgeBaseId} AND closed_at IS NOT NULL AND acknowledged_at IS NULL`
      const resent = yield* outcomesOf(closedBefore)
      const closedNow = yield* close(runner, { knowledgeBaseId })
      return [...resent, ...closedNow]
    }),

  acknowledge: (batchIds) =>
    batchIds.length === 0
      ? Effect.void
      : Effect.asVoid(
          sql`UPDATE tensoras_wait_batches SET acknowledged_at = now()
              WHERE ${sql.in("batch_id", batchIds)} AND acknowledged_at IS NULL`
        ),

  observe: (observations: ReadonlyArray<Observation>) =>
    Effect.forEach(
      Arr.chunksOf(observations, CHUNK),
      (chunk) =>
        sql`UPDATE tensoras_waits w SET last_job = v.last_job, observed = v.observed
            FROM jsonb_to_recordset(${JSON.stringify(
              chunk.map((o) => ({
                batch_id: o.batchId,
                job_id: o.jobId,
                last_job: o.lastJob === null ? null : encodeJob(o.lastJob),
                observed: o.observed
              }))
            )}::jsonb) AS v(batch_id text, job_id text, last_job jsonb, observed jsonb)
            WHERE w.batch_id = v.batch_id AND w.job_id = v.job_id AND w.outcome IS NULL`,
      { discard: true }
    )
})

/** The re-drive sweep's bookkeeping (`redrive.ts`), and the counts of what was delivered. */
const sweeping = (
  sql: SqlClient.SqlClient,
  { outcomesOf }: Batches
): Pick<Store, "delivered" | "settle" | "stats"> => ({
  delivered: (olderThanMs: number, limit: number) =>
    Effect.flatMap(
      sql<ClosedRow>`
          WITH due AS (
            SELECT batch_id FROM tensoras_wait_batches
            WHERE acknowledged_at IS NOT NULL AND settled_at IS NULL
              AND acknowledged_at < now() - make_interval(secs => ${olderThanMs / 1000})
              AND (swept_at IS NULL OR swept_at < now() - make_interval(secs => ${olderThanMs / 1000}))
            ORDER BY swept_at NULLS FIRST, acknowledged_at
            LIMIT ${limit}
            FOR UPDATE SKIP LOCKED
          )
          UPDATE tensoras_wait_batches b SET swept_at = now() FROM due
          WHERE b.batch_id = due.batch_id
          RETURNING b.batch_id, b.token`,
      outcomesOf
    ),

  settle: (batchIds) =>
    batchIds.length === 0
      ? Effect.void
      : Effect.asVoid(
          sql`UPDATE tensoras_wait_batches SET settled_at = now()
              WHERE ${sql.in("batch_id", batchIds)} AND settled_at IS NULL`
        ),

  stats: Effect.map(
    sql<{
      batches: string
      delivered_batches: string
      deliveries: string
      duplicates: string
      waits: string
      ended_waits: string
    }>`SELECT
          (SELECT count(*) FROM tensoras_wait_batches) AS batches,
          (SELECT count(*) FROM tensoras_wait_batches WHERE closed_at IS NOT NULL) AS delivered_batches,
          (SELECT count(*) FROM tensoras_wait_deliveries) AS deliveries,
          (SELECT count(*) FROM (SELECT batch_id FROM tensoras_wait_deliveries GROUP BY batch_id HAVING count(*) > 1) d)
            AS duplicates,
          (SELECT count(*) FROM tensoras_waits) AS waits,
          (SELECT count(*) FROM tensoras_waits WHERE outcome IS NOT NULL) AS ended_waits`,
    ([row]): DeliveryStats => ({
      batches: Number(row?.batches ?? 0),
      deliveredBatches: Number(row?.delivered_batches ?? 0),
      deliveries: Number(row?.deliveries ?? 0),
      duplicates: Number(row?.duplicates ?? 0),
      waits: Number(row?.waits ?? 0),
      endedWaits: Number(row?.ended_waits ?? 0)
    })
  )
})

/** The store on a PostgreSQL client (its tables migrated: `waitSchema.migrate`). */
export const make = (sql: SqlClient.SqlClient): Store => {
  const closing = batches(sql)
  return { ...registrations(sql), ...records(sql, closing), ...sweeping(sql, closing) }
}
