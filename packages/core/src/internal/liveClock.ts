/**
 * The timers of the library's own timeouts. A timeout is one code path on every clock: a timer
 * that ends an attempt by closing the Scope it runs in (see `IngestionJobs`). Only where the timer
 * comes from depends on the clock: on Effect's real-time clock a plain `setTimeout`, which keeps the
 * same time as `Effect.sleep` without the fibers a race or `Effect.timeout` forks (a single wait
 * would pay them on every poll); on any other clock (`TestClock`) a fiber sleeping on that clock,
 * since only it follows that clock's time.
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Fiber from "effect/Fiber"

/**
 * Effect's real-time clock: the default value of the `Clock` reference, which `Context` builds once
 * and hands to every fiber that was given no clock of its own.
 */
const liveClock: Clock.Clock = Context.get(Context.empty(), Clock.Clock)

/** Whether `clock` is Effect's real-time clock (where a plain timer keeps its time). */
export const isLive = (clock: Clock.Clock): boolean => clock === liveClock

/**
 * Starts a timer of `millis` on the clock of `fiber` that calls `onFire`, and returns what cancels
 * it (a no-op once it fired). On the real-time clock a plain `setTimeout`, no fiber; on any other a
 * fiber sleeping on that clock, run with the services of `fiber` (a `TestClock` tracks it as it
 * tracks the fiber's own sleeps).
 */
export const startTimer = (
  fiber: Fiber.Fiber<unknown, unknown>,
  millis: number,
  onFire: () => void
): (() => void) => {
  const clock = fiber.getRef(Clock.Clock)
  if (clock === liveClock) {
    const handle = setTimeout(onFire, millis)
    return () => clearTimeout(handle)
  }
  const sleeper = Effect.runForkWith(fiber.context)(Effect.map(clock.sleep(Duration.millis(millis)), onFire))
  return () => sleeper.interruptUnsafe()
}
