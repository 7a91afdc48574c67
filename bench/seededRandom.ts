/**
 * The benchmarks' own seeded generator: PCG32 (O'Neill), seeded as Effect 3's `Random.make(seed)` was.
 * A benchmark's workload is drawn from a seed so that runs and library versions compare on the same jobs;
 * owning the generator keeps those jobs (and the figures in docs/waiting.md and docs/benchmarks.md) the
 * same whatever generator Effect ships (Effect 4 changed it, and made `nextIntBetween` inclusive).
 *
 * @module
 */
import * as Effect from "effect/Effect"
import * as Random from "effect/Random"

const MUL_HI = 0x5851f42d >>> 0
const MUL_LO = 0x4c957f2d >>> 0
const BIT_53 = 9007199254740992.0
const BIT_27 = 134217728.0

// 64-bit arithmetic on [hi, lo] pairs of 32-bit words: JavaScript numbers hold 53 bits.
const mul64 = (out: Uint32Array, aHi: number, aLo: number, bHi: number, bLo: number): void => {
  let c1 = ((aLo >>> 16) * (bLo & 0xffff)) >>> 0
  let c0 = ((aLo & 0xffff) * (bLo >>> 16)) >>> 0
  let lo = ((aLo & 0xffff) * (bLo & 0xffff)) >>> 0
  let hi = ((aLo >>> 16) * (bLo >>> 16) + ((c0 >>> 16) + (c1 >>> 16))) >>> 0
  c0 = (c0 << 16) >>> 0
  lo = (lo + c0) >>> 0
  if (lo < c0) hi = (hi + 1) >>> 0
  c1 = (c1 << 16) >>> 0
  lo = (lo + c1) >>> 0
  if (lo < c1) hi = (hi + 1) >>> 0
  hi = (hi + Math.imul(aLo, bHi)) >>> 0
  hi = (hi + Math.imul(aHi, bLo)) >>> 0
  out[0] = hi
  out[1] = lo
}

const add64 = (out: Uint32Array, aHi: number, aLo: number, bHi: number, bLo: number): void => {
  let hi = (aHi + bHi) >>> 0
  const lo = (aLo + bLo) >>> 0
  if (lo < aLo) hi = (hi + 1) >>> 0
  out[0] = hi
  out[1] = lo
}

class Pcg32 {
  // [state hi, state lo, increment hi, increment lo]
  private readonly state = new Uint32Array([0, 0, 0x14057b7e, (0xf767814f | 1) >>> 0])

  constructor(seed: number) {
    this.next()
    add64(this.state, this.state[0]!, this.state[1]!, 0, seed >>> 0)
    this.next()
  }

  /** A double in [0, 1) with 53 random bits. */
  double(): number {
    const hi = (this.next() & 0x03ffffff) * 1.0
    const lo = (this.next() & 0x07ffffff) * 1.0
    return (hi * BIT_27 + lo) / BIT_53
  }

  next(): number {
    const oldHi = this.state[0]!
    const oldLo = this.state[1]!
    mul64(this.state, oldHi, oldLo, MUL_HI, MUL_LO)
    add64(this.state, this.state[0]!, this.state[1]!, this.state[2]!, this.state[3]!)
    const xsHi = ((oldHi >>> 18) ^ oldHi) >>> 0
    const xsLo = (((oldLo >>> 18) | (oldHi << 14)) ^ oldLo) >>> 0
    const xorshifted = ((xsLo >>> 27) | (xsHi << 5)) >>> 0
    const rot = oldHi >>> 27
    return ((xorshifted >>> rot) | (xorshifted << ((-rot >>> 0) & 31))) >>> 0
  }
}

/** Effect 3 folded a seed this way before seeding PCG. */
const foldSeed = (seed: number): number => (seed & 0xbfffffff) | ((seed >>> 1) & 0x40000000)

/** A `Random` drawing from PCG32 seeded with `seed`. */
export const make = (seed: number): Random.Random => {
  const pcg = new Pcg32(foldSeed(seed | 0))
  return {
    nextDoubleUnsafe: () => pcg.double(),
    nextIntUnsafe: () => Math.round(pcg.double() * Number.MAX_SAFE_INTEGER) % Number.MAX_SAFE_INTEGER
  }
}

/** Runs `self` with its `Random` drawing from PCG32 seeded with `seed`. */
export const withSeed =
  (seed: number) =>
  <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.provideService(self, Random.Random, make(seed))

/** An integer in [min, max): the half-open draw the workloads were defined with. */
export const nextIntBetween = (min: number, max: number): Effect.Effect<number> =>
  Effect.map(Random.next, (u) => (Math.round(u * Number.MAX_SAFE_INTEGER) % (max - min)) + min)
