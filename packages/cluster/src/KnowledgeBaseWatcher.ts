/**
 * The entity that watches one knowledge base for the whole cluster: it runs core's wait engine (one
 * polling loop per knowledge base) for every wait registered on that knowledge base, records each
 * outcome in PostgreSQL once, and completes the waiting workflows' durable deferreds.
 *
 * Sharded by knowledge base id: at any time one runner hosts it. It holds nothing that is not in
 * PostgreSQL: when its runner dies, a persisted keep-alive message brings it up on another runner,
 * which reloads the knowledge base's waits and goes on polling.
 *
 * @since 0.1.0
 */
import type * as PollSchedule from "@tensoras/ingestion/PollSchedule"
import type { WaitEngine } from "@tensoras/ingestion/WaitEngine"
import * as ClusterSchema from "effect/cluster/ClusterSchema"
import * as Entity from "effect/cluster/Entity"
import type { Sharding } from "effect/cluster/Sharding"
import * as Singleton from "effect/cluster/Singleton"
import type * as Duration from "effect/Duration"
import * as Layer from "effect/Layer"
import * as Rpc from "effect/rpc/Rpc"
import * as Schema from "effect/Schema"
import type { WorkflowEngine } from "effect/workflow/WorkflowEngine"
import * as internal from "./internal/knowledgeBaseWatcher.js"
import type { WaitStore } from "./WaitStore.js"

/**
 * The message a workflow sends after registering a batch of waits in PostgreSQL: watch them.
 * Persisted, keyed by the batch, so a retried registration is delivered once.
 *
 * @example
 * ```ts
 * import { KnowledgeBaseWatcher } from "@tensoras/ingestion-cluster"
 *
 * KnowledgeBaseWatcher.Watch._tag // "Watch"
 * ```
 * @since 0.1.0
 * @category messages
 */
export const Watch = Rpc.make("Watch", {
  payload: { batchId: Schema.String },
  primaryKey: ({ batchId }) => batchId
}).annotate(ClusterSchema.Persisted, true)

/**
 * A nudge with no content: any message starts the entity if it is not running, and starting it reloads
 * its knowledge base's pending waits. A singleton of the cluster sends it, every few seconds, to each
 * knowledge base with pending waits (see {@link layer}): a safety net under the entity's keep-alive.
 *
 * @example
 * ```ts
 * import { KnowledgeBaseWatcher } from "@tensoras/ingestion-cluster"
 *
 * KnowledgeBaseWatcher.Resume._tag // "Resume"
 * ```
 * @since 0.1.0
 * @category messages
 */
export const Resume = Rpc.make("Resume")

/**
 * The entity type: one entity per knowledge base id.
 *
 * @example
 * ```ts
 * import { KnowledgeBaseWatcher } from "@tensoras/ingestion-cluster"
 * import * as Effect from "effect/Effect"
 *
 * // On a runner (or a process with Sharding): nudge the watcher of a knowledge base.
 * const nudge = Effect.flatMap(KnowledgeBaseWatcher.KnowledgeBaseWatcher.client, (client) =>
 *   client("kb_abc123").Watch({ batchId: "execution-id" }, { discard: true })
 * )
 * ```
 * @since 0.1.0
 * @category entities
 */
export const KnowledgeBaseWatcher = Entity.make("tensoras.KnowledgeBaseWatcher", [Watch, Resume])

/**
 * Options of {@link layer}.
 *
 * @example
 * ```ts
 * import { KnowledgeBaseWatcher } from "@tensoras/ingestion-cluster"
 * import { PollSchedule } from "@tensoras/ingestion"
 *
 * const options: KnowledgeBaseWatcher.Options = { schedule: PollSchedule.fixed("2 seconds") }
 * ```
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** The poll cadence of every wait. Default: core's default schedule. */
  readonly schedule?: PollSchedule.PollSchedule | undefined
  /** How often the cluster's singleton nudges each knowledge base with pending waits. Default 5 seconds. */
  readonly resumeEvery?: Duration.Input | undefined
}

/**
 * Registers the entity's behaviour with the runner's `Sharding`: for its knowledge base, load the
 * pending waits from the `WaitStore`, register each with the `WaitEngine`, record outcomes (each
 * wait's once), and deliver every batch whose waits all ended to its workflow (`DurableDeferred.done`).
 *
 * @example
 * ```ts
 * import { KnowledgeBaseWatcher } from "@tensoras/ingestion-cluster"
 *
 * const entity = KnowledgeBaseWatcher.layer({})
 * // provide WaitEngine, WaitStore, WorkflowEngine and Sharding: IngestionCluster.runner does
 * ```
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: Options = {}
): Layer.Layer<never, never, WaitEngine | WaitStore | WorkflowEngine | Sharding> =>
  Layer.merge(
    KnowledgeBaseWatcher.toLayer(internal.behaviour(options), {
      // The entity decides its lifetime with keep-alive while it has waits; idle, it leaves soon.
      maxIdleTime: "30 seconds"
    }),
    // One per cluster: after a runner died, its knowledge bases start on their new runner at the next nudge
    // even if no other message comes for them.
    Singleton.make(
      "tensoras.KnowledgeBaseWatcher/resume",
      internal.resumer(options.resumeEvery ?? "5 seconds")
    )
  )
