/**
 * A small seeded PRNG (mulberry32): scenarios and generated ids must be identical on every run.
 *
 * @example
 * const id = `job_${createRandom(1).hex(12)}`
 */
export interface Random {
  /** A float in [0, 1). */
  next(): number
  /** An integer in [min, max] (both inclusive). */
  int(min: number, max: number): number
  pick<A>(items: ReadonlyArray<A>): A
  hex(length: number): string
}

/**
 * A {@link Random} from a 32-bit seed.
 *
 * @example
 * createRandom(7).int(1, 6) === createRandom(7).int(1, 6) // => true
 */
export const createRandom = (seed: number): Random => {
  let state = seed >>> 0
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const int = (min: number, max: number): number => min + Math.floor(next() * (max - min + 1))
  return {
    next,
    int,
    pick: (items) => {
      if (items.length === 0) throw new RangeError("pick from an empty list")
      return items[int(0, items.length - 1)]!
    },
    hex: (length) => {
      let out = ""
      while (out.length < length) out += int(0, 15).toString(16)
      return out
    }
  }
}
