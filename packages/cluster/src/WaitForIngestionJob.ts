/**
 * A durable wait for one ingestion job, as an `effect/workflow` workflow: it survives the death of
 * any process, and the same wait started twice (same knowledge base and job, or the same
 * `idempotencyKey`) is one wait. It succeeds with the completed job and fails with the same typed
 * errors as core's `waitFor`: `IngestionJobFailed`, `WaitTimeout`, or the client's (`NotFound`, ...).
 *
 * @since 0.1.0
 */
import { IngestionJobDetail } from "@tensoras/ingestion/IngestionJob"
import * as Wait from "@tensoras/ingestion/Wait"
import { WaitError } from "@tensoras/ingestion/WaitError"
import type { Sharding } from "effect/cluster/Sharding"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import * as Workflow from "effect/workflow/Workflow"
import type { WorkflowEngine } from "effect/workflow/WorkflowEngine"
import { resultOrStored } from "./internal/fromStore.js"
import * as Outcome from "./internal/outcome.js"
import { registerAndAwait } from "./internal/register.js"
import type { WaitStore } from "./WaitStore.js"

/**
 * The workflow. Its payload: `knowledgeBaseId`, `jobId`, an optional `timeout` (default 30 minutes,
 * from the first start) and an optional `idempotencyKey` (default `knowledgeBaseId/jobId`). Its success:
 * the terminal job (`status: "completed"`, with `document_details`). Call `execute` inside your own
 * workflow, or from any process with `IngestionCluster.client`.
 *
 * @example
 * ```ts
 * import { WaitForIngestionJob } from "@tensoras/ingestion-cluster"
 * import * as Duration from "effect/Duration"
 * import * as Effect from "effect/Effect"
 *
 * const job = WaitForIngestionJob.WaitForIngestionJob.execute({
 *   knowledgeBaseId: "kb_abc123",
 *   jobId: "job_def456",
 *   timeout: Duration.minutes(15)
 * }).pipe(Effect.catchTag("IngestionJobFailed", (e) => Effect.succeed(e.job)))
 * ```
 * @since 0.1.0
 * @category workflows
 */
export const WaitForIngestionJob = Workflow.make("tensoras.WaitForIngestionJob", {
  payload: {
    knowledgeBaseId: Schema.String,
    jobId: Schema.String,
    timeout: Schema.optional(Schema.DurationFromMillis),
    idempotencyKey: Schema.optional(Schema.String)
  },
  success: IngestionJobDetail,
  error: WaitError,
  idempotencyKey: (payload) => payload.idempotencyKey ?? `${payload.knowledgeBaseId}/${payload.jobId}`
})

/**
 * The workflow's implementation, for runners (`IngestionCluster.runner` includes it).
 *
 * @example
 * ```ts
 * import { WaitForIngestionJob } from "@tensoras/ingestion-cluster"
 *
 * const implementation = WaitForIngestionJob.layer
 * ```
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<never, never, WorkflowEngine | WaitStore | Sharding> =
  WaitForIngestionJob.toLayer((payload, executionId) =>
    Effect.flatMap(
      registerAndAwait({
        executionId,
        knowledgeBaseId: payload.knowledgeBaseId,
        jobIds: [payload.jobId],
        timeout: payload.timeout
      }),
      ([delivered]) =>
        delivered === undefined
          ? Effect.die(new Error(`No outcome was delivered for job '${payload.jobId}'`))
          : Result.match(delivered.outcome, { onFailure: Effect.fail, onSuccess: Effect.succeed })
    )
  )

/**
 * Waits durably for a job from any process with a `WorkflowEngine` (a runner, or
 * `IngestionCluster.client`): starts the workflow, or joins it if it exists, and returns what core's
 * `waitFor` returns: the completed job with `partial` and `failedDocuments`.
 *
 * @example
 * ```ts
 * import { IngestionCluster, WaitForIngestionJob } from "@tensoras/ingestion-cluster"
 * import * as Effect from "effect/Effect"
 *
 * const program = WaitForIngestionJob.waitFor("kb_abc123", "job_def456", { timeout: "15 minutes" }).pipe(
 *   Effect.map((job) => (job.partial ? `${job.failedDocuments.length} documents failed` : "all ingested")),
 *   Effect.provide(IngestionCluster.client({ databaseUrl: "postgres://postgres@127.0.0.1:5432/postgres" }))
 * )
 * ```
 * @since 0.1.0
 * @category waiting
 */
export const waitFor = (
  knowledgeBaseId: string,
  jobId: string,
  options: { readonly timeout?: Duration.Input | undefined; readonly idempotencyKey?: string } = {}
): Effect.Effect<Wait.CompletedJob, WaitError, WorkflowEngine> => {
  const payload = {
    knowledgeBaseId,
    jobId,
    ...(options.timeout === undefined ? {} : { timeout: Duration.fromInputUnsafe(options.timeout) }),
    ...(options.idempotencyKey === undefined ? {} : { idempotencyKey: options.idempotencyKey })
  }
  return Effect.flatMap(
    resultOrStored(
      WaitForIngestionJob.execute(payload),
      WaitForIngestionJob.executionId(payload),
      1,
      ([row]) =>
        row?.outcome == null
          ? Effect.die(new Error(`No outcome was stored for job '${jobId}'`))
          : Effect.flatMap(Effect.orDie(Outcome.decode(row.outcome)), (result) =>
              Result.match(result, { onFailure: Effect.fail, onSuccess: Effect.succeed })
            )
    ),
    Wait.outcome
  )
}
