/**
 * The durable registrations of waits, in PostgreSQL: what a runner needs to pick up every wait of a
 * knowledge base after another runner died, and the records that make each completion happen once.
 *
 * Three tables (created or upgraded once per database, by the first process that finds them missing or older,
 * under an advisory lock; their version is recorded in `tensoras_schema`):
 * - `tensoras_wait_batches`: one row per workflow execution (a batch of one or more waits on one
 *   knowledge base), with the token of the durable deferred that delivers its outcomes;
 * - `tensoras_waits`: one row per wait (batch, job): its deadline and what its polls saw, then its
 *   outcome, written once;
 * - `tensoras_wait_deliveries`: an append-only log, one row each time a batch was delivered.
 *
 * A wait's row also says which runner ended it (`ended_by`, the runner's `host:port`), and the runners keep their
 * recent polling rounds in `tensoras_rounds` (a ring of the last 1,000, since 1.0.0), for `tensoras-cluster ui`.
 *
 * @since 0.1.0
 */
import type { IngestionJob } from "@tensoras/ingestion/IngestionJob"
import type { Observed } from "@tensoras/ingestion/WaitError"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as SqlClient from "effect/sql/SqlClient"
import type { SqlError } from "effect/sql/SqlError"
import type { Delivered, OutcomeEncoded } from "./internal/outcome.js"
import { migrate } from "./internal/waitSchema.js"
import * as internal from "./internal/waitStore.js"

/**
 * A wait to register: a job and its deadline (epoch milliseconds).
 *
 * @example
 * ```ts
 * import type { WaitStore } from "@tensoras/ingestion-cluster"
 *
 * const wait: WaitStore.NewWait = { jobId: "job_def456", deadlineAt: Date.now() + 30 * 60_000 }
 * ```
 * @since 0.1.0
 * @category models
 */
export interface NewWait {
  readonly jobId: string
  readonly deadlineAt: number
}

/**
 * A batch of waits on one knowledge base, registered by one workflow execution.
 *
 * @example
 * ```ts
 * import type { WaitStore } from "@tensoras/ingestion-cluster"
 *
 * const batch: WaitStore.NewBatch = {
 *   batchId: "execution-id",
 *   knowledgeBaseId: "kb_abc123",
 *   token: "deferred-token",
 *   waits: [{ jobId: "job_def456", deadlineAt: Date.now() + 60_000 }]
 * }
 * ```
 * @since 0.1.0
 * @category models
 */
export interface NewBatch {
  readonly batchId: string
  readonly knowledgeBaseId: string
  /** The token of the workflow's durable deferred (`DurableDeferred.token`). */
  readonly token: string
  readonly waits: ReadonlyArray<NewWait>
}

/**
 * A registered wait that has not ended.
 *
 * @example
 * ```ts
 * import type { WaitStore } from "@tensoras/ingestion-cluster"
 *
 * const describe = (wait: WaitStore.PendingWait) => `${wait.jobId} until ${new Date(wait.deadlineAt).toISOString()}`
 * ```
 * @since 0.1.0
 * @category models
 */
export interface PendingWait {
  readonly batchId: string
  readonly jobId: string
  readonly deadlineAt: number
  /** The job as its polls last saw it, on whichever runner (`null`: none seen yet). Since 1.0.0. */
  readonly lastJob?: IngestionJob | null | undefined
  /** What its polls saw so far, on whichever runner (`null`: nothing yet). Since 1.0.0. */
  readonly observed?: Observed | null | undefined
  /** When it was registered (epoch milliseconds). Since 1.0.0. */
  readonly registeredAt?: number | undefined
}

/**
 * What the polls of a wait saw so far, kept so that a runner that takes the wait over after another died
 * goes on from there (a timeout then says what was seen before the failover too).
 *
 * @example
 * ```ts
 * import type { WaitStore } from "@tensoras/ingestion-cluster"
 *
 * const none: WaitStore.Observation = {
 *   batchId: "execution-id",
 *   jobId: "job_def456",
 *   lastJob: null,
 *   observed: { responses: 0, retries: 0, statuses: {}, httpStatuses: {} }
 * }
 * ```
 * @since 1.0.0
 * @category models
 */
export interface Observation {
  readonly batchId: string
  readonly jobId: string
  readonly lastJob: IngestionJob | null
  readonly observed: Observed
}

/**
 * The outcome of one wait, to record.
 *
 * @example
 * ```ts
 * import type { WaitStore } from "@tensoras/ingestion-cluster"
 *
 * declare const outcome: WaitStore.Completion["outcome"]
 * const completion: WaitStore.Completion = { batchId: "execution-id", jobId: "job_def456", outcome }
 * ```
 * @since 0.1.0
 * @category models
 */
export interface Completion {
  readonly batchId: string
  readonly jobId: string
  readonly outcome: OutcomeEncoded
}

/**
 * A batch whose every wait has ended: its deferred's token and the outcomes in registration order.
 *
 * @example
 * ```ts
 * import type { WaitStore } from "@tensoras/ingestion-cluster"
 *
 * const jobs = (batch: WaitStore.ClosedBatch) => batch.outcomes.map((o) => o.jobId)
 * ```
 * @since 0.1.0
 * @category models
 */
export interface ClosedBatch {
  readonly batchId: string
  readonly token: string
  readonly outcomes: ReadonlyArray<Delivered>
}

/**
 * Counts of the delivery log, for operators and tests: batches, those delivered, and log rows
 * (equal to the delivered batches when every batch was delivered once).
 *
 * @example
 * ```ts
 * import type { WaitStore } from "@tensoras/ingestion-cluster"
 *
 * const exactlyOnce = (s: WaitStore.DeliveryStats) => s.deliveries === s.deliveredBatches && s.duplicates === 0
 * ```
 * @since 0.1.0
 * @category models
 */
export interface DeliveryStats {
  readonly batches: number
  readonly deliveredBatches: number
  readonly deliveries: number
  /** Batches with more than one row in the delivery log. */
  readonly duplicates: number
  readonly waits: number
  readonly endedWaits: number
}

/**
 * The store of durable wait registrations.
 *
 * @example
 * ```ts
 * import { WaitStore } from "@tensoras/ingestion-cluster"
 * import * as Effect from "effect/Effect"
 *
 * const pending = Effect.flatMap(WaitStore.WaitStore, (store) => store.pending("kb_abc123"))
 * ```
 * @since 0.1.0
 * @category services
 */
export class WaitStore extends Context.Service<
  WaitStore,
  {
    /** Registers a batch and its waits; registering the same batch again changes nothing. */
    readonly register: (batch: NewBatch) => Effect.Effect<void, SqlError>
    /** The waits of a knowledge base that have not ended. */
    readonly pending: (knowledgeBaseId: string) => Effect.Effect<ReadonlyArray<PendingWait>, SqlError>
    /** The knowledge bases that have waits which have not ended. */
    readonly knowledgeBasesWithPendingWaits: Effect.Effect<ReadonlyArray<string>, SqlError>
    /** The waits of one batch that have not ended. */
    readonly pendingOf: (batchId: string) => Effect.Effect<ReadonlyArray<PendingWait>, SqlError>
    /**
     * Records outcomes (a wait's first outcome wins; later ones are ignored), then closes every batch
     * whose waits have all ended, writing its delivery-log row in the same statement. Returns the
     * batches this call closed: each is closed by exactly one call.
     */
    readonly complete: (
      runner: string,
      completions: ReadonlyArray<Completion>
    ) => Effect.Effect<ReadonlyArray<ClosedBatch>, SqlError>
    /**
     * Batches of the knowledge base to deliver: closed but not acknowledged (the deferred may not have
     * been completed before a crash), and those whose waits all ended but that were not closed yet
     * (closed now, by this call).
     */
    readonly undelivered: (
      runner: string,
      knowledgeBaseId: string
    ) => Effect.Effect<ReadonlyArray<ClosedBatch>, SqlError>
    /** Marks batches as delivered to their workflow (their deferred was completed). */
    readonly acknowledge: (batchIds: ReadonlyArray<string>) => Effect.Effect<void, SqlError>
    /** Records what the polls of waits that have not ended saw so far. Since 1.0.0. */
    readonly observe: (observations: ReadonlyArray<Observation>) => Effect.Effect<void, SqlError>
    /**
     * Delivered batches whose workflow was not yet seen to finish, delivered (and last looked at) more than
     * `olderThanMs` ago: at most `limit`, each marked as looked at now. For the re-drive sweep. Since 1.0.0.
     */
    readonly delivered: (
      olderThanMs: number,
      limit: number
    ) => Effect.Effect<ReadonlyArray<ClosedBatch>, SqlError>
    /** Marks batches whose workflow was seen to finish: the sweep looks at them no more. Since 1.0.0. */
    readonly settle: (batchIds: ReadonlyArray<string>) => Effect.Effect<void, SqlError>
    /** The counts of the delivery log. */
    readonly stats: Effect.Effect<DeliveryStats, SqlError>
  }
>()("@tensoras/ingestion-cluster/WaitStore") {}

/**
 * Creates or upgrades the tables if needed (once per database, whichever process comes first, under an
 * advisory lock; on a database already current it only reads their version, taking no lock on them) and
 * returns the store.
 *
 * @example
 * ```ts
 * import { WaitStore } from "@tensoras/ingestion-cluster"
 * import * as Effect from "effect/Effect"
 *
 * const program = Effect.flatMap(WaitStore.make, (store) => store.stats)
 * ```
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<WaitStore["Service"], SqlError, SqlClient.SqlClient> = Effect.gen(
  function* () {
    const sql = yield* SqlClient.SqlClient
    yield* migrate(sql)
    return WaitStore.of(internal.make(sql))
  }
)

/**
 * The store on the `SqlClient` in context (PostgreSQL).
 *
 * @example
 * ```ts
 * import { WaitStore } from "@tensoras/ingestion-cluster"
 * import * as PgClient from "@effect/sql-pg/PgClient"
 * import * as Layer from "effect/Layer"
 * import * as Redacted from "effect/Redacted"
 *
 * const live = WaitStore.layer.pipe(
 *   Layer.provide(PgClient.layer({ url: Redacted.make("postgres://postgres@127.0.0.1:5432/postgres") }))
 * )
 * ```
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<WaitStore, SqlError, SqlClient.SqlClient> = Layer.effect(WaitStore, make)
