/**
 * The simple cadences: blind backoff, and progress-aware backoff that reports a stall. The default
 * cadence, which reads the job's documents, is `paced.ts`.
 */
import * as Duration from "effect/Duration"
import type * as Schedule from "effect/Schedule"
import { differs, type IngestionJob } from "../../IngestionJob.js"
import type * as PollSchedule from "../../PollSchedule.js"
import { cadence } from "./cadence.js"

/** `Schedule.exponential` (whose output is its delay, uncapped), its delays capped at `max`. */
export const backoff = (options: PollSchedule.BackoffOptions): Schedule.Schedule<Duration.Duration> => {
  const initial = Duration.toMillis(options.initial ?? "1 second")
  const factor = options.factor ?? 1.5
  const max = Duration.toMillis(options.max ?? "20 seconds")
  return cadence(
    0,
    (_now, _: unknown, attempt: number) => {
      const grown = initial * factor ** attempt
      return [attempt + 1, Duration.millis(grown), Math.min(grown, max)] as const
    },
    options.jitter ?? 0.2
  )
}

interface ProgressState {
  readonly previous: IngestionJob | undefined
  readonly delayMillis: number
  readonly lastChangeAt: number
}

/** Back to `fast` whenever the job moves, `factor` times slower (up to `max`) while it does not. */
export const progressive = (
  options: PollSchedule.ProgressiveOptions
): Schedule.Schedule<PollSchedule.Progress, IngestionJob> => {
  const fast = Duration.toMillis(options.fast ?? "1 second")
  const max = Duration.toMillis(options.max ?? "30 seconds")
  const factor = options.factor ?? 2
  const stallAfter = Duration.toMillis(options.stallAfter ?? "2 minutes")
  const initial: ProgressState = { previous: undefined, delayMillis: fast, lastChangeAt: 0 }
  return cadence(
    initial,
    (now, job: IngestionJob, state: ProgressState) => {
      const moved = differs(state.previous, job)
      const delayMillis = moved ? fast : Math.min(state.delayMillis * factor, max)
      const lastChangeAt = moved ? now : state.lastChangeAt
      const progress: PollSchedule.Progress = {
        stalled: now - lastChangeAt >= stallAfter,
        delay: Duration.millis(delayMillis)
      }
      return [{ previous: job, delayMillis, lastChangeAt }, progress, delayMillis] as const
    },
    options.jitter ?? 0.2
  )
}
