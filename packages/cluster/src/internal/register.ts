import * as WaitEngine from "@tensoras/ingestion/WaitEngine"
import * as Clock from "effect/Clock"
import type { Sharding } from "effect/cluster/Sharding"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import * as Activity from "effect/workflow/Activity"
import * as DurableDeferred from "effect/workflow/DurableDeferred"
import type { WorkflowEngine, WorkflowInstance } from "effect/workflow/WorkflowEngine"
import { KnowledgeBaseWatcher } from "../KnowledgeBaseWatcher.js"
import { WaitStore } from "../WaitStore.js"
import { Deliverable } from "./deliverable.js"
import * as Outcome from "./outcome.js"

/** Core's default for a wait without a timeout. */
export const DEFAULT_TIMEOUT = WaitEngine.DEFAULT_TIMEOUT

const retry = Schedule.min([Schedule.exponential("100 millis", 2), Schedule.spaced("5 seconds")]).pipe(
  Schedule.upTo({ duration: "2 minutes" })
)

/**
 * Inside a wait workflow: registers its waits in PostgreSQL (deadlines fixed at the first attempt), tells
 * the knowledge base's watcher, and awaits the batch's outcomes. The registration is an activity (journaled:
 * a replay does not run it again) and idempotent (a retried attempt registers nothing new).
 */
export const registerAndAwait = (options: {
  readonly executionId: string
  readonly knowledgeBaseId: string
  readonly jobIds: ReadonlyArray<string>
  readonly timeout: Duration.Duration | undefined
}): Effect.Effect<
  ReadonlyArray<{ readonly jobId: string; readonly outcome: Outcome.Outcome }>,
  never,
  WaitStore | Sharding | WorkflowEngine | WorkflowInstance
> =>
  Effect.gen(function* () {
    const token = yield* DurableDeferred.token(Deliverable)
    yield* Activity.make({
      name: "tensoras.register",
      execute: Effect.gen(function* () {
        const store = yield* WaitStore
        const now = yield* Clock.currentTimeMillis
        const deadlineAt = WaitEngine.deadlineOf({ timeout: options.timeout }, now)
        yield* store.register({
          batchId: options.executionId,
          knowledgeBaseId: options.knowledgeBaseId,
          token,
          waits: options.jobIds.map((jobId) => ({ jobId, deadlineAt }))
        })
        const client = yield* KnowledgeBaseWatcher.client
        yield* client(options.knowledgeBaseId).Watch({ batchId: options.executionId }, { discard: true })
      }).pipe(
        // Logged, so that an operator sees a registration that keeps failing (PostgreSQL, the cluster).
        Effect.tapError((error) =>
          Effect.logWarning("registering a wait failed; retrying", `${error._tag}: ${error.message}`)
        ),
        Effect.retry(retry),
        Effect.orDie
      )
    })
    const delivered = yield* DurableDeferred.await(Deliverable)
    return yield* Effect.forEach(delivered, ({ jobId, outcome }) =>
      Effect.map(Outcome.decode(outcome), (decoded) => ({ jobId, outcome: decoded }))
    ).pipe(Effect.orDie)
  })

/** A job id list as the engine takes it: non-empty, no duplicates (checked before anything is registered). */
export const JobIds = Schema.Array(Schema.String)
