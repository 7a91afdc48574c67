/**
 * The rows of `tensoras_waits` as the code reads them (what the polls saw decoded, or `null` when unreadable),
 * and the reads of those who follow their waits from outside the runners: `tensoras-cluster wait`, `waitFor`.
 */
import { IngestionJob } from "@tensoras/ingestion/IngestionJob"
import { Observed } from "@tensoras/ingestion/WaitError"
import * as Arr from "effect/Array"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import type * as SqlClient from "effect/sql/SqlClient"
import type { SqlError } from "effect/sql/SqlError"
import type { PendingWait } from "../WaitStore.js"
import type { Delivered } from "./outcome.js"

// Rows (or IDs) per INSERT, UPDATE or SELECT: PostgreSQL takes at most 65,535 parameters per statement.
export const CHUNK = 1_000

const decodeJob = Schema.decodeUnknownOption(IngestionJob)
const decodeObserved = Schema.decodeUnknownOption(Observed)

/** The job a wait's polls last saw, as stored: `null` when none was seen, or when it cannot be read. */
const lastJobOf = (stored: unknown): IngestionJob | null =>
  stored === null ? null : Option.getOrNull(decodeJob(stored))

/** What a wait's polls saw, as stored: `null` when nothing yet, or when it cannot be read. */
const observedOf = (stored: unknown): Observed | null =>
  stored === null ? null : Option.getOrNull(decodeObserved(stored))

/** A wait that has not ended, with its batch's registration time (the columns of `pendingColumns`). */
export interface PendingRow {
  readonly batch_id: string
  readonly job_id: string
  readonly deadline_at: number
  readonly last_job: unknown
  readonly observed: unknown
  readonly registered_at: number | string | null
}

export const toPending = (row: PendingRow): PendingWait => ({
  batchId: row.batch_id,
  jobId: row.job_id,
  deadlineAt: Number(row.deadline_at),
  lastJob: lastJobOf(row.last_job),
  observed: observedOf(row.observed),
  ...(row.registered_at === null ? {} : { registeredAt: Number(row.registered_at) })
})

/** What a caller reads of its waits: each wait of the given batches, ended or not. */
export interface WaitRow {
  readonly batchId: string
  readonly jobId: string
  readonly outcome: Delivered["outcome"] | null
  readonly lastJob: IngestionJob | null
  readonly observed: Observed | null
}

interface StoredWaitRow {
  readonly batch_id: string
  readonly job_id: string
  readonly outcome: Delivered["outcome"] | null
  readonly last_job: unknown
  readonly observed: unknown
}

const toWaitRow = (row: StoredWaitRow): WaitRow => ({
  batchId: row.batch_id,
  jobId: row.job_id,
  outcome: row.outcome,
  lastJob: lastJobOf(row.last_job),
  observed: observedOf(row.observed)
})

/** The waits of these batches: with `endedOnly`, those with an outcome. */
export const waitsOf = (
  sql: SqlClient.SqlClient,
  batchIds: ReadonlyArray<string>,
  endedOnly: boolean
): Effect.Effect<ReadonlyArray<WaitRow>, SqlError> =>
  batchIds.length === 0
    ? Effect.succeed([])
    : Effect.map(
        Effect.forEach(
          Arr.chunksOf(batchIds, CHUNK),
          (chunk) =>
            sql<StoredWaitRow>`SELECT batch_id, job_id, outcome, last_job, observed FROM tensoras_waits
              WHERE ${sql.in("batch_id", chunk)} ${endedOnly ? sql`AND outcome IS NOT NULL` : sql``}
              ORDER BY batch_id, position`
        ),
        (chunks) => chunks.flat().map(toWaitRow)
      )

/** A wait as a caller names it: the workflow execution (batch) that registered it, and its job. */
export interface WaitKey {
  readonly batchId: string
  readonly jobId: string
}

/**
 * The waits with these keys (a caller's jobs, whichever batches registered them): with `endedOnly`, those with an
 * outcome. One statement per {@link CHUNK} keys, however many batches they come from.
 */
export const waitsOfKeys = (
  sql: SqlClient.SqlClient,
  keys: ReadonlyArray<WaitKey>,
  endedOnly: boolean
): Effect.Effect<ReadonlyArray<WaitRow>, SqlError> =>
  keys.length === 0
    ? Effect.succeed([])
    : Effect.map(
        Effect.forEach(
          Arr.chunksOf(keys, CHUNK),
          (chunk) =>
            sql<StoredWaitRow>`SELECT w.batch_id, w.job_id, w.outcome, w.last_job, w.observed
              FROM jsonb_to_recordset(${JSON.stringify(
                chunk.map((key) => ({ batch_id: key.batchId, job_id: key.jobId }))
              )}::jsonb) AS k(batch_id text, job_id text)
              JOIN tensoras_waits w ON w.batch_id = k.batch_id AND w.job_id = k.job_id
              ${endedOnly ? sql`WHERE w.outcome IS NOT NULL` : sql``}`
        ),
        (chunks) => chunks.flat().map(toWaitRow)
      )

/** A job's wait to follow, and how many waits were ever registered on the job (by any workflow). */
export interface LatestWait extends WaitRow {
  readonly waits: number
}

/**
 * Per job of a knowledge base that has any wait, whichever workflow registered it: the one to follow, a wait that
 * has not ended if there is one (the latest deadline first), else the one that ended last; and the count of its
 * waits (a new wait's batch is named after it: see `cli/batches.ts`).
 */
export const latestWaitsOfJobs = (
  sql: SqlClient.SqlClient,
  knowledgeBaseId: string,
  jobIds: ReadonlyArray<string>
): Effect.Effect<ReadonlyArray<LatestWait>, SqlError> =>
  Effect.map(
    Effect.forEach(
      Arr.chunksOf(jobIds, CHUNK),
      (chunk) =>
        sql<StoredWaitRow & { readonly waits: number | string }>`
          SELECT DISTINCT ON (job_id) batch_id, job_id, outcome, last_job, observed,
            count(*) OVER (PARTITION BY job_id) AS waits
          FROM tensoras_waits
          WHERE knowledge_base_id = ${knowledgeBaseId} AND ${sql.in("job_id", chunk)}
          ORDER BY job_id, (outcome IS NULL) DESC, ended_at DESC NULLS FIRST, deadline_at DESC`
    ),
    (chunks) => chunks.flat().map((row) => ({ ...toWaitRow(row), waits: Number(row.waits) }))
  )
