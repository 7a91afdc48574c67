/**
 * The ingestion-jobs client: list the jobs of a knowledge base, get one job with its
 * documents, or stream every job across pages. Built on Effect's `HttpClient` (`effect/http`), so
 * the runtime (fetch, undici, Deno) is a Layer you provide.
 *
 * Every input is validated before a request leaves; responses are decoded with the schemas of
 * `IngestionJob`; failures are the tagged classes of `IngestionError`. Transient failures
 * (429, 5xx, network, request timeout) are retried on a `Schedule`, honouring `Retry-After`.
 *
 * @since 0.1.0
 */
import type * as Config from "effect/Config"
import * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as HttpClient from "effect/http/HttpClient"
import * as Layer from "effect/Layer"
import type * as Redacted from "effect/Redacted"
import type * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import type {
  IngestionError,
  InvalidInput,
  RateLimited,
  ServerError,
  TransportError
} from "./IngestionError.js"
import type * as IngestionJob from "./IngestionJob.js"
import * as internalEnvironment from "./internal/environment.js"
import * as internal from "./internal/ingestionJobs.js"
import * as validate from "./internal/validate.js"

/**
 * The production base URL of the API.
 *
 * @category constants
 * @since 0.1.0
 */
export const DEFAULT_BASE_URL = internalEnvironment.DEFAULT_BASE_URL

/**
 * The `User-Agent` the client sends.
 *
 * @category constants
 * @since 0.1.0
 */
export const USER_AGENT: string = internal.USER_AGENT

/**
 * How the client reaches the API.
 *
 * @category models
 * @since 0.1.0
 */
export interface Options {
  /**
   * The API key (`tns_…`). Keep it `Redacted` from the moment you read it. `null` sends requests
   * without an `Authorization` header: for a same-origin proxy that adds the key server-side.
   */
  readonly apiKey: Redacted.Redacted<string> | null
  /** Default {@link DEFAULT_BASE_URL}. Must be `https:` unless the host is loopback or `allowInsecureHttp` is set. */
  readonly baseUrl?: string | URL | undefined
  /** Allows an `http:` base URL on a non-loopback host. Default false. */
  readonly allowInsecureHttp?: boolean | undefined
  /** The time one attempt may take, response body included. Default 30 seconds. */
  readonly requestTimeout?: Duration.Input | undefined
  /** The delays between attempts after a transient failure. Default {@link RetrySchedule.defaultSchedule}. */
  readonly retrySchedule?: Schedule.Schedule<unknown, IngestionError> | undefined
  /** The longest `Retry-After` honoured; a longer one is shortened to it. Default 60 seconds. */
  readonly maxRetryAfter?: Duration.Input | undefined
  /**
   * The spans and trace headers of each request attempt (see {@link Tracing}). Default `"auto"`: a span
   * per attempt when a tracer of your own is installed (an exporter such as `effect/observability/OtlpTracer`),
   * none otherwise, and never a trace header sent to the API.
   */
  readonly tracing?: Tracing | undefined
  /**
   * Attempts without a response before a client never answered fails with `Unreachable` (calls and
   * waits): 1 or more, or `Infinity` (never). Default 6. @since 1.1.0 */
  readonly unreachableAfter?: number | undefined
  /** Told a debug line per attempt (`GET <url> → 200 in 12 ms`) and per retry; never the key. @since 1.1.0 */
  readonly log?: ((line: string) => void) | undefined
  /** The most bytes of a response body read (default 8 MiB); past it: `ResponseDecodeError` `TooLarge`. @since 1.1.0 */
  readonly maxResponseBytes?: number | undefined
}

/**
 * What the client traces of each request attempt, through the span of Effect's `HttpClient`
 * (`http.client GET`, its URL and redacted headers as attributes).
 *
 * - `"auto"`: a span when a tracer other than Effect's built-in one is installed (that is, when
 *   someone records spans), none otherwise: a span nobody records still costs CPU on every request.
 * - `"spans"`: a span per attempt, always.
 * - `"propagate"`: a span per attempt, and its trace context sent to the API (`traceparent` and `b3`
 *   headers), `HttpClient`'s own default. Only useful if the API's side of the trace reaches
 *   you; it tells the API your trace IDs.
 * - `"none"`: no span.
 *
 * The API key is never an attribute: `Authorization` is among the headers `HttpClient` redacts.
 *
 * @example
 * ```ts
 * import { IngestionJobs } from "@tensoras/ingestion"
 * import * as Redacted from "effect/Redacted"
 * const client = IngestionJobs.layer({ apiKey: Redacted.make("tns_your_key_here"), tracing: "spans" })
 * ```
 * @category models
 * @since 0.1.0
 */
export type Tracing = "auto" | "spans" | "propagate" | "none"

/**
 * A retry the client is about to make: after which error, which attempt, after how long.
 *
 * @category models
 * @since 0.1.0
 */
export interface RetryInfo {
  readonly error: RateLimited | ServerError | TransportError
  /** 1 for the first retry of a request. */
  readonly attempt: number
  readonly delayMillis: number
}

/**
 * Options of one call: who hears about its retries, and the deadline it must keep.
 *
 * @category models
 * @since 0.1.0
 */
export interface RequestOptions {
  /** Called before each retry, with the error and the delay (a wait reports "backing off" with it). */
  readonly onRetry?: ((info: RetryInfo) => Effect.Effect<void>) | undefined
  /**
   * An absolute deadline (epoch ms, Effect clock). No attempt starts at or after it or runs past it,
   * a retry delay ends at it at the latest; the call then fails with `TransportError` (`Deadline`).
   */
  readonly deadline?: number | undefined
}

/**
 * Options of {@link IngestionJobs.list}.
 *
 * @category models
 * @since 0.1.0
 */
export interface ListOptions {
  /** How many jobs at most, 1 to 100. The API's default is 20. */
  readonly limit?: number | undefined
  /** A job ID: only jobs created after that job. */
  readonly after?: string | undefined
  /** Only jobs in this status. */
  readonly status?: IngestionJob.KnownJobStatus | undefined
}

/**
 * Options of {@link IngestionJobs.listAll}.
 *
 * @category models
 * @since 0.1.0
 */
export interface ListAllOptions {
  /** The page size, 1 to 100. Default 100: fewer requests. */
  readonly limit?: number | undefined
  /** Only jobs in this status. */
  readonly status?: IngestionJob.KnownJobStatus | undefined
  /** Start after this job ID instead of from the first job. */
  readonly after?: string | undefined
}

/**
 * A job in a terminal status, with its `document_details`: what a poll of a finished job gives.
 *
 * @category models
 * @since 0.1.0
 */
export type TerminalJob = IngestionJob.IngestionJobDetail & {
  readonly status: IngestionJob.TerminalJobStatus
}

/**
 * The ingestion-jobs client as a service.
 *
 * @example
 * ```ts
 * import { IngestionJobs } from "@tensoras/ingestion"
 * import * as FetchHttpClient from "effect/http/FetchHttpClient"
 * import * as Effect from "effect/Effect"
 * import * as Layer from "effect/Layer"
 *
 * const program = Effect.gen(function* () {
 *   const jobs = yield* IngestionJobs.IngestionJobs
 *   const page = yield* jobs.list("kb_abc123")
 *   for (const job of page.data) console.log(`${job.id}: ${job.status}, ${job.chunks_created} chunks`)
 * })
 *
 * Effect.runPromise(Effect.provide(program, IngestionJobs.layerConfig().pipe(Layer.provide(FetchHttpClient.layer))))
 * ```
 * @category tags
 * @since 0.1.0
 */
export class IngestionJobs extends Context.Service<
  IngestionJobs,
  {
    /** One page of the jobs of a knowledge base (without `document_details`). */
    readonly list: (
      knowledgeBaseId: string,
      options?: ListOptions & RequestOptions
    ) => Effect.Effect<IngestionJob.IngestionJobList, IngestionError>
    /** One job, with its `document_details`. */
    readonly get: (
      knowledgeBaseId: string,
      jobId: string,
      options?: RequestOptions
    ) => Effect.Effect<IngestionJob.IngestionJobDetail, IngestionError>
    /**
     * One job as a poll needs it: `document_details` decoded only once the job is terminal
     * (`completed` or `failed`), the status and counters otherwise, with how many of its
     * documents have ended (`documents`, for the poll schedule). What waits poll with.
     */
    readonly poll: (
      knowledgeBaseId: string,
      jobId: string,
      options?: RequestOptions
    ) => Effect.Effect<internal.Polled | TerminalJob, IngestionError>
    /** Every job of a knowledge base, page after page (`after` = the last ID while `has_more`). */
    readonly listAll: (
      knowledgeBaseId: string,
      options?: ListAllOptions & RequestOptions
    ) => Stream.Stream<IngestionJob.IngestionJob, IngestionError>
  }
>()("@tensoras/ingestion/IngestionJobs") {}

/**
 * Builds the client from options. Fails with `InvalidInput` when an option is not acceptable.
 *
 * @example
 * ```ts
 * import { IngestionJobs } from "@tensoras/ingestion"
 * import * as FetchHttpClient from "effect/http/FetchHttpClient"
 * import * as Effect from "effect/Effect"
 * import * as Redacted from "effect/Redacted"
 * const client = IngestionJobs.make({ apiKey: Redacted.make("tns_your_key_here") }).pipe(
 *   Effect.provide(FetchHttpClient.layer)
 * )
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const make = internal.make

/**
 * A Layer of the client from options.
 *
 * @example
 * ```ts
 * import { IngestionJobs } from "@tensoras/ingestion"
 * import * as FetchHttpClient from "effect/http/FetchHttpClient"
 * import * as Layer from "effect/Layer"
 * import * as Redacted from "effect/Redacted"
 *
 * const live = IngestionJobs.layer({
 *   apiKey: Redacted.make("tns_your_key_here"),
 *   baseUrl: "http://127.0.0.1:4010/v1"
 * }).pipe(Layer.provide(FetchHttpClient.layer))
 * ```
 * @category layers
 * @since 0.1.0
 */
export const layer = (options: Options): Layer.Layer<IngestionJobs, InvalidInput, HttpClient.HttpClient> =>
  Layer.effect(IngestionJobs, make(options))

/**
 * The key and base URL from configuration: `TENSORAS_API_KEY` (required, read as `Redacted`)
 * and `TENSORAS_BASE_URL` (default {@link DEFAULT_BASE_URL}). A variable set to the empty string
 * is unset, whatever the `ConfigProvider` keeps: the rule of `readEnvironment`, the Promise client's.
 *
 * @example
 * ```ts
 * import { IngestionJobs } from "@tensoras/ingestion"
 * import * as Effect from "effect/Effect"
 *
 * const baseUrl = Effect.map(IngestionJobs.config, ({ baseUrl }) => baseUrl)
 * ```
 * @category config
 * @since 0.1.0
 */
export const config: Config.Config<{ readonly apiKey: Redacted.Redacted<string>; readonly baseUrl: string }> =
  internalEnvironment.config

/**
 * A Layer of the client whose key and base URL come from configuration (see {@link config});
 * the other options are given here.
 *
 * @example
 * ```ts
 * import { IngestionJobs } from "@tensoras/ingestion"
 * import * as FetchHttpClient from "effect/http/FetchHttpClient"
 * import * as Layer from "effect/Layer"
 *
 * const live = IngestionJobs.layerConfig({ requestTimeout: "10 seconds" }).pipe(Layer.provide(FetchHttpClient.layer))
 * ```
 * @category layers
 * @since 0.1.0
 */
export const layerConfig = (
  options: Omit<Options, "apiKey" | "baseUrl"> = {}
): Layer.Layer<IngestionJobs, InvalidInput | Config.ConfigError, HttpClient.HttpClient> =>
  Layer.unwrap(Effect.map(config, (fromConfig) => layer({ ...options, ...fromConfig })))

/**
 * One page of the jobs of a knowledge base, from the client in context.
 *
 * @example
 * ```ts
 * import { IngestionJobs } from "@tensoras/ingestion"
 *
 * const failed = IngestionJobs.list("kb_abc123", { status: "failed", limit: 100 })
 * ```
 * @category accessors
 * @since 0.1.0
 */
export const list = (
  knowledgeBaseId: string,
  options?: ListOptions
): Effect.Effect<IngestionJob.IngestionJobList, IngestionError, IngestionJobs> =>
  Effect.flatMap(IngestionJobs, (jobs) => jobs.list(knowledgeBaseId, options))

/**
 * One job with its `document_details`, from the client in context.
 *
 * @example
 * ```ts
 * import { IngestionJobs } from "@tensoras/ingestion"
 *
 * const job = IngestionJobs.get("kb_abc123", "job_abc123")
 * ```
 * @category accessors
 * @since 0.1.0
 */
export const get = (
  knowledgeBaseId: string,
  jobId: string
): Effect.Effect<IngestionJob.IngestionJobDetail, IngestionError, IngestionJobs> =>
  Effect.flatMap(IngestionJobs, (jobs) => jobs.get(knowledgeBaseId, jobId))

/**
 * Every job of a knowledge base across pages, from the client in context.
 *
 * @example
 * ```ts
 * import { IngestionJobs } from "@tensoras/ingestion"
 * import * as Stream from "effect/Stream"
 *
 * const ids = IngestionJobs.listAll("kb_abc123").pipe(Stream.map((job) => job.id), Stream.runCollect)
 * ```
 * @category accessors
 * @since 0.1.0
 */
export const listAll = (
  knowledgeBaseId: string,
  options?: ListAllOptions & RequestOptions
): Stream.Stream<IngestionJob.IngestionJob, IngestionError, IngestionJobs> =>
  Stream.unwrap(Effect.map(IngestionJobs, (jobs) => jobs.listAll(knowledgeBaseId, options)))

/**
 * One job as a poll needs it (see {@link IngestionJobs}' `poll`), from the client in context.
 *
 * @example
 * ```ts
 * import { IngestionJobs } from "@tensoras/ingestion"
 *
 * const job = IngestionJobs.poll("kb_abc123", "job_abc123")
 * ```
 * @category accessors
 * @since 0.1.0
 */
export const poll = (
  knowledgeBaseId: string,
  jobId: string,
  options?: RequestOptions
): Effect.Effect<internal.Polled | TerminalJob, IngestionError, IngestionJobs> =>
  Effect.flatMap(IngestionJobs, (jobs) => jobs.poll(knowledgeBaseId, jobId, options))

/**
 * Whether a value is a knowledge-base or job ID the client accepts (the rule every call applies
 * before sending anything: non-empty, at most 256 characters, not `.` or `..`, no `/ \ ? # %`,
 * whitespace or control characters). For code that routes IDs of its own, such as a proxy.
 *
 * @example
 * ```ts
 * import { IngestionJobs } from "@tensoras/ingestion"
 *
 * IngestionJobs.isValidId("job_abc123") // true
 * IngestionJobs.isValidId("../admin") // false
 * ```
 * @category validation
 * @since 0.1.0
 */
export const isValidId: (value: unknown) => value is string = validate.isId
