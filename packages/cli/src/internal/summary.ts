/** The summary `jobs wait` prints at the end: what failed first, then a count of the rest. */
import type * as IngestionJob from "@tensoras/ingestion/IngestionJob"
import * as Result from "effect/Result"
import { changeLine, documentLine, documentMark, formatDuration } from "./format.js"
import { painter } from "./terminal.js"
import type { JobState, RunState } from "./waitJobs.js"

const ingested = (document: IngestionJob.DocumentDetail) => documentMark(document) === "ok"

/** The job as it ended, when it ended as a job (completed, or failed as a whole). */
export const detailOf = (job: JobState): IngestionJob.IngestionJobDetail | undefined => {
  if (job.result === undefined) return undefined
  if (Result.isSuccess(job.result)) return job.result.success
  return job.result.failure._tag === "IngestionJobFailed" ? job.result.failure.job : undefined
}

/** A job's documents: those not ingested first; the ingested ones listed (verbose) or counted. */
const documentLines = (
  detail: IngestionJob.IngestionJobDetail,
  verbose: boolean,
  indent: string,
  paint: (mark: "ok" | "fail" | "other", text: string) => string
): ReadonlyArray<string> => {
  const problems = detail.document_details.filter((document) => !ingested(document))
  const fine = detail.document_details.filter(ingested)
  const lines = problems.map((document) => `${indent}${documentLine(document, paint)}`)
  if (verbose) return [...lines, ...fine.map((document) => `${indent}${documentLine(document, paint)}`)]
  if (fine.length > 0) {
    const other = problems.length > 0 ? "other " : ""
    lines.push(
      `${indent}${fine.length} ${other}document${fine.length === 1 ? "" : "s"} ingested (--verbose lists them)`
    )
  }
  return lines
}

type Kind = "failed" | "timed out" | "error" | "partial" | "completed"

const kindOf = (job: JobState): Kind => {
  const result = job.result
  if (result === undefined) return "error"
  if (Result.isSuccess(result)) return result.success.partial ? "partial" : "completed"
  return result.failure._tag === "IngestionJobFailed"
    ? "failed"
    : result.failure._tag === "WaitTimeout"
      ? "timed out"
      : "error"
}

const ORDER: ReadonlyArray<Kind> = ["failed", "timed out", "error", "partial", "completed"]

/**
 * The summary after the wait, on stdout: for one job, its documents (failures first) and the
 * outcome; for several, the jobs that did not fully succeed (with their failed documents), then
 * a count of the others, then the tally. `verbose` lists everything.
 */
export const summaryLines = (
  state: RunState,
  verbose: boolean,
  color: boolean,
  now: number
): ReadonlyArray<string> => {
  const paint = painter(color)
  const colorOf = { ok: "green", fail: "red", other: "dim" } as const
  const paintMark = (mark: "ok" | "fail" | "other", text: string) => paint(colorOf[mark], text)
  const elapsed = formatDuration((state.finishedAt ?? now) - state.startedAt)
  const [single] = state.jobs
  if (state.jobs.length === 1 && single !== undefined) {
    const detail = detailOf(single)
    const lines = detail === undefined ? [] : [...documentLines(detail, verbose, "", paintMark)]
    const result = single.result
    if (result !== undefined && Result.isSuccess(result)) {
      const completed = result.success
      lines.push(
        completed.partial
          ? `completed with failures: ${completed.documents_processed} documents ingested, ${completed.documents_failed} failed, ${completed.chunks_created} chunks (${elapsed})`
          : `completed: ${completed.documents_processed} documents ingested, ${completed.chunks_created} chunks (${elapsed})`
      )
    }
    return lines
  }
  const byKind = new Map<Kind, Array<JobState>>(ORDER.map((kind) => [kind, []]))
  for (const job of state.jobs) byKind.get(kindOf(job))?.push(job)
  const label: Record<Kind, string> = {
    failed: paint("red", "[FAILED]"),
    "timed out": paint("yellow", "[TIMED OUT]"),
    error: paint("red", "[ERROR]"),
    partial: paint("yellow", "[PARTIAL]"),
    completed: paint("green", "[OK]")
  }
  const lines: Array<string> = []
  for (const kind of ORDER) {
    const jobs = byKind.get(kind) ?? []
    if (kind === "completed" && !verbose) {
      if (jobs.length > 0) {
        const other = lines.length > 0 ? "other " : ""
        lines.push(
          `${jobs.length} ${other}job${jobs.length === 1 ? "" : "s"} completed (--verbose lists them)`
        )
      }
      continue
    }
    for (const job of jobs) {
      const result = job.result
      const what =
        job.job !== undefined
          ? changeLine(job.job, job.total)
          : `${job.jobId}: ${result !== undefined && Result.isFailure(result) ? result.failure._tag : "no answer"}`
      lines.push(`${label[kind]} ${what}`)
      const detail = detailOf(job)
      if (detail !== undefined && (verbose || kind !== "completed")) {
        const documents = verbose
          ? detail.document_details
          : detail.document_details.filter((d) => documentMark(d) === "fail")
        lines.push(...documents.map((document) => `  ${documentLine(document, paintMark)}`))
      }
    }
  }
  const counts = ORDER.map((kind) => [kind, byKind.get(kind)?.length ?? 0] as const).filter(([, n]) => n > 0)
  const tally = counts
    .map(([kind, n]) => `${n} ${kind === "partial" ? "completed with failures" : kind}`)
    .join(", ")
  lines.push(`${state.jobs.length} jobs: ${tally} (${elapsed})`)
  return lines
}

/** How the command was asked to wait. */
