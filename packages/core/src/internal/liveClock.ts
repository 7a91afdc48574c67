/**
 * Where the library times things with a plain timer instead of Effect's own: only on Effect's
 * real-time clock. There a `setTimeout` keeps the same time as `Effect.sleep`, without the fibers a
 * race or `Effect.timeoutFail` forks (a single wait would pay them on every poll). On any other clock
 * (`TestClock`) time is not a timer's, and only Effect's own path follows it: tests drive that path,
 * and live tests pin the plain-timer one.
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as DefaultServices from "effect/DefaultServices"
import * as Effect from "effect/Effect"

/** The clock of Effect's default services: real time. */
const liveClock = Context.get(DefaultServices.liveServices, Clock.Clock)

/** `onLive()` on Effect's real-time clock, `otherwise()` on any other. */
export const whenLive = <A, E, R>(
  onLive: () => Effect.Effect<A, E, R>,
  otherwise: () => Effect.Effect<A, E, R>
): Effect.Effect<A, E, R> => Effect.clockWith((clock) => (clock === liveClock ? onLive() : otherwise()))

/** Whether `clock` is Effect's real-time clock (where a plain timer keeps its time). */
export const isLive = (clock: Clock.Clock): boolean => clock === liveClock
