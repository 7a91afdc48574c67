/**
 * The one way the poll cadences are built: a schedule whose every step is a plain value, read by
 * the wait engine without running an Effect (a sweep steps thousands of waits at once).
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Random from "effect/Random"
import * as Schedule from "effect/Schedule"

/**
 * A schedule whose every step is a plain value: `step` gives the new state, the output and the delay
 * (ms), and the step function returns `Effect.succeed`, an `Exit`, which the wait engine reads at once
 * (a step that is any other Effect costs a run of its own, and a sweep steps thousands of waits).
 * Jittered by `jitter` (each delay drawn from [delay × (1 − jitter), delay]) with the `Random` of the
 * fiber that starts the schedule, read once then.
 */
export const cadence = <S, Out, In>(
  initial: S,
  step: (now: number, input: In, state: S) => readonly [S, Out, number],
  jitter: number
): Schedule.Schedule<Out, In> => {
  const start = (random: Random.Random | undefined) => {
    let state = initial
    return (now: number, input: In) => {
      const [next, output, delay] = step(now, input, state)
      state = next
      let millis = delay
      if (random !== undefined) {
        const r = random.nextDoubleUnsafe()
        millis = delay * (1 - jitter) * (1 - r) + delay * r
      }
      return Effect.succeed<[Out, Duration.Duration]>([output, Duration.millis(millis)])
    }
  }
  return Schedule.fromStep(
    jitter > 0 ? Random.Random.useSync((random) => start(random)) : Effect.sync(() => start(undefined))
  )
}
