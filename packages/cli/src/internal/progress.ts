/**
 * The live view of `jobs wait` and `demo` on a terminal, redrawn in place: for one job, its
 * status, counters, a progress bar when the total is known, the elapsed time and the countdown to
 * the next poll; for several, a line per job. The client's retries show under it, with their cause
 * (`ECONNREFUSED 127.0.0.1:9, retry 3 in 2.1 s`). On a narrow
 * terminal the bar gives way before the counts do.
 */

import * as IngestionError from "@tensoras/ingestion/IngestionError"
import * as IngestionJob from "@tensoras/ingestion/IngestionJob"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Result from "effect/Result"
import * as Schedule from "effect/Schedule"
import * as Semaphore from "effect/Semaphore"
import * as Stream from "effect/Stream"
import { formatDuration, progressOf, seconds, secondsUntil } from "./format.js"
import {
  fitToWidth,
  HIDE_CURSOR,
  painter,
  rewind,
  SHOW_CURSOR,
  type Style,
  Terminal,
  visible
} from "./terminal.js"
import type { JobState, RunState } from "./waitJobs.js"

/** The widest bar; it narrows (down to {@link MIN_BAR}, then goes) when the line would not fit. */
export const BAR_WIDTH = 24
const MIN_BAR = 6

const statusStyle = (status: IngestionJob.JobStatus): Style => {
  switch (status) {
    case "completed":
      return "green"
    case "failed":
      return "red"
    case "processing":
      return "yellow"
    default:
      return "cyan"
  }
}

/**
 * `before` + a bar (and its percentage) + `after`, in `width` visible columns: the bar takes what
 * the text leaves, at most {@link BAR_WIDTH}; under {@link MIN_BAR} it is left out, so the counts
 * stay whole.
 */
export const withBar = (
  before: string,
  progress: { readonly done: number; readonly total: number },
  after: string,
  width: number,
  paint: (style: Style, text: string) => string
): string => {
  const percent = `${Math.floor((progress.done / progress.total) * 100)}%`.padStart(4)
  const room = width - visible(before).length - visible(after).length - percent.length - 2
  const barWidth = Math.min(BAR_WIDTH, room)
  if (barWidth < MIN_BAR) return `${before}${after.trimStart()}`
  const filled = Math.round((progress.done / progress.total) * barWidth)
  const bar = [
    filled > 0 ? paint("green", "█".repeat(filled)) : "",
    filled < barWidth ? paint("dim", "░".repeat(barWidth - filled)) : ""
  ].join("")
  return `${before}${bar} ${percent} ${after}`
}

const countersOf = (job: IngestionJob.IngestionJob, paint: (style: Style, text: string) => string) =>
  `${job.documents_processed} processed, ${
    job.documents_failed > 0 ? paint("red", `${job.documents_failed} failed`) : "0 failed"
  }`

const endedText = (job: JobState, paint: (style: Style, text: string) => string): string | undefined => {
  const result = job.result
  if (result === undefined || Result.isSuccess(result)) return undefined
  const error = result.failure
  if (error._tag === "IngestionJobFailed") return undefined
  return paint(
    error._tag === "WaitTimeout" ? "yellow" : "red",
    error._tag === "WaitTimeout" ? "timed out" : error._tag
  )
}

/** The lines of one frame for a single job. */
const singleFrame = (
  state: RunState,
  job: JobState,
  width: number,
  paint: (style: Style, text: string) => string
) => {
  const title = `${paint("bold", job.jobId)} ${paint("dim", `in ${state.knowledgeBaseId}`)}`
  const lines: Array<string> = []
  const current = job.job
  const ended = endedText(job, paint)
  if (current === undefined) {
    lines.push(`${title}: ${ended ?? paint("dim", "waiting for the first response")}`)
    return lines
  }
  const stalled = job.stalled && job.result === undefined ? paint("yellow", " (no progress for a while)") : ""
  lines.push(
    `${title}: ${paint(statusStyle(current.status), IngestionJob.statusText(current.status))}${stalled}${
      ended === undefined ? "" : ` (${ended})`
    }`
  )
  const progress = progressOf(current, job.total)
  const counters = countersOf(current, paint)
  lines.push(
    progress === undefined
      ? `  documents  ${counters}`
      : withBar("  documents  ", progress, ` ${progress.done}/${progress.total}: ${counters}`, width, paint)
  )
  lines.push(`  chunks     ${current.chunks_created}`)
  return lines
}

/** One line of a job among several: `job_x ████░░  40% 8/20 processing, 245 chunks, 1 failed`. */
const jobLine = (
  job: JobState,
  idWidth: number,
  width: number,
  paint: (style: Style, text: string) => string
) => {
  const id = paint("bold", job.jobId.padEnd(idWidth))
  const current = job.job
  const ended = endedText(job, paint)
  if (current === undefined) return `${id} ${ended ?? paint("dim", "waiting")}`
  const failed = current.documents_failed > 0 ? `, ${paint("red", `${current.documents_failed} failed`)}` : ""
  const status = paint(statusStyle(current.status), IngestionJob.statusText(current.status))
  const progress = progressOf(current, job.total)
  const done =
    progress === undefined ? `${current.documents_processed} processed` : `${progress.done}/${progress.total}`
  const after = `${done} ${status}${ended === undefined ? "" : ` (${ended})`}, ${current.chunks_created} chunks${failed}`
  return progress === undefined ? `${id} ${after}` : withBar(`${id} `, progress, ` ${after}`, width, paint)
}

/** The lines of one frame: the jobs, the elapsed time with the next poll, and a retry in progress. */
export const frame = (
  state: RunState,
  now: number,
  options: { readonly color: boolean; readonly columns: number; readonly rows: number }
): ReadonlyArray<string> => {
  const paint = painter(options.color)
  // One column short of the edge: a line that fills it wraps on some terminals.
  const width = Math.max(20, options.columns - 1)
  const lines: Array<string> = []
  const [single] = state.jobs
  if (state.jobs.length === 1 && single !== undefined) {
    lines.push(...singleFrame(state, single, width, paint))
  } else {
    const done = state.jobs.filter((job) => job.result !== undefined).length
    lines.push(`${paint("bold", state.knowledgeBaseId)}: ${state.jobs.length} jobs, ${done} done`)
    // Every line must stay on screen, or the redraw cannot reach it: the rest is counted.
    const room = Math.max(1, options.rows - 4)
    const idWidth = Math.min(32, Math.max(...state.jobs.map((job) => job.jobId.length)))
    const shown = state.jobs.length > room ? state.jobs.slice(0, room - 1) : state.jobs
    lines.push(...shown.map((job) => jobLine(job, idWidth, width, paint)))
    if (shown.length < state.jobs.length) {
      const hidden = state.jobs.slice(shown.length)
      const hiddenDone = hidden.filter((job) => job.result !== undefined).length
      lines.push(paint("dim", `… ${hidden.length} more jobs, ${hiddenDone} of them done`))
    }
  }
  const finished = state.finishedAt !== undefined
  const nextPolls = state.jobs.flatMap((job) => (job.nextPollAt === null ? [] : [job.nextPollAt]))
  const next =
    !finished && state.retry === undefined && nextPolls.length > 0
      ? paint("dim", ` · next poll in ${secondsUntil(Math.min(...nextPolls), now)}`)
      : ""
  lines.push(`  elapsed    ${formatDuration((state.finishedAt ?? now) - state.startedAt)}${next}`)
  if (state.retry !== undefined && !finished) {
    lines.push(
      `  ${paint("yellow", IngestionError.summarize(state.retry.error))}, retry ${state.retry.attempt} in ${seconds(
        state.retry.until - now
      )}`
    )
  }
  return lines.map((line) => fitToWidth(line, options.columns))
}

/**
 * Runs the updates through the live view, redrawn on each update and twice a second (for the
 * clocks); the stream is expected to apply each update to `state`. The cursor is hidden while
 * drawing and shown again however the wait ends, interruption included.
 */
export const liveView = <A, E, R>(
  state: RunState,
  updates: Stream.Stream<A, E, R>
): Effect.Effect<void, E, R | Terminal> =>
  Effect.scoped(
    Effect.gen(function* () {
      const terminal = yield* Terminal
      let drawn = 0
      // The ticker and the updates both draw: one frame at a time, or the rewind counts go wrong.
      const lock = yield* Semaphore.make(1)
      const draw = lock.withPermits(1)(
        Effect.flatMap(Clock.currentTimeMillis, (now) => {
          const lines = frame(state, now, {
            color: terminal.color,
            columns: terminal.columns(),
            rows: terminal.rows()
          })
          const text = `${drawn > 0 ? rewind(drawn) : ""}${lines.join("\n")}\n`
          drawn = lines.length
          return terminal.out(text)
        })
      )
      yield* Effect.acquireRelease(terminal.out(HIDE_CURSOR), () => terminal.out(SHOW_CURSOR))
      yield* draw
      const ticker = yield* Effect.forkScoped(Effect.schedule(draw, Schedule.spaced("500 millis")))
      yield* Stream.runForEach(updates, () => draw)
      state.finishedAt ??= yield* Clock.currentTimeMillis
      yield* Fiber.interrupt(ticker)
      yield* draw
    })
  )
