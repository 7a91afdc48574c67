import type { IngestionJob } from "@tensoras/ingestion/IngestionJob"
import * as WaitEngineModule from "@tensoras/ingestion/WaitEngine"
import { type Registration, WaitEngine } from "@tensoras/ingestion/WaitEngine"
import * as WaitError from "@tensoras/ingestion/WaitError"
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
import type { ClosedBatch, Completion, Observation, PendingWait } from "../WaitStore.js"
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

/**
 * What the polls saw is written to PostgreSQL every second for the waits whose job was seen for the first time or
 * changed status, and every 5 seconds for the others whose polls saw something.
 */
const OBSERVE_EVERY = "1 second"
const OBSERVE_ALL_EVERY = 5

const NOTHING_OBSERVED: WaitError.Observed = { responses: 0, retries: 0, statuses: {}, httpStatuses: {} }

/** What the polls of one wait saw: before this entity started (from PostgreSQL), and since. */
interface Seen {
  readonly before: WaitError.Observed
  readonly beforeJob: IngestionJob | null
  readonly registeredAt: number | undefined
  since: WaitError.Observed
  lastJob: IngestionJob | null
  dirty: boolean
  /** A status not yet written: written at the next tick. */
  urgent: boolean
}

/**
 * A timeout says what the wait saw on every runner that polled it, and how long it waited since it was
 * registered: the engine of this runner knows only what it saw since it took the wait over.
 */
const withHistory = (outcome: Outcome.Outcome, seen: Seen, now: number): Outcome.Outcome => {
  if (Result.isSuccess(outcome) || outcome.failure._tag !== "WaitTimeout") return outcome
  const timeout = outcome.failure
  return Result.fail(
    WaitError.timedOut({
      lastJob: timeout.lastJob ?? seen.beforeJob,
      elapsedMs: Math.max(timeout.elapsedMs, seen.registeredAt === undefined ? 0 : now - seen.registeredAt),
      observed: WaitEngineModule.combineObserved(seen.before, timeout.observed),
      reason: timeout.reason
    })
  )
}

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
    const seen = new Map<string, Seen>()
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
      const history: Seen = {
        before: wait.observed ?? NOTHING_OBSERVED,
        beforeJob: wait.lastJob ?? null,
        registeredAt: wait.registeredAt,
        since: NOTHING_OBSERVED,
        lastJob: wait.lastJob ?? null,
        dirty: false,
        urgent: false
      }
      seen.set(key, history)
      const complete = (outcome: Outcome.Outcome) => {
        seen.delete(key)
        Queue.offerUnsafe(completions, {
          batchId: wait.batchId,
          jobId: wait.jobId,
          outcome: Outcome.encode(withHistory(outcome, history, Date.now()))
        })
      }
      return engine
        .register(
          knowledgeBaseId,
          wait.jobId,
          { schedule: options.schedule, deadline: wait.deadlineAt },
          {
            onEvent: (event) => {
              history.since = WaitEngineModule.observe(history.since, event)
              if (event._tag === "Polled") {
                const { documents: _, ...job } = event.job
                if (history.lastJob === null || history.lastJob.status !== job.status) history.urgent = true
                history.lastJob = job
              }
              history.dirty = true
            },
            onExit: (exit) => complete(Outcome.fromExit(exit))
          }
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

    // What the polls saw, written now and then: a runner that takes a wait over goes on from there.
    let ticks = 0
    const observe = Effect.suspend(() => {
      const all = ++ticks % OBSERVE_ALL_EVERY === 0
      const observations: Array<Observation> = []
      for (const [key, history] of seen) {
        if (!history.dirty || !(all || history.urgent)) continue
        history.dirty = false
        history.urgent = false
        const [batchId = "", jobId = ""] = key.split("\u0000")
        observations.push({
          batchId,
          jobId,
          lastJob: history.lastJob,
          observed: WaitEngineModule.combineObserved(history.before, history.since)
        })
      }
      return observations.length === 0 ? Effect.void : Effect.ignore(store.observe(observations))
    })
    yield* Effect.forkScoped(Effect.repeat(observe, Schedule.spaced(OBSERVE_EVERY)))

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
