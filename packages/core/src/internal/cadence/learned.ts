/**
 * The cadence of a knowledge base whose jobs are learned (`law.ts`, fitted by `model.ts`): where
 * `paced.ts` takes a job's end as likely in every decade until its documents tell more, this one
 * reads it from the knowledge base's own laws: while queued, the time left in the queue and then the
 * processing of this count of documents; while no document has ended, that processing; after, the
 * documents left, at this job's own pace weighed against the knowledge base's. A job may also fail as a
 * whole at a moment of its processing: that chance is in the law too. With the law of the end known,
 * the polls are planned (`plan.ts`: the fewest requests for the latency, `pollCost` a request), the
 * first of the plan is taken, and the plan is made again at the next poll with what it read.
 * Without the count of documents (a sweep's lists), `paced.ts`'s rules.
 */
import type * as Schedule from "effect/Schedule"
import type * as PollSchedule from "../../PollSchedule.js"
import type { DocumentCount, Polled } from "../polled.js"
import { cadence } from "./cadence.js"
import { balancedDelay } from "./hazard.js"
import { documentsSum, jobFactor, type Law, type Moments, meanResidual, processing, untilEnd } from "./law.js"
import { type Choice, INITIAL, type PacedState, type Pacing, paceOf, read, uncounted } from "./paced.js"
import { type EndLaw, endSurvival, plannedDelay } from "./plan.js"

/** How the learned cadence weighs a request, and its bounds (ms). */
export interface Tuning {
  /** The latency one request is worth on a job expected to take a minute (ms). */
  readonly pollCost: number
  /**
   * On a job expected to take T, a request is worth `pollCost` × (1 minute ÷ T)^`scale`: more of a
   * short job's time, less of a long one's (the docs' loop spends a request every 5 s of any job).
   */
  readonly scale: number
  /** The shortest delay. */
  readonly min: number
  /** The longest delay. */
  readonly max: number
}

/** A whole-second timestamp is known to within a second: the variance of its error (ms²). */
const SECOND_VARIANCE = 1_000_000 / 12

const varianceOf = (moments: Moments): number =>
  moments.mean * moments.mean * moments.variation * moments.variation

/** Past this many standard deviations of its logarithm, the end is in its law's far tail: no plan. */
const HORIZON_Z = 3.1
/**
 * The share of the law of the end given to a far wider law of the same median (`DOUBT_SPREAD`
 * times the spread, at least `DOUBT_SIGMA`): the learned law may be wrong for this job (a change of
 * pace not seen yet, a job unlike the others), and then the polls should back off past its tail
 * rather than hold the pace of an end that does not come.
 */
const DOUBT = 0.1
const DOUBT_SPREAD = 2.5
const DOUBT_SIGMA = 1

const SQRT_2PI = Math.sqrt(2 * Math.PI)

/** The law of a job's end from `from`: a log-normal time of these moments, in doubt (see `DOUBT`). */
const endLaw = (from: number, moments: Moments, failure: number, failureFrom: number): EndLaw => {
  const sigma = Math.sqrt(Math.log1p(moments.variation * moments.variation))
  return {
    from,
    mu: Math.log(moments.mean) - (sigma * sigma) / 2,
    sigma,
    doubt: DOUBT,
    wideSigma: Math.max(DOUBT_SIGMA, DOUBT_SPREAD * sigma),
    failure,
    failureFrom
  }
}

/** The chance per ms that the job ends at `at` (of `law`, the failure included), given it has not. */
const hazardOf = (law: EndLaw, at: number): number => {
  const elapsed = at - law.from
  const failure = at >= law.failureFrom ? law.failure : 0
  if (elapsed <= 0) return failure
  const log = Math.log(elapsed) - law.mu
  const density = (z: number, sigma: number) => Math.exp(-0.5 * z * z) / (SQRT_2PI * sigma * elapsed)
  const ends =
    (1 - law.doubt) * density(log / law.sigma, law.sigma) +
    law.doubt * density(log / law.wideSigma, law.wideSigma)
  const survives = endSurvival(law, at)
  return (survives > 0 ? ends / survives : 1 / elapsed) + failure
}

/**
 * The delay until the next poll for a job that ends as `law` says: the first of the best polls
 * (`plannedDelay`) up to where the end is all but sure to have come, by its law (its wider law, once
 * past that); the balanced delay past both.
 */
const delayFor = (now: number, law: EndLaw, tuning: Tuning): number => {
  const { pollCost, min, max } = tuning
  const horizon = law.from + Math.exp(law.mu + HORIZON_Z * law.sigma)
  if (horizon - now >= 2 * min) return plannedDelay(now, law, horizon, pollCost, min, max)
  const wideHorizon = law.from + Math.exp(law.mu + HORIZON_Z * law.wideSigma)
  if (wideHorizon - now >= 2 * min && endSurvival(law, now) > 1e-12) {
    return plannedDelay(now, law, wideHorizon, pollCost, min, max)
  }
  return balancedDelay(now, (at) => hazardOf(law, at), pollCost, min, max)
}

/** Moments with an extra absolute variance (ms²): an uncertain origin. */
const widened = (moments: Moments, variance: number): Moments => ({
  mean: moments.mean,
  variation: Math.sqrt(varianceOf(moments) + variance) / moments.mean
})

/** With the documents counted (a GET of the job), timed by the knowledge base's laws. */
const counted = (
  now: number,
  job: Polled,
  state: PacedState,
  count: DocumentCount,
  law: Law,
  tuning: Tuning
): Choice => {
  const { startAt, startWithin, documentsDone: done, documentEndAt, documentEndWithin } = state
  const { min, max } = tuning
  const expected =
    Math.exp(law.queue.mu + (law.queue.sigma * law.queue.sigma) / 2) + processing(law, count.total).mean
  const tuned = { ...tuning, pollCost: tuning.pollCost * (60_000 / expected) ** tuning.scale }
  if (startAt === undefined || job.status === "queued") {
    // `created_at` is whole seconds: the creation is half a second after it, on average.
    const elapsed = now - (job.created_at * 1000 + 500)
    const end = untilEnd(law, elapsed, count.total)
    const failure = law.failing / processing(law, count.total).mean
    const delay = delayFor(now, endLaw(now, end, failure, now + meanResidual(law.queue, elapsed)), tuned)
    return { phase: "queued", delay, expectedEndAt: now + end.mean }
  }
  const left = count.total - done
  if (left <= 0) {
    return {
      phase: "finishing",
      delay: Math.min(max, Math.max(min, 0.5 * (now - (documentEndAt ?? startAt))))
    }
  }
  const startVariance = (startWithin * startWithin) / 12 + SECOND_VARIANCE
  if (done === 0 || documentEndAt === undefined) {
    const work = widened(processing(law, count.total), startVariance)
    // A failing job fails at a moment of its processing: as likely any moment of its expected length.
    const delay = delayFor(now, endLaw(startAt, work, law.failing / work.mean, now), tuned)
    return { phase: "starting", delay, expectedEndAt: startAt + work.mean }
  }
  const elapsed = Math.max(min, documentEndAt - startAt)
  const perDocument = elapsed / done
  const endVariance = (documentEndWithin * documentEndWithin) / 12
  const factor = jobFactor(law, done, perDocument, Math.sqrt(startVariance + endVariance) / elapsed)
  const rest = widened(documentsSum(law, left, factor.mu, factor.variance), endVariance)
  const failure = law.failing / (elapsed + rest.mean)
  const delay = delayFor(now, endLaw(documentEndAt, rest, failure, now), tuned)
  return { phase: "predicting", delay, perDocument, expectedEndAt: documentEndAt + rest.mean }
}

/** One poll: the job read, the delay chosen, the state for the next one. */
const step =
  (law: Law, tuning: Tuning, pacing: Pacing) =>
  (now: number, job: Polled, state: PacedState): readonly [PacedState, PollSchedule.Pace, number] => {
    const next = read(now, job, state)
    const count = job.documents
    const choice =
      count === undefined ? uncounted(now, job, next, pacing) : counted(now, job, next, count, law, tuning)
    return [next, paceOf(choice), choice.delay] as const
  }

/** The cadence of a knowledge base of law `law`; `pacing`: `paced`'s, for the polls without the count. */
export const learned = (
  law: Law,
  tuning: Tuning,
  pacing: Pacing
): Schedule.Schedule<PollSchedule.Pace, Polled> => cadence(INITIAL, step(law, tuning, pacing), 0)
