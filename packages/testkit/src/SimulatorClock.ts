/**
 * The simulator's notion of "now". Every job state is a pure function of this clock, so moving it is the
 * only way the simulated world changes.
 *
 * @since 0.1.0
 */
import * as internal from "./internal/clock.js"

/**
 * `real`: virtual now = start epoch + real elapsed time (plus any `advance`).
 * `manual`: time stands still until the test calls `advance` or `setTime`.
 *
 * @example
 * ```ts
 * import type { SimulatorClock } from "@tensoras/ingestion-testkit"
 *
 * const mode: SimulatorClock.ClockMode = "manual"
 * ```
 * @category models
 * @since 0.1.0
 */
export type ClockMode = "real" | "manual"

/**
 * A monotonic clock in Unix epoch milliseconds. It never moves backwards except through `reset`, so a job
 * a client saw `completed` can never be seen `processing` again.
 *
 * @example
 * ```ts
 * import { SimulatorClock } from "@tensoras/ingestion-testkit"
 *
 * const clock: SimulatorClock.SimulatorClock = SimulatorClock.make({ mode: "manual", epochMs: Date.UTC(2025, 0, 1) })
 * clock.advance(1_500)
 * clock.now() // Date.UTC(2025, 0, 1) + 1500
 * ```
 * @category models
 * @since 0.1.0
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
 * Options of {@link make}.
 *
 * @example
 * ```ts
 * import type { SimulatorClock } from "@tensoras/ingestion-testkit"
 *
 * const options: SimulatorClock.SimulatorClockOptions = { mode: "real", epochMs: Date.now() }
 * ```
 * @category models
 * @since 0.1.0
 */
export interface SimulatorClockOptions {
  readonly mode: ClockMode
  readonly epochMs: number
}

/**
 * Creates a {@link SimulatorClock}. Uses only `performance.now()` and timers, so it runs on any runtime.
 *
 * @example
 * ```ts
 * import { SimulatorClock } from "@tensoras/ingestion-testkit"
 *
 * const clock = SimulatorClock.make({ mode: "manual", epochMs: 1_709_125_040_000 })
 * const later = clock.sleepUntil(clock.now() + 5_000)
 * clock.advance(5_000)
 * await later // resolved by the advance, not by real time
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const make: (options: SimulatorClockOptions) => SimulatorClock = internal.make
