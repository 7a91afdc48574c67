/**
 * The client as plain Promises, for code that does not use Effect. Same validation, decoding,
 * retries and errors as the `IngestionJobs` service: a failed call rejects with the tagged
 * error itself (`instanceof` and `_tag` both work), and an aborted `signal` rejects with the
 * signal's reason (an `AbortError` by default) and sends nothing more.
 *
 * Every wait of one client shares one `WaitEngine`: a thousand `client.waitFor(...)` calls on
 * jobs of one knowledge base are one polling loop. This module loads neither XState nor the
 * machine.
 *
 * To see what the client does, set `TENSORAS_LOG=debug` (or `logLevel: "debug"`): one line per
 * request attempt and per retry on stderr, never the key. `onRetry` tells a call's or a wait's
 * retries as they happen.
 *
 * @since 0.1.0
 */
import type * as HttpClient from "effect/http/HttpClient"
import type * as Redacted from "effect/Redacted"
import type * as Schedule from "effect/Schedule"
import type { Cadence } from "./Cadence.js"
import type { IngestionError } from "./IngestionError.js"
import type * as IngestionJob from "./IngestionJob.js"
import type * as IngestionJobs from "./IngestionJobs.js"
import * as internalEnvironment from "./internal/environment.js"
import * as internal from "./internal/ingestionJobsClient.js"
import type * as PollSchedule from "./PollSchedule.js"
import type * as Wait from "./Wait.js"
import type { WaitError } from "./WaitError.js"

/**
 * Options of {@link createIngestionJobsClient}. Where the runtime has an environment (Node, Deno,
 * Bun), `apiKey` and `baseUrl` default to `TENSORAS_API_KEY` and `TENSORAS_BASE_URL`, read at each
 * call by {@link readEnvironment} (a variable set to the empty string is unset).
 *
 * @category models
 * @since 0.1.0
 */
export interface ClientOptions {
  /** The API key (`tns_…`), as a string or an Effect `Redacted`. Default `TENSORAS_API_KEY`. Never printed or thrown. */
  readonly apiKey?: string | Redacted.Redacted<string> | undefined
  /** Default `TENSORAS_BASE_URL`, else `https://api.tensoras.ai/v1`. Must be `https:` unless the host is loopback or `allowInsecureHttp` is set. */
  readonly baseUrl?: string | URL | undefined
  /** Allows an `http:` base URL on a non-loopback host. Default false. */
  readonly allowInsecureHttp?: boolean | undefined
  /** The `fetch` to use. Default `globalThis.fetch`. Not with `httpClient`. */
  readonly fetch?: typeof globalThis.fetch | undefined
  /**
   * An Effect `HttpClient` to send through instead of `fetch` (advanced): `@tensoras/ingestion-node`
   * gives one on undici's `Dispatcher.request`. It must not follow redirects (the client makes a
   * redirect a typed error; `fetch` is told so). Not with `fetch`.
   */
  readonly httpClient?: HttpClient.HttpClient | undefined
  /** The time one request attempt may take, in milliseconds. Default 30,000. */
  readonly requestTimeoutMs?: number | undefined
  /** Retries of a transient failure (429, 5xx, network), with capped, jittered backoff. Default 5. */
  readonly maxRetries?: number | undefined
  /** A retry schedule of your own instead of `maxRetries` (advanced). */
  readonly retrySchedule?: Schedule.Schedule<unknown, IngestionError> | undefined
  /**
   * Attempts without any response after which a client that never had one gives up: its calls
   * and waits reject with `IngestionError.Unreachable` (connection refused, unknown host, no answer
   * in `requestTimeoutMs`). A whole number of at least 1, or `Infinity` (never). Default 6.
   * @since 1.1.0
   */
  readonly unreachableAfter?: number | undefined
  /**
   * `"debug"`: a line per request attempt and per retry, to `logger` (method, URL, status or
   * failure, time; never the key). Default: `TENSORAS_LOG` ({@link LOG_VARIABLE}) when it is
   * `debug`, else `"off"`.
   * @since 1.1.0
   */
  readonly logLevel?: "debug" | "off" | undefined
  /** Where the debug lines go. Default `console.error`. @since 1.1.0 */
  readonly logger?: ((line: string) => void) | undefined
  /**
   * The most bytes of a response body the client reads: a whole number, default 8 MiB (8,388,608). A
   * `Content-Length` over it fails before the body is read, a longer body is cut off as it passes it:
   * its connection is closed, and the call (or the waits the request served) rejects with
   * `IngestionError.ResponseDecodeError` (`reason: "TooLarge"`), not retried.
   * @since 1.1.0
   */
  readonly maxResponseBytes?: number | undefined
  /**
   * What the client's waits learn of each knowledge base's jobs, and the default cadence of the
   * waits given no `schedule` nor `pollIntervalMs` (see `Cadence`): one made from saved JSON
   * (`Cadence.fromJSON`) starts warm; keep it to save what was learned (`Cadence.toJSON`). Default: a
   * new one per client.
   * @since 1.1.0
   */
  readonly cadence?: Cadence | undefined
}

/**
 * The variable the API key is read from when it is not given: `TENSORAS_API_KEY`.
 *
 * @category environment
 * @since 1.0.0
 */
export const API_KEY_VARIABLE: "TENSORAS_API_KEY" = internalEnvironment.API_KEY_VARIABLE

/**
 * The variable the base URL is read from when it is not given: `TENSORAS_BASE_URL`.
 *
 * @category environment
 * @since 1.0.0
 */
export const BASE_URL_VARIABLE: "TENSORAS_BASE_URL" = internalEnvironment.BASE_URL_VARIABLE

/**
 * The variable that turns the Promise client's debug lines on: `TENSORAS_LOG=debug` (as
 * `OPENAI_LOG` does for OpenAI's client). Read when a client is created; `logLevel` wins over it.
 *
 * @example
 * ```ts
 * import { LOG_VARIABLE } from "@tensoras/ingestion"
 *
 * console.log(`${LOG_VARIABLE}=debug node app.js`) // every request and retry on stderr
 * ```
 * @category environment
 * @since 1.1.0
 */
export const LOG_VARIABLE: "TENSORAS_LOG" = internalEnvironment.LOG_VARIABLE

/**
 * What an environment says of the client: the key (`Redacted` from the moment it is read) and the
 * base URL, each `undefined` when its variable is unset or empty; and `logLevel: "debug"` when
 * {@link LOG_VARIABLE} is `debug` (in any case, around spaces).
 *
 * @category environment
 * @since 1.0.0
 */
export interface ClientEnvironment {
  readonly apiKey: Redacted.Redacted<string> | undefined
  readonly baseUrl: string | undefined
  /** @since 1.1.0 */
  readonly logLevel?: "debug" | undefined
}

/**
 * Reads {@link API_KEY_VARIABLE} and {@link BASE_URL_VARIABLE} from `env` (default: the process's
 * environment now, where the runtime has one; none in a browser) by the library's one rule: **a
 * variable set to the empty string is unset**, as in shells (`${VAR:-default}`), dotenv files and
 * Effect's own `ConfigProvider`. `TENSORAS_API_KEY=` is then a missing key, and an empty
 * `TENSORAS_BASE_URL` the production API. The Promise client reads its defaults with it and
 * `IngestionJobs.config` follows the same rule; adapters and commands that read the variables
 * themselves (a command line, `Deno.env`) use it too.
 *
 * @example
 * ```ts
 * import { readEnvironment } from "@tensoras/ingestion"
 * import * as Redacted from "effect/Redacted"
 *
 * const { apiKey, baseUrl } = readEnvironment({ TENSORAS_API_KEY: "tns_your_key_here", TENSORAS_BASE_URL: "" })
 * console.log(apiKey === undefined ? "no key" : Redacted.value(apiKey).length, baseUrl ?? "production")
 * ```
 * @category environment
 * @since 1.0.0
 */
export const readEnvironment: (env?: Readonly<Record<string, string | undefined>>) => ClientEnvironment =
  internalEnvironment.readEnvironment

/**
 * Per-call options.
 *
 * @category models
 * @since 0.1.0
 */
export interface CallOptions {
  /** Aborting it stops the call at once, retries included. */
  readonly signal?: AbortSignal | undefined
  /**
   * Told each retry as the client is about to make it: the error (`RateLimited`, `ServerError`,
   * `TransportError`), the attempt (1 for the first retry) and the delay. For a wait, each retry of
   * a request that serves it; a retry is no outcome, the call or the wait goes on.
   * @since 1.1.0
   */
  readonly onRetry?: ((retry: IngestionJobs.RetryInfo) => void) | undefined
}

/**
 * Options of the Promise waits: the Effect waits' options (`WaitEngine.WaitOptions`) with
 * durations as `…Ms` numbers, plus an `AbortSignal`.
 *
 * @category models
 * @since 0.1.0
 */
export interface ClientWaitOptions extends CallOptions {
  /** How long to wait at most, in milliseconds. Default 30 minutes. */
  readonly timeoutMs?: number | undefined
  /** An absolute deadline (epoch ms); wins over `timeoutMs`. */
  readonly deadline?: number | undefined
  /** Poll at this fixed interval (ms) instead of the default cadence. */
  readonly pollIntervalMs?: number | undefined
  /** A poll schedule of your own (advanced); not with `pollIntervalMs`. */
  readonly schedule?: PollSchedule.PollSchedule | undefined
  /** Called with the job each time its status or a counter changes, the terminal job included. */
  readonly onUpdate?: ((job: IngestionJob.IngestionJob) => void) | undefined
}

/**
 * One job's result in {@link IngestionJobsClient.waitForAll} (and in `watchAll`'s `Ended`
 * updates): `Promise.allSettled`'s shape, with the tagged error (`IngestionJobFailed`,
 * `WaitTimeout`, `NotFound`, `Unreachable`, ...) as the reason.
 *
 * @category models
 * @since 0.1.0
 */
export type WaitResult =
  | { readonly status: "fulfilled"; readonly value: Wait.CompletedJob }
  | { readonly status: "rejected"; readonly reason: WaitError }

/**
 * What {@link IngestionJobsClient.watchAll} yields: a job that changed, or a wait that ended with
 * its result in `Promise.allSettled`'s shape ({@link WaitResult}, as `waitForAll` gives it).
 *
 * @example
 * ```ts
 * import { createIngestionJobsClient } from "@tensoras/ingestion"
 *
 * const client = createIngestionJobsClient()
 * for await (const update of client.watchAll("kb_abc123", ["job_1", "job_2"])) {
 *   if (update._tag === "Changed") console.log(`${update.jobId}: ${update.job.status}`)
 *   else if (update.result.status === "fulfilled") console.log(`${update.jobId}: ${update.result.value.chunks_created} chunks`)
 *   else console.log(`${update.jobId}: ${update.result.reason._tag}`)
 * }
 * ```
 * @category models
 * @since 1.1.0
 */
export type ClientJobUpdate =
  | Extract<Wait.JobUpdate, { readonly _tag: "Changed" }>
  | { readonly _tag: "Ended"; readonly jobId: string; readonly result: WaitResult }

/**
 * Options of {@link IngestionJobsClient.waitForAll} and `waitForActive`: a wait's, with `onUpdate`
 * told what `watchAll` yields, as it happens: each change of a job (`Changed`: its id and the job),
 * and each job's end (`Ended`: its result, as `waitForAll` gives it) as soon as that job ends.
 * `waitForActive` takes `includeNew` too: the jobs created after the call began as well, until none
 * is queued or processing (looked for every `pollIntervalMs`, default 5 s).
 *
 * @category models
 * @since 1.1.0
 */
export interface ClientWaitAllOptions extends Omit<ClientWaitOptions, "onUpdate"> {
  readonly onUpdate?: ((update: ClientJobUpdate) => void) | undefined
  readonly includeNew?: boolean | undefined
}

/**
 * The Promise client.
 *
 * @category models
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
   * documents failed); rejects with `IngestionJobFailed`, `WaitTimeout` or a client error that
   * ends a wait (`NotFound`, `Unauthorized`, `Unreachable`, ...: never a transient one).
   */
  readonly waitFor: (
    knowledgeBaseId: string,
    jobId: string,
    options?: ClientWaitOptions
  ) => Promise<Wait.CompletedJob>
  /**
   * Waits for many jobs of one knowledge base (one polling loop), resolving in the order of
   * `jobIds` to `Promise.allSettled`-shaped results. Rejects only on invalid input or abort.
   * `onUpdate` hears each change and each job's end as it happens.
   */
  readonly waitForAll: (
    knowledgeBaseId: string,
    jobIds: Iterable<string>,
    options?: Omit<ClientWaitAllOptions, "includeNew">
  ) => Promise<ReadonlyArray<WaitResult>>
  /**
   * Waits for every job of the knowledge base that was queued or processing when the call began
   * (`Wait.waitForActive`: a job that ends while the list is read is not lost, one created since
   * is left out unless `includeNew`), resolving to one `Ended` update per job, in the order found.
   * Rejects on invalid input, abort, a list request met by what ends a wait (`NotFound`, ...), or
   * `WaitTimeout` when the jobs are not all listed by the deadline.
   * @since 1.1.0
   */
  readonly waitForActive: (
    knowledgeBaseId: string,
    options?: ClientWaitAllOptions
  ) => Promise<ReadonlyArray<Extract<ClientJobUpdate, { readonly _tag: "Ended" }>>>
  /**
   * The job each time it changes, ending with the terminal job (with `document_details`).
   * Breaking out of the loop, or aborting, leaves the wait.
   */
  readonly watch: (
    knowledgeBaseId: string,
    jobId: string,
    options?: Omit<ClientWaitOptions, "onUpdate">
  ) => AsyncIterable<IngestionJob.IngestionJob>
  /**
   * Many jobs as one iterable of `Changed` / `Ended` updates, ending after the last `Ended`; an
   * `Ended` update's `result` has `waitForAll`'s shape (see {@link ClientJobUpdate}).
   */
  readonly watchAll: (
    knowledgeBaseId: string,
    jobIds: Iterable<string>,
    options?: Omit<ClientWaitOptions, "onUpdate">
  ) => AsyncIterable<ClientJobUpdate>
}

/**
 * Creates the Promise client. Throws `InvalidInput` at once when an option is not acceptable,
 * or when no key is given and `TENSORAS_API_KEY` is not set.
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
 * const results = await client.waitForAll("kb_abc123", ["job_1", "job_2"], { timeoutMs: 60 * 60_000 })
 * for (const result of results) console.log(result.status === "fulfilled" ? result.value.id : result.reason._tag)
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const createIngestionJobsClient: (options?: ClientOptions) => IngestionJobsClient =
  internal.createIngestionJobsClient

/**
 * Options of {@link waitForIngestionJob}: the client's and the wait's.
 *
 * @category models
 * @since 0.1.0
 */
export interface WaitForIngestionJobOptions extends ClientOptions, ClientWaitOptions {
  readonly knowledgeBaseId: string
  readonly jobId: string
}

/**
 * Waits for one ingestion job, for code that does not use Effect: the API docs' polling loop,
 * with a deadline, backoff, retries that honour `Retry-After`, and typed errors. An aborted
 * `signal` stops it at once (no request after the abort) and rejects with the signal's reason.
 * A service that never answers rejects it with `Unreachable` after `unreachableAfter` attempts.
 *
 * @example
 * ```ts
 * import { IngestionError, waitForIngestionJob, WaitError } from "@tensoras/ingestion"
 *
 * try {
 *   // The key and base URL from TENSORAS_API_KEY / TENSORAS_BASE_URL, as they are not given here.
 *   const job = await waitForIngestionJob({
 *     knowledgeBaseId: "kb_abc123",
 *     jobId: "job_def456",
 *     timeoutMs: 10 * 60 * 1000,
 *     onUpdate: (job) => console.log(`${job.status}: ${job.documents_processed} docs`)
 *   })
 *   console.log(`${job.chunks_created} chunks${job.partial ? `, ${job.failedDocuments.length} documents failed` : ""}`)
 * } catch (error) {
 *   if (error instanceof WaitError.IngestionJobFailed) console.error(`failed: ${error.message}`)
 *   else if (error instanceof WaitError.WaitTimeout) console.error("still running")
 *   else if (error instanceof IngestionError.NotFound) console.error(`no such ${error.missing === "job" ? "job" : "knowledge base"}`)
 *   else if (error instanceof IngestionError.Unreachable) console.error(error.message) // e.g. nothing listens at the base URL
 *   else throw error
 * }
 * ```
 * @category waiting
 * @since 0.1.0
 */
export const waitForIngestionJob: (options: WaitForIngestionJobOptions) => Promise<Wait.CompletedJob> =
  internal.waitForIngestionJob
