/**
 * The simulated world's implementation: knowledge bases, data sources and the job timelines that adding
 * or syncing a data source plans.
 */
import type { DocumentSpec } from "../Documents.js"
import type { SimulatorClock } from "../SimulatorClock.js"
import type {
  DataSourceInfo,
  DataSourceOptions,
  JobInfo,
  JobOptions,
  ListJobsQuery,
  SimulatedDocument,
  SimulatorEngine,
  SyncOptions
} from "../SimulatorEngine.js"
import type { WireErrorObject, WireJob } from "../WireFormat.js"
import { generate } from "./documents.js"
import { type JobTimeline, jobAt, statusAt, timelineOf } from "./jobTimeline.js"
import { createRandom, type Random } from "./random.js"

interface KnowledgeBase {
  readonly id: string
  readonly dataSources: Map<string, DataSourceInfo>
  /** Oldest first by creation time; equal times keep insertion order. */
  readonly jobs: Array<JobTimeline>
  /** Each job's index in `jobs`, rebuilt after the list changes: a cursor or a GET is a lookup, not a scan. */
  positions: Map<string, number> | undefined
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

/** The engine behind `SimulatorEngine.make`; its methods are documented on the `SimulatorEngine` interface. */
export class Engine implements SimulatorEngine {
  private readonly knowledgeBases = new Map<string, KnowledgeBase>()
  private readonly usedIds = new Set<string>()
  private random: Random

  constructor(
    readonly clock: SimulatorClock,
    private readonly seed = 1
  ) {
    this.random = createRandom(seed)
  }

  clear(): void {
    this.knowledgeBases.clear()
    this.usedIds.clear()
    this.random = createRandom(this.seed)
  }

  addKnowledgeBase(id?: string): string {
    const kbId = this.claimId(id, "kb_")
    this.knowledgeBases.set(kbId, {
      id: kbId,
      dataSources: new Map(),
      jobs: [],
      positions: undefined,
      documentIds: new Set(),
      nextDocument: 1
    })
    return kbId
  }

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

  removeJob(kbId: string, jobId: string): boolean {
    const kb = this.knowledgeBases.get(kbId)
    const index = kb === undefined ? -1 : positionOf(kb, jobId)
    if (kb === undefined || index < 0) return false
    kb.jobs.splice(index, 1)
    kb.positions = undefined
    return true
  }

  hasKnowledgeBase(kbId: string): boolean {
    return this.knowledgeBases.has(kbId)
  }

  hasJob(kbId: string, jobId: string): boolean {
    return this.timeline(kbId, jobId) !== undefined
  }

  knowledgeBaseIds(): ReadonlyArray<string> {
    return [...this.knowledgeBases.keys()]
  }

  dataSources(kbId: string): ReadonlyArray<DataSourceInfo> {
    return [...this.knowledgeBase(kbId).dataSources.values()]
  }

  jobs(kbId: string): ReadonlyArray<JobInfo> {
    return this.knowledgeBase(kbId).jobs.map(infoOf)
  }

  job(kbId: string, jobId: string): JobInfo | undefined {
    const timeline = this.timeline(kbId, jobId)
    return timeline === undefined ? undefined : infoOf(timeline)
  }

  getJob(kbId: string, jobId: string): WireJob | undefined {
    const timeline = this.timeline(kbId, jobId)
    return timeline === undefined ? undefined : jobAt(timeline, this.clock.now(), true)
  }

  listJobs(kbId: string, query: ListJobsQuery): { data: ReadonlyArray<WireJob>; hasMore: boolean } {
    const kb = this.knowledgeBase(kbId)
    let start = 0
    if (query.after !== undefined) {
      const index = positionOf(kb, query.after)
      if (index < 0) throw new Error(`Unknown cursor '${query.after}'`)
      start = index + 1
    }
    const now = this.clock.now()
    const data: Array<WireJob> = []
    for (let index = start; index < kb.jobs.length; index++) {
      const timeline = kb.jobs[index]!
      if (query.status !== undefined && statusAt(timeline, now) !== query.status) continue
      if (data.length === query.limit) return { data, hasMore: true }
      data.push(jobAt(timeline, now, false))
    }
    return { data, hasMore: false }
  }

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
    const kb = this.knowledgeBases.get(kbId)
    if (kb === undefined) return undefined
    const index = positionOf(kb, jobId)
    return index < 0 ? undefined : kb.jobs[index]
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
    return generate({ count, failures: this.random.int(0, 1), seed: this.random.int(1, 2 ** 31) })
  }

  private planDocuments(
    kb: KnowledgeBase,
    previous: ReadonlyArray<SimulatedDocument>,
    specs: ReadonlyArray<DocumentSpec>
  ): ReadonlyArray<SimulatedDocument> {
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
    documents: ReadonlyArray<SimulatedDocument>,
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
    // Appended (the usual case): one entry more. Slotted in before others: their indexes moved.
    if (index === kb.jobs.length - 1) kb.positions?.set(timeline.plan.id, index)
    else kb.positions = undefined
    return infoOf(timeline)
  }
}

const positionOf = (kb: KnowledgeBase, jobId: string): number => {
  if (kb.positions === undefined)
    kb.positions = new Map(kb.jobs.map((timeline, index) => [timeline.plan.id, index]))
  return kb.positions.get(jobId) ?? -1
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
