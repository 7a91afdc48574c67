/**
 * How often a wait polls: `Schedule`s whose input is the job just seen. The first poll is always
 * immediate; a schedule decides each delay after it. Any `Schedule<unknown, IngestionJob>`
 * works; these are the presets.
 *
 * @since 0.1.0
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Predicate from "effect/Predicate"
import * as Schedule from "effect/Schedule"
import * as ScheduleDecision from "effect/ScheduleDecision"
import * as ScheduleInterval from "effect/ScheduleInterval"
import { differs, type IngestionJob } from "./IngestionJob.js"

/**
 * A poll schedule: its input is the job of each poll.
 *
 * @since 0.1.0
 */
export type PollSchedule = Schedule.Schedule<unknown, IngestionJob>

/**
 * What {@link progressive} reports after each poll.
 *
 * @since 0.1.0
 */
export interface Progress {
  /** No counter nor the status has moved for `stallAfter`. */
  readonly stalled: boolean
  /** The delay until the next poll, before jitter. */
  readonly delay: Duration.Duration
}

/**
 * Whether a schedule's output says the job is stalled (only {@link progressive} says so).
 *
 * @example
 * ```ts
 * import { PollSchedule } from "@tensoras/ingestion"
 *
 * PollSchedule.isStalled({ stalled: true }) // true
 * PollSchedule.isStalled(3) // false
 * ```
 * @since 0.1.0
 */
export const isStalled = (output: unknown): boolean =>
  Predicate.hasProperty(output, "stalled") && output.stalled === true

const withJitter = <Out, In>(
  schedule: Schedule.Schedule<Out, In>,
  jitter: number
): Schedule.Schedule<Out, In> =>
  jitter > 0 ? Schedule.jitteredWith(schedule, { min: 1 - jitter, max: 1 }) : schedule

/**
 * The API docs' cadence: one poll every `interval` (default 5 seconds) after the previous one.
 *
 * @example
 * ```ts
 * import { Poller, PollSchedule } from "@tensoras/ingestion"
 *
 * const job = Poller.waitFor("kb_abc123", "job_def456", { schedule: PollSchedule.fixed("5 seconds") })
 * ```
 * @since 0.1.0
 */
export const fixed = (interval: Duration.DurationInput = "5 seconds"): Schedule.Schedule<number> =>
  Schedule.spaced(interval)

/**
 * Options of {@link backoff}.
 *
 * @since 0.1.0
 */
export interface BackoffOptions {
  /** The first delay. Default 1 second. */
  readonly initial?: Duration.DurationInput
  /** Growth of each delay over the previous one. Default 1.5. */
  readonly factor?: number
  /** The longest delay. Default 20 seconds. */
  readonly max?: Duration.DurationInput
  /** Each delay is drawn from [delay × (1 − jitter), delay]. Default 0.2; 0 disables it. */
  readonly jitter?: number
}

/**
 * Starts fast, grows by `factor`, is capped at `max` and stays jittered there, so that many
 * waits started together do not poll in lockstep. The default of waits.
 *
 * @example
 * ```ts
 * import { Poller, PollSchedule } from "@tensoras/ingestion"
 *
 * const job = Poller.waitFor("kb_abc123", "job_def456", {
 *   schedule: PollSchedule.backoff({ initial: "500 millis", max: "1 minute" })
 * })
 * ```
 * @since 0.1.0
 */
export const backoff = (options: BackoffOptions = {}): Schedule.Schedule<Duration.Duration> => {
  const max = Duration.decode(options.max ?? "20 seconds")
  const capped = Schedule.exponential(options.initial ?? "1 second", options.factor ?? 1.5).pipe(
    Schedule.modifyDelay((_, delay) => Duration.min(delay, max))
  )
  return withJitter(capped, options.jitter ?? 0.2)
}

/**
 * Options of {@link progressive}.
 *
 * @since 0.1.0
 */
export interface ProgressiveOptions {
  /** The delay while the job is moving. Default 1 second. */
  readonly fast?: Duration.DurationInput
  /** Growth of the delay while nothing moves. Default 2. */
  readonly factor?: number
  /** The longest delay. Default 30 seconds. */
  readonly max?: Duration.DurationInput
  /** Nothing moved for this long: the job is reported stalled. Default 2 minutes. */
  readonly stallAfter?: Duration.DurationInput
  /** Each delay is drawn from [delay × (1 − jitter), delay]. Default 0.2; 0 disables it. */
  readonly jitter?: number
}

interface ProgressState {
  readonly previous: IngestionJob | undefined
  readonly delayMillis: number
  readonly lastChangeAt: number
}

/**
 * Progress-aware: back to the fast cadence whenever the status or a counter moves, backing off
 * while they stall, and reporting `stalled` once nothing has moved for `stallAfter`.
 *
 * @example
 * ```ts
 * import { Poller, PollSchedule } from "@tensoras/ingestion"
 * import * as Stream from "effect/Stream"
 *
 * const stalls = Poller.events("kb_abc123", "job_def456", { schedule: PollSchedule.progressive() }).pipe(
 *   Stream.filter((event) => event._tag === "Polled" && event.stalled)
 * )
 * ```
 * @since 0.1.0
 */
export const progressive = (
  options: ProgressiveOptions = {}
): Schedule.Schedule<Progress, IngestionJob> => {
  const fast = Duration.toMillis(options.fast ?? "1 second")
  const max = Duration.toMillis(options.max ?? "30 seconds")
  const factor = options.factor ?? 2
  const stallAfter = Duration.toMillis(options.stallAfter ?? "2 minutes")
  const initial: ProgressState = { previous: undefined, delayMillis: fast, lastChangeAt: 0 }
  const schedule = Schedule.makeWithState(initial, (now, job: IngestionJob, state: ProgressState) => {
    const moved = differs(state.previous, job)
    const delayMillis = moved ? fast : Math.min(state.delayMillis * factor, max)
    const lastChangeAt = moved ? now : state.lastChangeAt
    const progress: Progress = {
      stalled: now - lastChangeAt >= stallAfter,
      delay: Duration.millis(delayMillis)
    }
    return Effect.succeed([
      { previous: job, delayMillis, lastChangeAt },
      progress,
      ScheduleDecision.continueWith(ScheduleInterval.after(now + delayMillis))
    ] as const)
  })
  return withJitter(schedule, options.jitter ?? 0.2)
}

/**
 * The schedule of waits unless told otherwise: {@link backoff} with its defaults (1 s, × 1.5,
 * capped at 20 s, jittered).
 *
 * @example
 * ```ts
 * import { Poller, PollSchedule } from "@tensoras/ingestion"
 *
 * const job = Poller.waitFor("kb_abc123", "job_def456", { schedule: PollSchedule.defaultSchedule })
 * ```
 * @since 0.1.0
 */
export const defaultSchedule: PollSchedule = backoff()
