/**
 * The client as plain Promises, for code that does not use Effect. Same validation, decoding,
 * retries and errors as the `IngestionJobs` service: a failed call rejects with the tagged
 * error itself (`instanceof` and `_tag` both work), and an aborted `signal` rejects with the
 * signal's reason (an `AbortError` by default) and sends nothing more.
 *
 * @since 0.1.0
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Redacted from "effect/Redacted"
import type * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import type { IngestionError } from "./IngestionError.js"
import type * as IngestionJob from "./IngestionJob.js"
import * as IngestionJobs from "./IngestionJobs.js"
import { abortReason, runPromise, squash } from "./internal/runPromise.js"
import * as validate from "./internal/validate.js"
import * as Poller from "./Poller.js"
import * as PollSchedule from "./PollSchedule.js"
import * as RetrySchedule from "./RetrySchedule.js"

/**
 * Options of {@link createIngestionJobsClient}.
 *
 * @since 0.1.0
 */
export interface ClientOptions {
  /** The API key (`tns_…`), as a string or an Effect `Redacted`. It is never printed or thrown. */
  readonly apiKey: string | Redacted.Redacted<string>
  /** Default `https://api.tensoras.ai/v1`. Must be `https:` unless the host is loopback or `allowInsecureHttp` is set. */
  readonly baseUrl?: string | URL | undefined
  /** Allows an `http:` base URL on a non-loopback host. Default false. */
  readonly allowInsecureHttp?: boolean | undefined
  /** The `fetch` to use. Default `globalThis.fetch`. */
  readonly fetch?: typeof globalThis.fetch | undefined
  /** The time one request attempt may take, in milliseconds. Default 30,000. */
  readonly requestTimeoutMs?: number | undefined
  /** Retries of a transient failure (429, 5xx, network), with capped, jittered backoff. Default 5. */
  readonly maxRetries?: number | undefined
  /** A retry schedule of your own instead of `maxRetries` (advanced). */
  readonly retrySchedule?: Schedule.Schedule<unknown, IngestionError> | undefined
}

/**
 * Per-call options.
 *
 * @since 0.1.0
 */
export interface CallOptions {
  /** Aborting it stops the call at once, retries included. */
  readonly signal?: AbortSignal | undefined
}

/**
 * The Promise client.
 *
 * @since 0.1.0
 */
export interface IngestionJobsClient {
  /** One page of the jobs of a knowledge base. */
  readonly list: (
    knowledgeBaseId: string,
    options?: IngestionJobs.ListOptions & CallOptions
  ) => Promise<IngestionJob.IngestionJobList>
  /** One job with its `document_details`. */
  readonly get: (
    knowledgeBaseId: string,
    jobId: string,
    options?: CallOptions
  ) => Promise<IngestionJob.IngestionJobDetail>
  /** Every job of a knowledge base, fetched page by page as you iterate. */
  readonly listAll: (
    knowledgeBaseId: string,
    options?: IngestionJobs.ListAllOptions & CallOptions
  ) => AsyncIterable<IngestionJob.IngestionJob>
  /**
   * Waits until the job is terminal. Resolves with the completed job (`partial: true` when some
   * documents failed); rejects with `IngestionJobFailed`, `WaitTimeout` or the client's error.
   */
  readonly waitFor: (
    knowledgeBaseId: string,
    jobId: string,
    options?: WaitOptions
  ) => Promise<Poller.CompletedJob>
}

/**
 * Options of a Promise wait.
 *
 * @since 0.1.0
 */
export interface WaitOptions extends CallOptions {
  /** How long to wait at most, in milliseconds. Default 30 minutes. */
  readonly timeoutMs?: number | undefined
  /** Poll at this fixed interval (ms) instead of the default backoff (1 s growing to 20 s, jittered). */
  readonly pollIntervalMs?: number | undefined
  /** Called with the job each time its status or a counter changes, the terminal job included. */
  readonly onUpdate?: ((job: IngestionJob.IngestionJobDetail) => void) | undefined
}

/**
 * Creates the Promise client. Throws `InvalidInput` at once when an option is not acceptable.
 *
 * @example
 * ```ts
 * import { createIngestionJobsClient, IngestionError } from "@tensoras/ingestion"
 *
 * const client = createIngestionJobsClient({ apiKey: "tns_your_key_here", baseUrl: "http://127.0.0.1:4010/v1" })
 *
 * try {
 *   const job = await client.get("kb_abc123", "job_abc123")
 *   for (const doc of job.document_details) {
 *     console.log(`[${doc.error === null ? "OK" : "FAIL"}] ${doc.document_name}: ${doc.chunks_created} chunks`)
 *   }
 * } catch (error) {
 *   if (error instanceof IngestionError.NotFound) console.error(error.code)
 *   else throw error
 * }
 *
 * for await (const job of client.listAll("kb_abc123", { status: "failed" })) {
 *   console.log(job.id, job.error?.message)
 * }
 * ```
 * @since 0.1.0
 */
export const createIngestionJobsClient = (options: ClientOptions): IngestionJobsClient => {
  const exit = Effect.runSyncExit(
    Effect.gen(function* () {
      const apiKey = yield* validate.apiKey(options.apiKey)
      const timeout =
        options.requestTimeoutMs === undefined
          ? undefined
          : yield* validate.duration("requestTimeoutMs", options.requestTimeoutMs)
      const retries =
        options.maxRetries === undefined
          ? undefined
          : yield* validate.count("maxRetries", options.maxRetries, 0)
      return yield* IngestionJobs.make({
        apiKey,
        baseUrl: options.baseUrl,
        allowInsecureHttp: options.allowInsecureHttp,
        requestTimeout: timeout,
        retrySchedule: options.retrySchedule ?? RetrySchedule.exponential({ retries: retries ?? 5 })
      })
    }).pipe(
      Effect.provide(FetchHttpClient.layer),
      Effect.provideService(FetchHttpClient.Fetch, options.fetch ?? globalThis.fetch)
    )
  )
  if (Exit.isFailure(exit)) throw squash(exit.cause)
  const service = exit.value

  return {
    list: (knowledgeBaseId, listOptions = {}) =>
      runPromise(service.list(knowledgeBaseId, listOptions), listOptions.signal),
    get: (knowledgeBaseId, jobId, callOptions = {}) =>
      runPromise(service.get(knowledgeBaseId, jobId), callOptions.signal),
    listAll: (knowledgeBaseId, listOptions = {}) => {
      const { signal } = listOptions
      const stream = service.listAll(knowledgeBaseId, listOptions)
      if (signal === undefined) return Stream.toAsyncIterable(stream)
      // An abort fails the stream with the signal's reason, so the loop rejects instead of ending quietly.
      const aborted = Effect.async<never, unknown>((resume) => {
        const onAbort = () => resume(Effect.fail(abortReason(signal)))
        if (signal.aborted) return onAbort()
        signal.addEventListener("abort", onAbort, { once: true })
        return Effect.sync(() => signal.removeEventListener("abort", onAbort))
      })
      return Stream.toAsyncIterable(Stream.interruptWhen(stream, aborted))
    },
    waitFor: (knowledgeBaseId, jobId, waitOptions = {}) => {
      const { onUpdate } = waitOptions
      const wait = Effect.gen(function* () {
        const timeout =
          waitOptions.timeoutMs === undefined
            ? undefined
            : yield* validate.duration("timeoutMs", waitOptions.timeoutMs)
        const interval =
          waitOptions.pollIntervalMs === undefined
            ? undefined
            : yield* validate.duration("pollIntervalMs", waitOptions.pollIntervalMs)
        const options = {
          timeout,
          schedule: interval === undefined ? undefined : PollSchedule.fixed(interval)
        }
        return yield* onUpdate === undefined
          ? Poller.waitFor(knowledgeBaseId, jobId, options)
          : Poller.waitForWith(knowledgeBaseId, jobId, options, (job) => Effect.sync(() => onUpdate(job)))
      })
      return runPromise(Effect.provideService(wait, IngestionJobs.IngestionJobs, service), waitOptions.signal)
    }
  }
}

/**
 * Options of {@link waitForIngestionJob}: the client's and the wait's.
 *
 * @since 0.1.0
 */
export interface WaitForIngestionJobOptions extends ClientOptions, WaitOptions {
  readonly knowledgeBaseId: string
  readonly jobId: string
}

/**
 * Waits for one ingestion job, for code that does not use Effect: the API docs' polling loop,
 * with a deadline, backoff, retries that honour `Retry-After`, and typed errors. An aborted
 * `signal` stops it at once (no request after the abort) and rejects with the signal's reason.
 *
 * @example
 * ```ts
 * import { IngestionError, waitForIngestionJob, WaitError } from "@tensoras/ingestion"
 *
 * try {
 *   const job = await waitForIngestionJob({
 *     apiKey: process.env.TENSORAS_API_KEY ?? "",
 *     knowledgeBaseId: "kb_abc123",
 *     jobId: "job_def456",
 *     timeoutMs: 10 * 60 * 1000,
 *     onUpdate: (job) => console.log(`${job.status}: ${job.documents_processed} docs`)
 *   })
 *   console.log(`${job.chunks_created} chunks${job.partial ? `, ${job.failedDocuments.length} documents failed` : ""}`)
 * } catch (error) {
 *   if (error instanceof WaitError.IngestionJobFailed) console.error(`failed: ${error.message}`)
 *   else if (error instanceof WaitError.WaitTimeout) console.error("still running")
 *   else if (error instanceof IngestionError.NotFound) console.error("no such job")
 *   else throw error
 * }
 * ```
 * @since 0.1.0
 */
export const waitForIngestionJob = (options: WaitForIngestionJobOptions): Promise<Poller.CompletedJob> => {
  let client: IngestionJobsClient
  try {
    client = createIngestionJobsClient(options)
  } catch (error) {
    return Promise.reject(error)
  }
  return client.waitFor(options.knowledgeBaseId, options.jobId, options)
}
