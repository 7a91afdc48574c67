import * as Arr from "effect/Array"
import * as Effect from "effect/Effect"
import type * as SqlClient from "effect/sql/SqlClient"
import type { SqlError } from "effect/sql/SqlError"
import type {
  ClosedBatch,
  Completion,
  DeliveryStats,
  NewBatch,
  PendingWait,
  WaitStore
} from "../WaitStore.js"
import type { Delivered } from "./outcome.js"

// An arbitrary constant: the advisory lock that serialises the tables' creation between processes.
const MIGRATION_LOCK = 7_318_204_551

export const migrate = (sql: SqlClient.SqlClient): Effect.Effect<void, SqlError> =>
  sql.withTransaction(
    Effect.gen(function* () {
      yield* sql`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`
      yield* sql`CREATE TABLE IF NOT EXISTS tensoras_wait_batches (
        batch_id text PRIMARY KEY,
        knowledge_base_id text NOT NULL,
        token text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        closed_at timestamptz,
        acknowledged_at timestamptz
      )`
      yield* sql`CREATE TABLE IF NOT EXISTS tensoras_waits (
        batch_id text NOT NULL REFERENCES tensoras_wait_batches (batch_id) ON DELETE CASCADE,
        job_id text NOT NULL,
        position integer NOT NULL,
        knowledge_base_id text NOT NULL,
        deadline_at double precision NOT NULL,
        outcome jsonb,
        ended_at timestamptz,
        ended_by text,
        PRIMARY KEY (batch_id, job_id)
      )`
      yield* sql`CREATE INDEX IF NOT EXISTS tensoras_waits_pending
        ON tensoras_waits (knowledge_base_id) WHERE outcome IS NULL`
      yield* sql`CREATE INDEX IF NOT EXISTS tensoras_wait_batches_open
        ON tensoras_wait_batches (knowledge_base_id) WHERE acknowledged_at IS NULL`
      yield* sql`CREATE TABLE IF NOT EXISTS tensoras_wait_deliveries (
        id bigserial PRIMARY KEY,
        batch_id text NOT NULL,
        runner text NOT NULL,
        delivered_at timestamptz NOT NULL DEFAULT now()
      )`
    })
  )

interface PendingRow {
  readonly batch_id: string
  readonly job_id: string
  readonly deadline_at: number
}
const toPending = (row: PendingRow): PendingWait => ({
  batchId: row.batch_id,
  jobId: row.job_id,
  deadlineAt: Number(row.deadline_at)
})

interface ClosedRow {
  readonly batch_id: string
  readonly token: string
}

// Rows per INSERT: PostgreSQL takes at most 65,535 parameters per statement.
const CHUNK = 1_000

export const make = (sql: SqlClient.SqlClient): WaitStore["Service"] => {
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
        sql<PendingRow>`SELECT batch_id, job_id, deadline_at FROM tensoras_waits
          WHERE knowledge_base_id = ${knowledgeBaseId} AND outcome IS NULL`,
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
        sql<PendingRow>`SELECT batch_id, job_id, deadline_at FROM tensoras_waits
          WHERE batch_id = ${batchId} AND outcome IS NULL ORDER BY position`,
        Arr.map(toPending)
      ),

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
            return yield* close(runner, { batchIds: Arr.dedupe(ended.map((row) => row.batch_id)) })
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
  }
}
