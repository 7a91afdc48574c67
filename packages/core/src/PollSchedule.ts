/**
 * How often a wait polls: `Schedule`s whose input is the job just seen (an {@link IngestionJob}:
 * status, counters and timestamps; with how many of its documents have ended when the poll was a
 * GET of the job, see {@link Polled}). The first poll is always immediate; a schedule decides each
 * delay after it. Any `Schedule<unknown, IngestionJob>` works; these are the presets.
 *
 * @since 0.1.0
 */
import type * as Duration from "effect/Duration"
import * as Predicate from "effect/Predicate"
import * as Schedule from "effect/Schedule"
import type { IngestionJob } from "./IngestionJob.js"
import * as internalPaced from "./internal/cadence/paced.js"
import * as internalPresets from "./internal/cadence/presets.js"
import type * as internalPolled from "./internal/polled.js"

/**
 * A poll schedule: its input is the job of each poll (status, counters, timestamps; no
 * `document_details`, but their count when the engine has it: see {@link Polled}).
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
export const fixed = (interval: Duration.Input = "5 seconds"): Schedule.Schedule<number> =>
  // Its step is `Effect.succeed`, a value: the engine reads it at once.
  Schedule.spaced(interval)

/**
 * Options of {@link backoff}.
 *
 * @category models
 * @since 0.1.0
 */
export interface BackoffOptions {
  /** The first delay. Default 1 second. */
  readonly initial?: Duration.Input
  /** Growth of each delay over the previous one. Default 1.5. */
  readonly factor?: number
  /** The longest delay. Default 20 seconds. */
  readonly max?: Duration.Input
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
export const backoff = (options: BackoffOptions = {}): Schedule.Schedule<Duration.Duration> =>
  internalPresets.backoff(options)

/**
 * Options of {@link progressive}.
 *
 * @category models
 * @since 0.1.0
 */
export interface ProgressiveOptions {
  /** The delay while the job is moving. Default 1 second. */
  readonly fast?: Duration.Input
  /** Growth of the delay while nothing moves. Default 2. */
  readonly factor?: number
  /** The longest delay. Default 30 seconds. */
  readonly max?: Duration.Input
  /** Nothing moved for this long: the job is reported stalled. Default 2 minutes. */
  readonly stallAfter?: Duration.Input
  /** Each delay is drawn from [delay × (1 − jitter), delay]. Default 0.2; 0 disables it. */
  readonly jitter?: number
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
export const progressive = (options: ProgressiveOptions = {}): Schedule.Schedule<Progress, IngestionJob> =>
  internalPresets.progressive(options)

/**
 * How many of a job's documents have ended (`ended`: any status but `queued` and `processing`), out
 * of how many (`total`): counted from the single-job endpoint's `document_details`.
 *
 * @category models
 * @since 0.1.0
 */
export interface DocumentCount extends internalPolled.DocumentCount {}

/**
 * What a poll schedule receives: the job of each poll (an `IngestionJob`) and, when that poll was a
 * GET of the job, how many of its documents have ended (`documents`, a {@link DocumentCount}). A
 * sweep of many jobs lists them, and lists carry no `document_details`: their jobs come without it.
 *
 * @category models
 * @since 0.1.0
 */
export type Polled = internalPolled.Polled

/**
 * Options of {@link paced}.
 *
 * @category schedules
 * @since 0.1.0
 */
export interface PacedOptions {
  /** The shortest delay. Default 1 second. */
  readonly min?: Duration.Input
  /** The longest delay while the documents are counted. Default 15 seconds. */
  readonly max?: Duration.Input
  /** The longest delay while they are not (a sweep of many jobs). Default 6 seconds. */
  readonly uncountedMax?: Duration.Input
  /**
   * The latency one request is worth on a job of several documents: the delays balance the two
   * (√(2 × pollCost ÷ the chance per second that the job ends now)). Lower polls more often
   * around the predicted end. Default 800 milliseconds.
   */
  readonly pollCost?: Duration.Input
  /**
   * The same on a job of a single document, whose end nothing announces (no document ends
   * before it): its polls alone find the end, so each is worth more. Default 100 milliseconds.
   */
  readonly singleDocumentPollCost?: Duration.Input
  /**
   * How much the documents of one job differ in processing time: the standard deviation of the
   * logarithm of their durations. Default 0.5 (10 % of the documents take under half the mean,
   * 10 % over 1.7 times it).
   */
  readonly spread?: number
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
   * With the documents counted: `queued`; `starting` (processing, no document ended yet: the pace
   * of the time since the start); `predicting` (documents left: timed by the end their time so far
   * predicts); `finishing` (every document ended, the job not yet).
   * Without (a sweep): `queued`, `starting`; `after-document` (a document just ended, the next cannot
   * end this soon); `expecting` (a document may end any moment, polled at the pace of the
   * documents); `pacing` (documents end faster than polls, so the pace of the job's age).
   */
  readonly phase:
    | "queued"
    | "starting"
    | "predicting"
    | "finishing"
    | "after-document"
    | "expecting"
    | "pacing"
  /** The delay until the next poll, before jitter. */
  readonly delay: Duration.Duration
  /** Time per document so far, once one has ended. */
  readonly perDocument: Duration.Duration | undefined
  /** While `predicting`: when the job is expected to end (epoch ms, the mean of the prediction). */
  readonly expectedEndAt: number | undefined
}

/**
 * Reads the job. With its documents counted (a GET of one job), a job ends when its last document
 * does, and the documents ended so far tell when that is: their time per document, times the
 * documents left, after the end of the latest. The prediction is uncertain by the spread of the
 * documents' durations (`spread`) and by how few have ended; each delay balances the latency
 * against the requests where the job may end now (√(2 × `pollCost` ÷ the chance per second that it
 * does)): sparse while many documents are left (up to `max`), dense around the predicted end, and
 * backing off again if the job runs past it. Until a first document ends, 0.6 × the time since the
 * start (the first document only times the others).
 *
 * A job of a single document announces nothing before its end (no document ends before it): its
 * end is taken as likely in every decade of the time since the start, from a second to an hour,
 * and its delays balance that against `singleDocumentPollCost`, a lower price than `pollCost`
 * since its polls alone find the end: they grow with about the root of the time since the start.
 * While queued, a job is read the same way from its creation, at its documents' price.
 *
 * Without the counts (a sweep of many jobs of one knowledge base lists them: no
 * `document_details`), the counters alone: after a document ends, no poll while the next cannot
 * end; then every 0.3 × the time per document, never further apart than √age seconds (at most
 * `uncountedMax`), which alone sets the pace when documents end faster than polls.
 *
 * No wait polls more often than every `min`. See docs/waiting.md for how this compares with the
 * API docs' 5-second loop.
 *
 * @example
 * ```ts
 * import { PollSchedule } from "@tensoras/ingestion"
 *
 * const eager = PollSchedule.paced({ min: "500 millis", pollCost: "200 millis", singleDocumentPollCost: "25 millis" })
 * ```
 * @category schedules
 * @since 0.1.0
 */
export const paced = (options: PacedOptions = {}): Schedule.Schedule<Pace, Polled> =>
  internalPaced.paced(options)

/**
 * {@link paced} with its defaults (at least 1 s between polls; with the documents counted, dense
 * around the end they predict and at most 15 s apart, a single document polled at about the root of
 * the time since its start; without, lined up with the ends of documents and at most 6 s apart).
 * A wait given no schedule polls by it while the engine's `Cadence` knows too little of the
 * knowledge base (fewer than 8 of its jobs completed), and by the knowledge base's learned cadence
 * after (see `Cadence`).
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
