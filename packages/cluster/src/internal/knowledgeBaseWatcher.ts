import { type Registration, WaitEngine } from "@tensoras/ingestion/WaitEngine"
import * as Entity from "effect/cluster/Entity"
import type { Sharding } from "effect/cluster/Sharding"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Queue from "effect/Queue"
import * as Result from "effect/Result"
import * as Schedule from "effect/Schedule"
import * as Semaphore from "effect/Semaphore"
import type { SqlError } from "effect/sql/SqlError"
import * as DurableDeferred from "effect/workflow/DurableDeferred"
import type { WorkflowEngine } from "effect/workflow/WorkflowEngine"
import { KnowledgeBaseWatcher, type Options } from "../KnowledgeBaseWatcher.js"
import type { ClosedBatch, Completion, PendingWait } from "../WaitStore.js"
import { WaitStore } from "../WaitStore.js"
import { Deliverable } from "./deliverable.js"
import * as Outcome from "./outcome.js"

/** How long PostgreSQL may be unreachable before the entity gives up (and the cluster restarts it). */
const storeRetry = Schedule.min([Schedule.exponential("100 millis", 2), Schedule.spaced("5 seconds")]).pipe(
  Schedule.upTo({ duration: "2 minutes" })
)
const retryStore = <A>(effect: Effect.Effect<A, SqlError>): Effect.Effect<A> =>
  effect.pipe(
    Effect.tapError((error) => Effect.logWarning("PostgreSQL call failed; retrying", error.message)),
    Effect.retry(storeRetry),
    Effect.orDie
  )

/** Completions taken from the queue at once: one UPDATE for all of them. */
const MAX_BATCH = 500

const keyOf = (wait: { readonly batchId: string; readonly jobId: string }): string =>
  `${wait.batchId}\u0000${wait.jobId}`

export const behaviour = (options: Options) =>
  Effect.gen(function* () {
    const address = yield* Entity.CurrentAddress
    const runnerAddress = yield* Entity.CurrentRunnerAddress
    const knowledgeBaseId = address.entityId
    const runner = `${runnerAddress.host}:${runnerAddress.port}`
    const engine = yield* WaitEngine
    const store = yield* WaitStore
    const context = yield* Effect.context<Sharding | Entity.CurrentAddress | WorkflowEngine>()

    const registrations = new Map<string, Registration>()
    const completions = yield* Queue.unbounded<Completion>()
    const lock = yield* Semaphore.make(1)
    let keepingAlive = false

    // While it has waits, the entity keeps itself alive with a persisted message: if its runner dies,
    // the message is delivered again to the shard's next runner, which starts the entity there.
    const keepAlive = (enabled: boolean): Effect.Effect<void> =>
      enabled === keepingAlive
        ? Effect.void
        : Effect.suspend(() => {
            keepingAlive = enabled
            return Effect.provide(Entity.keepAlive(enabled), context)
          })

    const watch = (wait: PendingWait): Effect.Effect<void> => {
      const key = keyOf(wait)
      if (registrations.has(key)) return Effect.void
      const complete = (outcome: Outcome.Outcome) =>
        Queue.offerUnsafe(completions, {
          batchId: wait.batchId,
          jobId: wait.jobId,
          outcome: Outcome.encode(outcome)
        })
      return engine
        .register(
          knowledgeBaseId,
          wait.jobId,
          { schedule: options.schedule, deadline: wait.deadlineAt },
          { onExit: (exit) => complete(Outcome.fromExit(exit)) }
        )
        .pipe(
          Effect.match({
            // Bad input is the wait's outcome, recorded like any other (nothing was sent).
            onFailure: (error) => {
              complete(Result.fail(error))
            },
            onSuccess: (registration) => {
              registrations.set(key, registration)
            }
          })
        )
    }

    const watchAll = (waits: ReadonlyArray<PendingWait>): Effect.Effect<void> =>
      lock.withPermits(1)(
        Effect.gen(function* () {
          yield* Effect.forEach(waits, watch, { discard: true })
          yield* keepAlive(registrations.size > 0)
        })
      )

    const deliver = (batches: ReadonlyArray<ClosedBatch>): Effect.Effect<void> =>
      batches.length === 0
        ? Effect.void
        : Effect.gen(function* () {
            // Completing a deferred is a persisted message keyed by the deferred: sent twice, it counts once.
            yield* Effect.forEach(
              batches,
              (batch) =>
                DurableDeferred.done(Deliverable, {
                  token: batch.token as DurableDeferred.Token,
                  exit: Exit.succeed(batch.outcomes)
                }),
              { concurrency: 16, discard: true }
            ).pipe(Effect.provide(context))
            yield* retryStore(store.acknowledge(batches.map((batch) => batch.batchId)))
          })

    // Outcomes are recorded and delivered by one fiber, in batches of what has piled up.
    const drain = Effect.gen(function* () {
      const taken = yield* Queue.takeBetween(completions, 1, MAX_BATCH)
      const items = Array.from(taken)
      const closed = yield* retryStore(store.complete(runner, items))
      yield* lock.withPermits(1)(
        Effect.gen(function* () {
          for (const item of items) registrations.delete(keyOf(item))
          yield* keepAlive(registrations.size > 0)
        })
      )
      yield* deliver(closed)
    }).pipe(Effect.forever)

    yield* Effect.addFinalizer(() =>
      Effect.forEach(registrations.values(), (registration) => registration.leave, { discard: true })
    )
    yield* Effect.forkScoped(drain)

    // Start: every pending wait of the knowledge base, and any batch left undelivered by a crash.
    yield* watchAll(yield* retryStore(store.pending(knowledgeBaseId)))
    yield* deliver(yield* retryStore(store.undelivered(runner, knowledgeBaseId)))
    yield* Effect.logDebug(`watching ${registrations.size} waits of ${knowledgeBaseId} on ${runner}`)

    return {
      Watch: (request: { readonly payload: { readonly batchId: string } }) =>
        Effect.gen(function* () {
          yield* watchAll(yield* retryStore(store.pendingOf(request.payload.batchId)))
        }),
      // Starting the entity (which loads its pending waits) was the point.
      Resume: () => Effect.void
    }
  })

/** The cluster singleton's loop: nudge every knowledge base that has pending waits, every `every`. */
export const resumer = (every: Duration.Input) =>
  Effect.gen(function* () {
    const store = yield* WaitStore
    const client = yield* KnowledgeBaseWatcher.client
    const nudge = Effect.gen(function* () {
      const knowledgeBases = yield* store.knowledgeBasesWithPendingWaits
      // Not persisted: a nudge to a runner that is gone fails, and the next one goes to the new runner.
      yield* Effect.forEach(
        knowledgeBases,
        (kb) => Effect.ignore(client(kb).Resume(undefined, { discard: true })),
        {
          concurrency: 8,
          discard: true
        }
      )
    }).pipe(Effect.catchCause((cause) => Effect.logDebug("resume round failed", cause)))
    yield* Effect.repeat(nudge, Schedule.spaced(every))
  })
