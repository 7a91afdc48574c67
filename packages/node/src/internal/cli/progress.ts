/**
 * The live view of `jobs wait` and `demo` on a terminal: status, counters, a progress bar when
 * the documents give a total, elapsed time, the countdown to the next poll (from the poller's
 * `nextPollAt`) and the client's retries, redrawn in place.
 */
import type * as IngestionError from "@tensoras/ingestion/IngestionError"
import * as IngestionJob from "@tensoras/ingestion/IngestionJob"
import type * as Poller from "@tensoras/ingestion/Poller"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import { formatDuration, progressOf, retryReason, secondsUntil } from "./format.js"
import { fitToWidth, HIDE_CURSOR, painter, rewind, SHOW_CURSOR, type Style, Terminal } from "./terminal.js"

interface ViewState {
  job: IngestionJob.IngestionJobDetail | undefined
  nextPollAt: number | null
  stalled: boolean
  retry:
    | { readonly error: IngestionError.IngestionError; readonly until: number; readonly attempt: number }
    | undefined
  finishedAt: number | undefined
}

const BAR_WIDTH = 24

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

/** The lines of one frame. */
export const frame = (
  target: { readonly knowledgeBaseId: string; readonly jobId: string },
  state: ViewState,
  startedAt: number,
  now: number,
  color: boolean
): ReadonlyArray<string> => {
  const paint = painter(color)
  const { job } = state
  const title = `${paint("bold", target.jobId)} ${paint("dim", `in ${target.knowledgeBaseId}`)}`
  const lines: Array<string> = []
  if (job === undefined) {
    lines.push(`${title}: ${paint("dim", "waiting for the first response")}`)
  } else {
    const stalled = state.stalled ? paint("yellow", " (no progress for a while)") : ""
    lines.push(`${title}: ${paint(statusStyle(job.status), IngestionJob.statusText(job.status))}${stalled}`)
    const counters = `${job.documents_processed} processed, ${
      job.documents_failed > 0 ? paint("red", `${job.documents_failed} failed`) : "0 failed"
    }`
    const progress = progressOf(job)
    if (progress === undefined) {
      lines.push(`  documents  ${counters}`)
    } else {
      const filled = Math.round((progress.done / progress.total) * BAR_WIDTH)
      const bar = [
        filled > 0 ? paint("green", "█".repeat(filled)) : "",
        filled < BAR_WIDTH ? paint("dim", "░".repeat(BAR_WIDTH - filled)) : ""
      ].join("")
      const percent = `${Math.floor((progress.done / progress.total) * 100)}%`.padStart(4)
      lines.push(`  documents  ${bar} ${percent}  ${progress.done}/${progress.total}: ${counters}`)
    }
    lines.push(`  chunks     ${job.chunks_created}`)
  }
  const elapsed = formatDuration((state.finishedAt ?? now) - startedAt)
  const next =
    state.finishedAt === undefined && state.retry === undefined && state.nextPollAt !== null
      ? paint("dim", ` · next poll in ${secondsUntil(state.nextPollAt, now)}`)
      : ""
  lines.push(`  elapsed    ${elapsed}${next}`)
  if (state.retry !== undefined && state.finishedAt === undefined) {
    lines.push(
      `  ${paint("yellow", retryReason(state.retry.error))}, retrying in ${secondsUntil(state.retry.until, now)} ${paint(
        "dim",
        `(retry ${state.retry.attempt})`
      )}`
    )
  }
  return lines
}

/**
 * Runs the events of a wait through the live view, redrawn on each event and twice a second (for
 * the clocks). Returns the terminal job. The cursor is hidden while drawing and shown again
 * however the wait ends, interruption included.
 */
export const progressView = <E, R>(
  target: { readonly knowledgeBaseId: string; readonly jobId: string },
  events: Stream.Stream<Poller.PollEvent, E, R>
): Effect.Effect<IngestionJob.IngestionJobDetail | undefined, E, R | Terminal> =>
  Effect.scoped(
    Effect.gen(function* () {
      const terminal = yield* Terminal
      const startedAt = yield* Clock.currentTimeMillis
      const state: ViewState = {
        job: undefined,
        nextPollAt: null,
        stalled: false,
        retry: undefined,
        finishedAt: undefined
      }
      let drawn = 0
      // The ticker and the events both draw: one frame at a time, or the rewind counts go wrong.
      const lock = yield* Effect.makeSemaphore(1)
      const draw = lock.withPermits(1)(
        Effect.flatMap(Clock.currentTimeMillis, (now) => {
          const lines = frame(target, state, startedAt, now, terminal.color).map((line) =>
            fitToWidth(line, terminal.columns())
          )
          const text = `${drawn > 0 ? rewind(drawn) : ""}${lines.join("\n")}\n`
          drawn = lines.length
          return terminal.out(text)
        })
      )

      yield* Effect.acquireRelease(terminal.out(HIDE_CURSOR), () => terminal.out(SHOW_CURSOR))
      yield* draw
      yield* Effect.forkScoped(Effect.schedule(draw, Schedule.spaced("500 millis")))
      yield* Stream.runForEach(events, (event) =>
        Effect.suspend(() => {
          if (event._tag === "Polled") {
            state.job = event.job
            state.nextPollAt = event.nextPollAt
            state.stalled = event.stalled
            state.retry = undefined
            if (event.nextPollAt === null) state.finishedAt = event.at
          } else {
            state.retry = { error: event.error, until: event.at + event.delayMs, attempt: event.attempt }
          }
          return draw
        })
      )
      return state.job
    })
  )
