/**
 * The live view of `jobs wait` and `demo` on a terminal, redrawn in place: for one job, its
 * status, counters, a progress bar when the total is known, the elapsed time and the countdown to
 * the next poll; for several, the totals and a line per job, what needs attention first, as many as
 * the terminal holds (`overview.ts`). The client's retries show under it, with their cause
 * (`ECONNREFUSED 127.0.0.1:9, retry 3 in 2.1 s`). On a narrow terminal the bar gives way before
 * the counts do. However many updates come, it is drawn at most every {@link MIN_REDRAW_MS}.
 */

import * as IngestionError from "@tensoras/ingestion/IngestionError"
import * as IngestionJob from "@tensoras/ingestion/IngestionJob"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Queue from "effect/Queue"
import * as Result from "effect/Result"
import * as Stream from "effect/Stream"
import { progressOf, seconds } from "./format.js"
import { elapsedLine, manyFrame } from "./overview.js"
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

/**
 * The lines of one frame, never more than `rows - 1` (the line under it holds the cursor: a frame
 * that scrolled could not be redrawn in place): the job or the jobs, the elapsed time with the next
 * poll, and a retry in progress.
 */
export const frame = (
  state: RunState,
  now: number,
  options: { readonly color: boolean; readonly columns: number; readonly rows: number }
): ReadonlyArray<string> => {
  const paint = painter(options.color)
  // One column short of the edge: a line that fills it wraps on some terminals.
  const width = Math.max(20, options.columns - 1)
  const rows = Math.max(1, options.rows - 1)
  const finished = state.finishedAt !== undefined
  const retry =
    state.retry !== undefined && !finished
      ? [
          `  ${paint("yellow", IngestionError.summarize(state.retry.error))}, retry ${state.retry.attempt} in ${seconds(
            state.retry.until - now
          )}`
        ]
      : []
  const [single] = state.jobs
  const lines =
    state.jobs.length === 1 && single !== undefined
      ? [...singleFrame(state, single, width, paint), elapsedLine(state, now, paint, false)]
      : [...manyFrame(state, now, { width, rows, footer: retry.length }, paint, withBar)]
  return [...lines, ...retry].slice(0, rows).map((line) => fitToWidth(line, options.columns))
}

/** The least time between two frames: a round of a thousand answers is one redraw, not a thousand. */
export const MIN_REDRAW_MS = 100

/**
 * Runs the updates through the live view, redrawn after updates (at most every
 * {@link MIN_REDRAW_MS}) and twice a second (for the clocks); the stream is expected to apply each
 * update to `state`. The cursor is hidden while drawing and shown again however the wait ends,
 * interruption included.
 */
export const liveView = <A, E, R>(
  state: RunState,
  updates: Stream.Stream<A, E, R>
): Effect.Effect<void, E, R | Terminal> =>
  Effect.scoped(
    Effect.gen(function* () {
      const terminal = yield* Terminal
      let drawn = 0
      // One fiber draws (the rewind counts need one frame at a time): woken by updates, a burst of
      // them one wake-up (a sliding queue of one), or by the half-second tick.
      const draw = Effect.flatMap(Clock.currentTimeMillis, (now) => {
        const lines = frame(state, now, {
          color: terminal.color,
          columns: terminal.columns(),
          rows: terminal.rows()
        })
        const text = `${drawn > 0 ? rewind(drawn) : ""}${lines.join("\n")}\n`
        drawn = lines.length
        return terminal.out(text)
      })
      const wake = yield* Queue.sliding<void>(1)
      yield* Effect.acquireRelease(terminal.out(HIDE_CURSOR), () => terminal.out(SHOW_CURSOR))
      yield* draw
      const drawer = yield* Effect.forkScoped(
        Effect.forever(
          Effect.raceFirst(Queue.take(wake), Effect.sleep("500 millis")).pipe(
            Effect.andThen(draw),
            Effect.andThen(Effect.sleep(Duration.millis(MIN_REDRAW_MS)))
          )
        )
      )
      yield* Stream.runForEach(updates, () => Queue.offer(wake, undefined))
      state.finishedAt ??= yield* Clock.currentTimeMillis
      yield* Fiber.interrupt(drawer)
      yield* draw
    })
  )
