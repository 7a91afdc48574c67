/**
 * The fake world: knowledge bases, their data sources, and the ingestion jobs that adding or syncing a
 * data source creates. A job is planned in full when it is created; what the API reports at any moment is
 * computed from that plan and the engine clock, so every run is reproducible.
 *
 * @module
 */
import { generateDocuments } from "./generateDocuments.js"
import { type JobTimeline, jobAt, type PlannedDocument, timelineOf } from "./internal/jobTimeline.js"
import { createRandom, type Random } from "./internal/random.js"
import type { SimulatorClock } from "./SimulatorClock.js"
import type { WireErrorObject, WireJob, WireJobStatus } from "./WireFormat.js"

/**
 * A document to ingest. Only `name` is required.
 *
 * @example
 * const documents: ReadonlyArray<DocumentSpec> = [
 *   { name: "product-guide.pdf", chunks: 32, durationMs: 2_000 },
 *   { name: "scan.pdf", fail: { message: "The PDF is password-protected", code: "document_encrypted" } }
 * ]
 */
export interface DocumentSpec {
  /** Defaults to the id of the data source's document with the same name, else the next `doc_NNN` of the knowledge base. */
  readonly id?: string
  readonly name: string
  /** Chunks created when processed. Default 10, or 0 for a failing document. */
  readonly chunks?: number
  /** Processing time in engine milliseconds. Default 500. */
  readonly durationMs?: number
  /** Make this document fail: `true`, a message, or (part of) the error object. */
  readonly fail?: boolean | string | Partial<WireErrorObject>
  /**
   * Report this status once the document is processed instead of `completed`/`failed` (e.g. `"skipped"`).
   * Such a document counts neither as processed nor as failed.
   */
  readonly status?: string
}

/**
 * A whole-job failure, timed from the job's creation. Before the planned start of processing it makes the
 * job go straight from `queued` to `failed` (`started_at` stays null); after the last document it happens
 * right when processing ends.
 *
 * @example
 * const failure: JobFailureSpec = { afterMs: 4_000, error: { message: "Embedding service unavailable", code: "embedding_failed" } }
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
 * const paused: ReportedStatusSpec = { status: "paused", fromMs: 2_000, untilMs: 8_000 }
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
 * const options: JobOptions = { jobId: "job_nightly", queuedMs: 2_000, failure: { afterMs: 500 } }
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
 * Options of {@link SimulatorEngine.addDataSource}.
 *
 * @example
 * const options: DataSourceOptions = { id: "ds_wiki", name: "Wiki export", documents: generateDocuments({ count: 12 }) }
 */
export interface DataSourceOptions extends JobOptions {
  readonly id?: string
  readonly name?: string
  /** Default: a generated set of documents (seeded by the engine). */
  readonly documents?: ReadonlyArray<DocumentSpec>
}

/**
 * Options of {@link SimulatorEngine.syncDataSource}.
 *
 * @example
 * const options: SyncOptions = { documents: [{ name: "changelog.md", chunks: 4 }] }
 */
export interface SyncOptions extends JobOptions {
  /** The documents this sync processes. Default: the data source's current documents. */
  readonly documents?: ReadonlyArray<DocumentSpec>
}

/**
 * A document as the engine planned it (ids assigned, defaults applied).
 *
 * @example
 * const doc: SimulatedDocument = {
 *   id: "doc_001", name: "product-guide.pdf", chunks: 32, durationMs: 40_000, error: null, reportedStatus: null
 * }
 */
export type SimulatedDocument = PlannedDocument

/**
 * A data source of a knowledge base.
 *
 * @example
 * const ds: DataSourceInfo = { id: "ds_xyz789", knowledgeBaseId: "kb_abc123", name: "Product docs", documents: [] }
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
 * const waitMs = (job: JobInfo, now: number) => Math.max(0, job.terminalAt - now)
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
 * const query: ListJobsQuery = { limit: 20, status: "failed" }
 */
export interface ListJobsQuery {
  readonly limit: number
  readonly after?: string
  readonly status?: WireJobStatus
}

interface KnowledgeBase {
  readonly id: string
  readonly dataSources: Map<string, DataSourceInfo>
  /** Oldest first by creation time; equal times keep insertion order. */
  readonly jobs: Array<JobTimeline>
  /** Document ids in use, so generated ones never collide with explicit ones. */
  readonly documentIds: Set<string>
  nextDocument: number
}

const DEFAULT_QUEUED_MS = 1_000
const DEFAULT_DOCUMENT_MS = 500
const DEFAULT_CHUNKS = 10

const toError = (
  spec: boolean | string | Partial<WireErrorObject> | undefined,
  fallback: WireErrorObject
): WireErrorObject => {
  if (spec === undefined || spec === true) return fallback
  if (typeof spec === "string") return { ...fallback, message: spec }
  if (spec === false) return fallback
  return {
    message: spec.message ?? fallback.message,
    type: spec.type ?? fallback.type,
    code: spec.code ?? fallback.code
  }
}

const nonNegative = (value: number, what: string): number => {
  if (!Number.isFinite(value) || value < 0)
    throw new RangeError(`${what} must be a finite number >= 0, got ${value}`)
  return value
}

/**
 * The simulated Tensoras world. Runtime-neutral: it only needs a {@link SimulatorClock}.
 *
 * @example
 * const clock = createSimulatorClock({ mode: "manual", epochMs: Date.UTC(2025, 0, 1) })
 * const engine = new SimulatorEngine(clock)
 * const kb = engine.addKnowledgeBase("kb_demo")
 * const { job } = engine.addDataSource(kb, { documents: [{ name: "a.md", chunks: 3 }] })
 * clock.setTime(job.terminalAt)
 * engine.getJob(kb, job.id)?.status // => "completed"
 */
export class SimulatorEngine {
  private readonly knowledgeBases = new Map<string, KnowledgeBase>()
  private readonly usedIds = new Set<string>()
  private random: Random

  constructor(
    readonly clock: SimulatorClock,
    private readonly seed = 1
  ) {
    this.random = createRandom(seed)
  }

  /** Forgets everything and restarts id generation from the seed, so a reloaded scenario is identical. */
  clear(): void {
    this.knowledgeBases.clear()
    this.usedIds.clear()
    this.random = createRandom(this.seed)
  }

  /** Creates an empty knowledge base and returns its id (generated as `kb_…` when omitted). */
  addKnowledgeBase(id?: string): string {
    const kbId = this.claimId(id, "kb_")
    this.knowledgeBases.set(kbId, {
      id: kbId,
      dataSources: new Map(),
      jobs: [],
      documentIds: new Set(),
      nextDocument: 1
    })
    return kbId
  }

  /** Adds a data source; like the real service, that creates an ingestion job for its documents. */
  addDataSource(kbId: string, options: DataSourceOptions = {}): { dataSource: DataSourceInfo; job: JobInfo } {
    const kb = this.knowledgeBase(kbId)
    const id = this.claimId(options.id, "ds_")
    const documents = this.planDocuments(kb, [], options.documents ?? this.defaultDocuments())
    const dataSource: DataSourceInfo = {
      id,
      knowledgeBaseId: kbId,
      name: options.name ?? `Data source ${kb.dataSources.size + 1}`,
      documents
    }
    kb.dataSources.set(id, dataSource)
    return { dataSource, job: this.createJob(kb, dataSource, documents, options) }
  }

  /** Syncs a data source: a new job over its documents (or the `documents` given, which become current). */
  syncDataSource(kbId: string, dataSourceId: string, options: SyncOptions = {}): JobInfo {
    const kb = this.knowledgeBase(kbId)
    const existing = kb.dataSources.get(dataSourceId)
    if (existing === undefined) {
      throw new Error(`Unknown data source '${dataSourceId}' in knowledge base '${kbId}'`)
    }
    let dataSource = existing
    if (options.documents !== undefined) {
      dataSource = { ...existing, documents: this.planDocuments(kb, existing.documents, options.documents) }
      kb.dataSources.set(dataSourceId, dataSource)
    }
    return this.createJob(kb, dataSource, dataSource.documents, options)
  }

  /**
   * Deletes a job, as if the service had purged it: from now on its GET is a 404 `ingestion_job_not_found`
   * and lists leave it out. Returns whether it existed.
   */
  removeJob(kbId: string, jobId: string): boolean {
    const jobs = this.knowledgeBases.get(kbId)?.jobs
    const index = jobs?.findIndex((timeline) => timeline.plan.id === jobId) ?? -1
    if (jobs === undefined || index < 0) return false
    jobs.splice(index, 1)
    return true
  }

  hasKnowledgeBase(kbId: string): boolean {
    return this.knowledgeBases.has(kbId)
  }

  hasJob(kbId: string, jobId: string): boolean {
    return this.timeline(kbId, jobId) !== undefined
  }

  /** Knowledge base ids in creation order. */
  knowledgeBaseIds(): ReadonlyArray<string> {
    return [...this.knowledgeBases.keys()]
  }

  dataSources(kbId: string): ReadonlyArray<DataSourceInfo> {
    return [...this.knowledgeBase(kbId).dataSources.values()]
  }

  /** The plans of a knowledge base's jobs, in list order (oldest first). */
  jobs(kbId: string): ReadonlyArray<JobInfo> {
    return this.knowledgeBase(kbId).jobs.map(infoOf)
  }

  job(kbId: string, jobId: string): JobInfo | undefined {
    const timeline = this.timeline(kbId, jobId)
    return timeline === undefined ? undefined : infoOf(timeline)
  }

  /** The job as the single-job endpoint reports it now (with `document_details`), or undefined. */
  getJob(kbId: string, jobId: string): WireJob | undefined {
    const timeline = this.timeline(kbId, jobId)
    return timeline === undefined ? undefined : jobAt(timeline, this.clock.now(), true)
  }

  /**
   * One page of the list endpoint, oldest job first (creation time, then creation order). The order never
   * changes as jobs progress, so an `after` cursor stays valid. Throws on an unknown knowledge base or cursor:
   * the HTTP layer validates those first.
   */
  listJobs(kbId: string, query: ListJobsQuery): { data: ReadonlyArray<WireJob>; hasMore: boolean } {
    const kb = this.knowledgeBase(kbId)
    let start = 0
    if (query.after !== undefined) {
      const index = kb.jobs.findIndex((timeline) => timeline.plan.id === query.after)
      if (index < 0) throw new Error(`Unknown cursor '${query.after}'`)
      start = index + 1
    }
    const now = this.clock.now()
    const data: Array<WireJob> = []
    for (let index = start; index < kb.jobs.length; index++) {
      const job = jobAt(kb.jobs[index]!, now, false)
      if (query.status !== undefined && job.status !== query.status) continue
      if (data.length === query.limit) return { data, hasMore: true }
      data.push(job)
    }
    return { data, hasMore: false }
  }

  /** Engine time (epoch ms) at which the job turns `completed` or `failed`. */
  jobTerminalAt(kbId: string, jobId: string): number {
    const timeline = this.timeline(kbId, jobId)
    if (timeline === undefined) throw new Error(`Unknown job '${jobId}' in knowledge base '${kbId}'`)
    return timeline.terminalAt
  }

  private knowledgeBase(kbId: string): KnowledgeBase {
    const kb = this.knowledgeBases.get(kbId)
    if (kb === undefined) throw new Error(`Unknown knowledge base '${kbId}'`)
    return kb
  }

  private timeline(kbId: string, jobId: string): JobTimeline | undefined {
    return this.knowledgeBases.get(kbId)?.jobs.find((timeline) => timeline.plan.id === jobId)
  }

  private claimId(id: string | undefined, prefix: string): string {
    if (id !== undefined) {
      if (id.length === 0) throw new Error("Ids must not be empty")
      if (this.usedIds.has(id)) throw new Error(`Id '${id}' is already used in this simulator`)
      this.usedIds.add(id)
      return id
    }
    for (;;) {
      const generated = `${prefix}${this.random.hex(prefix === "job_" ? 12 : 10)}`
      if (!this.usedIds.has(generated)) {
        this.usedIds.add(generated)
        return generated
      }
    }
  }

  private defaultDocuments(): ReadonlyArray<DocumentSpec> {
    const count = this.random.int(8, 16)
    return generateDocuments({ count, failures: this.random.int(0, 1), seed: this.random.int(1, 2 ** 31) })
  }

  private planDocuments(
    kb: KnowledgeBase,
    previous: ReadonlyArray<PlannedDocument>,
    specs: ReadonlyArray<DocumentSpec>
  ): ReadonlyArray<PlannedDocument> {
    const seen = new Set<string>()
    return specs.map((spec) => {
      // A re-synced file keeps its document id, as it would in the real service.
      let id = spec.id ?? previous.find((document) => document.name === spec.name)?.id
      if (id === undefined) {
        do id = `doc_${String(kb.nextDocument++).padStart(3, "0")}`
        while (seen.has(id) || kb.documentIds.has(id))
      }
      if (seen.has(id)) throw new Error(`Duplicate document id '${id}'`)
      seen.add(id)
      kb.documentIds.add(id)
      const error =
        spec.fail === undefined || spec.fail === false
          ? null
          : toError(spec.fail, {
              message: `Document '${spec.name}' could not be processed`,
              type: "ingestion_error",
              code: "document_processing_failed"
            })
      return {
        id,
        name: spec.name,
        chunks: nonNegative(spec.chunks ?? (error === null ? DEFAULT_CHUNKS : 0), "chunks"),
        durationMs: nonNegative(spec.durationMs ?? DEFAULT_DOCUMENT_MS, "durationMs"),
        error,
        reportedStatus: spec.status ?? null
      }
    })
  }

  private createJob(
    kb: KnowledgeBase,
    dataSource: DataSourceInfo,
    documents: ReadonlyArray<PlannedDocument>,
    options: JobOptions
  ): JobInfo {
    const now = this.clock.now()
    const createdAt = options.createdAt ?? now
    if (createdAt > now) {
      throw new RangeError(`A job cannot be created in the future (createdAt ${createdAt} > now ${now})`)
    }
    const failure = options.failure
    const status = options.reportStatus
    const timeline = timelineOf({
      id: this.claimId(options.jobId, "job_"),
      knowledgeBaseId: kb.id,
      dataSourceId: dataSource.id,
      createdAt,
      queuedMs: nonNegative(options.queuedMs ?? DEFAULT_QUEUED_MS, "queuedMs"),
      documents,
      failure:
        failure === undefined
          ? null
          : {
              at: createdAt + nonNegative(failure.afterMs, "failure.afterMs"),
              error: toError(failure.error, {
                message: "Ingestion failed",
                type: "ingestion_error",
                code: "ingestion_failed"
              })
            },
      statusOverride:
        status === undefined
          ? null
          : {
              status: status.status,
              from: createdAt + (status.fromMs ?? 0),
              until: status.untilMs === undefined ? null : createdAt + status.untilMs
            }
    })
    // Keep the list ordered by creation time; a job back-dated by a scenario slots in before newer ones.
    let index = kb.jobs.length
    while (index > 0 && kb.jobs[index - 1]!.plan.createdAt > createdAt) index--
    kb.jobs.splice(index, 0, timeline)
    return infoOf(timeline)
  }
}

const infoOf = (timeline: JobTimeline): JobInfo => ({
  id: timeline.plan.id,
  knowledgeBaseId: timeline.plan.knowledgeBaseId,
  dataSourceId: timeline.plan.dataSourceId,
  createdAt: timeline.plan.createdAt,
  startedAt: timeline.startedAt,
  terminalAt: timeline.terminalAt,
  outcome: timeline.outcome,
  documents: timeline.plan.documents
})
