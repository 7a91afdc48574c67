/**
 * The connection of `tensoras-cluster ui` to the cluster's PostgreSQL: one session, read-only from its start
 * (`default_transaction_read_only`, sent in the startup packet: every transaction of the session is READ ONLY,
 * and PostgreSQL refuses an INSERT, UPDATE, DELETE, DDL or `nextval` in it), each read bounded in time, and named
 * `tensoras-cluster ui` in `pg_stat_activity`. Nothing here migrates, creates or writes anything.
 *
 * For a guarantee that does not rest on this program, give the page a role of its own that can only read: see
 * docs/cluster.md ("The operators' page").
 */
import * as PgClient from "@effect/sql-pg/PgClient"
import type * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import type * as SqlClient from "effect/sql/SqlClient"
import type { SqlError } from "effect/sql/SqlError"

export const UI_APPLICATION_NAME = "tensoras-cluster ui"

/** A read that takes longer than this is cancelled by PostgreSQL (the next one is tried at its time). */
const STATEMENT_TIMEOUT_MS = 15_000

export const readOnlyLayer = (
  url: Redacted.Redacted<string>
): Layer.Layer<SqlClient.SqlClient | PgClient.PgClient, SqlError> =>
  PgClient.layer({
    url,
    maxConnections: 1,
    applicationName: UI_APPLICATION_NAME,
    startupParameters: {
      default_transaction_read_only: "on",
      statement_timeout: String(STATEMENT_TIMEOUT_MS),
      idle_in_transaction_session_timeout: String(STATEMENT_TIMEOUT_MS)
    },
    connectTimeout: "10 seconds"
  })

/** The database as the page names it: `host:port/name`, without the user and the password. */
export const databaseLabel = (url: Redacted.Redacted<string>): string => {
  try {
    const parsed = new URL(Redacted.value(url))
    return `${parsed.hostname}:${parsed.port === "" ? "5432" : parsed.port}${parsed.pathname === "/" ? "" : parsed.pathname}`
  } catch {
    return "PostgreSQL"
  }
}

/**
 * An error as an operator reads it: the driver's summary and PostgreSQL's own words (`SqlError` keeps them in its
 * reason's cause): `PgConnection: Query failed: cannot execute INSERT in a read-only transaction`.
 */
export const errorText = (error: unknown): string => {
  if (!(error instanceof Error)) return String(error)
  const reason = (error as { readonly reason?: { readonly cause?: unknown } }).reason
  const cause = reason?.cause ?? error.cause
  return cause instanceof Error && cause.message !== "" && cause.message !== error.message
    ? `${error.message}: ${cause.message}`
    : error.message
}
