/**
 * The workflows a `tensoras-cluster wait` starts: one `WaitForIngestionJobs` per batch of its jobs that need a new
 * wait (a knowledge base per command, up to {@link BATCH_SIZE} jobs per workflow), instead of one workflow per job:
 * a workflow's start costs several PostgreSQL round trips and messages between runners, a wait inside one a row.
 *
 * A batch's workflow is named after its jobs and how many waits each had before (its idempotency key): the same
 * command run again after a crash, before the batch was registered, finds the same jobs with the same counts and
 * joins the same workflow instead of starting a second one; after a wait timed out, its job's count has grown, and
 * its next wait is a new workflow.
 */
import { createHash } from "node:crypto"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import type { WorkflowEngine } from "effect/workflow/WorkflowEngine"
import * as WaitForIngestionJobs from "../../WaitForIngestionJobs.js"

/**
 * Jobs per workflow. A batch's registration is one transaction of this many rows, and its delivery one message
 * with as many outcomes (a few hundred kilobytes): 10,000 jobs are 10 workflows.
 */
export const BATCH_SIZE = 1_000

/** A job that needs a new wait: its id, and how many waits it had in PostgreSQL before this one. */
export interface NewWaitOf {
  readonly jobId: string
  readonly waits: number
}

/** The idempotency key of a batch: its knowledge base, and a digest of its jobs with their counts (in any order). */
export const keyOf = (knowledgeBaseId: string, jobs: ReadonlyArray<NewWaitOf>): string => {
  const hash = createHash("sha256")
  for (const line of jobs.map((job) => `${job.jobId}\u0000${job.waits}`).sort()) hash.update(`${line}\n`)
  return `${knowledgeBaseId}/tensoras-cluster-wait/${hash.digest("hex")}`
}

/** The payload of a batch's workflow: its waits last `timeoutMs` from their registration. */
export const payloadOf = (knowledgeBaseId: string, jobs: ReadonlyArray<NewWaitOf>, timeoutMs: number) => ({
  knowledgeBaseId,
  jobIds: jobs.map((job) => job.jobId),
  timeout: Duration.millis(timeoutMs),
  idempotencyKey: keyOf(knowledgeBaseId, jobs)
})

export type BatchPayload = ReturnType<typeof payloadOf>

/** The workflow execution of a batch: the `batch_id` of its waits in PostgreSQL. */
export const executionIdOf = (payload: BatchPayload): Effect.Effect<string> =>
  WaitForIngestionJobs.WaitForIngestionJobs.executionId(payload)

/**
 * Starts a batch's workflow (or joins it, if it was started before). The start is a message saved in PostgreSQL for
 * the runner of its shard: whichever runner holds that shard, now or after a failover, runs it. A start that fails
 * is tried again while `retryWhile` holds (the command's deadline).
 */
export const start = (
  payload: BatchPayload,
  retryWhile: () => boolean
): Effect.Effect<void, never, WorkflowEngine> =>
  WaitForIngestionJobs.WaitForIngestionJobs.execute(payload, { discard: true }).pipe(
    Effect.timeout("15 seconds"),
    Effect.sandbox,
    Effect.retry({ schedule: Schedule.spaced("500 millis"), while: retryWhile }),
    Effect.ignore
  )
