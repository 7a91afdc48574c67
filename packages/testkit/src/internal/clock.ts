/**
 * The simulator clock's implementation: a start epoch, real elapsed time on the real clock, an offset
 * that `advance` and `setTime` grow (`make`), and the sleepers woken when the time they wait for is reached
 * (`sleepersOf`).
 */
import type { ClockMode, SimulatorClock, SimulatorClockOptions } from "../SimulatorClock.js"

interface Sleeper {
  readonly target: number
  readonly wake: () => void
  timer: ReturnType<typeof setTimeout> | undefined
}

/** The sleepers of one clock: each woken once `now()` reaches its target (or its signal aborts). */
interface Sleepers {
  /** Wakes the sleepers whose time has come, after the clock moved. */
  readonly recheck: () => void
  readonly sleepUntil: (target: number, signal?: AbortSignal) => Promise<void>
  readonly wakeAll: () => void
}

const sleepersOf = (mode: ClockMode, now: () => number): Sleepers => {
  const sleepers = new Set<Sleeper>()

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

  return {
    recheck: () => {
      for (const sleeper of [...sleepers]) arm(sleeper)
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
    wakeAll: () => {
      for (const sleeper of [...sleepers]) sleeper.wake()
    }
  }
}

const checkMs = (ms: number, what: string): void => {
  if (!Number.isFinite(ms)) throw new RangeError(`${what} must be a finite number, got ${ms}`)
}

/** A clock from `performance.now()` and timers only (see `SimulatorClock.make`). */
export const make = (options: SimulatorClockOptions): SimulatorClock => {
  const mode = options.mode
  let epoch = options.epochMs
  let realStart = performance.now()
  let offset = 0

  const now = (): number => {
    const elapsed = mode === "real" ? performance.now() - realStart : 0
    // Whole milliseconds keep timestamps and logs reproducible on the manual clock and readable on the real one.
    return Math.floor(epoch + elapsed + offset)
  }
  const sleepers = sleepersOf(mode, now)

  return {
    mode,
    now,
    advance: (ms) => {
      checkMs(ms, "advance(ms)")
      if (ms < 0) throw new RangeError(`The simulator clock only moves forward: advance(${ms})`)
      offset += ms
      sleepers.recheck()
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
      sleepers.recheck()
      return now()
    },
    reset: (epochMs) => {
      checkMs(epochMs, "reset(epochMs)")
      epoch = epochMs
      realStart = performance.now()
      offset = 0
      sleepers.recheck()
    },
    sleepUntil: sleepers.sleepUntil,
    dispose: sleepers.wakeAll
  }
}
