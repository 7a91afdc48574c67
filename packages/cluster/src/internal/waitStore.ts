import { IngestionJob } from "@tensoras/ingestion/IngestionJob"
import { Observed } from "@tensoras/ingestion/WaitError"
import * as Arr from "effect/Array"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import type * as SqlClient from "effect/sql/SqlClient"
import type { SqlError } from "effect/sql/SqlError"
import type {
  ClosedBatch,
  Completion,
  DeliveryStats,
  NewBatch,
  Observation,
  PendingWait,
  WaitStore
} from "../WaitStore.js"
import type { Delivered } from "./outcome.js"

// An arbitrary constant: the advisory lock that serialises the tables' migration between processes.
const MIGRATION_LOCK = 7_318_204_551

/**
 * The version of this package's tables. 1: 0.1's tables. 2: what a wait observed (`last_job`, `observed`), the
 * re-drive sweep's bookkeeping (`settled_at`, `swept_at`), the index by job. Recorded in `tensoras_schema`.
 */
export const SCHEMA_VERSION = 2

/** The recorded version of the tables: 0 when `tensoras_schema` does not exist (a new or a 0.1 database). */
const schemaVersion = (sql: SqlClient.SqlClient): Effect.Effect<number, SqlError> =>
  Effect.gen(function* () {
    const [table] = yield* sql<{ readonly present: boolean }>`
      SELECT to_regclass('tensoras_schema') IS NOT NULL AS present`
    if (table?.present !== true) return 0
    const [row] = yield* sql<{ readonly version: number }>`
      SELECT version FROM tensoras_schema WHERE name = 'waits'`
    return row === undefined ? 0 : Number(row.version)
  })

const upgrade = (sql: SqlClient.SqlClient): Effect.Effect<void, SqlError> =>
  sql.withTransaction(
    Effect.gen(function* () {
      // A registration in flight finishes first (or this attempt gives up and is retried): never a deadlock
      // left to PostgreSQL's detector while waits are being registered.
      yield* sql`SET LOCAL lock_timeout = '10s'`
      yield* sql`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`
      if ((yield* schemaVersion(sql)) >= SCHEMA_VERSION) return
      const [existing] = yield* sql<{ readonly present: boolean }>`
        SELECT to_regclass('tensoras_wait_batches') IS NOT NULL
          AND to_regclass('tensoras_waits') IS NOT NULL
          AND to_regclass('tensoras_wait_deliveries') IS NOT NULL AS present`
      if (existing?.present === true) {
        // An upgrade of existing tables: their locks first, all at once and in the order a registration takes
        // them (the batch, then its waits), so that no registration holds one while this waits for the other.
        yield* sql`LOCK TABLE tensoras_wait_batches, tensoras_waits, tensoras_wait_deliveries IN SHARE ROW EXCLUSIVE MODE`
      }
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
      // Version 2.
      yield* sql`ALTER TABLE tensoras_waits ADD COLUMN IF NOT EXISTS last_job jsonb,
        ADD COLUMN IF NOT EXISTS observed jsonb`
      yield* sql`ALTER TABLE tensoras_wait_batches ADD COLUMN IF NOT EXISTS settled_at timestamptz,
        ADD COLUMN IF NOT EXISTS swept_at timestamptz`
      yield* sql`CREATE INDEX IF NOT EXISTS tensoras_waits_job ON tensoras_waits (knowledge_base_id, job_id)`
      yield* sql`CREATE INDEX IF NOT EXISTS tensoras_wait_batches_unsettled
        ON tensoras_wait_batches (acknowledged_at) WHERE acknowledged_at IS NOT NULL AND settled_at IS NULL`
      yield* sql`CREATE TABLE IF NOT EXISTS tensoras_schema (name text PRIMARY KEY, version integer NOT NULL)`
      yield* sql`INSERT INTO tensoras_schema (name, version) VALUES ('waits', ${SCHEMA_VERSION})
        ON CONFLICT (name) DO UPDATE SET version = excluded.version`
    })
  )

/**
 * Brings the tables to {@link SCHEMA_VERSION}, once per database: a process that finds them at that version (every
 * runner start but the first) reads one row and takes no lock on them, so it never waits for, nor blocks, the
 * registrations in flight. The first process to find them older migrates them under an advisory lock (the others
 * wait for it, then find them current); an attempt that fails (a lock not granted in time) is retried.
 */
export const migrate = (sql: SqlClient.SqlClient): Effect.Effect<void, SqlError> =>
  Effect.flatMap(schemaVersion(sql), (version) =>
    version >= SCHEMA_VERSION
      ? Effect.void
      : upgrade(sql).pipe(
          Effect.retry(
            Schedule.exponential("200 millis").pipe(Schedule.jittered, Schedule.upTo({ times: 6 }))
          )
        )
  )

const decodeJob = Schema.decodeUnknownOption(IngestionJob)
const encodeJob = Schema.encodeSync(IngestionJob)
const decodeObserved = Schema.decodeUnknownOption(Observed)

interface PendingRow {
  readonly batch_id: string
  readonly job_id: string
  readonly deadline_at: number
  readonly last_job: unknown
  readonly observed: unknown
  readonly registered_at: number | string | null
}
const toPending = (row: PendingRow): PendingWait => ({
  batchId: row.batch_id,
  jobId: row.job_id,
  deadlineAt: Number(row.deadline_at),
  lastJob: row.last_job === null ? null : Option.getOrNull(decodeJob(row.last_job)),
  observed: row.observed === null ? null : Option.getOrNull(decodeObserved(row.observed)),
  ...(row.registered_at === null ? {} : { registeredAt: Number(row.registered_at) })
})

interface ClosedRow {
  readonly batch_id: string
  readonly token: string
}

// Rows per INSERT or UPDATE: PostgreSQL takes at most 65,535 parameters per statement.
const CHUNK = 1_000

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
      ),

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
  }
}

/** What a caller reads of its waits: each wait of the given batches, ended or not. */
export interface WaitRow {
  readonly batchId: string
  readonly jobId: string
  readonly outcome: Delivered["outcome"] | null
  readonly lastJob: IngestionJob | null
  readonly observed: Observed | null
}

const toWaitRow = (row: {
  readonly batch_id: string
  readonly job_id: string
  readonly outcome: Delivered["outcome"] | null
  readonly last_job: unknown
  readonly observed: unknown
}): WaitRow => ({
  batchId: row.batch_id,
  jobId: row.job_id,
  outcome: row.outcome,
  lastJob: row.last_job === null ? null : Option.getOrNull(decodeJob(row.last_job)),
  observed: row.observed === null ? null : Option.getOrNull(decodeObserved(row.observed))
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
            sql<{
              batch_id: string
              job_id: string
              outcome: Delivered["outcome"] | null
              last_job: unknown
              observed: unknown
            }>`SELECT batch_id, job_id, outcome, last_job, observed FROM tensoras_waits
              WHERE ${sql.in("batch_id", chunk)} ${endedOnly ? sql`AND outcome IS NOT NULL` : sql``}
              ORDER BY batch_id, position`
        ),
        (chunks) => chunks.flat().map(toWaitRow)
      )

/** Every wait registered on these jobs of a knowledge base, whichever workflow registered it. */
export const waitsOfJobs = (
  sql: SqlClient.SqlClient,
  knowledgeBaseId: string,
  jobIds: ReadonlyArray<string>
): Effect.Effect<ReadonlyArray<WaitRow>, SqlError> =>
  Effect.map(
    Effect.forEach(
      Arr.chunksOf(jobIds, CHUNK),
      (chunk) =>
        sql<{
          batch_id: string
          job_id: string
          outcome: Delivered["outcome"] | null
          last_job: unknown
          observed: unknown
        }>`SELECT batch_id, job_id, outcome, last_job, observed FROM tensoras_waits
          WHERE knowledge_base_id = ${knowledgeBaseId} AND ${sql.in("job_id", chunk)}`
    ),
    (chunks) => chunks.flat().map(toWaitRow)
  )
