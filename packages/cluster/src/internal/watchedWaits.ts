/**
 * The waits one knowledge base's entity polls on this runner: each registered once with the runner's
 * `WaitEngine`, carrying what its polls saw before (on whichever runner), its outcome queued to be recorded when
 * it ends; the entity kept alive while it has any; and what the polls saw, collected to be written now and then.
 */
import type { IngestionJob } from "@tensoras/ingestion/IngestionJob"
import * as WaitEngineModule from "@tensoras/ingestion/WaitEngine"
import { type Registration, WaitEngine } from "@tensoras/ingestion/WaitEngine"
import * as WaitError from "@tensoras/ingestion/WaitError"
import * as Entity from "effect/cluster/Entity"
import type { Sharding } from "effect/cluster/Sharding"
import * as Effect from "effect/Effect"
import * as Queue from "effect/Queue"
import * as Result from "effect/Result"
import * as Semaphore from "effect/Semaphore"
import type { Options } from "../KnowledgeBaseWatcher.js"
import type { Completion, Observation, PendingWait } from "../WaitStore.js"
import * as Outcome from "./outcome.js"

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

/** A wait's history as it is registered: what PostgreSQL says its polls saw so far. */
const historyOf = (wait: PendingWait): Seen => ({
  before: wait.observed ?? NOTHING_OBSERVED,
  beforeJob: wait.lastJob ?? null,
  registeredAt: wait.registeredAt,
  since: NOTHING_OBSERVED,
  lastJob: wait.lastJob ?? null,
  dirty: false,
  urgent: false
})

/** One poll's event in a wait's history: a job seen for the first time, or with another status, is urgent. */
const record = (history: Seen, event: WaitEngineModule.WaitEvent): void => {
  history.since = WaitEngineModule.observe(history.since, event)
  if (event._tag === "Polled") {
    const { documents: _, ...job } = event.job
    if (history.lastJob === null || history.lastJob.status !== job.status) history.urgent = true
    history.lastJob = job
  }
  history.dirty = true
}

/** What one entity holds of its waits. */
interface State {
  readonly knowledgeBaseId: string
  readonly options: Options
  readonly engine: WaitEngine["Service"]
  readonly registrations: Map<string, Registration>
  readonly seen: Map<string, Seen>
  readonly completions: Queue.Queue<Completion>
  /** Told of each wait that ends (the runner's log of recent rounds counts them). */
  readonly onEnded: () => void
}

/** Registers a wait with the engine, unless it is registered already; its outcome goes to `completions`. */
const watch = (state: State, wait: PendingWait): Effect.Effect<void> => {
  const key = keyOf(wait)
  if (state.registrations.has(key)) return Effect.void
  const history = historyOf(wait)
  state.seen.set(key, history)
  const complete = (outcome: Outcome.Outcome) => {
    state.seen.delete(key)
    state.onEnded()
    Queue.offerUnsafe(state.completions, {
      batchId: wait.batchId,
      jobId: wait.jobId,
      outcome: Outcome.encode(withHistory(outcome, history, Date.now()))
    })
  }
  return state.engine
    .register(
      state.knowledgeBaseId,
      wait.jobId,
      { schedule: state.options.schedule, deadline: wait.deadlineAt },
      { onEvent: (event) => record(history, event), onExit: (exit) => complete(Outcome.fromExit(exit)) }
    )
    .pipe(
      Effect.match({
        // Bad input is the wait's outcome, recorded like any other (nothing was sent).
        onFailure: (error) => {
          complete(Result.fail(error))
        },
        onSuccess: (registration) => {
          state.registrations.set(key, registration)
        }
      })
    )
}

/** What the polls saw that is not written yet: urgent histories, or, with `all`, every one that changed. */
const observationsOf = (seen: ReadonlyMap<string, Seen>, all: boolean): ReadonlyArray<Observation> => {
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
  return observations
}

export interface WatchedWaits {
  /** Registers the waits not registered yet; the entity keeps itself alive while it has any. */
  readonly watchAll: (waits: ReadonlyArray<PendingWait>) => Effect.Effect<void>
  /** The outcomes of the waits that ended, to be recorded. */
  readonly completions: Queue.Dequeue<Completion>
  /** Drops the waits whose outcomes were recorded; the entity may go idle once it has none. */
  readonly forget: (recorded: ReadonlyArray<Completion>) => Effect.Effect<void>
  /**
   * What the polls saw since the last call: of the waits whose job was seen for the first time or changed
   * status, and, with `all`, of every wait whose polls saw something.
   */
  readonly observations: (all: boolean) => ReadonlyArray<Observation>
  /** Leaves every registration (the entity stops: the next runner takes the waits over). */
  readonly leaveAll: Effect.Effect<void>
  /** How many waits are registered. */
  readonly size: () => number
}

export const make = (
  knowledgeBaseId: string,
  options: Options,
  onEnded: () => void = () => {}
): Effect.Effect<WatchedWaits, never, WaitEngine | Sharding | Entity.CurrentAddress> =>
  Effect.gen(function* () {
    const state: State = {
      knowledgeBaseId,
      options,
      onEnded,
      engine: yield* WaitEngine,
      registrations: new Map(),
      seen: new Map(),
      completions: yield* Queue.unbounded<Completion>()
    }
    const { registrations } = state
    const context = yield* Effect.context<Sharding | Entity.CurrentAddress>()
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

    return {
      watchAll: (waits) =>
        lock.withPermits(1)(
          Effect.gen(function* () {
            yield* Effect.forEach(waits, (wait) => watch(state, wait), { discard: true })
            yield* keepAlive(registrations.size > 0)
          })
        ),
      completions: state.completions,
      forget: (recorded) =>
        lock.withPermits(1)(
          Effect.suspend(() => {
            for (const item of recorded) registrations.delete(keyOf(item))
            return keepAlive(registrations.size > 0)
          })
        ),
      observations: (all) => observationsOf(state.seen, all),
      leaveAll: Effect.suspend(() =>
        Effect.forEach(registrations.values(), (registration) => registration.leave, { discard: true })
      ),
      size: () => registrations.size
    }
  })
