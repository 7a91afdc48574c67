/**
 * The retry schedules' implementation (see `RetrySchedule`): capped, jittered exponential backoff.
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Random from "effect/Random"
import * as Schedule from "effect/Schedule"
import type { ExponentialOptions } from "../RetrySchedule.js"

/** See `RetrySchedule.exponential`. */
export const exponential = (options: ExponentialOptions): Schedule.Schedule<Duration.Duration> => {
  const max = Duration.fromInputUnsafe(options.max ?? "10 seconds")
  const jitter = options.jitter ?? 0.5
  const capped = Schedule.exponential(options.base ?? "250 millis", options.factor ?? 2).pipe(
    Schedule.modifyDelay(({ duration }) => Effect.succeed(Duration.min(duration, max)))
  )
  // Each delay scaled by a random factor from [1 - jitter, 1].
  const jittered =
    jitter > 0
      ? capped.pipe(
          Schedule.modifyDelay(({ duration }) =>
            Effect.map(Random.next, (random) =>
              Duration.millis(Duration.toMillis(duration) * ((1 - jitter) * (1 - random) + random))
            )
          )
        )
      : capped
  // Recurs while both do, after the longer delay (recurs' is 0), and outputs that delay.
  return Schedule.max([jittered, Schedule.recurs(options.retries ?? 5)])
}
