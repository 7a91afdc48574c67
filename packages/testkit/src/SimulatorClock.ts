/**
 * The simulator's notion of "now". Every job state is a pure function of this clock, so moving it is the
 * only way the simulated world changes.
 *
 * @module
 */

/**
 * `real`: virtual now = start epoch + real elapsed time (plus any `advance`).
 * `manual`: time stands still until the test calls `advance` or `setTime`.
 *
 * @example
 * const mode: ClockMode = "manual"
 */
export type ClockMode = "real" | "manual"

/**
 * A monotonic clock in Unix epoch milliseconds. It never moves backwards except through `reset`, so a job
 * a client saw `completed` can never be seen `processing` again.
 *
 * @example
 * const clock = createSimulatorClock({ mode: "manual", epochMs: Date.UTC(2025, 0, 1) })
 * clock.advance(1_500)
 * clock.now() // => Date.UTC(2025, 0, 1) + 1500
 */
export interface SimulatorClock {
  readonly mode: ClockMode
  /** Engine time, Unix epoch milliseconds. */
  now(): number
  /** Moves the clock forward by `ms` (both modes) and returns the new time. */
  advance(ms: number): number
  /** Moves the clock forward to `epochMs` and returns it; moving backwards throws a RangeError. */
  setTime(epochMs: number): number
  /** Restarts the clock at `epochMs` (the one way back in time: scenarios start over). */
  reset(epochMs: number): void
  /**
   * Resolves once engine time reaches `epochMs`: on the manual clock only `advance`/`setTime` get it there,
   * on the real clock elapsed time does too. Resolves early (without throwing) when `signal` aborts.
   */
  sleepUntil(epochMs: number, signal?: AbortSignal): Promise<void>
  /** Releases every pending `sleepUntil` and stops its timers. */
  dispose(): void
}

/**
 * Options of {@link createSimulatorClock}.
 *
 * @example
 * const options: SimulatorClockOptions = { mode: "real", epochMs: Date.now() }
 */
export interface SimulatorClockOptions {
  readonly mode: ClockMode
  readonly epochMs: number
}

interface Sleeper {
  readonly target: number
  readonly wake: () => void
  timer: ReturnType<typeof setTimeout> | undefined
}

/**
 * Creates a {@link SimulatorClock}. Uses only `performance.now()` and timers, so it runs on any runtime.
 *
 * @example
 * const clock = createSimulatorClock({ mode: "manual", epochMs: 1_709_125_040_000 })
 * const later = clock.sleepUntil(clock.now() + 5_000)
 * clock.advance(5_000) // `later` resolves
 */
export const createSimulatorClock = (options: SimulatorClockOptions): SimulatorClock => {
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
