import { describe, expect, it } from "@effect/vitest"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as TestClock from "effect/testing/TestClock"
import { vi } from "vitest"
import { isLive, startTimer, Timer } from "../../src/internal/liveClock.js"

/** A timer on the clock of the current fiber, and what it heard. */
const timerHere = Effect.gen(function* () {
  const fired: Array<string> = []
  const clock = yield* Clock.Clock
  const timer = new Timer(clock, yield* Effect.context<never>(), (what: string) => fired.push(what), "fired")
  return { timer, fired, live: isLive(clock) }
})

describe("internal/liveClock", () => {
  it.effect("on the TestClock: a timer fires when the clock passes its time, once", () =>
    Effect.gen(function* () {
      const { timer, fired, live } = yield* timerHere
      expect(live).toBe(false)
      timer.set(1_000)
      yield* TestClock.adjust(999)
      expect(fired).toStrictEqual([])
      yield* TestClock.adjust(1)
      expect(fired).toStrictEqual(["fired"])
      yield* TestClock.adjust(10_000)
      expect(fired).toStrictEqual(["fired"])
    })
  )

  it.effect("setting it again moves its time; cancelling it stops it; no time to wait fires at once", () =>
    Effect.gen(function* () {
      const { timer, fired } = yield* timerHere
      timer.set(1_000)
      timer.set(3_000)
      yield* TestClock.adjust(2_000)
      expect(fired).toStrictEqual([])
      yield* TestClock.adjust(1_000)
      expect(fired).toStrictEqual(["fired"])
      timer.set(500)
      timer.cancel()
      yield* TestClock.adjust(1_000)
      expect(fired).toStrictEqual(["fired"])
      timer.set(0)
      expect(fired).toStrictEqual(["fired", "fired"])
    })
  )

  it.live("on the live clock: a plain timer, the same behaviour", () =>
    Effect.gen(function* () {
      const { timer, fired, live } = yield* timerHere
      expect(live).toBe(true)
      timer.set(60_000)
      timer.set(5)
      yield* Effect.sleep("40 millis")
      expect(fired).toStrictEqual(["fired"])
      timer.set(5)
      timer.cancel()
      yield* Effect.sleep("40 millis")
      expect(fired).toStrictEqual(["fired"])
    })
  )

  it("on the live clock, a time past setTimeout's limit (24.8 days) fires then, not early", () => {
    vi.useFakeTimers()
    try {
      const fired: Array<number> = []
      const liveClock = Context.get(Context.empty(), Clock.Clock)
      const timer = new Timer(liveClock, Context.empty(), (n: number) => fired.push(n), 1)
      timer.set(2 ** 31 + 1_000)
      vi.advanceTimersByTime(2 ** 31 - 1)
      expect(fired).toStrictEqual([])
      vi.advanceTimersByTime(1_000)
      expect(fired).toStrictEqual([])
      vi.advanceTimersByTime(1)
      expect(fired).toStrictEqual([1])
    } finally {
      vi.useRealTimers()
    }
  })

  it.effect("startTimer: a timer on a fiber's clock, and what cancels it", () =>
    Effect.gen(function* () {
      let fired = 0
      const cancel = yield* Effect.withFiber((fiber) => Effect.succeed(startTimer(fiber, 100, () => fired++)))
      const cancelled = yield* Effect.withFiber((fiber) =>
        Effect.succeed(startTimer(fiber, 100, () => fired++))
      )
      cancelled()
      yield* TestClock.adjust(100)
      expect(fired).toBe(1)
      cancel() // a no-op once it fired
    })
  )
})
