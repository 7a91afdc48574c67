/**
 * The next poll that a whole plan of polls would start with. Where the law of the job's end is known
 * (a learned knowledge base), the polls that minimise the expected latency plus `pollCost` per request
 * can be found, on a grid, by dynamic programming; only the first is used, and the plan is made again
 * at the next poll with what it read. `balancedDelay` (`hazard.ts`) balances each delay alone against
 * the highest chance it covers, and so polls early where the chance is low but rising: for the same
 * requests, about a fifth more latency.
 */
import { normalTail } from "./hazard.js"

/** Grid points of a plan: its cost grows as their square (a plan takes some 20 µs). */
const POINTS = 96

/**
 * A job's end as `learned.ts` knows it: at `from` plus a log-normal time (`mu`, `sigma` of its
 * logarithm, ms), a share `doubt` of it as likely spread far wider (`wideSigma`), unless the job fails
 * first, with the chance `failure` per ms from `failureFrom`.
 */
export interface EndLaw {
  readonly from: number
  readonly mu: number
  readonly sigma: number
  readonly doubt: number
  readonly wideSigma: number
  readonly failure: number
  readonly failureFrom: number
}

/** The chance that the job's end (the log-normal part: no failure) has not come by `at`. */
export const endSurvival = (law: EndLaw, at: number): number => {
  const elapsed = at - law.from
  if (elapsed <= 0) return 1
  const log = Math.log(elapsed) - law.mu
  return (1 - law.doubt) * normalTail(log / law.sigma) + law.doubt * normalTail(log / law.wideSigma)
}

// The plan's working arrays, reused: a plan is made in one synchronous call.
const ended = new Float64Array(POINTS + 1)
const weighted = new Float64Array(POINTS + 1)
const cost = new Float64Array(POINTS + 1)

/**
 * The delay until the first of the best polls after `now` (the job alive then) for a job ending as
 * `law` says, on a grid of `POINTS` steps up to `horizon` (past it, the end is taken as seen there).
 * Polls are at least `min` apart and the delay at most `max`.
 */
export const plannedDelay = (
  now: number,
  law: EndLaw,
  horizon: number,
  pollCost: number,
  min: number,
  max: number
): number => {
  const step = Math.max(horizon - now, min) / POINTS
  const alive = endSurvival(law, now)
  // The failure's survival, step by step: once it applies, one factor per step.
  const perStep = Math.exp(-law.failure * step)
  let failureLeft = 1
  // ended[i]: the chance that the job ended (or failed) by point i; weighted[i]: the sum of time × chance.
  ended[0] = 0
  weighted[0] = 0
  let previous = 1
  for (let i = 1; i <= POINTS; i++) {
    const at = now + i * step
    if (at > law.failureFrom)
      failureLeft *= at - step >= law.failureFrom ? perStep : Math.exp(-law.failure * (at - law.failureFrom))
    const left = i === POINTS ? 0 : Math.min(previous, (endSurvival(law, at) / alive) * failureLeft)
    const mass = previous - left
    ended[i] = ended[i - 1]! + mass
    // An end in (i − 1, i] is taken at the middle of the step.
    weighted[i] = weighted[i - 1]! + mass * (i - 0.5) * step
    previous = left
  }
  const gap = Math.max(1, Math.ceil(min / step - 1e-9))
  let firstPoll = POINTS
  cost[POINTS] = 0
  for (let i = POINTS - 1; i >= 0; i--) {
    const sent = pollCost * (1 - ended[i]!)
    let best = Number.POSITIVE_INFINITY
    let bestJ = POINTS
    for (let j = Math.min(POINTS, i + gap); j <= POINTS; j++) {
      // The poll at j sees the ends of (i, j] at j: their latency; it is sent if the job was alive at i.
      const c = sent + j * step * (ended[j]! - ended[i]!) - (weighted[j]! - weighted[i]!) + cost[j]!
      if (c < best) {
        best = c
        bestJ = j
      }
    }
    cost[i] = best
    if (i === 0) firstPoll = bestJ
  }
  return Math.min(max, Math.max(min, firstPoll * step))
}
