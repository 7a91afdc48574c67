/**
 * The draws behind `Workload`: log-normal durations and counts, log-uniform and uniform ranges, and a seed
 * per item of a stream, so that each knowledge base and each job is drawn from a generator of its own.
 */
import type { Random } from "./random.js"

/**
 * A standard normal draw (Box–Muller). `1 - next()` is in (0, 1]: the logarithm stays finite.
 *
 * @example
 * const z = gaussian(createRandom(1))
 */
export const gaussian = (random: Random): number =>
  Math.sqrt(-2 * Math.log(1 - random.next())) * Math.cos(2 * Math.PI * random.next())

/**
 * A draw of the log-normal law of this median and spread (the standard deviation of its logarithm).
 *
 * @example
 * logNormal(createRandom(1), 4_000, 0.5) // about 4 s, within a factor 1.65 two times in three
 */
export const logNormal = (random: Random, median: number, spread: number): number =>
  median * Math.exp(spread * gaussian(random))

/**
 * A draw log-uniform on `[low, high]` (both > 0): every decade of the range as likely.
 *
 * @example
 * logUniform(createRandom(1), [1_000, 40_000])
 */
export const logUniform = (random: Random, [low, high]: readonly [number, number]): number =>
  Math.exp(Math.log(low) + random.next() * (Math.log(high) - Math.log(low)))

/**
 * A draw uniform on `[low, high]`.
 *
 * @example
 * uniform(createRandom(1), [0.2, 0.8])
 */
export const uniform = (random: Random, [low, high]: readonly [number, number]): number =>
  low + random.next() * (high - low)

/**
 * The seed of the `index`-th item of a stream seeded with `seed` (murmur3's finaliser over both): each
 * item draws from its own generator, so it does not depend on how many items were asked for.
 *
 * @example
 * createRandom(seedOf(7, 3)) // the fourth job's generator, whatever the count
 */
export const seedOf = (seed: number, index: number): number => {
  let h = (seed ^ Math.imul(index + 1, 0x9e3779b9)) >>> 0
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b)
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35)
  return (h ^ (h >>> 16)) >>> 0
}

/**
 * A 32-bit hash of a string (FNV-1a): two knowledge bases drawn with the same seed still get their own noise.
 *
 * @example
 * hashOf("kb_001") !== hashOf("kb_002") // => true
 */
export const hashOf = (text: string): number => {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193)
  return h >>> 0
}
