/**
 * The store's tables in PostgreSQL, and their one migration path: created, or upgraded from an older version,
 * once per database, by the first process that finds them missing or older.
 */
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import type * as SqlClient from "effect/sql/SqlClient"
import type { SqlError } from "effect/sql/SqlError"

// An arbitrary constant: the advisory lock that serialises the tables' migration between processes.
const MIGRATION_LOCK = 7_318_204_551

/**
 * The version of this package's tables. 1: 0.1's tables. 2: what a wait observed (`last_job`, `observed`), the
 * re-drive sweep's bookkeeping (`settled_at`, `swept_at`), the index by job. 3: the runners' recent polling
 * rounds (`tensoras_rounds`, a ring of {@link ROUNDS_KEPT} rows: see `roundLog.ts`). Recorded in `tensoras_schema`.
 */
export const SCHEMA_VERSION = 3

/** The rounds `tensoras_rounds` keeps: its rows are slots of a ring, the oldest round overwritten by the newest. */
export const ROUNDS_KEPT = 1_000

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
      // Version 3: a round is written to slot seq % ROUNDS_KEPT, so the table never holds more than that.
      yield* sql`CREATE SEQUENCE IF NOT EXISTS tensoras_rounds_seq`
      yield* sql`CREATE TABLE IF NOT EXISTS tensoras_rounds (
        slot integer PRIMARY KEY,
        seq bigint NOT NULL,
        knowledge_base_id text NOT NULL,
        runner text NOT NULL,
        at timestamptz NOT NULL,
        mode text NOT NULL,
        requests integer NOT NULL,
        retries integer NOT NULL,
        watched_jobs integer NOT NULL,
        ended_waits integer NOT NULL
      )`
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
