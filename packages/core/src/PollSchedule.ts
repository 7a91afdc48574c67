/**
 * How often a wait polls: `Schedule`s whose input is the job just seen (an {@link IngestionJob}:
 * status, counters and timestamps; with how many of its documents have ended when the poll was a
 * GET of the job, see {@link Polled}). The first poll is always immediate; a schedule decides each
 * delay after it. Any `Schedule<unknown, IngestionJob>` works; these are the presets.
 *
 * @since 0.1.0
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Predicate from "effect/Predicate"
import * as Random from "effect/Random"
import * as Schedule from "effect/Schedule"
import { differs, type IngestionJob } from "./IngestionJob.js"

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
 * A schedule whose every step is a plain value: `step` gives the new state, the output and the delay
 * (ms), and the step function returns `Effect.succeed`, an `Exit`, which the wait engine reads at once
 * (a step that is any other Effect costs a run of its own, and a sweep steps thousands of waits).
 * Jittered by `jitter` (each delay drawn from [delay × (1 − jitter), delay]) with the `Random` of the
 * fiber that starts the schedule, read once then.
 */
const cadence = <S, Out, In>(
  initial: S,
  step: (now: number, input: In, state: S) => readonly [S, Out, number],
  jitter: number
): Schedule.Schedule<Out, In> => {
  const start = (random: Random.Random | undefined) => {
    let state = initial
    return (now: number, input: In) => {
      const [next, output, delay] = step(now, input, state)
      state = next
      let millis = delay
      if (random !== undefined) {
        const r = random.nextDoubleUnsafe()
        millis = delay * (1 - jitter) * (1 - r) + delay * r
      }
      return Effect.succeed<[Out, Duration.Duration]>([output, Duration.millis(millis)])
    }
  }
  return Schedule.fromStep(
    jitter > 0 ? Random.Random.useSync((random) => start(random)) : Effect.sync(() => start(undefined))
  )
}

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
export const backoff = (options: BackoffOptions = {}): Schedule.Schedule<Duration.Duration> => {
  const initial = Duration.toMillis(options.initial ?? "1 second")
  const factor = options.factor ?? 1.5
  const max = Duration.toMillis(options.max ?? "20 seconds")
  // `Schedule.exponential` (whose output is its delay, uncapped), its delays capped at `max`.
  return cadence(
    0,
    (_now, _: unknown, attempt: number) => {
      const grown = initial * factor ** attempt
      return [attempt + 1, Duration.millis(grown), Math.min(grown, max)] as const
    },
    options.jitter ?? 0.2
  )
}

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
  return cadence(
    initial,
    (now, job: IngestionJob, state: ProgressState) => {
      const moved = differs(state.previous, job)
      const delayMillis = moved ? fast : Math.min(state.delayMillis * factor, max)
      const lastChangeAt = moved ? now : state.lastChangeAt
      const progress: Progress = {
        stalled: now - lastChangeAt >= stallAfter,
        delay: Duration.millis(delayMillis)
      }
      return [{ previous: job, delayMillis, lastChangeAt }, progress, delayMillis] as const
    },
    options.jitter ?? 0.2
  )
}

/**
 * How many of a job's documents have ended (any status but `queued` and `processing`), out of how
 * many: counted from the single-job endpoint's `document_details`.
 *
 * @category models
 * @since 0.3.0
 */
export interface DocumentCount {
  readonly ended: number
  readonly total: number
}

/**
 * What a poll schedule receives: the job of each poll and, when that poll was a GET of the job,
 * how many of its documents have ended (`documents`). A sweep of many jobs lists them, and lists
 * carry no `document_details`: their jobs come without it.
 *
 * @category models
 * @since 0.3.0
 */
export type Polled = IngestionJob & { readonly documents?: DocumentCount }

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

interface PacedState {
  readonly previous: IngestionJob | undefined
  readonly previousAt: number
  /** The last poll that saw the job queued. */
  readonly queuedSeenAt: number
  /** When processing started, as well as `started_at` (whole seconds) and the polls tell. */
  readonly startAt: number | undefined
  /** When the last document ended: half-way between the poll that saw it and the one before. */
  readonly documentEndAt: number | undefined
  /** The time between those two polls: how uncertain `documentEndAt` is. */
  readonly documentEndWithin: number
  readonly documentsDone: number
}

const documentsDone = (job: IngestionJob): number => job.documents_processed + job.documents_failed

/** Bounds of the pace of the job's age: one poll every √(age in seconds) seconds, in [min, max]. */
const agePace = (ageMillis: number, min: number, max: number): number =>
  Math.min(max, Math.max(min, 1000 * Math.sqrt(Math.max(0, ageMillis) / 1000)))

/** The first document ends after this share of the elapsed processing time, at the earliest. */
const STARTING_SHARE = 0.3
/**
 * With the documents counted and more than one, the first document's end only times the pace: polls
 * this share of the time since the start apart place it well enough.
 */
const COUNTED_STARTING_SHARE = 0.6
/** No document of a job is much faster than this share of the job's time per document. */
const DEAD_ZONE_SHARE = 0.35
/** While a document may end, poll this often, as a share of the time per document. */
const EXPECTING_SHARE = 0.3
/** Polls line up with documents when polling at their pace is at least this share of the age pace. */
const ALIGN_SHARE = 0.5
/**
 * Until a document ends, its duration is anything from a second to an hour, as likely in every
 * decade: the chance that it ends at `t` is then 1 ÷ (t × ln(hour ÷ t)).
 */
const LONGEST_DOCUMENT_MS = 3_600_000

const SQRT_2PI = Math.sqrt(2 * Math.PI)

/**
 * The hazard of the standard normal distribution, φ(z) ÷ (1 − Φ(z)), without cancelling for large z
 * (erfc by the Chebyshev fit of Numerical Recipes, relative error under 1.2e-7).
 */
const normalHazard = (z: number): number => {
  const x = Math.abs(z) / Math.SQRT2
  const t = 1 / (1 + 0.5 * x)
  const exponent =
    -1.26551223 +
    t *
      (1.00002368 +
        t *
          (0.37409196 +
            t *
              (0.09678418 +
                t *
                  (-0.18628806 +
                    t *
                      (0.27886807 +
                        t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))))
  // erfc(x) = t × exp(−x² + exponent); 1 − Φ(z) = erfc(z / √2) ÷ 2 and φ(z) = exp(−x²) ÷ √(2π).
  if (z >= 0) return 2 / (SQRT_2PI * t * Math.exp(exponent))
  return Math.exp(-x * x) / SQRT_2PI / (1 - 0.5 * t * Math.exp(-x * x + exponent))
}

/**
 * The chance per millisecond that the job ends at `elapsed` after the last document ended, given it
 * has not yet: the time left is log-normal, with the mean `mean` and the coefficient of variation
 * `variation`.
 */
const endHazard = (elapsed: number, mean: number, variation: number): number => {
  if (elapsed <= 0) return 0
  const sigma = Math.sqrt(Math.log(1 + variation * variation))
  const mu = Math.log(mean) - (sigma * sigma) / 2
  return normalHazard((Math.log(elapsed) - mu) / sigma) / (elapsed * sigma)
}

/**
 * The delay that balances latency and requests where the job may end at `hazard(t)` per
 * millisecond: the longest delay d, in [min, max], with d ≤ √(2 × pollCost ÷ h) for the highest
 * hazard h until the next poll (found by bisection).
 */
const balancedDelay = (
  now: number,
  hazard: (at: number) => number,
  pollCost: number,
  min: number,
  max: number
): number => {
  const fits = (delay: number) => {
    let highest = 0
    for (let step = 0; step <= 8; step++) highest = Math.max(highest, hazard(now + (delay * step) / 8))
    return delay * delay * highest <= 2 * pollCost
  }
  if (fits(max)) return max
  let low = min
  let high = max
  for (let round = 0; round < 12 && high - low > 50; round++) {
    const middle = (low + high) / 2
    if (fits(middle)) low = middle
    else high = middle
  }
  return low
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
export const paced = (options: PacedOptions = {}): Schedule.Schedule<Pace, Polled> => {
  const min = Duration.toMillis(options.min ?? "1 second")
  const max = Math.max(min, Duration.toMillis(options.max ?? "15 seconds"))
  const uncountedMax = Math.max(min, Duration.toMillis(options.uncountedMax ?? "6 seconds"))
  const pollCost = Duration.toMillis(options.pollCost ?? "800 millis")
  const singleDocumentPollCost = Duration.toMillis(options.singleDocumentPollCost ?? "100 millis")
  const spread = options.spread ?? 0.5
  /** Coefficient of variation of one document's duration. */
  const variation = Math.sqrt(Math.exp(spread * spread) - 1)
  const initial: PacedState = {
    previous: undefined,
    previousAt: 0,
    queuedSeenAt: Number.NEGATIVE_INFINITY,
    startAt: undefined,
    documentEndAt: undefined,
    documentEndWithin: 0,
    documentsDone: 0
  }
  return cadence(
    initial,
    (now, job: Polled, state: PacedState) => {
      const createdAt = job.created_at * 1000
      const queuedSeenAt = job.status === "queued" ? now : state.queuedSeenAt
      let startAt = state.startAt
      if (startAt === undefined && job.started_at !== null) {
        // `started_at` is whole seconds: the polls around the start narrow it down.
        const low = Math.max(job.started_at * 1000, queuedSeenAt)
        const high = Math.min(job.started_at * 1000 + 999, now)
        startAt = low <= high ? (low + high) / 2 : job.started_at * 1000 + 500
      }
      const count = job.documents
      const done = count === undefined ? documentsDone(job) : Math.min(count.ended, count.total)
      const ended = state.previous !== undefined && done > state.documentsDone
      // The documents that ended between the two polls ended about evenly apart: the latest about
      // one share of the time between them (one more share than documents) before this poll.
      const since = Math.max(state.previousAt, startAt ?? Number.NEGATIVE_INFINITY)
      const documentEndWithin = ended
        ? (now - since) / (done - state.documentsDone + 1)
        : state.documentEndWithin
      const documentEndAt = ended
        ? now - documentEndWithin
        : done < state.documentsDone
          ? undefined
          : state.documentEndAt
      const pace = agePace(now - Math.min(createdAt, now), min, uncountedMax)

      let phase: Pace["phase"]
      let delay: number
      let perDocument: number | undefined
      let expectedEndAt: number | undefined
      /** The job's end is as likely in every decade of the time since `from`. */
      const scaleFree = (from: number) => (at: number) => {
        const elapsed = Math.max(min, at - from)
        return 1 / (elapsed * Math.max(1, Math.log(LONGEST_DOCUMENT_MS / elapsed)))
      }
      if (count !== undefined && (startAt === undefined || job.status === "queued")) {
        phase = "queued"
        const price = count.total === 1 ? singleDocumentPollCost : pollCost
        delay = balancedDelay(now, scaleFree(createdAt), price, min, max)
      } else if (startAt === undefined || job.status === "queued") {
        phase = "queued"
        delay = Math.min(pace, Math.max(min, 0.5 * (now - createdAt)))
      } else if (count !== undefined) {
        const left = count.total - done
        if (left <= 0) {
          phase = "finishing"
          delay = Math.min(max, Math.max(min, 0.5 * (now - (documentEndAt ?? startAt))))
        } else if (done === 0 || documentEndAt === undefined) {
          phase = "starting"
          delay =
            count.total === 1
              ? balancedDelay(now, scaleFree(startAt), singleDocumentPollCost, min, max)
              : // The job cannot end with the first document: this only times it, for the pace.
                Math.min(max, Math.max(min, COUNTED_STARTING_SHARE * (now - startAt)))
        } else {
          phase = "predicting"
          perDocument = Math.max(min, documentEndAt - startAt) / done
          const mean = left * perDocument
          // The documents left vary (less, the more they are); the time per document is known from
          // `done` of them; the end of the latest is known to within the polls around it.
          const deviation = Math.sqrt(
            mean * mean * variation * variation * (1 / left + 1 / done) +
              (documentEndWithin * documentEndWithin) / 12
          )
          expectedEndAt = documentEndAt + mean
          delay = balancedDelay(
            now,
            (at) => endHazard(at - documentEndAt, mean, deviation / mean),
            pollCost,
            min,
            max
          )
        }
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
        documentEndWithin,
        documentsDone: done
      }
      const output: Pace = {
        phase,
        delay: Duration.millis(delay),
        perDocument: perDocument === undefined ? undefined : Duration.millis(perDocument),
        expectedEndAt
      }
      return [next, output, delay] as const
    },
    options.jitter ?? 0
  )
}

/**
 * The schedule of waits unless told otherwise: {@link paced} with its defaults (at least 1 s
 * between polls; with the documents counted, dense around the end they predict and at most 15 s
 * apart, a single document polled at about the root of the time since its start; without, lined
 * up with the ends of documents and at most 6 s apart).
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
