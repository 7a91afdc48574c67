/**
 * Every runner checks the others. `effect/cluster` checks runners' health from one runner only, the host of
 * its health singleton, so the death of that very runner is noticed only when its heartbeat expires
 * (`shardLockExpiration`, 35 s), and its singletons and shards wait that long. Here each runner pings the others
 * that the cluster lists as healthy, with the cluster's own check (`RunnerHealth`: a ping, retried for a few
 * seconds), and marks one that does not answer unhealthy: the cluster then moves its shards (and the singletons
 * on them) as it does when its own check finds a dead runner. It only ever marks a runner unhealthy (the
 * cluster's check marks it healthy again if it answers), never itself, and never the last healthy runner.
 */
import type * as RunnerAddress from "effect/cluster/RunnerAddress"
import * as RunnerHealth from "effect/cluster/RunnerHealth"
import * as RunnerStorage from "effect/cluster/RunnerStorage"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Equal from "effect/Equal"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"

export const layer = (
  self: RunnerAddress.RunnerAddress,
  every: Duration.Input
): Layer.Layer<never, never, RunnerStorage.RunnerStorage | RunnerHealth.RunnerHealth> =>
  Layer.effectDiscard(
    Effect.gen(function* () {
      const storage = yield* RunnerStorage.RunnerStorage
      const health = yield* RunnerHealth.RunnerHealth
      const check = Effect.gen(function* () {
        const runners = yield* storage.getRunners
        const selfHealthy = runners.some(([runner, healthy]) => healthy && Equal.equals(runner.address, self))
        const others = runners.filter(([runner, healthy]) => healthy && !Equal.equals(runner.address, self))
        // Only a runner the cluster counts as healthy judges the others, and it always remains.
        if (!selfHealthy || others.length === 0) return
        yield* Effect.forEach(
          others,
          ([runner]) =>
            Effect.flatMap(health.isAlive(runner.address), (alive) =>
              alive
                ? Effect.void
                : storage
                    .setRunnerHealth(runner.address, false)
                    .pipe(
                      Effect.andThen(
                        Effect.logInfo(
                          `runner ${runner.address.host}:${runner.address.port} does not answer: marked unhealthy`
                        )
                      )
                    )
            ),
          { concurrency: 8, discard: true }
        )
      }).pipe(Effect.catchCause((cause) => Effect.logDebug("peer health check failed", cause)))
      yield* Effect.forkScoped(Effect.repeat(check, Schedule.spaced(every)))
    })
  )
