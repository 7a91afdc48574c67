/** What `tensoras-ingest` prints: human lines, the API's JSON and error lines. */
import * as IngestionError from "@tensoras/ingestion/IngestionError"
import * as IngestionJob from "@tensoras/ingestion/IngestionJob"
import type { WaitError } from "@tensoras/ingestion/WaitError"
import * as Schema from "effect/Schema"

const oneLine = (text: string): string => text.replace(/\s*[\r\n]+\s*/g, " ").trim()

/** What the command line said about how a wait may end, for the message when it does. */
export interface WaitLimits {
  /** The `--timeout` text (`30m` by default). */
  readonly timeout: string
  readonly maxPolls: number | undefined
}

/**
 * One line naming the error, the API's code when there is one (or the parameter, the transport
 * reason, the flag that ended a wait), and its message:
 * `error: NotFound (ingestion_job_not_found): Ingestion job 'job_x' not found`.
 */
export const errorLine = (error: IngestionError.IngestionError | WaitError, limits?: WaitLimits): string => {
  const detail = (() => {
    switch (error._tag) {
      case "InvalidInput":
        return error.param
      case "TransportError":
      case "Unreachable":
        return error.code ?? error.reason
      case "ResponseDecodeError":
        return `HTTP ${error.status}`
      case "IngestionJobFailed":
        return error.job.error?.code ?? undefined
      case "WaitTimeout":
        if (limits === undefined) return error.reason
        return error.reason === "schedule" ? `--max-polls ${limits.maxPolls}` : `--timeout ${limits.timeout}`
      default:
        return error.code ?? `HTTP ${error.status}`
    }
  })()
  // The core names its option; here it is a flag.
  const message = oneLine(error.message).replace("allowInsecureHttp: true", "--allow-insecure-http")
  return `error: ${error._tag}${detail === undefined ? "" : ` (${detail})`}: ${message}`
}

const encodeJob = Schema.encodeSync(IngestionJob.IngestionJob)
const encodeDetail = Schema.encodeSync(IngestionJob.IngestionJobDetail)

/** A job of the list endpoint as the API's JSON, on one line. */
export const jobJson = (job: IngestionJob.IngestionJob): string => JSON.stringify(encodeJob(job))

/** A job with its documents as the API's JSON, on one line. */
export const jobDetailJson = (job: IngestionJob.IngestionJobDetail): string =>
  JSON.stringify(encodeDetail(job))

/** As in the API docs: `job_abc123: completed - 15 docs, 482 chunks`, plus failures when there are some. */
export const jobLine = (job: IngestionJob.IngestionJob): string => {
  const failed = job.documents_failed > 0 ? `, ${job.documents_failed} failed` : ""
  const error = job.error === null ? "" : ` - ${oneLine(job.error.message)}`
  return `${job.id}: ${IngestionJob.statusText(job.status)} - ${job.documents_processed} docs, ${job.chunks_created} chunks${failed}${error}`
}

/** What a document came to: ingested, failed, or still in another status. */
export type DocumentMark = "ok" | "fail" | "other"

export const documentMark = (document: IngestionJob.DocumentDetail): DocumentMark =>
  IngestionJob.isDocumentIngested(document)
    ? "ok"
    : document.error !== null || document.status === "failed"
      ? "fail"
      : "other"

/** `[OK] name: N chunks`, `[FAIL] name: message`, or `[QUEUED] name` for a document not done. */
export const documentLine = (
  document: IngestionJob.DocumentDetail,
  paint: (mark: DocumentMark, text: string) => string = (_, text) => text
): string => {
  const mark = documentMark(document)
  switch (mark) {
    case "ok":
      return `${paint(mark, "[OK]")} ${document.document_name}: ${document.chunks_created} chunks`
    case "fail":
      return `${paint(mark, "[FAIL]")} ${document.document_name}: ${oneLine(document.error?.message ?? "failed")}`
    case "other":
      return `${paint(mark, `[${IngestionJob.statusText(document.status).toUpperCase()}]`)} ${document.document_name}`
  }
}

const isoOf = (seconds: number | null): string =>
  seconds === null ? "-" : IngestionJob.toDate(seconds).toISOString().replace(".000Z", "Z")

/** `jobs get`: the job's counters, then one line per document. */
export const jobDetailLines = (job: IngestionJob.IngestionJobDetail): ReadonlyArray<string> => [
  `${job.id} (knowledge base ${job.knowledge_base_id}, data source ${job.data_source_id})`,
  `  status:     ${IngestionJob.statusText(job.status)}`,
  `  documents:  ${job.documents_processed} processed, ${job.documents_failed} failed${
    job.document_details.length > 0 ? `, ${job.document_details.length} in total` : ""
  }`,
  `  chunks:     ${job.chunks_created}`,
  `  created:    ${isoOf(job.created_at)}`,
  `  started:    ${isoOf(job.started_at)}`,
  `  completed:  ${isoOf(job.completed_at)}`,
  ...(job.error === null
    ? []
    : [`  error:      ${oneLine(job.error.message)}${job.error.code ? ` (${job.error.code})` : ""}`]),
  ...job.document_details.map((document) => `  ${documentLine(document)}`)
]

/**
 * How far a job is: done (processed or failed) out of the total, when the total is known (from
 * the job's `document_details`, or a count learnt before).
 */
export const progressOf = (
  job: IngestionJob.IngestionJob,
  knownTotal?: number | undefined
): { readonly done: number; readonly total: number } | undefined => {
  const details = (job as Partial<IngestionJob.IngestionJobDetail>).document_details
  const total = details !== undefined && details.length > 0 ? details.length : knownTotal
  if (total === undefined || total === 0) return undefined
  return { done: Math.min(total, job.documents_processed + job.documents_failed), total }
}

/** `processing - 8 processed, 1 failed, 245 chunks (9/20 documents)`: one plain line per change. */
export const changeLine = (job: IngestionJob.IngestionJob, knownTotal?: number | undefined): string => {
  const progress = progressOf(job, knownTotal)
  return `${job.id}: ${IngestionJob.statusText(job.status)} - ${job.documents_processed} processed, ${
    job.documents_failed
  } failed, ${job.chunks_created} chunks${progress === undefined ? "" : ` (${progress.done}/${progress.total} documents)`}`
}

/** `3.2s`, `12s`, `4m 05s`, `1h 02m`. */
export const formatDuration = (ms: number): string => {
  const seconds = Math.max(0, ms) / 1000
  if (seconds < 10) return `${seconds.toFixed(1)}s`
  const whole = Math.floor(seconds)
  if (whole < 60) return `${whole}s`
  const minutes = Math.floor(whole / 60)
  if (minutes < 60) return `${minutes}m ${String(whole % 60).padStart(2, "0")}s`
  return `${Math.floor(minutes / 60)}h ${String(minutes % 60).padStart(2, "0")}m`
}

/** Seconds left until `at`, rounded up: "next poll in 3s". */
export const secondsUntil = (at: number, now: number): string =>
  `${Math.max(0, Math.ceil((at - now) / 1000))}s`

/** A delay in seconds, one decimal: `2.1 s`. */
export const seconds = (ms: number): string => `${(Math.max(0, ms) / 1000).toFixed(1)} s`

/**
 * A retry with its cause (never the key: only the URL's host): `ECONNREFUSED 127.0.0.1:9, retry 3 in
 * 2.1 s`, `HTTP 429 rate limited, retry 1 in 7.0 s`, `HTTP 503 service_unavailable, retry 2 in 0.5 s`.
 */
export const retryLine = (error: IngestionError.IngestionError, attempt: number, delayMs: number): string =>
  `${IngestionError.summarize(error)}, retry ${attempt} in ${seconds(delayMs)}`
