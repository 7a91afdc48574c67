/**
 * Waiting for ingestion jobs in Effect, on the process's {@link WaitEngine.WaitEngine}: every wait
 * is a registration with the engine, so a thousand waits on one knowledge base share one
 * polling loop.
 *
 * - {@link waitFor}: the completed job, or a typed `WaitError`;
 * - {@link waitForAll}: many jobs, one result each (one failing job never fails the others);
 * - {@link watch}: a `Stream` of a job each time it changes, ending with the terminal job;
 * - {@link watchAll}: the same for many jobs, one stream;
 * - {@link waitForActive}: every job of a knowledge base running when the call began.
 *
 * Time is Effect's: tests drive schedules and deadlines with `TestClock`. Interrupting a wait
 * leaves the engine; the last wait of a knowledge base stops its loop and the request in flight.
 *
 * @since 0.1.0
 */
import type * as Effect from "effect/Effect"
import type * as Result from "effect/Result"
import type * as Stream from "effect/Stream"
import type { IngestionError, InvalidInput } from "./IngestionError.js"
import type * as IngestionJob from "./IngestionJob.js"
import type { IngestionJobs } from "./IngestionJobs.js"
import * as internal from "./internal/wait.js"
import * as internalActive from "./internal/waitActive.js"
import * as rules from "./internal/waitRules.js"
import type * as PollSchedule from "./PollSchedule.js"
import type { Retrying, WaitEngine, WaitEvent, WaitExit, WaitOptions } from "./WaitEngine.js"
import type { IngestionJobFailed, TerminalClientError, WaitError, WaitTimeout } from "./WaitError.js"

/**
 * A completed job, as a wait returns it: the job (with `document_details`), plus whether some
 * documents failed, and which. `partial: true` is a success you should not read as "everything
 * was ingested".
 *
 * @category models
 * @since 0.1.0
 */
export type CompletedJob = IngestionJob.IngestionJobDetail & { readonly status: "completed" } & (
    | { readonly partial: false }
    | { readonly partial: true; readonly failedDocuments: ReadonlyArray<IngestionJob.DocumentDetail> }
  )

/**
 * What {@link watchAll} emits: a job that changed, or a wait that ended and how.
 *
 * @category models
 * @since 0.1.0
 */
export type JobUpdate =
  | {
      readonly _tag: "Changed"
      readonly jobId: string
      /** With `documents: { ended, total }` when polled by GET while running (see `PollSchedule.Polled`). */
      readonly job: PollSchedule.Polled
    }
  | {
      readonly _tag: "Ended"
      readonly jobId: string
      readonly result: Result.Result<CompletedJob, WaitError>
    }

/**
 * Who hears a wait's retries: `onRetry` is told each retry of a request that serves the wait (the
 * error, the attempt, the delay), as `WaitEngine`'s `Retrying` event. A request that serves several
 * waits (a sweep's list) is told to each. A retry is no outcome: the wait goes on.
 *
 * @example
 * ```ts
 * import { IngestionError, Wait } from "@tensoras/ingestion"
 *
 * const wait = Wait.waitFor("kb_abc123", "job_def456", {
 *   onRetry: (retry) => console.error(`${IngestionError.summarize(retry.error)}, retry ${retry.attempt} in ${retry.delayMs} ms`)
 * })
 * ```
 * @category models
 * @since 1.1.0
 */
export interface RetryListener {
  readonly onRetry?: ((retry: Retrying) => void) | undefined
}

/**
 * A job's {@link JobUpdate} when its wait ended: its id and its result.
 * @category models
 * @since 1.1.0
 */
export type JobEnded = Extract<JobUpdate, { readonly _tag: "Ended" }>

/**
 * Options of {@link waitForAll} and {@link waitForActive}: a wait's, plus `onUpdate`, told what
 * {@link watchAll} emits as it happens: a `Changed` update each time a job changes (the terminal job
 * included), and each job's `Ended` update (its result) as soon as it ends, not when the slowest has.
 *
 * @example
 * ```ts
 * import { Wait } from "@tensoras/ingestion"
 *
 * const results = Wait.waitForAll("kb_abc123", ["job_1", "job_2"], {
 *   onUpdate: (u) => console.log(u._tag === "Changed" ? `${u.jobId}: ${u.job.status}` : `${u.jobId} ended`)
 * })
 * ```
 * @category models
 * @since 1.1.0
 */
export interface WaitAllOptions extends WaitOptions, RetryListener {
  readonly onUpdate?: ((update: JobUpdate) => void) | undefined
}

/**
 * Whether a wait's event shows the job changed: a poll whose status or counters moved, or the
 * terminal poll.
 *
 * @example
 * ```ts
 * import { Wait } from "@tensoras/ingestion"
 *
 * declare const event: import("@tensoras/ingestion").WaitEngine.WaitEvent
 * if (Wait.isChange(event)) console.log(event.job.status)
 * ```
 * @category predicates
 * @since 0.1.0
 */
export const isChange: (event: WaitEvent) => event is Extract<WaitEvent, { _tag: "Polled" }> =
  internal.isChange

/**
 * The outcome of a terminal job: the completed job, or `IngestionJobFailed`.
 *
 * @example
 * ```ts
 * import { Wait } from "@tensoras/ingestion"
 *
 * declare const job: import("@tensoras/ingestion").IngestionJob.IngestionJobDetail
 * const outcome = Wait.outcome(job) // Effect<CompletedJob, IngestionJobFailed>
 * ```
 * @category combinators
 * @since 0.1.0
 */
export const outcome: (
  job: IngestionJob.IngestionJobDetail
) => Effect.Effect<CompletedJob, IngestionJobFailed> = internal.outcome

/**
 * {@link outcome} as a `Result`, for synchronous callers.
 *
 * @example
 * ```ts
 * import { Wait } from "@tensoras/ingestion"
 * import * as Result from "effect/Result"
 *
 * declare const job: import("@tensoras/ingestion").IngestionJob.IngestionJobDetail
 * const result = Wait.outcomeResult(job)
 * if (Result.isSuccess(result)) console.log(result.success.partial)
 * else console.error(result.failure.message)
 * ```
 * @category combinators
 * @since 1.0.0
 */
export const outcomeResult: (
  job: IngestionJob.IngestionJobDetail
) => Result.Result<CompletedJob, IngestionJobFailed> = rules.outcomeResult

/**
 * The error a wait fails with when its job failed: `IngestionJobFailed` with the job, and the
 * message of the job's `error` (or "Ingestion job '…' failed" when it gave none). The one place
 * that text is made: {@link outcomeResult} and {@link exitResult} use it, and so should a program
 * that stores or relays outcomes of its own.
 *
 * @example
 * ```ts
 * import { Wait } from "@tensoras/ingestion"
 *
 * declare const job: import("@tensoras/ingestion").IngestionJob.IngestionJobDetail
 * if (job.status === "failed") console.error(Wait.jobFailed(job).message)
 * ```
 * @category constructors
 * @since 1.0.0
 */
export const jobFailed = (job: IngestionJob.IngestionJobDetail): IngestionJobFailed => rules.jobFailed(job)

/**
 * The result of a wait from how it ended (a registration's `onExit`): the completed job (see
 * {@link outcomeResult}: `partial`, `failedDocuments`), `IngestionJobFailed` for a failed job, or
 * the wait's own error (`WaitTimeout`, `NotFound`, ...). The same result {@link waitForAll} and
 * {@link watchAll} give; a program that registers with the engine itself (a command line, a
 * cluster) reads its waits' exits with it.
 *
 * @example
 * ```ts
 * import { Wait, WaitEngine } from "@tensoras/ingestion"
 * import * as Effect from "effect/Effect"
 * import * as Result from "effect/Result"
 *
 * const program = Effect.gen(function* () {
 *   const engine = yield* WaitEngine.WaitEngine
 *   yield* engine.register("kb_abc123", "job_def456", {}, {
 *     onExit: (exit) => {
 *       const result = Wait.exitResult(exit)
 *       console.log(Result.isSuccess(result) ? `${result.success.chunks_created} chunks` : result.failure._tag)
 *     }
 *   })
 * })
 * ```
 * @category combinators
 * @since 1.0.0
 */
export const exitResult: (exit: WaitExit) => Result.Result<CompletedJob, WaitError> = rules.exitResult

/**
 * Waits until the job is terminal: succeeds with the completed job (with `document_details`;
 * `partial: true` when some documents failed), fails with `IngestionJobFailed` (the final job and
 * its `error`), `WaitTimeout` (the deadline passed, or the schedule ended, first) or a client error
 * that ends a wait (`WaitError.TerminalClientError`: `NotFound`, `Unauthorized`, `Unreachable`, ...),
 * never a transient one. `onUpdate` hears the job each time it changes, `onRetry` each retry.
 *
 * @example
 * ```ts
 * import { IngestionJobs, Wait, WaitEngine } from "@tensoras/ingestion"
 * import * as FetchHttpClient from "effect/http/FetchHttpClient"
 * import * as Effect from "effect/Effect"
 * import * as Layer from "effect/Layer"
 *
 * const program = Wait.waitFor("kb_abc123", "job_def456", { timeout: "15 minutes" }).pipe(
 *   Effect.map((job) => (job.partial ? `${job.failedDocuments.length} documents failed` : "all ingested")),
 *   Effect.catchTags({
 *     IngestionJobFailed: (e) => Effect.succeed(`failed: ${e.message}`),
 *     WaitTimeout: (e) => Effect.succeed(`still ${e.lastJob?.status} after ${e.elapsedMs} ms`),
 *     Unreachable: (e) => Effect.succeed(`no answer from the service: ${e.message}`)
 *   })
 * )
 *
 * const live = WaitEngine.layer().pipe(Layer.provide(IngestionJobs.layerConfig()), Layer.provide(FetchHttpClient.layer))
 * program.pipe(Effect.provide(live), Effect.runPromise)
 * ```
 * @category waiting
 * @since 0.1.0
 */
export const waitFor: (
  knowledgeBaseId: string,
  jobId: string,
  options?: WaitOptions &
    RetryListener & { readonly onUpdate?: ((job: IngestionJob.IngestionJob) => void) | undefined }
) => Effect.Effect<CompletedJob, WaitError, WaitEngine> = internal.waitFor

/**
 * Waits for many jobs of one knowledge base at once, on one loop: one result per job, in the
 * order of `jobIds`, each the completed job or that job's `WaitError`. One failing job never
 * fails the others; the effect itself fails only on invalid input (before anything is sent).
 * `onUpdate` hears each change and each job's end as it happens (see {@link WaitAllOptions}).
 *
 * @example
 * ```ts
 * import { Wait } from "@tensoras/ingestion"
 * import * as Effect from "effect/Effect"
 * import * as Result from "effect/Result"
 *
 * const report = Wait.waitForAll("kb_abc123", ["job_1", "job_2", "job_3"], { timeout: "1 hour" }).pipe(
 *   Effect.map((results) => results.filter(Result.isFailure).length)
 * )
 * ```
 * @category waiting
 * @since 0.1.0
 */
export const waitForAll: (
  knowledgeBaseId: string,
  jobIds: Iterable<string>,
  options?: WaitAllOptions
) => Effect.Effect<ReadonlyArray<Result.Result<CompletedJob, WaitError>>, InvalidInput, WaitEngine> =
  internal.waitForAll

/**
 * The job each time its status or a counter changes, ending with the terminal job (with
 * `document_details`). Fails with `WaitTimeout` or a client error that ends a wait (as
 * {@link waitFor}); a `failed` job is the last element, not a failure (use {@link waitFor} for
 * that). A running job polled by GET also carries
 * `documents: { ended, total }`, its progress counted from `document_details` (see
 * `PollSchedule.Polled`); a sweep of many jobs lists them without it.
 *
 * @example
 * ```ts
 * import { Wait } from "@tensoras/ingestion"
 * import * as Console from "effect/Console"
 * import * as Stream from "effect/Stream"
 *
 * const progress = Wait.watch("kb_abc123", "job_def456", { timeout: "10 minutes" }).pipe(
 *   Stream.runForEach((job) =>
 *     Console.log(
 *       job.documents === undefined
 *         ? `${job.status}: ${job.chunks_created} chunks`
 *         : `${job.status}: ${job.documents.ended} / ${job.documents.total} documents`
 *     )
 *   )
 * )
 * ```
 * @category watching
 * @since 0.1.0
 */
export const watch: (
  knowledgeBaseId: string,
  jobId: string,
  options?: WaitOptions & RetryListener
) => Stream.Stream<PollSchedule.Polled, TerminalClientError | WaitTimeout, WaitEngine> = internal.watch

/**
 * Many jobs of one knowledge base as one stream: a `Changed` update each time a job changes, an
 * `Ended` update with its result when its wait ends; the stream ends after the last `Ended`.
 * One failing job never fails the stream; it fails only on invalid input.
 *
 * @example
 * ```ts
 * import { Wait } from "@tensoras/ingestion"
 * import * as Console from "effect/Console"
 * import * as Stream from "effect/Stream"
 *
 * const live = Wait.watchAll("kb_abc123", ["job_1", "job_2"]).pipe(
 *   Stream.runForEach((update) =>
 *     update._tag === "Changed"
 *       ? Console.log(`${update.jobId}: ${update.job.status}`)
 *       : Console.log(`${update.jobId} ended: ${update.result._tag === "Success" ? "completed" : update.result.failure._tag}`)
 *   )
 * )
 * ```
 * @category watching
 * @since 0.1.0
 */
export const watchAll: (
  knowledgeBaseId: string,
  jobIds: Iterable<string>,
  options?: WaitOptions & RetryListener
) => Stream.Stream<JobUpdate, InvalidInput, WaitEngine> = internal.watchAll

/**
 * Options of {@link activeJobs}: `includeNew` keeps the jobs created after the call began too.
 * @category models
 * @since 1.1.0
 */
export interface ActiveJobsOptions extends RetryListener {
  readonly includeNew?: boolean | undefined
}

/**
 * Options of {@link waitForActive}: those of {@link waitForAll}, and `includeNew`: wait for the jobs
 * created after the call began as well, until no job of the knowledge base is queued or processing
 * (looked for every `pollInterval`, default 5 s, and once more after the last wait ended).
 * @category models
 * @since 1.1.0
 */
export interface ActiveOptions extends WaitAllOptions, ActiveJobsOptions {}

/**
 * The jobs of a knowledge base that were queued or processing when the call began, in creation
 * order, as the list shows them now: one that ended while the list was read is there, terminal (a
 * list filtered by status would have lost it); those created after the second the call began are
 * not, unless `includeNew` (one created within that second may be). Three one-job requests, then one
 * per 100 jobs created since the oldest job running. See docs/waiting.md.
 *
 * @example
 * ```ts
 * import { Wait } from "@tensoras/ingestion"
 * import * as Effect from "effect/Effect"
 *
 * const ids = Wait.activeJobs("kb_abc123").pipe(Effect.map((jobs) => jobs.map((job) => job.id)))
 * ```
 * @category listing
 * @since 1.1.0
 */
export const activeJobs: (
  knowledgeBaseId: string,
  options?: ActiveJobsOptions
) => Effect.Effect<ReadonlyArray<IngestionJob.IngestionJob>, IngestionError, IngestionJobs> =
  internalActive.activeJobs

/**
 * Waits for every job of a knowledge base that was queued or processing when the call began
 * (read by {@link activeJobs}: none lost to the time the list takes to read, none started since
 * unless `includeNew`), on one loop: one {@link JobEnded} per job, in the order found. A job that
 * ended before its first poll is reported with its result. One deadline (`timeout` / `deadline`)
 * for the listing and every wait. Fails with `InvalidInput` (nothing sent), with what ends a wait
 * when a list request meets it (`NotFound` for the knowledge base, `Unauthorized`, ...), or with
 * `WaitTimeout` when the jobs are not all listed by the deadline (a transient failure is asked
 * again until then). Interrupting it leaves every wait and closes the request in flight.
 *
 * @example
 * ```ts
 * import { Wait } from "@tensoras/ingestion"
 * import * as Effect from "effect/Effect"
 * import * as Result from "effect/Result"
 *
 * const failed = Wait.waitForActive("kb_abc123", { timeout: "1 hour" }).pipe(
 *   Effect.map((ended) => ended.filter((job) => Result.isFailure(job.result)).map((job) => job.jobId))
 * )
 * ```
 * @category waiting
 * @since 1.1.0
 */
export const waitForActive: (
  knowledgeBaseId: string,
  options?: ActiveOptions
) => Effect.Effect<ReadonlyArray<JobEnded>, TerminalClientError | WaitTimeout, WaitEngine | IngestionJobs> =
  internalActive.waitForActive
