/**
 * The entity of one knowledge base on the runner that holds its shard: it polls the knowledge base's waits
 * (`watchedWaits.ts`), records their outcomes in PostgreSQL and delivers each batch's once all its waits ended,
 * and writes what the polls saw now and then, so that a runner that takes the waits over goes on from there.
 */
import * as Entity from "effect/cluster/Entity"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Queue from "effect/Queue"
import * as Schedule from "effect/Schedule"
import type { SqlError } from "effect/sql/SqlError"
import * as DurableDeferred from "effect/workflow/DurableDeferred"
import type { WorkflowEngine } from "effect/workflow/WorkflowEngine"
import { KnowledgeBaseWatcher, type Options } from "../KnowledgeBaseWatcher.js"
import type { ClosedBatch } from "../WaitStore.js"
import { WaitStore } from "../WaitStore.js"
import { Deliverable } from "./deliverable.js"
import { RoundLog } from "./roundLog.js"
import * as WatchedWaits from "./watchedWaits.js"

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

/**
 * What the polls saw is written to PostgreSQL every second for the waits whose job was seen for the first time or
 * changed status, and every 5 seconds for the others whose polls saw something.
 */
const OBSERVE_EVERY = "1 second"
const OBSERVE_ALL_EVERY = 5

type Store = WaitStore["Service"]

/** Delivers closed batches to their workflows, then marks them acknowledged. */
const deliver = (
  store: Store,
  batches: ReadonlyArray<ClosedBatch>
): Effect.Effect<void, never, WorkflowEngine> =>
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
        )
        yield* retryStore(store.acknowledge(batches.map((batch) => batch.batchId)))
      })

/** Outcomes are recorded and delivered by one fiber, in batches of what has piled up. */
const recordOutcomes = (
  store: Store,
  waits: WatchedWaits.WatchedWaits,
  runner: string
): Effect.Effect<never, never, WorkflowEngine> =>
  Effect.gen(function* () {
    const items = Array.from(yield* Queue.takeBetween(waits.completions, 1, MAX_BATCH))
    const closed = yield* retryStore(store.complete(runner, items))
    yield* waits.forget(items)
    yield* deliver(store, closed)
  }).pipe(Effect.forever)

/** What the polls saw, written now and then: a runner that takes a wait over goes on from there. */
const writeObservations = (store: Store, waits: WatchedWaits.WatchedWaits): Effect.Effect<void> => {
  let ticks = 0
  const observe = Effect.suspend(() => {
    const observations = waits.observations(++ticks % OBSERVE_ALL_EVERY === 0)
    return observations.length === 0 ? Effect.void : Effect.ignore(store.observe(observations))
  })
  return Effect.asVoid(Effect.repeat(observe, Schedule.spaced(OBSERVE_EVERY)))
}

export const behaviour = (options: Options) =>
  Effect.gen(function* () {
    const address = yield* Entity.CurrentAddress
    const runnerAddress = yield* Entity.CurrentRunnerAddress
    const knowledgeBaseId = address.entityId
    const runner = `${runnerAddress.host}:${runnerAddress.port}`
    const store = yield* WaitStore
    // A runner's log of recent rounds (`IngestionCluster.runner` has one) counts the waits that end here.
    const log = yield* Effect.serviceOption(RoundLog)
    const waits = yield* WatchedWaits.make(
      knowledgeBaseId,
      options,
      Option.match(log, { onNone: () => undefined, onSome: (log) => () => log.ended(knowledgeBaseId) })
    )

    yield* Effect.addFinalizer(() => waits.leaveAll)
    yield* Effect.forkScoped(recordOutcomes(store, waits, runner))
    yield* Effect.forkScoped(writeObservations(store, waits))

    // Start: every pending wait of the knowledge base, and any batch left undelivered by a crash.
    yield* waits.watchAll(yield* retryStore(store.pending(knowledgeBaseId)))
    yield* deliver(store, yield* retryStore(store.undelivered(runner, knowledgeBaseId)))
    yield* Effect.logDebug(`watching ${waits.size()} waits of ${knowledgeBaseId} on ${runner}`)

    return {
      Watch: (request: { readonly payload: { readonly batchId: string } }) =>
        Effect.gen(function* () {
          yield* waits.watchAll(yield* retryStore(store.pendingOf(request.payload.batchId)))
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
