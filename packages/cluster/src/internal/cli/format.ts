import type { IngestionJobDetail } from "@tensoras/ingestion/IngestionJob"
import type { WaitError } from "@tensoras/ingestion/WaitError"
import * as Result from "effect/Result"

/** What `tensoras-cluster wait` prints for a job (`--json`: exactly this object). */
export interface JobLine {
  readonly job_id: string
  readonly outcome: "completed" | "failed" | "timed_out" | "error"
  readonly _tag?: string
  readonly documents_failed: number | null
  readonly message?: string
}

export const toJobLine = (jobId: string, result: Result.Result<IngestionJobDetail, WaitError>): JobLine => {
  if (Result.isSuccess(result)) {
    return { job_id: jobId, outcome: "completed", documents_failed: result.success.documents_failed }
  }
  const error = result.failure
  switch (error._tag) {
    case "IngestionJobFailed":
      return {
        job_id: jobId,
        outcome: "failed",
        _tag: error._tag,
        documents_failed: error.job.documents_failed,
        message: error.message
      }
    case "WaitTimeout":
      return {
        job_id: jobId,
        outcome: "timed_out",
        _tag: error._tag,
        documents_failed: error.lastJob?.documents_failed ?? null,
        message: error.message
      }
    default:
      return {
        job_id: jobId,
        outcome: "error",
        _tag: error._tag,
        documents_failed: null,
        message: error.message
      }
  }
}

const MARK = { completed: "✔", failed: "✖", timed_out: "⏱", error: "✖" } as const

export const toHuman = (line: JobLine): string => {
  const failed = line.documents_failed === null ? "" : `, ${line.documents_failed} documents failed`
  const detail =
    line.message === undefined ? "" : `: ${line._tag === undefined ? "" : `${line._tag}: `}${line.message}`
  return `${MARK[line.outcome]} ${line.job_id} ${line.outcome.replace("_", " ")}${failed}${detail}`
}
