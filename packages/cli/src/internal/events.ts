/**
 * The NDJSON of `jobs wait --json`: one object per line, each with its `event` and `at` (when it
 * happened: ISO 8601, UTC, milliseconds; `Date.parse` and `jq`'s `sub("\\.\\d+Z$"; "Z") |
 * fromdateiso8601` read it). `changed` per change of a job, `ended` once per job, `interrupted`
 * when a signal stops the wait.
 */
import * as ExitCode from "@tensoras/ingestion/ExitCode"
import * as IngestionJob from "@tensoras/ingestion/IngestionJob"
import * as Wait from "@tensoras/ingestion/Wait"
import type { WaitError } from "@tensoras/ingestion/WaitError"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import type { RunState, Update } from "./waitJobs.js"

const encodeJob = Schema.encodeSync(IngestionJob.IngestionJob)
const encodeDetail = Schema.encodeSync(IngestionJob.IngestionJobDetail)

/** An event's `at`: epoch ms as ISO 8601 in UTC, to the millisecond (`2024-02-28T12:56:30.125Z`). */
export const isoOf = (epochMs: number): string => new Date(epochMs).toISOString()

/** The last job a failed wait saw, when it saw one. */
export const lastJobOf = (error: WaitError): IngestionJob.IngestionJob | undefined => {
  switch (error._tag) {
    case "IngestionJobFailed":
      return error.job
    case "WaitTimeout":
      return error.lastJob ?? undefined
    default:
      return undefined
  }
}

/**
 * The API's code of what ended a wait: the job's own `error.code` for a job that failed (what
 * stderr's `IngestionJobFailed (<code>)` shows), the response's for an API error, the transport's
 * (`ECONNREFUSED`) for `Unreachable`.
 */
export const codeOf = (error: WaitError): string | undefined => {
  if (error._tag === "IngestionJobFailed") return error.job.error?.code ?? undefined
  return "code" in error && typeof error.code === "string" ? error.code : undefined
}

const errorJson = (error: WaitError) => {
  const code = codeOf(error)
  return {
    tag: error._tag,
    message: error.message,
    ...(code === undefined ? {} : { code }),
    ...(error._tag === "WaitTimeout" ? { reason: error.reason } : {}),
    ...(error._tag === "NotFound" ? { missing: error.missing } : {})
  }
}

const resultOf = (error: WaitError) =>
  error._tag === "IngestionJobFailed" ? "failed" : error._tag === "WaitTimeout" ? "timed_out" : "error"

const endedJson = (jobId: string, result: Result.Result<Wait.CompletedJob, WaitError>, at: number) => {
  const head = { event: "ended", at: isoOf(at), job_id: jobId }
  if (Result.isSuccess(result)) {
    const {
      partial,
      failedDocuments: _,
      ...job
    } = result.success as Wait.CompletedJob & { readonly failedDocuments?: unknown }
    return {
      ...head,
      result: "completed",
      partial,
      exit_code: ExitCode.ok,
      job: encodeDetail(job),
      error: null
    }
  }
  const error = result.failure
  const last = lastJobOf(error)
  return {
    ...head,
    result: resultOf(error),
    partial: false,
    exit_code: ExitCode.ofError(error),
    job:
      error._tag === "IngestionJobFailed"
        ? encodeDetail(error.job)
        : last === undefined
          ? null
          : encodeJob(last),
    error: errorJson(error)
  }
}

/**
 * The NDJSON of an update: `{"event":"changed","at":…,"job_id":…,"job":{…}}` each time a job
 * changes (the API's list shape: no `document_details`; `at` when the answer came), and
 * `{"event":"ended","at":…,…}` once per job with its result, exit code, final job (with
 * `document_details` when terminal) and error (`now`: when its wait ended).
 */
export const jsonOf = (update: Update, now: number): string | undefined => {
  if (update._tag === "Exit")
    return JSON.stringify(endedJson(update.jobId, Wait.exitResult(update.exit), now))
  const { event } = update
  if (!Wait.isChange(event) || event.nextPollAt === null) return undefined
  return JSON.stringify({
    event: "changed",
    at: isoOf(event.at),
    job_id: update.jobId,
    job: encodeJob(event.job)
  })
}

/** The jobs whose waits had not ended, in the command line's order. */
export const pendingOf = (state: RunState): ReadonlyArray<string> =>
  state.jobs.flatMap((job) => (job.result === undefined ? [job.jobId] : []))

/**
 * `{"event":"interrupted","at":…,"ended":N,"pending":[…]}`: a signal stopped the wait; `pending`
 * names the jobs that got no `ended` event (they go on in the service).
 */
export const interruptedJson = (state: RunState, now: number): string => {
  const pending = pendingOf(state)
  return JSON.stringify({
    event: "interrupted",
    at: isoOf(now),
    ended: state.jobs.length - pending.length,
    pending
  })
}

/** The one line of text after a signal: how many jobs had not ended, and that they go on. */
export const interruptedNote = (state: RunState): string => {
  const pending = pendingOf(state)
  const [single] = state.jobs
  if (state.jobs.length === 1 && single !== undefined)
    return pending.length === 0
      ? `interrupted: ${single.jobId} had ended`
      : `interrupted: ${single.jobId} had not ended (it goes on in the service; only the wait stopped)`
  return `interrupted: ${pending.length} of ${state.jobs.length} jobs had not ended (they go on in the service; only the wait stopped)`
}

/**
 * A signal while `--all-active` was still listing the jobs: no wait had started, so the event
 * names none (`{"event":"interrupted","at":…,"ended":0,"pending":[]}`), the note says so.
 */
export const interruptedListing = (knowledgeBaseId: string, json: boolean, now: number): string =>
  json
    ? JSON.stringify({ event: "interrupted", at: isoOf(now), ended: 0, pending: [] })
    : `interrupted: while listing the active jobs of ${knowledgeBaseId}; no wait had started`
