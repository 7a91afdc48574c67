import { Eventually, TestLimit } from "@tensoras/ingestion-testkit"
import * as Effect from "effect/Effect"
import * as TestClock from "effect/testing/TestClock"

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
 * for a guessed amount of time. It gives up after the tests' one limit (`TestLimit.ms`), saying
 * which sleeps it saw.
 */
export const sleepScheduledAt = (instant: number, timeoutMs = TestLimit.ms): Effect.Effect<void> =>
  Effect.flatMap(Effect.context<never>(), (context) => {
    const pending = () => Effect.runSyncWith(context)(sleeps)
    return Effect.promise((signal) =>
      Eventually.until(`a sleep until ${instant} to be scheduled`, () => pending().includes(instant), {
        limitMs: timeoutMs,
        describe: () => `sleeps: ${pending().join(", ")}`,
        signal
      })
    )
  })

/**
 * Waits, in real time, until `condition` holds (for effects of HTTP on the real event loop): the
 * testkit's `Eventually.until`, as an Effect.
 */
export const eventually = (condition: () => boolean, timeoutMs = TestLimit.ms): Effect.Effect<void> =>
  Effect.asVoid(
    Effect.promise((signal) => Eventually.until("the condition", condition, { limitMs: timeoutMs, signal }))
  )
