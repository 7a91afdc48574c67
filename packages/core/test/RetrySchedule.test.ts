import { describe, expect, it } from "@effect/vitest"
import { RetrySchedule } from "@tensoras/ingestion"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Pull from "effect/Pull"
import * as Schedule from "effect/Schedule"

/** The delays a schedule asks for, retry after retry, until it gives up (at most `limit`). */
const delays = <Out>(schedule: Schedule.Schedule<Out, unknown>, limit = 50) =>
  Effect.gen(function* () {
    let now = 0
    const step = yield* Schedule.toStep(schedule)
    const result: Array<number> = []
    for (let i = 0; i < limit; i++) {
      const exit = yield* Effect.exit(step(now, "error"))
      if (Exit.isFailure(exit)) {
        if (Pull.isDoneCause(exit.cause)) break
        return yield* Effect.failCause(exit.cause)
      }
      const delay = Duration.toMillis(exit.value[1])
      result.push(delay)
      now += delay
    }
    return result
  })

describe("RetrySchedule", () => {
  it.effect("exponential: grows from base by factor, capped at max, for `retries` retries", () =>
    Effect.gen(function* () {
      const result = yield* delays(
        RetrySchedule.exponential({ base: "100 millis", factor: 2, max: "1 second", retries: 6, jitter: 0 })
      )
      expect(result).toStrictEqual([100, 200, 400, 800, 1000, 1000])
    })
  )

  it.effect("exponential: jitter draws each delay from its lower half, never above the cap", () =>
    Effect.gen(function* () {
      const result = yield* delays(
        RetrySchedule.exponential({ base: "1 second", max: "4 seconds", retries: 40, jitter: 0.5 })
      )
      expect(result.length).toBe(40)
      const atCap = result.slice(5)
      for (const delay of atCap) {
        expect(delay).toBeGreaterThanOrEqual(2000)
        expect(delay).toBeLessThanOrEqual(4000)
      }
      expect(new Set(atCap).size).toBeGreaterThan(5)
    })
  )

  it.effect("the default: five retries, the first within 125–250 ms, none above 10 s", () =>
    Effect.gen(function* () {
      const result = yield* delays(RetrySchedule.defaultSchedule)
      expect(result.length).toBe(5)
      expect(result[0]).toBeGreaterThanOrEqual(125)
      expect(result[0]).toBeLessThanOrEqual(250)
      expect(Math.max(...result)).toBeLessThanOrEqual(10_000)
    })
  )

  it.effect("none: no retry at all", () =>
    Effect.gen(function* () {
      expect(yield* delays(RetrySchedule.none)).toStrictEqual([])
    })
  )
})
