import type { SimulatedDocument } from "../SimulatorEngine.js"
import type { WireDocumentDetail, WireErrorObject, WireJob } from "../WireFormat.js"

/**
 * Everything that decides a job's state at any engine time. All times are engine epoch milliseconds.
 *
 * @example
 * const plan: JobPlan = {
 *   id: "job_1", knowledgeBaseId: "kb_1", dataSourceId: "ds_1", createdAt: 0, queuedMs: 1_000,
 *   documents: [], failure: null, statusOverride: null
 * }
 */
export interface JobPlan {
  readonly id: string
  readonly knowledgeBaseId: string
  readonly dataSourceId: string
  readonly createdAt: number
  readonly queuedMs: number
  readonly documents: ReadonlyArray<SimulatedDocument>
  readonly failure: { readonly at: number; readonly error: WireErrorObject } | null
  readonly statusOverride: {
    readonly status: string
    readonly from: number
    readonly until: number | null
  } | null
}

/**
 * The plan's derived instants, computed once per job.
 *
 * @example
 * const done = (timeline: JobTimeline, now: number) => now >= timeline.terminalAt
 */
export interface JobTimeline {
  readonly plan: JobPlan
  /** When processing starts; `null` when the job fails while still queued. */
  readonly startedAt: number | null
  readonly documentEnds: ReadonlyArray<number>
  readonly terminalAt: number
  readonly outcome: "completed" | "failed"
}

/**
 * Derives when the job starts, when each document ends and when (and how) the job ends.
 *
 * @example
 * timelineOf(plan).terminalAt // => plan.createdAt + plan.queuedMs when there are no documents
 */
export const timelineOf = (plan: JobPlan): JobTimeline => {
  const startAt = plan.createdAt + plan.queuedMs
  const documentEnds: Array<number> = []
  let cursor = startAt
  for (const document of plan.documents) {
    cursor += document.durationMs
    documentEnds.push(cursor)
  }
  const processingEnd = cursor
  if (plan.failure === null) {
    return { plan, startedAt: startAt, documentEnds, terminalAt: processingEnd, outcome: "completed" }
  }
  // A failure planned after the last document still happens (e.g. the final index swap fails), right at
  // the end: a plan that asks for a failed job always yields one.
  const failAt = Math.max(plan.createdAt, Math.min(plan.failure.at, processingEnd))
  // Failing at or before the planned start means the job never left the queue (queued → failed).
  return {
    plan,
    startedAt: failAt > startAt ? startAt : null,
    documentEnds,
    terminalAt: failAt,
    outcome: "failed"
  }
}

const seconds = (ms: number): number => Math.floor(ms / 1000)

/**
 * The job as the API reports it at engine time `now` (with `document_details` when asked).
 *
 * @example
 * const listed = jobAt(timeline, clock.now(), false)
 */
/** The status a job shows at `now` (what `jobAt` reports), without building the job: a list filters on it. */
export const statusAt = (timeline: JobTimeline, now: number): string => {
  const override = timeline.plan.statusOverride
  if (override !== null && now >= override.from && (override.until === null || now < override.until)) {
    return override.status
  }
  return now >= timeline.terminalAt
    ? timeline.outcome
    : timeline.startedAt !== null && now >= timeline.startedAt
      ? "processing"
      : "queued"
}

export const jobAt = (timeline: JobTimeline, now: number, withDetails: boolean): WireJob => {
  const { plan } = timeline
  const terminal = now >= timeline.terminalAt
  const started = timeline.startedAt !== null && now >= timeline.startedAt
  // Nothing finishes after the job has ended: a failed job leaves its remaining documents unprocessed.
  const horizon = Math.min(now, timeline.terminalAt)
  let processed = 0
  let failed = 0
  let chunks = 0
  const details: Array<WireDocumentDetail> = []
  plan.documents.forEach((document, index) => {
    const end = timeline.documentEnds[index]!
    const start = end - document.durationMs
    const done = started && end <= horizon
    if (done) {
      chunks += document.chunks
      if (document.reportedStatus === null) {
        if (document.error === null) processed++
        else failed++
      }
    }
    if (!withDetails) return
    const status = done
      ? (document.reportedStatus ?? (document.error === null ? "completed" : "failed"))
      : started && !terminal && start <= now
        ? "processing"
        : "queued"
    details.push({
      document_id: document.id,
      document_name: document.name,
      status,
      chunks_created: done ? document.chunks : 0,
      error: done ? document.error : null
    })
  })
  const status = statusAt(timeline, now)
  const job: WireJob = {
    id: plan.id,
    object: "ingestion_job",
    knowledge_base_id: plan.knowledgeBaseId,
    data_source_id: plan.dataSourceId,
    status,
    documents_processed: processed,
    documents_failed: failed,
    chunks_created: chunks,
    started_at: started && timeline.startedAt !== null ? seconds(timeline.startedAt) : null,
    completed_at: terminal ? seconds(timeline.terminalAt) : null,
    created_at: seconds(plan.createdAt),
    error: terminal && timeline.outcome === "failed" ? (plan.failure?.error ?? null) : null
  }
  return withDetails ? { ...job, document_details: details } : job
}
