/**
 * One read of the cluster's PostgreSQL for `tensoras-cluster ui`: the store's waits per knowledge base (counts by
 * outcome and by the runner that ended them, the nearest deadlines, the latest ends), the runners' recent rounds,
 * the runners and who holds which shard. One transaction, READ ONLY and REPEATABLE READ: every figure of a read
 * comes from the same instant, and the read cannot write (the connection's sessions are read-only besides: see
 * `connection.ts`). A table that is missing (a database without the cluster yet, or written by an older version)
 * is not read, and the page says what is missing.
 */
import * as Effect from "effect/Effect"
import type * as SqlClient from "effect/sql/SqlClient"
import type { SqlError } from "effect/sql/SqlError"
import { lockNamespace } from "./owners.js"
import { LIST_LIMIT, RECENT_LIMIT } from "./protocol.js"

/** Counts of one knowledge base's waits ended by one runner (`ended_by`; `null` for its pending waits). */
export interface CountRow {
  readonly kb: string
  readonly ended_by: string | null
  readonly pending: number | string
  readonly completed: number | string
  readonly failed: number | string
  readonly timed_out: number | string
  readonly errored: number | string
  readonly next_deadline: number | string | null
}

export interface PendingRow {
  readonly kb: string
  readonly job_id: string
  readonly deadline_at: number | string
  readonly registered_at: number | string | null
  readonly last_status: string | null
}

export interface EndedRow {
  readonly kb: string
  readonly job_id: string
  readonly side: string
  readonly tag: string | null
  readonly message: string | null
  readonly documents_failed: string | null
  readonly ended_at: number | string | null
  readonly ended_by: string | null
}

export interface RoundRow {
  readonly seq: number | string
  readonly knowledge_base_id: string
  readonly runner: string
  readonly at: number | string
  readonly mode: string
  readonly requests: number
  readonly retries: number
  readonly watched_jobs: number
  readonly ended_waits: number
}

export interface RunnerRow {
  readonly address: string
  readonly healthy: boolean
  readonly age_ms: number | string | null
}

/** A shard lock: the advisory lock's key (`objid`) and its session's application, or a `cluster_locks` row. */
export interface LockRow {
  readonly objid: number | string | null
  readonly shard_id: string | null
  readonly holder: string | null
}

/** What one read returns: the rows as PostgreSQL gives them (`snapshot.ts` makes the page's views of them). */
export interface Rows {
  readonly found: { readonly store: boolean; readonly rounds: boolean; readonly cluster: boolean }
  readonly counts: ReadonlyArray<CountRow>
  readonly pending: ReadonlyArray<PendingRow>
  readonly ended: ReadonlyArray<EndedRow>
  readonly recentEnded: ReadonlyArray<EndedRow>
  readonly rounds: ReadonlyArray<RoundRow>
  readonly runners: ReadonlyArray<RunnerRow>
  readonly locks: ReadonlyArray<LockRow>
}

/** How an outcome's JSON (`{"_tag":"Right","right":job}` or `{"_tag":"Left","left":error}`) is read. */
const endedColumns = (sql: SqlClient.SqlClient) => sql`w.knowledge_base_id AS kb, w.job_id,
  w.outcome->>'_tag' AS side, w.outcome->'left'->>'_tag' AS tag, w.outcome->'left'->>'message' AS message,
  w.outcome->'right'->>'documents_failed' AS documents_failed,
  extract(epoch from w.ended_at) * 1000 AS ended_at, w.ended_by`

/** The store's tables: counts, pending waits and ended ones. */
const readStore = (sql: SqlClient.SqlClient) =>
  Effect.all({
    counts: sql<CountRow>`
      SELECT knowledge_base_id AS kb, ended_by,
        count(*) FILTER (WHERE outcome IS NULL) AS pending,
        count(*) FILTER (WHERE outcome->>'_tag' = 'Right') AS completed,
        count(*) FILTER (WHERE outcome->'left'->>'_tag' = 'IngestionJobFailed') AS failed,
        count(*) FILTER (WHERE outcome->'left'->>'_tag' = 'WaitTimeout') AS timed_out,
        count(*) FILTER (WHERE outcome IS NOT NULL AND outcome->>'_tag' IS DISTINCT FROM 'Right'
          AND coalesce(outcome->'left'->>'_tag', '') NOT IN ('IngestionJobFailed', 'WaitTimeout')) AS errored,
        min(deadline_at) FILTER (WHERE outcome IS NULL) AS next_deadline
      FROM tensoras_waits GROUP BY knowledge_base_id, ended_by`,
    pending: sql<PendingRow>`
      SELECT kb, job_id, deadline_at, registered_at, last_status FROM (
        SELECT w.knowledge_base_id AS kb, w.job_id, w.deadline_at,
          extract(epoch from b.created_at) * 1000 AS registered_at,
          CASE jsonb_typeof(w.last_job->'status') WHEN 'string' THEN w.last_job->>'status'
            ELSE w.last_job->'status'->>'raw' END AS last_status,
          row_number() OVER (PARTITION BY w.knowledge_base_id ORDER BY w.deadline_at, w.job_id) AS n
        FROM tensoras_waits w JOIN tensoras_wait_batches b ON b.batch_id = w.batch_id
        WHERE w.outcome IS NULL
      ) p WHERE n <= ${LIST_LIMIT} ORDER BY kb, n`,
    ended: sql<EndedRow>`
      SELECT * FROM (
        SELECT ${endedColumns(sql)},
          row_number() OVER (PARTITION BY w.knowledge_base_id ORDER BY w.ended_at DESC NULLS LAST, w.job_id) AS n
        FROM tensoras_waits w WHERE w.outcome IS NOT NULL
      ) e WHERE n <= ${LIST_LIMIT} ORDER BY kb, n`,
    recentEnded: sql<EndedRow>`
      SELECT ${endedColumns(sql)} FROM tensoras_waits w WHERE w.outcome IS NOT NULL
      ORDER BY w.ended_at DESC NULLS LAST, w.job_id LIMIT ${RECENT_LIMIT}`
  })

/** The runners, and who holds which shard: its advisory lock's session, or its `cluster_locks` row. */
const readCluster = (sql: SqlClient.SqlClient, leases: boolean) =>
  Effect.all({
    runners: sql<RunnerRow>`
      SELECT address, healthy, extract(epoch from (localtimestamp - last_heartbeat)) * 1000 AS age_ms
      FROM cluster_runners ORDER BY address`,
    locks: sql<LockRow>`
      SELECT l.objid::bigint AS objid, NULL AS shard_id, a.application_name AS holder
      FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2 AND l.classid = ${lockNamespace()}
        AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
      ${
        leases
          ? sql`UNION ALL SELECT NULL, shard_id, address FROM cluster_locks
              WHERE acquired_at > localtimestamp - interval '35 seconds'`
          : sql``
      }`
  })

const EMPTY_STORE = { counts: [], pending: [], ended: [], recentEnded: [] } as const

/** One read, in one read-only transaction. */
export const readRows = (sql: SqlClient.SqlClient): Effect.Effect<Rows, SqlError> =>
  sql.withTransaction(
    Effect.gen(function* () {
      yield* sql`SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY`
      const [present] = yield* sql<{
        readonly store: boolean
        readonly rounds: boolean
        readonly cluster: boolean
        readonly leases: boolean
      }>`SELECT to_regclass('tensoras_waits') IS NOT NULL AND to_regclass('tensoras_wait_batches') IS NOT NULL AS store,
          to_regclass('tensoras_rounds') IS NOT NULL AS rounds,
          to_regclass('cluster_runners') IS NOT NULL AS cluster,
          to_regclass('cluster_locks') IS NOT NULL AS leases`
      const found = {
        store: present?.store === true,
        rounds: present?.rounds === true,
        cluster: present?.cluster === true
      }
      const store = found.store ? yield* readStore(sql) : EMPTY_STORE
      const rounds = found.rounds
        ? yield* sql<RoundRow>`SELECT seq, knowledge_base_id, runner, extract(epoch from at) * 1000 AS at, mode,
            requests, retries, watched_jobs, ended_waits FROM tensoras_rounds ORDER BY at DESC, seq DESC`
        : []
      const cluster = found.cluster
        ? yield* readCluster(sql, present?.leases === true)
        : { runners: [], locks: [] }
      return { found, ...store, rounds, ...cluster }
    })
  )
