/**
 * Fitting a knowledge base's laws (`law.ts`) to its ended jobs, as the API times them: whole
 * seconds. The time queued and the processing time per document are log-normal; a job's documents
 * share a factor. Each ended job gives its processing time and its count of documents, never one
 * document's time: the spread of the documents and that of the factor are told apart by how the
 * jobs' time per document varies with their count (a job of many documents averages its documents'
 * spread away, not its factor's). Where the jobs cannot tell (every job of many documents), the
 * spread of a document stays near what `paced` assumes (0.5): a weak prior, which the jobs outweigh
 * as soon as they say something.
 */
import type { Law, LogNormal } from "./law.js"

/** A completed job as learned: its count of documents and its processing time (whole seconds). */
export interface Completed {
  readonly documents: number
  readonly seconds: number
}

/** A measured time under half a second is read as half a second: its logarithm stays finite. */
const FLOOR_SECONDS = 0.5

/**
 * The variance a whole-second measurement adds to the logarithm of a time of `seconds`: the time is
 * the difference of two timestamps, each rounded down, so it is off by up to a second either way
 * (a variance of 1/6 s²).
 */
const roundingVariance = (seconds: number): number => 1 / (6 * Math.max(FLOOR_SECONDS, seconds) ** 2)

const logMillis = (seconds: number): number => Math.log(1000 * Math.max(FLOOR_SECONDS, seconds))

/** A draw further than this many standard deviations counts as only this far: one odd job moves nothing much. */
const CAPPED_Z2 = 9
/** The spreads tried first (of a document, of a job's factor), then a step either side of the best. */
const SIGMAS = Array.from({ length: 15 }, (_, i) => 0.1 * (i + 1))
const JOB_SIGMAS = Array.from({ length: 7 }, (_, i) => 0.1 * i)
const FINE_STEP = 0.05
/** The prior of a spread (of a document, of the time queued): log-normal around `paced`'s 0.5. */
const SIGMA_PRIOR = { median: 0.5, spread: 0.35 }
/** A weak preference for a small job factor: with every job of one count, only the sum of the spreads is known. */
const JOB_SIGMA_PRIOR = 2

const sigmaPrior = (sigma: number): number => {
  const z = Math.log(sigma / SIGMA_PRIOR.median) / SIGMA_PRIOR.spread
  return -0.5 * z * z
}

/** The variance of the logarithm of the mean of `count` documents of spread `sigma` (Fenton–Wilkinson). */
export const meanSpread2 = (sigma: number, count: number): number =>
  Math.log1p(Math.expm1(sigma * sigma) / Math.max(1, count))

/** What one completed job predicts of its time per document: the mean and variance of its logarithm. */
export const predicted = (
  law: Pick<Law, "document" | "jobSigma">,
  job: Completed
): { readonly mean: number; readonly variance: number } => {
  const s2 = law.document.sigma * law.document.sigma
  const spread2 = meanSpread2(law.document.sigma, job.documents)
  return {
    mean: law.document.mu + s2 / 2 - spread2 / 2,
    variance: spread2 + law.jobSigma * law.jobSigma + roundingVariance(job.seconds)
  }
}

/** What the law of the time queued predicts of one measured time: the mean and variance of its logarithm. */
export const queuePredicted = (
  queue: LogNormal,
  seconds: number
): { readonly mean: number; readonly variance: number } => ({
  mean: queue.mu,
  variance: queue.sigma * queue.sigma + roundingVariance(seconds)
})

/** A time queued, as the logarithm of ms. */
export const queueValue = (seconds: number): number => logMillis(seconds)

/** A completed job's time per document, as the logarithm of ms. */
export const perDocument = (job: Completed): number => logMillis(job.seconds) - Math.log(job.documents)

// The working arrays of a fit, reused (a fit is one synchronous call): per job, its value (a
// logarithm), the variance its spreads give it, what it adds of its own (rounding), the shift of
// its mean.
let values = new Float64Array(32)
let spreads = new Float64Array(32)
let others = new Float64Array(32)
let shifts = new Float64Array(32)

const ensure = (n: number): void => {
  if (values.length >= n) return
  values = new Float64Array(n)
  spreads = new Float64Array(n)
  others = new Float64Array(n)
  shifts = new Float64Array(n)
}

/**
 * How likely the first `n` values are (their spreads and shifts set, `extra` added to each
 * variance), with the median that fits them best: the median, and the log-likelihood.
 */
const likelihood = (n: number, extra: number): { readonly score: number; readonly mu: number } => {
  let weights = 0
  let sum = 0
  for (let i = 0; i < n; i++) {
    const variance = spreads[i]! + extra + others[i]!
    weights += 1 / variance
    sum += (values[i]! - shifts[i]!) / variance
  }
  const mu = sum / weights
  let score = 0
  for (let i = 0; i < n; i++) {
    const variance = spreads[i]! + extra + others[i]!
    const z = values[i]! - shifts[i]! - mu
    score -= 0.5 * (Math.log(variance) + Math.min(CAPPED_Z2, (z * z) / variance))
  }
  return { score, mu }
}

/** How likely the jobs are (loaded in the working arrays) with these spreads, and their median. */
const documentsScore = (
  jobs: ReadonlyArray<Completed>,
  sigma: number,
  jobSigma: number
): { readonly score: number; readonly mu: number } => {
  const s2 = sigma * sigma
  for (let i = 0; i < jobs.length; i++) {
    spreads[i] = meanSpread2(sigma, jobs[i]!.documents)
    shifts[i] = s2 / 2 - spreads[i]! / 2
  }
  const { score, mu } = likelihood(jobs.length, jobSigma * jobSigma)
  return { score: score + sigmaPrior(sigma) - JOB_SIGMA_PRIOR * jobSigma * jobSigma, mu }
}

/**
 * The law of one document and of a job's factor that make these jobs most likely (on a grid of
 * spreads, then finer around the best; each job's weight capped, see `CAPPED_Z2`).
 */
export const fitDocuments = (
  jobs: ReadonlyArray<Completed>
): { readonly document: LogNormal; readonly jobSigma: number } => {
  ensure(jobs.length)
  for (let i = 0; i < jobs.length; i++) {
    values[i] = perDocument(jobs[i]!)
    others[i] = roundingVariance(jobs[i]!.seconds)
  }
  let best = { score: Number.NEGATIVE_INFINITY, mu: 0, sigma: SIGMA_PRIOR.median, jobSigma: 0 }
  const tryOne = (sigma: number, jobSigma: number) => {
    const { score, mu } = documentsScore(jobs, sigma, jobSigma)
    if (score > best.score) best = { score, mu, sigma, jobSigma }
  }
  for (const sigma of SIGMAS) for (const jobSigma of JOB_SIGMAS) tryOne(sigma, jobSigma)
  const coarse = best
  for (const dx of [-FINE_STEP, 0, FINE_STEP]) {
    for (const dy of [-FINE_STEP, 0, FINE_STEP]) {
      const sigma = coarse.sigma + dx
      const jobSigma = coarse.jobSigma + dy
      if ((dx !== 0 || dy !== 0) && sigma > 0 && jobSigma >= 0) tryOne(sigma, jobSigma)
    }
  }
  return { document: { mu: best.mu, sigma: best.sigma }, jobSigma: best.jobSigma }
}

/**
 * The law of the time queued (whole seconds) that makes these times most likely, each read with
 * what rounding to whole seconds adds (a queue of under a second tells little).
 */
export const fitQueue = (seconds: ReadonlyArray<number>): LogNormal => {
  const n = seconds.length
  ensure(n)
  for (let i = 0; i < n; i++) {
    values[i] = logMillis(seconds[i]!)
    others[i] = roundingVariance(seconds[i]!)
    spreads[i] = 0
    shifts[i] = 0
  }
  let best = { score: Number.NEGATIVE_INFINITY, mu: 0, sigma: SIGMA_PRIOR.median }
  const tryOne = (sigma: number) => {
    const { score, mu } = likelihood(n, sigma * sigma)
    if (score + sigmaPrior(sigma) > best.score) best = { score: score + sigmaPrior(sigma), mu, sigma }
  }
  for (const sigma of SIGMAS) tryOne(sigma)
  const coarse = best.sigma
  tryOne(coarse - FINE_STEP)
  tryOne(coarse + FINE_STEP)
  return { mu: best.mu, sigma: best.sigma }
}

/** The share of failing jobs, drawn towards 5 % while few jobs are known (as if 10 jobs were). */
export const fitFailing = (failed: number, jobs: number): number => (failed + 0.5) / (jobs + 10)
