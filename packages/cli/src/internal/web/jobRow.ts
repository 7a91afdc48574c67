/**
 * A job machine's snapshot as the page's row: its active states, the job's counters, how the wait
 * ended; and an ended job's documents, from the machine's output.
 */
import * as IngestionJob from "@tensoras/ingestion/IngestionJob"
import type * as JobMachine from "@tensoras/ingestion/JobMachine"
import type * as PollSchedule from "@tensoras/ingestion/PollSchedule"
import type { DocumentRow, Documents, Ending, JobRow } from "./protocol.js"

/** The machine's ID: its states' IDs start with it. */
const MACHINE_ID = "ingestionJob"

/** The active leaf states of a snapshot's value (`{ watching: { job: "queued", ... } }`), by ID. */
export const leafStates = (value: unknown, prefix: string = MACHINE_ID): Array<string> => {
  if (typeof value === "string") return [`${prefix}.${value}`]
  if (value === null || typeof value !== "object") return [prefix]
  return Object.entries(value).flatMap(([key, child]) => leafStates(child, `${prefix}.${key}`))
}

const errorText = (error: { readonly message?: string | null; readonly code?: string | null } | null) =>
  error === null
    ? null
    : [error.message, error.code === undefined || error.code === null ? undefined : `(${error.code})`]
        .filter((part) => part !== undefined && part !== null && part !== "")
        .join(" ") || "no reason given"

const isEnded = (document: IngestionJob.DocumentDetail) =>
  document.status !== "queued" && document.status !== "processing"

/** The watcher's state while it waits out a 429. */
export const RATE_LIMITED = `${MACHINE_ID}.watching.watcher.rateLimited`

/** Whether the watcher is retrying a failed request (a 429, or a 5xx or network failure). */
export const isRetrying = (value: unknown): boolean =>
  leafStates(value).some(
    (state) => state === `${MACHINE_ID}.watching.watcher.retrying` || state === RATE_LIMITED
  )

/** How the wait ended, in one line. */
export const endingOf = (output: JobMachine.Output): Ending => {
  switch (output._tag) {
    case "Completed": {
      const { job } = output
      const failed = job.partial ? job.failedDocuments.length : 0
      return {
        tag: "Completed",
        text:
          failed === 0
            ? "completed"
            : `completed, ${failed} of ${job.document_details.length} documents failed`,
        attention: failed > 0
      }
    }
    case "Failed":
      return {
        tag: "Failed",
        text: `failed: ${errorText(output.error) ?? "no reason given"}`,
        attention: true
      }
    case "TimedOut":
      return { tag: "TimedOut", text: `gave up: ${output.message}`, attention: true }
    case "Cancelled":
      return { tag: "Cancelled", text: "cancelled", attention: false }
    case "Errored":
      return { tag: "Errored", text: `${output.error._tag}: ${output.error.message}`, attention: true }
  }
}

/** The ended job of an output, when there is one (with its documents). */
const endedJob = (output: JobMachine.Output | undefined): IngestionJob.IngestionJobDetail | undefined =>
  output?._tag === "Completed" || output?._tag === "Failed" ? output.job : undefined

/** An ended job's documents, for the page's table; `undefined` when the wait ended without the job. */
export const documentsOf = (key: number, output: JobMachine.Output): Documents | undefined => {
  const job = endedJob(output)
  if (job === undefined) return undefined
  const documents: Array<DocumentRow> = job.document_details.map((document) => ({
    id: document.document_id,
    name: document.document_name,
    status: IngestionJob.statusText(document.status),
    chunks: document.chunks_created,
    reason: IngestionJob.isDocumentIngested(document)
      ? null
      : (errorText(document.error) ?? (isEnded(document) ? "no reason given" : null))
  }))
  return { key, jobError: errorText(job.error), documents }
}

/** The row of a job from its machine's snapshot; `endedAt` is when the server saw it end. */
export const rowOf = (
  base: Pick<JobRow, "key" | "knowledgeBaseId" | "jobId">,
  snapshot: JobMachine.Snapshot,
  endedAt: number | null
): JobRow => {
  const { context } = snapshot
  const output = snapshot.status === "done" ? snapshot.output : undefined
  const job: (IngestionJob.IngestionJob & Partial<PollSchedule.Polled>) | null =
    endedJob(output) ?? context.job
  const details = endedJob(output)?.document_details
  const counted = job?.documents
  return {
    ...base,
    states: leafStates(snapshot.value),
    status: job === null ? null : IngestionJob.statusText(job.status),
    processed: job?.documents_processed ?? 0,
    failed: job?.documents_failed ?? 0,
    chunks: job?.chunks_created ?? 0,
    documentsEnded: details !== undefined ? details.filter(isEnded).length : (counted?.ended ?? null),
    documentsTotal: details !== undefined ? details.length : (counted?.total ?? null),
    startedAt: context.startedAt,
    endedAt,
    ending: output === undefined ? null : endingOf(output),
    polls: context.polls,
    retries: context.retries,
    // The context keeps the last error for good: the row shows it while it is being retried.
    lastError:
      output === undefined && context.lastError !== null && isRetrying(snapshot.value)
        ? `${context.lastError._tag}: ${context.lastError.message}`
        : null
  }
}

/** The API docs' loop: a GET every 5 seconds from the start of the wait. */
export const DOCS_LOOP_INTERVAL_MS = 5_000

/**
 * The requests the docs' loop would have sent for one wait up to `now`: a GET at its start and
 * every 5 s after, until the first GET at or after the job's end. The end is the job's own
 * `completed_at` when it falls within the wait (the loop would have seen it then), else when the
 * wait saw it end.
 */
export const docsLoopRequests = (row: JobRow, completedAtMs: number | null, now: number): number => {
  if (row.endedAt === null) return Math.floor(Math.max(0, now - row.startedAt) / DOCS_LOOP_INTERVAL_MS) + 1
  const end =
    completedAtMs !== null && completedAtMs >= row.startedAt && completedAtMs <= row.endedAt
      ? completedAtMs
      : row.endedAt
  return Math.ceil(Math.max(0, end - row.startedAt) / DOCS_LOOP_INTERVAL_MS) + 1
}

/** The job's `completed_at` (epoch ms) in an output, when it ended with one. */
export const completedAtOf = (output: JobMachine.Output | undefined): number | null => {
  const seconds = endedJob(output)?.completed_at
  return seconds === undefined || seconds === null ? null : seconds * 1000
}
