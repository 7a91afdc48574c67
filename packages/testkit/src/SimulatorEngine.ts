/**
 * The fake world: knowledge bases, their data sources, and the ingestion jobs that adding or syncing a
 * data source creates. A job is planned in full when it is created; what the API reports at any moment is
 * computed from that plan and the engine clock, so every run is reproducible. Runtime-neutral.
 *
 * A scenario's `setup` receives the engine; a running simulator's `control` forwards to it.
 *
 * @since 0.1.0
 */
import type { DocumentSpec } from "./Documents.js"
import { Engine } from "./internal/engine.js"
import type { SimulatorClock } from "./SimulatorClock.js"
import type { WireErrorObject, WireJob, WireJobStatus } from "./WireFormat.js"

/**
 * A whole-job failure, timed from the job's creation. Before the planned start of processing it makes the
 * job go straight from `queued` to `failed` (`started_at` stays null); after the last document it happens
 * right when processing ends.
 *
 * @example
 * ```ts
 * import type { SimulatorEngine } from "@tensoras/ingestion-testkit"
 *
 * const failure: SimulatorEngine.JobFailureSpec = { afterMs: 4_000, error: { message: "Embedding service unavailable", code: "embedding_failed" } }
 * ```
 * @category models
 * @since 0.1.0
 */
export interface JobFailureSpec {
  readonly afterMs: number
  readonly error?: string | Partial<WireErrorObject>
}

/**
 * Makes the job report a status outside the documented four during a window timed from its creation
 * (`untilMs` omitted: forever). The underlying progress continues regardless.
 *
 * @example
 * ```ts
 * import type { SimulatorEngine } from "@tensoras/ingestion-testkit"
 *
 * const paused: SimulatorEngine.ReportedStatusSpec = { status: "paused", fromMs: 2_000, untilMs: 8_000 }
 * ```
 * @category models
 * @since 0.1.0
 */
export interface ReportedStatusSpec {
  readonly status: string
  readonly fromMs?: number
  readonly untilMs?: number
}

/**
 * How the job created by `addDataSource` / `syncDataSource` runs.
 *
 * @example
 * ```ts
 * import type { SimulatorEngine } from "@tensoras/ingestion-testkit"
 *
 * const options: SimulatorEngine.JobOptions = { jobId: "job_nightly", queuedMs: 2_000, failure: { afterMs: 500 } }
 * ```
 * @category models
 * @since 0.1.0
 */
export interface JobOptions {
  readonly jobId?: string
  /** Engine epoch milliseconds; not in the future. Default: now. */
  readonly createdAt?: number
  /** Time spent `queued` before processing starts. Default 1000. */
  readonly queuedMs?: number
  readonly failure?: JobFailureSpec
  readonly reportStatus?: ReportedStatusSpec
}

/**
 * Options of `SimulatorEngine.addDataSource`.
 *
 * @example
 * ```ts
 * import { Documents, type SimulatorEngine } from "@tensoras/ingestion-testkit"
 *
 * const options: SimulatorEngine.DataSourceOptions = { id: "ds_wiki", name: "Wiki export", documents: Documents.generate({ count: 12 }) }
 * ```
 * @category models
 * @since 0.1.0
 */
export interface DataSourceOptions extends JobOptions {
  readonly id?: string
  readonly name?: string
  /** Default: a generated set of documents (seeded by the engine). */
  readonly documents?: ReadonlyArray<DocumentSpec>
}

/**
 * Options of `SimulatorEngine.syncDataSource`.
 *
 * @example
 * ```ts
 * import type { SimulatorEngine } from "@tensoras/ingestion-testkit"
 *
 * const options: SimulatorEngine.SyncOptions = { documents: [{ name: "changelog.md", chunks: 4 }] }
 * ```
 * @category models
 * @since 0.1.0
 */
export interface SyncOptions extends JobOptions {
  /** The documents this sync processes. Default: the data source's current documents. */
  readonly documents?: ReadonlyArray<DocumentSpec>
}

/**
 * A document as the engine planned it (ids assigned, defaults applied): fixed up front, so any moment
 * can be recomputed.
 *
 * @example
 * ```ts
 * import type { SimulatorEngine } from "@tensoras/ingestion-testkit"
 *
 * const doc: SimulatorEngine.SimulatedDocument = {
 *   id: "doc_001", name: "product-guide.pdf", chunks: 32, durationMs: 40_000, error: null, reportedStatus: null
 * }
 * ```
 * @category models
 * @since 0.1.0
 */
export interface SimulatedDocument {
  readonly id: string
  readonly name: string
  readonly chunks: number
  readonly durationMs: number
  /** Set when processing this document fails. */
  readonly error: WireErrorObject | null
  /** Reported instead of `completed`/`failed` once processed; counts as neither. */
  readonly reportedStatus: string | null
}

/**
 * A data source of a knowledge base.
 *
 * @example
 * ```ts
 * import type { SimulatorEngine } from "@tensoras/ingestion-testkit"
 *
 * const ds: SimulatorEngine.DataSourceInfo = { id: "ds_xyz789", knowledgeBaseId: "kb_abc123", name: "Product docs", documents: [] }
 * ```
 * @category models
 * @since 0.1.0
 */
export interface DataSourceInfo {
  readonly id: string
  readonly knowledgeBaseId: string
  readonly name: string
  readonly documents: ReadonlyArray<SimulatedDocument>
}

/**
 * A job's plan, seen from the test: when it was created, when it starts and when it ends (engine epoch ms).
 *
 * @example
 * ```ts
 * import type { SimulatorEngine } from "@tensoras/ingestion-testkit"
 *
 * const waitMs = (job: SimulatorEngine.JobInfo, now: number) => Math.max(0, job.terminalAt - now)
 * ```
 * @category models
 * @since 0.1.0
 */
export interface JobInfo {
  readonly id: string
  readonly knowledgeBaseId: string
  readonly dataSourceId: string
  readonly createdAt: number
  /** `null` when the job fails while queued. */
  readonly startedAt: number | null
  /** When the job becomes `completed` or `failed` on the server. */
  readonly terminalAt: number
  readonly outcome: "completed" | "failed"
  readonly documents: ReadonlyArray<SimulatedDocument>
}

/**
 * A page request, already validated.
 *
 * @example
 * ```ts
 * import type { SimulatorEngine } from "@tensoras/ingestion-testkit"
 *
 * const query: SimulatorEngine.ListJobsQuery = { limit: 20, status: "failed" }
 * ```
 * @category models
 * @since 0.1.0
 */
export interface ListJobsQuery {
  readonly limit: number
  readonly after?: string
  readonly status?: WireJobStatus
}

/**
 * The simulated Tensoras world.
 *
 * @example
 * ```ts
 * import { SimulatorClock, SimulatorEngine } from "@tensoras/ingestion-testkit"
 *
 * const clock = SimulatorClock.make({ mode: "manual", epochMs: Date.UTC(2025, 0, 1) })
 * const engine: SimulatorEngine.SimulatorEngine = SimulatorEngine.make(clock)
 * const kb = engine.addKnowledgeBase("kb_demo")
 * const { job } = engine.addDataSource(kb, { documents: [{ name: "a.md", chunks: 3 }] })
 * clock.setTime(job.terminalAt)
 * engine.getJob(kb, job.id)?.status // "completed"
 * ```
 * @category models
 * @since 0.1.0
 */
export interface SimulatorEngine {
  /** The clock every job state is computed from. */
  readonly clock: SimulatorClock
  /** Forgets everything and restarts id generation from the seed, so a reloaded scenario is identical. */
  clear(): void
  /** Creates an empty knowledge base and returns its id (generated as `kb_…` when omitted). */
  addKnowledgeBase(id?: string): string
  /** Adds a data source; like the real service, that creates an ingestion job for its documents. */
  addDataSource(kbId: string, options?: DataSourceOptions): { dataSource: DataSourceInfo; job: JobInfo }
  /** Syncs a data source: a new job over its documents (or the `documents` given, which become current). */
  syncDataSource(kbId: string, dataSourceId: string, options?: SyncOptions): JobInfo
  /**
   * Deletes a job, as if the service had purged it: from now on its GET is a 404 `ingestion_job_not_found`
   * and lists leave it out. Returns whether it existed.
   */
  removeJob(kbId: string, jobId: string): boolean
  hasKnowledgeBase(kbId: string): boolean
  hasJob(kbId: string, jobId: string): boolean
  /** Knowledge base ids in creation order. */
  knowledgeBaseIds(): ReadonlyArray<string>
  dataSources(kbId: string): ReadonlyArray<DataSourceInfo>
  /** The plans of a knowledge base's jobs, in list order (oldest first). */
  jobs(kbId: string): ReadonlyArray<JobInfo>
  job(kbId: string, jobId: string): JobInfo | undefined
  /** The job as the single-job endpoint reports it now (with `document_details`), or undefined. */
  getJob(kbId: string, jobId: string): WireJob | undefined
  /**
   * One page of the list endpoint, oldest job first (creation time, then creation order). The order never
   * changes as jobs progress, so an `after` cursor stays valid. Throws on an unknown knowledge base or cursor:
   * the HTTP layer validates those first.
   */
  listJobs(kbId: string, query: ListJobsQuery): { data: ReadonlyArray<WireJob>; hasMore: boolean }
  /** Engine time (epoch ms) at which the job turns `completed` or `failed`. */
  jobTerminalAt(kbId: string, jobId: string): number
}

/**
 * Creates an empty world on `clock`. `seed` (default 1) fixes the generated ids and documents, so the
 * same calls give the same world.
 *
 * @example
 * ```ts
 * import { SimulatorClock, SimulatorEngine } from "@tensoras/ingestion-testkit"
 *
 * const engine = SimulatorEngine.make(SimulatorClock.make({ mode: "manual", epochMs: 0 }), 42)
 * engine.addKnowledgeBase() // "kb_…", the same for every run with seed 42
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const make = (clock: SimulatorClock, seed = 1): SimulatorEngine => new Engine(clock, seed)
