/**
 * The simulator clock's implementation: a start epoch, real elapsed time on the real clock, an offset
 * that `advance` and `setTime` grow, and the sleepers woken when the time they wait for is reached.
 */
import type { SimulatorClock, SimulatorClockOptions } from "../SimulatorClock.js"

interface Sleeper {
  readonly target: number
  readonly wake: () => void
  timer: ReturnType<typeof setTimeout> | undefined
}

/** A clock from `performance.now()` and timers only (see `SimulatorClock.make`). */
export const make = (options: SimulatorClockOptions): SimulatorClock => {
  const mode = options.mode
  let epoch = options.epochMs
  let realStart = performance.now()
  let offset = 0
  const sleepers = new Set<Sleeper>()

  const now = (): number => {
    const elapsed = mode === "real" ? performance.now() - realStart : 0
    // Whole milliseconds keep timestamps and logs reproducible on the manual clock and readable on the real one.
    return Math.floor(epoch + elapsed + offset)
  }

  const arm = (sleeper: Sleeper): void => {
    if (sleeper.timer !== undefined) clearTimeout(sleeper.timer)
    sleeper.timer = undefined
    const remaining = sleeper.target - now()
    if (remaining <= 0) {
      sleeper.wake()
      return
    }
    if (mode === "real") sleeper.timer = setTimeout(() => arm(sleeper), remaining)
  }

  const recheck = (): void => {
    for (const sleeper of [...sleepers]) arm(sleeper)
  }

  const checkMs = (ms: number, what: string): void => {
    if (!Number.isFinite(ms)) throw new RangeError(`${what} must be a finite number, got ${ms}`)
  }

  return {
    mode,
    now,
    advance: (ms) => {
      checkMs(ms, "advance(ms)")
      if (ms < 0) throw new RangeError(`The simulator clock only moves forward: advance(${ms})`)
      offset += ms
      recheck()
      return now()
    },
    setTime: (epochMs) => {
      checkMs(epochMs, "setTime(epochMs)")
      const current = now()
      if (epochMs < current) {
        throw new RangeError(
          `The simulator clock only moves forward: setTime(${epochMs}) is before ${current}`
        )
      }
      offset += epochMs - current
      recheck()
      return now()
    },
    reset: (epochMs) => {
      checkMs(epochMs, "reset(epochMs)")
      epoch = epochMs
      realStart = performance.now()
      offset = 0
      recheck()
    },
    sleepUntil: (target, signal) =>
      new Promise<void>((resolve) => {
        if (signal?.aborted) return resolve()
        const sleeper: Sleeper = {
          target,
          timer: undefined,
          wake: () => {
            if (sleeper.timer !== undefined) clearTimeout(sleeper.timer)
            sleepers.delete(sleeper)
            signal?.removeEventListener("abort", sleeper.wake)
            resolve()
          }
        }
        sleepers.add(sleeper)
        signal?.addEventListener("abort", sleeper.wake, { once: true })
        arm(sleeper)
      }),
    dispose: () => {
      for (const sleeper of [...sleepers]) sleeper.wake()
    }
  }
}
