import { TestLimit } from "@tensoras/ingestion-testkit"
import * as Effect from "effect/Effect"
import * as TestClock from "effect/testing/TestClock"

const realPause = Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, 1)))

/**
 * The instants at which fibers asleep on the `TestClock` wake, earliest first (what Effect 3's
 * `TestClock.sleeps()` returned). Effect 4 keeps them on the clock, not in its interface: they are
 * read from the `TestClock` of Effect 4.1.5 (its `sleeps`, entries with a `timestamp`), and a clock
 * without them (the real one, or a `TestClock` whose insides changed) is a defect that says so.
 */
export const sleeps: Effect.Effect<ReadonlyArray<number>> = TestClock.testClockWith((clock) =>
  Effect.suspend(() => {
    const entries: unknown = (clock as unknown as { readonly sleeps?: unknown }).sleeps
    if (!Array.isArray(entries) || !entries.every((entry) => typeof entry?.timestamp === "number")) {
      return Effect.die(
        new Error(
          "sleeps: the clock is not Effect 4.1.5's TestClock (no `sleeps` entries with a `timestamp`)"
        )
      )
    }
    return Effect.succeed(
      entries.map((entry: { readonly timestamp: number }) => entry.timestamp).sort((a, b) => a - b)
    )
  })
)

/**
 * Waits, in real time, until some fiber has gone to sleep on the `TestClock` until `instant`.
 * HTTP happens on the real event loop while delays run on the test clock: this is how a test
 * knows a response has been handled and the next delay scheduled, without sleeping for real
 * for a guessed amount of time. It gives up after the tests' one limit (`TestLimit.ms`).
 */
export const sleepScheduledAt = (instant: number, timeoutMs = TestLimit.ms): Effect.Effect<void> =>
  Effect.gen(function* () {
    const deadline = Date.now() + timeoutMs
    while (Date.now() < deadline) {
      if ((yield* sleeps).includes(instant)) return
      yield* realPause
    }
    const pending = yield* sleeps
    return yield* Effect.die(
      new Error(
        `no sleep until ${instant} was scheduled within ${timeoutMs} ms (sleeps: ${pending.join(", ")})`
      )
    )
  })

/** Waits, in real time, until `condition` holds (for effects of HTTP on the real event loop). */
export const eventually = (condition: () => boolean, timeoutMs = TestLimit.ms): Effect.Effect<void> =>
  Effect.gen(function* () {
    const deadline = Date.now() + timeoutMs
    while (!condition()) {
      if (Date.now() > deadline) {
        return yield* Effect.die(new Error(`condition not met within ${timeoutMs} ms`))
      }
      yield* realPause
    }
  })
