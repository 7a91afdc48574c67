import { TestLimit } from "@tensoras/ingestion-testkit"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as TestClock from "effect/TestClock"

const realPause = Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, 1)))

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
      const sleeps = yield* TestClock.sleeps()
      if (Chunk.some(sleeps, (at) => at === instant)) return
      yield* realPause
    }
    const sleeps = yield* TestClock.sleeps()
    return yield* Effect.dieMessage(
      `no sleep until ${instant} was scheduled within ${timeoutMs} ms (sleeps: ${Chunk.join(Chunk.map(sleeps, String), ", ")})`
    )
  })

/** Waits, in real time, until `condition` holds (for effects of HTTP on the real event loop). */
export const eventually = (condition: () => boolean, timeoutMs = TestLimit.ms): Effect.Effect<void> =>
  Effect.gen(function* () {
    const deadline = Date.now() + timeoutMs
    while (!condition()) {
      if (Date.now() > deadline) return yield* Effect.dieMessage(`condition not met within ${timeoutMs} ms`)
      yield* realPause
    }
  })
