/**
 * The maths of the cadences (`paced.ts`, `learned.ts`): how likely a job is to end at a given moment,
 * and the delay that balances the latency of noticing its end against the requests it costs.
 */

const SQRT_2PI = Math.sqrt(2 * Math.PI)

/**
 * Until a document ends, its duration is anything from a second to an hour, as likely in every
 * decade: the chance that it ends at `t` is then 1 ÷ (t × ln(hour ÷ t)).
 */
const LONGEST_DOCUMENT_MS = 3_600_000

/** Bounds of the pace of the job's age: one poll every √(age in seconds) seconds, in [min, max]. */
export const agePace = (ageMillis: number, min: number, max: number): number =>
  Math.min(max, Math.max(min, 1000 * Math.sqrt(Math.max(0, ageMillis) / 1000)))

/** erfc(|z| ÷ √2) = t × exp(−z² ÷ 2 + exponent) (the Chebyshev fit of Numerical Recipes, relative error under 1.2e-7). */
const erfcFit = (x: number): { readonly t: number; readonly exponent: number } => {
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
  return { t, exponent }
}

/**
 * The hazard of the standard normal distribution, φ(z) ÷ (1 − Φ(z)), without cancelling for large z.
 */
const normalHazard = (z: number): number => {
  const x = Math.abs(z) / Math.SQRT2
  const { t, exponent } = erfcFit(x)
  // erfc(x) = t × exp(−x² + exponent); 1 − Φ(z) = erfc(z / √2) ÷ 2 and φ(z) = exp(−x²) ÷ √(2π).
  if (z >= 0) return 2 / (SQRT_2PI * t * Math.exp(exponent))
  return Math.exp(-x * x) / SQRT_2PI / (1 - 0.5 * t * Math.exp(-x * x + exponent))
}

/** 1 − Φ(z): the chance that a standard normal draw exceeds `z`. */
export const normalTail = (z: number): number => {
  const x = Math.abs(z) / Math.SQRT2
  const { t, exponent } = erfcFit(x)
  const upper = 0.5 * t * Math.exp(-x * x + exponent)
  return z >= 0 ? upper : 1 - upper
}

/**
 * The chance per millisecond that the job ends at `elapsed` after the last document ended, given it
 * has not yet: the time left is log-normal, with the mean `mean` and the coefficient of variation
 * `variation`.
 */
export const endHazard = (elapsed: number, mean: number, variation: number): number => {
  if (elapsed <= 0) return 0
  const sigma = Math.sqrt(Math.log(1 + variation * variation))
  const mu = Math.log(mean) - (sigma * sigma) / 2
  return normalHazard((Math.log(elapsed) - mu) / sigma) / (elapsed * sigma)
}

/**
 * The hazard of an end as likely in every decade of the time since `from` (from a second to an
 * hour), never reading a time shorter than `min`.
 */
export const scaleFree =
  (from: number, min: number) =>
  (at: number): number => {
    const elapsed = Math.max(min, at - from)
    return 1 / (elapsed * Math.max(1, Math.log(LONGEST_DOCUMENT_MS / elapsed)))
  }

/**
 * The delay that balances latency and requests where the job may end at `hazard(t)` per
 * millisecond: the longest delay d, in [min, max], with d ≤ √(2 × pollCost ÷ h) for the highest
 * hazard h until the next poll (found by bisection).
 */
export const balancedDelay = (
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
