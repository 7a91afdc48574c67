/**
 * The live view of several jobs, up to thousands: totals first (the jobs by state, the documents
 * ended out of the totals known, the requests sent), then a line per job in the order of what needs
 * attention (failed, timed out, errors, stalled, retrying, then those that move, then those done),
 * as many as the terminal's height allows, the rest counted by state.
 */
import * as IngestionJob from "@tensoras/ingestion/IngestionJob"
import * as Result from "effect/Result"
import { formatDuration, progressOf, secondsUntil } from "./format.js"
import type { Style } from "./terminal.js"
import type { JobState, RunState } from "./waitJobs.js"

type Paint = (style: Style, text: string) => string

/** `before` + a bar of the progress (and its percentage) + `after`, in `width` columns. */
export type WithBar = (
  before: string,
  progress: { readonly done: number; readonly total: number },
  after: string,
  width: number,
  paint: Paint
) => string

/**
 * Where a job is, for the view: how its wait ended, else what the engine last said of it (stalled,
 * retrying), else its status. Each job is in exactly one state, so the counts add up to the jobs.
 */
export const stateOf = (job: JobState): string => {
  const result = job.result
  if (result !== undefined) {
    if (Result.isSuccess(result)) return result.success.partial ? "partial" : "completed"
    const error = result.failure
    return error._tag === "IngestionJobFailed"
      ? "failed"
      : error._tag === "WaitTimeout"
        ? "timed out"
        : "error"
  }
  if (job.job === undefined) return "waiting"
  if (job.stalled) return "stalled"
  if (job.retrying) return "retrying"
  return IngestionJob.statusText(job.job.status)
}

// What needs attention first; a status the API did not document comes with the active ones.
const ATTENTION = [
  "failed",
  "timed out",
  "error",
  "stalled",
  "retrying",
  "processing",
  "queued",
  "waiting",
  "partial",
  "completed"
]
const OTHER_RANK = ATTENTION.indexOf("waiting")

const rankOf = (state: string): number => {
  const rank = ATTENTION.indexOf(state)
  return rank === -1 ? OTHER_RANK : rank
}

const STYLE: Record<string, Style> = {
  failed: "red",
  "timed out": "yellow",
  error: "red",
  stalled: "yellow",
  retrying: "yellow",
  processing: "yellow",
  queued: "cyan",
  waiting: "dim",
  partial: "yellow",
  completed: "green"
}

const styleOf = (state: string): Style => STYLE[state] ?? "cyan"

/** `12 failed, 3 stalled, 540 processing, 148 queued`: the jobs by state, in the order of attention. */
export const countsText = (jobs: ReadonlyArray<JobState>, paint: Paint): string => {
  const counts = new Map<string, number>()
  for (const job of jobs) {
    const state = stateOf(job)
    counts.set(state, (counts.get(state) ?? 0) + 1)
  }
  return [...counts]
    .sort(([a], [b]) => rankOf(a) - rankOf(b))
    .map(([state, n]) => paint(styleOf(state), `${n} ${state}`))
    .join(", ")
}

/** The jobs, what needs attention first; the order of the command line within each state. */
export const byAttention = (jobs: ReadonlyArray<JobState>): ReadonlyArray<JobState> =>
  jobs
    .map((job, index) => ({ job, rank: rankOf(stateOf(job)), index }))
    .sort((a, b) => a.rank - b.rank || a.index - b.index)
    .map(({ job }) => job)

/** What the job's state says beyond its status: `failed (embedding_service_unavailable)`, `timed out`. */
const stateText = (job: JobState, state: string, current: IngestionJob.IngestionJob | undefined) => {
  const status = current === undefined ? undefined : IngestionJob.statusText(current.status)
  const failure = job.result !== undefined && Result.isFailure(job.result) ? job.result.failure : undefined
  switch (state) {
    case "failed": {
      const code = current?.error?.code
      return code ? `failed (${code})` : "failed"
    }
    case "timed out":
      return status === undefined ? "timed out" : `${status} (timed out)`
    case "error": {
      const tag = failure?._tag ?? "error"
      return status === undefined ? tag : `${status} (${tag})`
    }
    case "stalled":
      return `${status}, no progress for a while`
    case "retrying":
      return `${status}, retrying`
    case "partial":
      return "completed with failures"
    default:
      return state
  }
}

/**
 * One job's line. With its total: `job_x ████░░  40% 8/20 processing, 245 chunks, 1 failed`;
 * without: `job_x processing: 8 processed, 245 chunks, 1 failed` (`job_x queued` while nothing moved); a
 * wait that ended otherwise: `job_x failed (embedding_failed): 4/12 documents, 95 chunks`.
 */
export const jobLine = (job: JobState, idWidth: number, width: number, paint: Paint, withBar: WithBar) => {
  const id = paint("bold", job.jobId.padEnd(idWidth))
  const state = stateOf(job)
  const current = job.job
  const label = paint(styleOf(state), stateText(job, state, current))
  if (current === undefined) return `${id} ${label}`
  const failed = current.documents_failed > 0 ? `, ${paint("red", `${current.documents_failed} failed`)}` : ""
  const progress = progressOf(current, job.total)
  // A bar for what moves or completed; a wait that ended otherwise is read for its state.
  if (progress !== undefined && (job.result === undefined || Result.isSuccess(job.result)))
    return withBar(
      `${id} `,
      progress,
      ` ${progress.done}/${progress.total} ${label}, ${current.chunks_created} chunks${failed}`,
      width,
      paint
    )
  const done =
    progress === undefined
      ? `${current.documents_processed} processed`
      : `${progress.done}/${progress.total} documents`
  const moved = current.documents_processed + current.documents_failed + current.chunks_created > 0
  return moved || job.result !== undefined
    ? `${id} ${label}: ${done}, ${current.chunks_created} chunks${failed}`
    : `${id} ${label}`
}

/**
 * `12345 ended, 301 failed`; with every total known, a bar of them all: `██████░░░░  41% 12345/30000
 * ended, 301 failed`; with the totals of some running jobs known (a GET told them), theirs:
 * `… · 90/300 in the 18 jobs of known size`. (A job's total is known once it has ended, or from the
 * first GET of a few jobs: the list endpoint that polls many does not tell it.)
 */
export const documentsLine = (state: RunState, width: number, paint: Paint, withBar: WithBar): string => {
  let ended = 0
  let failed = 0
  let knownJobs = 0
  let knownRunning = 0
  let knownEnded = 0
  let knownTotal = 0
  for (const job of state.jobs) {
    if (job.job === undefined) continue
    failed += job.job.documents_failed
    const progress = progressOf(job.job, job.total)
    if (progress === undefined) {
      ended += job.job.documents_processed + job.job.documents_failed
      continue
    }
    ended += progress.done
    knownJobs += 1
    if (job.result === undefined) knownRunning += 1
    knownEnded += progress.done
    knownTotal += progress.total
  }
  const failures = failed > 0 ? `, ${paint("red", `${failed} failed`)}` : ""
  if (knownJobs === state.jobs.length && knownTotal > 0)
    return withBar(
      "  documents  ",
      { done: knownEnded, total: knownTotal },
      ` ${ended}/${knownTotal} ended${failures}`,
      width,
      paint
    )
  const known =
    knownRunning === 0
      ? ""
      : paint("dim", ` · ${knownEnded}/${knownTotal} in the ${plural(knownJobs, "job")} of known size`)
  return `  documents  ${ended} ended${failures}${known}`
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`

/** `elapsed    4m 05s · 2311 requests, 14 retries · next poll in 2s`. */
export const elapsedLine = (state: RunState, now: number, paint: Paint, withRequests: boolean): string => {
  const finished = state.finishedAt !== undefined
  let nextPoll = Number.POSITIVE_INFINITY
  for (const job of state.jobs)
    if (job.nextPollAt !== null && job.nextPollAt < nextPoll) nextPoll = job.nextPollAt
  const next =
    !finished && state.retry === undefined && Number.isFinite(nextPoll)
      ? paint("dim", ` · next poll in ${secondsUntil(nextPoll, now)}`)
      : ""
  const { sent, retries } = state.requests
  const requests = withRequests
    ? ` · ${plural(sent, "request")}${retries === 0 ? "" : retries === 1 ? ", 1 retry" : `, ${retries} retries`}`
    : ""
  return `  elapsed    ${formatDuration((state.finishedAt ?? now) - state.startedAt)}${requests}${next}`
}

/**
 * The frame of several jobs in `rows` lines at most (`footer`: the lines drawn under it): the totals,
 * then the jobs by attention, those that do not fit counted by state.
 */
export const manyFrame = (
  state: RunState,
  now: number,
  size: { readonly width: number; readonly rows: number; readonly footer: number },
  paint: Paint,
  withBar: WithBar
): ReadonlyArray<string> => {
  const ended = state.jobs.filter((job) => job.result !== undefined).length
  const lines = [
    `${paint("bold", state.knowledgeBaseId)}: ${plural(state.jobs.length, "job")}, ${ended} ended`,
    `  jobs       ${countsText(state.jobs, paint)}`,
    documentsLine(state, size.width, paint, withBar),
    elapsedLine(state, now, paint, true)
  ]
  const room = size.rows - lines.length - size.footer
  const sorted = byAttention(state.jobs)
  const shown = sorted.length <= room ? sorted : sorted.slice(0, Math.max(0, room - 1))
  const idWidth = Math.min(32, Math.max(0, ...shown.map((job) => job.jobId.length)))
  lines.push(...shown.map((job) => jobLine(job, idWidth, size.width, paint, withBar)))
  if (shown.length < sorted.length && room > 0) {
    const hidden = sorted.slice(shown.length)
    lines.push(
      paint("dim", `… ${plural(hidden.length, "more job")}: ${countsText(hidden, (_, text) => text)}`)
    )
  }
  return lines
}
