/**
 * The default cadence (`PollSchedule.paced`): each poll reads what the job says of its progress
 * into the state of the cadence ({@link read}), then chooses the delay until the next one, with the count of the job's documents
 * when a GET gave it ({@link counted}) or from its counters alone when a sweep listed it
 * ({@link uncounted}). The maths is `hazard.ts`'s; the reasoning, `PollSchedule.paced`'s JSDoc.
 */
import * as Duration from "effect/Duration"
import type * as Schedule from "effect/Schedule"
import type { IngestionJob } from "../../IngestionJob.js"
import type * as PollSchedule from "../../PollSchedule.js"
import type { DocumentCount, Polled } from "../polled.js"
import { cadence } from "./cadence.js"
import { agePace, balancedDelay, endHazard, scaleFree } from "./hazard.js"

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

/** The options in milliseconds, defaults applied. */
export interface Pacing {
  readonly min: number
  readonly max: number
  readonly uncountedMax: number
  readonly pollCost: number
  readonly singleDocumentPollCost: number
  /** Coefficient of variation of one document's duration. */
  readonly variation: number
}

export interface PacedState {
  readonly previous: IngestionJob | undefined
  readonly previousAt: number
  /** The last poll that saw the job queued. */
  readonly queuedSeenAt: number
  /** When processing started, as well as `started_at` (whole seconds) and the polls tell. */
  readonly startAt: number | undefined
  /** How uncertain `startAt` is: the width of the interval it is the middle of. */
  readonly startWithin: number
  /** When the last document ended: half-way between the poll that saw it and the one before. */
  readonly documentEndAt: number | undefined
  /** The time between those two polls: how uncertain `documentEndAt` is. */
  readonly documentEndWithin: number
  readonly documentsDone: number
}

export const INITIAL: PacedState = {
  previous: undefined,
  previousAt: 0,
  queuedSeenAt: Number.NEGATIVE_INFINITY,
  startAt: undefined,
  startWithin: 0,
  documentEndAt: undefined,
  documentEndWithin: 0,
  documentsDone: 0
}

/** The delay chosen, and why. */
export interface Choice {
  readonly phase: PollSchedule.Pace["phase"]
  readonly delay: number
  readonly perDocument?: number
  readonly expectedEndAt?: number
}

const documentsDone = (job: IngestionJob): number => job.documents_processed + job.documents_failed

/** The state after this poll: the job read against the state of the polls before. */
export const read = (now: number, job: Polled, state: PacedState): PacedState => {
  const queuedSeenAt = job.status === "queued" ? now : state.queuedSeenAt
  let startAt = state.startAt
  let startWithin = state.startWithin
  if (startAt === undefined && job.started_at !== null) {
    // `started_at` is whole seconds: the polls around the start narrow it down.
    const low = Math.max(job.started_at * 1000, queuedSeenAt)
    const high = Math.min(job.started_at * 1000 + 999, now)
    startAt = low <= high ? (low + high) / 2 : job.started_at * 1000 + 500
    startWithin = low <= high ? high - low : 1000
  }
  const count = job.documents
  const done = count === undefined ? documentsDone(job) : Math.min(count.ended, count.total)
  const ended = state.previous !== undefined && done > state.documentsDone
  // The documents that ended between the two polls ended about evenly apart: the latest about
  // one share of the time between them (one more share than documents) before this poll.
  const since = Math.max(state.previousAt, startAt ?? Number.NEGATIVE_INFINITY)
  const documentEndWithin = ended ? (now - since) / (done - state.documentsDone + 1) : state.documentEndWithin
  const documentEndAt = ended
    ? now - documentEndWithin
    : done < state.documentsDone
      ? undefined
      : state.documentEndAt
  return {
    previous: job,
    previousAt: now,
    queuedSeenAt,
    startAt,
    startWithin,
    documentEndAt,
    documentEndWithin,
    documentsDone: done
  }
}

/** With the documents counted (a GET of the job): timed by the end they predict. */
export const counted = (
  now: number,
  job: Polled,
  state: PacedState,
  count: DocumentCount,
  pacing: Pacing
): Choice => {
  const { startAt, documentsDone: done, documentEndAt, documentEndWithin } = state
  const { min, max, pollCost, singleDocumentPollCost } = pacing
  // Not started yet, as far as the polls tell.
  if (startAt === undefined || job.status === "queued") {
    const price = count.total === 1 ? singleDocumentPollCost : pollCost
    return {
      phase: "queued",
      delay: balancedDelay(now, scaleFree(job.created_at * 1000, min), price, min, max)
    }
  }
  const left = count.total - done
  if (left <= 0) {
    return {
      phase: "finishing",
      delay: Math.min(max, Math.max(min, 0.5 * (now - (documentEndAt ?? startAt))))
    }
  }
  if (done === 0 || documentEndAt === undefined) {
    const delay =
      count.total === 1
        ? balancedDelay(now, scaleFree(startAt, min), singleDocumentPollCost, min, max)
        : // The job cannot end with the first document: this only times it, for the pace.
          Math.min(max, Math.max(min, COUNTED_STARTING_SHARE * (now - startAt)))
    return { phase: "starting", delay }
  }
  const perDocument = Math.max(min, documentEndAt - startAt) / done
  const mean = left * perDocument
  // The documents left vary (less, the more they are); the time per document is known from
  // `done` of them; the end of the latest is known to within the polls around it.
  const deviation = Math.sqrt(
    mean * mean * pacing.variation * pacing.variation * (1 / left + 1 / done) +
      (documentEndWithin * documentEndWithin) / 12
  )
  const delay = balancedDelay(
    now,
    (at) => endHazard(at - documentEndAt, mean, deviation / mean),
    pollCost,
    min,
    max
  )
  return { phase: "predicting", delay, perDocument, expectedEndAt: documentEndAt + mean }
}

/** Without the count (a sweep lists the jobs): the counters alone, lined up with the ends of documents. */
export const uncounted = (now: number, job: Polled, state: PacedState, pacing: Pacing): Choice => {
  const { startAt, documentsDone: done, documentEndAt } = state
  const { min } = pacing
  const createdAt = job.created_at * 1000
  const pace = agePace(now - Math.min(createdAt, now), min, pacing.uncountedMax)
  // Not started yet, as far as the polls tell.
  if (startAt === undefined || job.status === "queued") {
    return { phase: "queued", delay: Math.min(pace, Math.max(min, 0.5 * (now - createdAt))) }
  }
  if (done === 0 || documentEndAt === undefined) {
    return { phase: "starting", delay: Math.min(pace, Math.max(min, STARTING_SHARE * (now - startAt))) }
  }
  const perDocument = Math.max(0, documentEndAt - startAt) / done
  const sinceEnd = now - documentEndAt
  const expecting = Math.min(pace, Math.max(min, EXPECTING_SHARE * perDocument))
  if (EXPECTING_SHARE * perDocument < ALIGN_SHARE * pace) return { phase: "pacing", delay: pace, perDocument }
  if (DEAD_ZONE_SHARE * perDocument - sinceEnd > expecting) {
    return { phase: "after-document", delay: DEAD_ZONE_SHARE * perDocument - sinceEnd, perDocument }
  }
  return { phase: "expecting", delay: expecting, perDocument }
}

/** What the schedule reports of a choice. */
export const paceOf = (choice: Choice): PollSchedule.Pace => ({
  phase: choice.phase,
  delay: Duration.millis(choice.delay),
  perDocument: choice.perDocument === undefined ? undefined : Duration.millis(choice.perDocument),
  expectedEndAt: choice.expectedEndAt
})

/** One poll: the job read, the delay chosen, the state for the next one. */
const step =
  (pacing: Pacing) =>
  (now: number, job: Polled, state: PacedState): readonly [PacedState, PollSchedule.Pace, number] => {
    const next = read(now, job, state)
    const count = job.documents
    const choice =
      count === undefined ? uncounted(now, job, next, pacing) : counted(now, job, next, count, pacing)
    return [next, paceOf(choice), choice.delay] as const
  }

/** The options in milliseconds, defaults applied. */
export const pacingOf = (options: PollSchedule.PacedOptions): Pacing => {
  const min = Duration.toMillis(options.min ?? "1 second")
  const spread = options.spread ?? 0.5
  return {
    min,
    max: Math.max(min, Duration.toMillis(options.max ?? "15 seconds")),
    uncountedMax: Math.max(min, Duration.toMillis(options.uncountedMax ?? "6 seconds")),
    pollCost: Duration.toMillis(options.pollCost ?? "800 millis"),
    singleDocumentPollCost: Duration.toMillis(options.singleDocumentPollCost ?? "100 millis"),
    variation: Math.sqrt(Math.exp(spread * spread) - 1)
  }
}

/** See `PollSchedule.paced`. */
export const paced = (options: PollSchedule.PacedOptions): Schedule.Schedule<PollSchedule.Pace, Polled> =>
  cadence(INITIAL, step(pacingOf(options)), options.jitter ?? 0)
