/**
 * How often a wait polls: `Schedule`s whose input is the job just seen (an {@link IngestionJob}:
 * status, counters and timestamps, as the list endpoint reports it). The first poll is always
 * immediate; a schedule decides each delay after it. Any `Schedule<unknown, IngestionJob>` works;
 * these are the presets.
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
 * A poll schedule: its input is the job of each poll (status, counters, timestamps; no
 * `document_details`).
 *
 * @category models
 * @since 0.1.0
 */
export type PollSchedule = Schedule.Schedule<unknown, IngestionJob>

/**
 * What {@link progressive} reports after each poll.
 *
 * @category models
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
 * @category predicates
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
 * import { PollSchedule, Wait } from "@tensoras/ingestion"
 *
 * const job = Wait.waitFor("kb_abc123", "job_def456", { schedule: PollSchedule.fixed("5 seconds") })
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const fixed = (interval: Duration.DurationInput = "5 seconds"): Schedule.Schedule<number> =>
  Schedule.spaced(interval)

/**
 * Options of {@link backoff}.
 *
 * @category models
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
 * Blind backoff: starts fast, grows by `factor` whatever the job does, is capped at `max` and
 * stays jittered there, so that many waits started together do not poll in lockstep. Cheap on
 * long jobs, late to notice their end (see {@link defaultSchedule} for a cadence that reads the
 * counters instead).
 *
 * @example
 * ```ts
 * import { PollSchedule, Wait } from "@tensoras/ingestion"
 *
 * const job = Wait.waitFor("kb_abc123", "job_def456", {
 *   schedule: PollSchedule.backoff({ initial: "500 millis", max: "1 minute" })
 * })
 * ```
 * @category constructors
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
 * @category models
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
 * import { PollSchedule, Wait } from "@tensoras/ingestion"
 *
 * const job = Wait.waitFor("kb_abc123", "job_def456", { schedule: PollSchedule.progressive({ max: "1 minute" }) })
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const progressive = (options: ProgressiveOptions = {}): Schedule.Schedule<Progress, IngestionJob> => {
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
 * Options of {@link paced}.
 *
 * @category schedules
 * @since 0.1.0
 */
export interface PacedOptions {
  /** The shortest delay. Default 1 second. */
  readonly min?: Duration.DurationInput
  /** The longest delay while no document is expected to end. Default 6 seconds. */
  readonly max?: Duration.DurationInput
  /** Each delay is drawn from [delay × (1 − jitter), delay]. Default 0: the delays are exact. */
  readonly jitter?: number
}

/**
 * What {@link paced} reports after each poll: why it chose its delay.
 *
 * @category schedules
 * @since 0.1.0
 */
export interface Pace {
  /**
   * `queued`: waiting for processing to start; `starting`: processing, no document done yet;
   * `after-document`: a document just ended, the next cannot end this soon; `expecting`: a
   * document may end any moment, polled at the pace of the documents; `pacing`: documents end
   * faster than polls, so the pace of the job's age.
   */
  readonly phase: "queued" | "starting" | "after-document" | "expecting" | "pacing"
  /** The delay until the next poll, before jitter. */
  readonly delay: Duration.Duration
  /** Time per document so far, once one has ended. */
  readonly perDocument: Duration.Duration | undefined
}

interface PacedState {
  readonly previous: IngestionJob | undefined
  readonly previousAt: number
  /** The last poll that saw the job queued. */
  readonly queuedSeenAt: number
  /** When processing started, as well as `started_at` (whole seconds) and the polls tell. */
  readonly startAt: number | undefined
  /** When the last document ended: half-way between the poll that saw it and the one before. */
  readonly documentEndAt: number | undefined
  readonly documentsDone: number
}

const documentsDone = (job: IngestionJob): number => job.documents_processed + job.documents_failed

/** Bounds of the pace of the job's age: one poll every √(age in seconds) seconds, in [min, max]. */
const agePace = (ageMillis: number, min: number, max: number): number =>
  Math.min(max, Math.max(min, 1000 * Math.sqrt(Math.max(0, ageMillis) / 1000)))

/** The first document ends after this share of the elapsed processing time, at the earliest. */
const STARTING_SHARE = 0.3
/** No document of a job is much faster than this share of the job's time per document. */
const DEAD_ZONE_SHARE = 0.35
/** While a document may end, poll this often, as a share of the time per document. */
const EXPECTING_SHARE = 0.3
/** Polls line up with documents when polling at their pace is at least this share of the age pace. */
const ALIGN_SHARE = 0.5

/**
 * Reads the counters: a job ends when its last document does, so polls go where a document may
 * end. While queued, the delay grows with the wait (half the time queued so far); once
 * processing, with the time since the start until a first document ends. Then the time per
 * document (processing time ÷ documents done) tells the rest: after a document ends, the next
 * cannot end for a while (no poll in that dead zone), then polls come every 0.3 × the time per
 * document, never further apart than the age pace (√age seconds, between `min` and `max`). When
 * documents end faster than that, the counters say nothing useful about the end and the age
 * pace alone sets the cadence. No wait polls more often than every `min`. The total of documents
 * is not known to the API's job, so the end itself cannot be predicted; see docs/waiting.md for
 * how this compares with the API docs' 5-second loop.
 *
 * @example
 * ```ts
 * import { PollSchedule } from "@tensoras/ingestion"
 *
 * const eager = PollSchedule.paced({ min: "500 millis", max: "5 seconds" })
 * ```
 * @category schedules
 * @since 0.1.0
 */
export const paced = (options: PacedOptions = {}): Schedule.Schedule<Pace, IngestionJob> => {
  const min = Duration.toMillis(options.min ?? "1 second")
  const max = Math.max(min, Duration.toMillis(options.max ?? "6 seconds"))
  const initial: PacedState = {
    previous: undefined,
    previousAt: 0,
    queuedSeenAt: Number.NEGATIVE_INFINITY,
    startAt: undefined,
    documentEndAt: undefined,
    documentsDone: 0
  }
  const schedule = Schedule.makeWithState(initial, (now, job: IngestionJob, state: PacedState) => {
    const createdAt = job.created_at * 1000
    const queuedSeenAt = job.status === "queued" ? now : state.queuedSeenAt
    let startAt = state.startAt
    if (startAt === undefined && job.started_at !== null) {
      // `started_at` is whole seconds: the polls around the start narrow it down.
      const low = Math.max(job.started_at * 1000, queuedSeenAt)
      const high = Math.min(job.started_at * 1000 + 999, now)
      startAt = low <= high ? (low + high) / 2 : job.started_at * 1000 + 500
    }
    const done = documentsDone(job)
    const ended = state.previous !== undefined && done > state.documentsDone
    const documentEndAt = ended ? (state.previousAt + now) / 2 : state.documentEndAt
    const pace = agePace(now - Math.min(createdAt, now), min, max)

    let phase: Pace["phase"]
    let delay: number
    let perDocument: number | undefined
    if (startAt === undefined || job.status === "queued") {
      phase = "queued"
      delay = Math.min(pace, Math.max(min, 0.5 * (now - createdAt)))
    } else if (done === 0 || documentEndAt === undefined) {
      phase = "starting"
      delay = Math.min(pace, Math.max(min, STARTING_SHARE * (now - startAt)))
    } else {
      perDocument = Math.max(0, documentEndAt - startAt) / done
      const sinceEnd = now - documentEndAt
      const expecting = Math.min(pace, Math.max(min, EXPECTING_SHARE * perDocument))
      if (EXPECTING_SHARE * perDocument < ALIGN_SHARE * pace) {
        phase = "pacing"
        delay = pace
      } else if (DEAD_ZONE_SHARE * perDocument - sinceEnd > expecting) {
        phase = "after-document"
        delay = DEAD_ZONE_SHARE * perDocument - sinceEnd
      } else {
        phase = "expecting"
        delay = expecting
      }
    }
    const next: PacedState = {
      previous: job,
      previousAt: now,
      queuedSeenAt,
      startAt,
      documentEndAt,
      documentsDone: done
    }
    const output: Pace = {
      phase,
      delay: Duration.millis(delay),
      perDocument: perDocument === undefined ? undefined : Duration.millis(perDocument)
    }
    return Effect.succeed([
      next,
      output,
      ScheduleDecision.continueWith(ScheduleInterval.after(now + delay))
    ] as const)
  })
  return withJitter(schedule, options.jitter ?? 0)
}

/**
 * The schedule of waits unless told otherwise: {@link paced} with its defaults (at least 1 s
 * between polls, lined up with the ends of documents, about every 6 s at most on long jobs).
 *
 * @example
 * ```ts
 * import { PollSchedule, Wait } from "@tensoras/ingestion"
 *
 * const job = Wait.waitFor("kb_abc123", "job_def456", { schedule: PollSchedule.defaultSchedule })
 * ```
 * @category schedules
 * @since 0.1.0
 */
export const defaultSchedule: PollSchedule = paced()
