/**
 * What the server of `tensoras-cluster ui` sends its page (server-sent events): the one contract of both.
 * Types only, plain JSON: the page imports nothing else from the server, and nothing here runs. No field holds
 * the database URL's password, nor its user: the page names the database by host, port and name.
 */

/** How a wait ended, as `tensoras-cluster wait --json` words it. */
export type Outcome = "completed" | "failed" | "timed_out" | "error"

/** A runner: in `cluster_runners`, holding shards, or both. */
export interface RunnerView {
  /** `host:port`, as the runner names itself (and as `ended by` names it). */
  readonly address: string
  /** Registered in `cluster_runners` (and its health as the cluster last marked it); `null`: not there. */
  readonly healthy: boolean | null
  /** How long ago it last refreshed its registration (every 10 s); `null` when it is not registered. */
  readonly heartbeatAgeMs: number | null
  /** Shards it holds now (of {@link Snapshot.shards}). */
  readonly shards: number
  /** Knowledge bases with waits whose shard it holds. */
  readonly knowledgeBases: number
  /** Waits it ended (recorded their outcome). */
  readonly ended: number
}

/** A wait that has not ended. */
export interface PendingWaitView {
  readonly jobId: string
  readonly registeredAt: number | null
  readonly deadlineAt: number
  /** The job's status as the polls last saw it (on whichever runner); `null`: not seen yet. */
  readonly lastStatus: string | null
}

/** A wait that ended. */
export interface EndedWaitView {
  readonly knowledgeBaseId: string
  readonly jobId: string
  readonly outcome: Outcome
  /** The outcome's tag: `IngestionJobFailed`, `WaitTimeout`, `NotFound`, ...; `Completed` for a completed job. */
  readonly tag: string
  /** The error's message, for an outcome other than completed. */
  readonly message: string | null
  readonly endedAt: number | null
  /** The runner that recorded it (`host:port`); `null` when unknown. */
  readonly endedBy: string | null
}

/** A polling round of a knowledge base, as a runner recorded it (`tensoras_rounds`). */
export interface RoundView {
  readonly seq: number
  readonly knowledgeBaseId: string
  readonly runner: string
  readonly at: number
  readonly mode: "get" | "sweep"
  readonly requests: number
  readonly retries: number
  readonly watchedJobs: number
  /** Waits that ended since the knowledge base's previous round on that runner. */
  readonly endedWaits: number
}

/** One knowledge base with waits. */
export interface KnowledgeBaseView {
  readonly id: string
  /** Its entity's shard. */
  readonly shard: number
  /** The runner that holds that shard (its entity runs there); `null`: no runner holds it now. */
  readonly owner: string | null
  readonly pending: number
  readonly ended: Readonly<Record<Outcome, number>>
  /** Waits ended per runner that recorded them, most first. */
  readonly endedBy: ReadonlyArray<{ readonly runner: string; readonly count: number }>
  readonly nextDeadlineAt: number | null
  /** Its pending waits, the nearest deadline first (at most {@link LIST_LIMIT}). */
  readonly pendingWaits: ReadonlyArray<PendingWaitView>
  /** Its last ended waits, the latest first (at most {@link LIST_LIMIT}). */
  readonly endedWaits: ReadonlyArray<EndedWaitView>
  /** Its recent rounds, the latest first (at most {@link LIST_LIMIT}). */
  readonly rounds: ReadonlyArray<RoundView>
}

/** How many waits and rounds a knowledge base's lists hold. */
export const LIST_LIMIT = 8
/** How many rounds and ended waits the cluster-wide lists hold. */
export const RECENT_LIMIT = 15

/** What one read of PostgreSQL found. */
export interface Snapshot {
  /** When the read started (the server's clock) and how long it took. */
  readonly readAt: number
  readonly readMs: number
  /** What the database holds: the store's tables, its rounds (version 3), the cluster's runner tables. */
  readonly found: { readonly store: boolean; readonly rounds: boolean; readonly cluster: boolean }
  readonly shards: number
  readonly runners: ReadonlyArray<RunnerView>
  readonly knowledgeBases: ReadonlyArray<KnowledgeBaseView>
  /** The cluster's latest rounds, and its latest ended waits, the latest first. */
  readonly rounds: ReadonlyArray<RoundView>
  readonly endedWaits: ReadonlyArray<EndedWaitView>
}

/** The first event of every connection (and reconnection). */
export interface Hello {
  readonly type: "hello"
  /** The server's clock now, so the page counts ages on it. */
  readonly now: number
  /** The database, as `host:port/name` (no user, no password). */
  readonly database: string
  readonly intervalMs: number
  /** The last read; `null` before the first. */
  readonly snapshot: Snapshot | null
  /** Why the last read failed (the password masked), `null` when it did not. */
  readonly error: string | null
}

/** What changed since the last event. Absent fields did not change. */
export interface Update {
  readonly type: "update"
  readonly now: number
  readonly readAt: number
  readonly readMs: number
  readonly error: string | null
  readonly found?: Snapshot["found"]
  readonly runners?: ReadonlyArray<RunnerView>
  /** The knowledge bases that changed or appeared. */
  readonly knowledgeBases?: ReadonlyArray<KnowledgeBaseView>
  /** Those that have no wait any more. */
  readonly removed?: ReadonlyArray<string>
  readonly rounds?: ReadonlyArray<RoundView>
  readonly endedWaits?: ReadonlyArray<EndedWaitView>
}

/** The command is stopping: the page stops reconnecting. */
export interface Bye {
  readonly type: "bye"
}

export type ServerEvent = Hello | Update | Bye
