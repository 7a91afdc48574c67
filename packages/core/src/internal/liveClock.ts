/**
 * The library's timers, on one code path: a {@link Timer} is set, fires once, can be cancelled
 * and set again, on whatever clock the fiber that made it runs on. The wait engine's loop wakes
 * with one (a timer per knowledge base), and each request attempt is limited by one
 * ({@link startTimer}: the timer closes the Scope the attempt runs in, see `request.ts`).
 *
 * Only where the time comes from depends on the clock, inside {@link Timer.set}: on Effect's
 * real-time clock a plain `setTimeout` (the live clock's own sleep is that `setTimeout`, so it keeps
 * the same time); on any other clock (`TestClock`) a fiber sleeping on that clock, since only such a
 * fiber follows its time. Everything around it (setting, re-setting, cancelling, firing, what a
 * fired timer does) is the same code on both. Why not a sleeping fiber on the live clock too,
 * measured on Node 24 (a micro-benchmark of this class, 20,000 timers of 1 ms, 3 runs): a
 * plain timer costs 1.6–1.9 µs of CPU and 0.3 KB of heap from set to fired, a fiber sleeping on the
 * live clock 6–13 µs and 1.3–1.7 KB. The engine sets one on every look of a loop (a single wait: on
 * every poll, whose round costs 0.11–0.16 ms of CPU in all), and a request on every attempt.
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

/** The longest delay a `setTimeout` takes (about 24.8 days); a longer one is set again when it fires. */
const MAX_TIMER_MS = 2 ** 31 - 1

/** A plain timer's expiry: its `Timer` comes as the argument, so no closure per `set`. */
const expire = (timer: { expired(): void }) => timer.expired()

/**
 * A timer that calls `onFire(argument)` once the time it was set for has passed on `clock`, unless
 * it is cancelled or set again first. One object for its whole life (the engine's loop keeps one):
 * setting it allocates no closure.
 */
export class Timer<A> {
  private readonly live: boolean
  private handle: ReturnType<typeof setTimeout> | undefined = undefined
  private sleeper: Fiber.Fiber<void> | undefined = undefined
  /** When a plain timer longer than `MAX_TIMER_MS` is due (epoch ms); the rest is set again. */
  private dueAt = 0

  constructor(
    private readonly clock: Clock.Clock,
    /** The services a sleeping fiber runs with (those of the fiber the clock came from). */
    private readonly context: Context.Context<never>,
    private readonly onFire: (argument: A) => void,
    private readonly argument: A
  ) {
    this.live = clock === liveClock
  }

  /** Fires `millis` from now (cancelling the time it was set for before). */
  set(millis: number): void {
    this.cancel()
    if (this.live) {
      this.dueAt = millis > MAX_TIMER_MS ? Date.now() + millis : 0
      this.handle = setTimeout(expire, Math.min(millis, MAX_TIMER_MS), this)
      return
    }
    // The fiber starts at once: its sleep is on the clock when this returns. A sleep that ended at
    // once (no time to wait) has fired already, and may have set the timer again.
    const sleeper = Effect.runForkWith(this.context)(
      Effect.andThen(
        this.clock.sleep(Duration.millis(millis)),
        Effect.sync(() => {
          this.sleeper = undefined
          this.onFire(this.argument)
        })
      )
    )
    if (sleeper.pollUnsafe() === undefined) this.sleeper = sleeper
  }

  /** Stops it: it does not fire (a no-op when it is not set). */
  cancel(): void {
    if (this.handle !== undefined) {
      clearTimeout(this.handle)
      this.handle = undefined
    }
    if (this.sleeper !== undefined) {
      this.sleeper.interruptUnsafe()
      this.sleeper = undefined
    }
  }

  /** @internal A plain timer went off. */
  expired(): void {
    this.handle = undefined
    const left = this.dueAt === 0 ? 0 : this.dueAt - Date.now()
    if (left > 0) this.set(left)
    else this.onFire(this.argument)
  }
}

const call = (f: () => void) => f()

/**
 * Starts a timer of `millis` on the clock of `fiber` that calls `onFire`, and returns what cancels
 * it (a no-op once it fired): a {@link Timer} with the services of `fiber` (a `TestClock` tracks
 * its sleep as it tracks the fiber's own).
 */
export const startTimer = (
  fiber: Fiber.Fiber<unknown, unknown>,
  millis: number,
  onFire: () => void
): (() => void) => {
  const timer = new Timer(fiber.getRef(Clock.Clock), fiber.context, call, onFire)
  timer.set(millis)
  return () => timer.cancel()
}
