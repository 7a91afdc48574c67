/**
 * What the cadence knows of a knowledge base's jobs once it has learned them (`model.ts` fits it,
 * `learned.ts` polls by it): log-normal laws of the time queued and of one document's time, a
 * factor the documents of one job share, and how often a job fails as a whole. And the laws that
 * follow: of a job's processing given its count of documents, of what is left of it given the
 * documents ended so far, of the time until it ends while it is still queued.
 */
import { normalTail } from "./hazard.js"

/** A log-normal law: `mu` and `sigma` of the logarithm of the duration in ms. */
export interface LogNormal {
  readonly mu: number
  readonly sigma: number
}

/** A knowledge base's jobs, as learned. */
export interface Law {
  /** The time from creation to the start of processing. */
  readonly queue: LogNormal
  /** One document's time, around its job's factor (the spread of the documents of one job). */
  readonly document: LogNormal
  /** The spread of the factor the documents of one job share (a busier worker, bigger files). */
  readonly jobSigma: number
  /** The share of jobs that fail as a whole (at some moment of their processing). */
  readonly failing: number
}

/** A duration's mean (ms) and coefficient of variation: what `endHazard` reads. */
export interface Moments {
  readonly mean: number
  readonly variation: number
}

/**
 * The sum of `count` documents of the law (Fenton–Wilkinson: the moments of the sum), each times a
 * factor shared by them all whose logarithm has the mean `factorMu` and the variance `factorVariance`.
 */
export const documentsSum = (law: Law, count: number, factorMu: number, factorVariance: number): Moments => {
  const s2 = law.document.sigma * law.document.sigma
  const n = Math.max(1, count)
  const mean = n * Math.exp(law.document.mu + s2 / 2 + factorMu + factorVariance / 2)
  const variation2 = (1 + Math.expm1(s2) / n) * Math.exp(factorVariance) - 1
  return { mean, variation: Math.sqrt(Math.max(1e-6, variation2)) }
}

/** A job's processing time, from its start, given its count of documents (none ended yet). */
export const processing = (law: Law, count: number): Moments =>
  documentsSum(law, count, 0, law.jobSigma * law.jobSigma)

/**
 * What this job's own documents tell of its factor: `done` of them took `perDocument` ms each on
 * average. The mean and variance of the factor's logarithm, the knowledge base's prior (0,
 * `jobSigma`²) weighed against the job's documents (more of them, more weight; `noise`: the relative
 * uncertainty of `perDocument` itself, from the polls around the ends).
 */
export const jobFactor = (
  law: Law,
  done: number,
  perDocument: number,
  noise: number
): { readonly mu: number; readonly variance: number } => {
  const s2 = law.document.sigma * law.document.sigma
  // The logarithm of the mean of `done` documents: its mean and variance (Fenton–Wilkinson).
  const spread2 = Math.log1p(Math.expm1(s2) / Math.max(1, done))
  const expected = law.document.mu + s2 / 2 - spread2 / 2
  const observed2 = spread2 + noise * noise
  const prior2 = law.jobSigma * law.jobSigma
  if (prior2 <= 0) return { mu: 0, variance: 0 }
  const weight = prior2 / (prior2 + observed2)
  return { mu: weight * (Math.log(perDocument) - expected), variance: prior2 * (1 - weight) }
}

/** The mean of a log-normal law past `elapsed` (ms): E[X − elapsed | X > elapsed]. */
export const meanResidual = (law: LogNormal, elapsed: number): number => {
  const { mu, sigma } = law
  const mean = Math.exp(mu + (sigma * sigma) / 2)
  if (elapsed <= 0) return mean - elapsed
  const z = (Math.log(elapsed) - mu) / sigma
  const tail = normalTail(z)
  // Far in the tail both vanish: the residual of a log-normal then tends to elapsed × σ² ÷ (z σ).
  if (tail < 1e-12 || sigma <= 0) return (elapsed * sigma) / Math.max(z, 1)
  return Math.max(0, (mean * normalTail(z - sigma)) / tail - elapsed)
}

/**
 * The time from `elapsed` after creation to the end of a job still queued then, of `count`
 * documents: what is left of its queue, then its processing.
 */
export const untilEnd = (law: Law, elapsed: number, count: number): Moments => {
  const work = processing(law, count)
  const queueLeft = meanResidual(law.queue, elapsed)
  const queueVariance = queueLeft * queueLeft * Math.expm1(law.queue.sigma * law.queue.sigma)
  const workVariance = work.mean * work.mean * work.variation * work.variation
  const mean = queueLeft + work.mean
  return { mean, variation: Math.sqrt(queueVariance + workVariance) / mean }
}
