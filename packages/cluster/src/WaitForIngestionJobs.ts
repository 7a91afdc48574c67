/**
 * A durable wait for many jobs of one knowledge base, as one workflow: one registration, one
 * delivery when the last of them ended, and a result per job (one failing job never fails the others).
 *
 * @since 0.1.0
 */
import { InvalidInput } from "@tensoras/ingestion/IngestionError"
import * as Wait from "@tensoras/ingestion/Wait"
import type { WaitError } from "@tensoras/ingestion/WaitError"
import type { Sharding } from "effect/cluster/Sharding"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import * as Workflow from "effect/workflow/Workflow"
import type { WorkflowEngine } from "effect/workflow/WorkflowEngine"
import { resultOrStored } from "./internal/fromStore.js"
import { decode as decodeOutcome, Outcome } from "./internal/outcome.js"
import { registerAndAwait } from "./internal/register.js"
import type { WaitRow } from "./internal/waitRows.js"
import type { WaitStore } from "./WaitStore.js"

/**
 * One job's result: a `Result`, `Success` with the completed job, `Failure` with its `WaitError`.
 *
 * @example
 * ```ts
 * import { WaitForIngestionJobs } from "@tensoras/ingestion-cluster"
 * import * as Result from "effect/Result"
 *
 * const line = (r: WaitForIngestionJobs.JobResult) =>
 *   `${r.jobId}: ${Result.isSuccess(r.outcome) ? "completed" : r.outcome.failure._tag}`
 * ```
 * @since 0.1.0
 * @category models
 */
export const JobResult = Schema.Struct({ jobId: Schema.String, outcome: Outcome })

/**
 * @since 0.1.0
 * @category models
 */
export interface JobResult extends Schema.Schema.Type<typeof JobResult> {}

/**
 * The workflow. Its payload: `knowledgeBaseId`, `jobIds` (at least one, no duplicates), an optional
 * `timeout` for all of them and an optional `idempotencyKey` (default: the knowledge base and the job
 * ids). Its success: a {@link JobResult} per job, in the order of `jobIds`.
 *
 * @example
 * ```ts
 * import { WaitForIngestionJobs } from "@tensoras/ingestion-cluster"
 * import * as Effect from "effect/Effect"
 * import * as Result from "effect/Result"
 *
 * // Inside your own workflow: wait for every source's sync, then go on.
 * const synced = WaitForIngestionJobs.WaitForIngestionJobs.execute({
 *   knowledgeBaseId: "kb_abc123",
 *   jobIds: ["job_1", "job_2", "job_3"]
 * }).pipe(Effect.map((results) => results.filter((r) => Result.isFailure(r.outcome)).length))
 * ```
 * @since 0.1.0
 * @category workflows
 */
export const WaitForIngestionJobs = Workflow.make("tensoras.WaitForIngestionJobs", {
  payload: {
    knowledgeBaseId: Schema.String,
    jobIds: Schema.Array(Schema.String),
    timeout: Schema.optional(Schema.DurationFromMillis),
    idempotencyKey: Schema.optional(Schema.String)
  },
  success: Schema.Array(JobResult),
  error: InvalidInput,
  idempotencyKey: (payload) =>
    payload.idempotencyKey ?? `${payload.knowledgeBaseId}/${payload.jobIds.join("\u0000")}`
})

const validate = (jobIds: ReadonlyArray<string>): Effect.Effect<void, InvalidInput> => {
  if (jobIds.length === 0) {
    return Effect.fail(new InvalidInput({ param: "jobIds", message: "jobIds must name at least one job" }))
  }
  const duplicate = jobIds.find((jobId, index) => jobIds.indexOf(jobId) !== index)
  return duplicate === undefined
    ? Effect.void
    : Effect.fail(new InvalidInput({ param: "jobIds", message: `jobIds names '${duplicate}' twice` }))
}

/**
 * The workflow's implementation, for runners (`IngestionCluster.runner` includes it).
 *
 * @example
 * ```ts
 * import { WaitForIngestionJobs } from "@tensoras/ingestion-cluster"
 *
 * const implementation = WaitForIngestionJobs.layer
 * ```
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<never, never, WorkflowEngine | WaitStore | Sharding> =
  WaitForIngestionJobs.toLayer((payload, executionId) =>
    Effect.andThen(
      validate(payload.jobIds),
      registerAndAwait({
        executionId,
        knowledgeBaseId: payload.knowledgeBaseId,
        jobIds: payload.jobIds,
        timeout: payload.timeout
      })
    )
  )

/**
 * Waits durably for many jobs from any process with a `WorkflowEngine`: per job, the completed job
 * (as core's `waitFor` returns it) or its error, in the order of `jobIds`. Fails only with
 * `InvalidInput` (no job ids, or one named twice), before anything is registered.
 *
 * For many jobs, call it once per knowledge base and batch of up to 1,000 jobs (as `tensoras-cluster wait`
 * does), not once per job: a workflow's start costs several PostgreSQL round trips, a wait inside one a row.
 *
 * @example
 * ```ts
 * import { IngestionCluster, WaitForIngestionJobs } from "@tensoras/ingestion-cluster"
 * import * as Effect from "effect/Effect"
 * import * as Result from "effect/Result"
 *
 * const program = WaitForIngestionJobs.waitForAll("kb_abc123", ["job_1", "job_2"]).pipe(
 *   Effect.map((results) => results.filter(Result.isSuccess).length),
 *   Effect.provide(IngestionCluster.client({ databaseUrl: "postgres://postgres@127.0.0.1:5432/postgres" }))
 * )
 * ```
 * @since 0.1.0
 * @category waiting
 */
export const waitForAll = (
  knowledgeBaseId: string,
  jobIds: ReadonlyArray<string>,
  options: { readonly timeout?: Duration.Input | undefined; readonly idempotencyKey?: string } = {}
): Effect.Effect<
  ReadonlyArray<Result.Result<Wait.CompletedJob, WaitError>>,
  InvalidInput,
  WorkflowEngine
> => {
  const payload = {
    knowledgeBaseId,
    jobIds,
    ...(options.timeout === undefined ? {} : { timeout: Duration.fromInputUnsafe(options.timeout) }),
    ...(options.idempotencyKey === undefined ? {} : { idempotencyKey: options.idempotencyKey })
  }
  const fromRows = (rows: ReadonlyArray<WaitRow>) =>
    Effect.forEach(jobIds, (jobId) => {
      const outcome = rows.find((row) => row.jobId === jobId)?.outcome
      return outcome == null
        ? Effect.die(new Error(`No outcome was stored for job '${jobId}'`))
        : Effect.map(
            Effect.orDie(decodeOutcome(outcome)),
            (decoded): JobResult => ({ jobId, outcome: decoded })
          )
    })
  return Effect.andThen(
    validate(jobIds),
    Effect.flatMap(
      resultOrStored(
        WaitForIngestionJobs.execute(payload),
        WaitForIngestionJobs.executionId(payload),
        jobIds.length,
        fromRows
      ),
      (results) =>
        Effect.forEach(
          results,
          (result): Effect.Effect<Result.Result<Wait.CompletedJob, WaitError>> =>
            Result.isFailure(result.outcome)
              ? Effect.succeed(Result.fail(result.outcome.failure))
              : Effect.result(Wait.outcome(result.outcome.success))
        )
    )
  )
}
