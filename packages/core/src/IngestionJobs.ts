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
import * as Clock from "effect/Clock"
import * as Config from "effect/Config"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import { constTrue } from "effect/Function"
import * as Headers from "effect/http/Headers"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as References from "effect/References"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as Tracer from "effect/Tracer"
import {
  type IngestionError,
  InvalidInput,
  type RateLimited,
  ResponseDecodeError,
  type ServerError,
  TransportError
} from "./IngestionError.js"
import * as IngestionJob from "./IngestionJob.js"
import * as internalDocumentCount from "./internal/documentCount.js"
import * as fastDecode from "./internal/fastDecode.js"
import { startTimer } from "./internal/liveClock.js"
import * as internalResponse from "./internal/response.js"
import * as internalScrub from "./internal/scrub.js"
import * as validate from "./internal/validate.js"
import { version } from "./internal/version.js"
import type * as PollSchedule from "./PollSchedule.js"
import * as RetrySchedule from "./RetrySchedule.js"

/**
 * The production base URL of the API.
 *
 * @category constants
 * @since 0.1.0
 */
export const DEFAULT_BASE_URL = "https://api.tensoras.ai/v1"

/**
 * The `User-Agent` the client sends.
 *
 * @category constants
 * @since 0.1.0
 */
export const USER_AGENT = `@tensoras/ingestion/${version}`

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
 * import * as FetchHttpClient from "effect/http/FetchHttpClient"
 * import * as Layer from "effect/Layer"
 * import * as Redacted from "effect/Redacted"
 *
 * // A span per request, always; still no trace header sent to the API.
 * const live = IngestionJobs.layer({ apiKey: Redacted.make("tns_your_key_here"), tracing: "spans" }).pipe(
 *   Layer.provide(FetchHttpClient.layer)
 * )
 * ```
 * @category models
 * @since 0.3.0
 */
export type Tracing = "auto" | "spans" | "propagate" | "none"

/**
 * A retry the client is about to make: after which error, which attempt, after how long.
 *
 * @category models
 * @since 0.2.0
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
 * @since 0.2.0
 */
export interface RequestOptions {
  /** Called before each retry, with the error and the delay (a wait reports "backing off" with it). */
  readonly onRetry?: ((info: RetryInfo) => Effect.Effect<void>) | undefined
  /**
   * An absolute deadline (epoch ms, Effect clock). No attempt starts at or after it, no attempt
   * runs past it, and a retry delay ends at it at the latest; the call then fails with
   * `TransportError` (`reason: "Deadline"`), which is not retried.
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
 * @since 0.2.0
 */
export type TerminalJob = IngestionJob.IngestionJobDetail & { readonly status: "completed" | "failed" }

// A poll's answer: the terminal member is tried only when the status literal says so, so a
// running job's `document_details` are never decoded.
const TerminalJobSchema = Schema.Struct({
  ...IngestionJob.IngestionJobDetail.fields,
  status: Schema.Literals(["completed", "failed"])
})
// A running job also carries the count of its ended documents, for poll schedules (the count's
// member falls back to the plain job when `document_details` are missing or unexpected).
const PolledJob: Schema.Codec<PollSchedule.Polled | TerminalJob, IngestionJob.IngestionJobDetailEncoded> =
  Schema.Union([TerminalJobSchema, internalDocumentCount.PolledWithCount, IngestionJob.IngestionJob]) as never

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
 *   for (const job of page.data) {
 *     console.log(`${job.id}: ${job.status} - ${job.documents_processed} docs, ${job.chunks_created} chunks`)
 *   }
 * })
 *
 * program.pipe(
 *   Effect.provide(IngestionJobs.layerConfig().pipe(Layer.provide(FetchHttpClient.layer))),
 *   Effect.runPromise
 * )
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
    ) => Effect.Effect<PollSchedule.Polled | TerminalJob, IngestionError>
    /** Every job of a knowledge base, page after page (`after` = the last ID while `has_more`). */
    readonly listAll: (
      knowledgeBaseId: string,
      options?: ListAllOptions
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
 *
 * const client = IngestionJobs.make({ apiKey: Redacted.make("tns_your_key_here") }).pipe(
 *   Effect.provide(FetchHttpClient.layer)
 * )
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const make = (
  options: Options
): Effect.Effect<IngestionJobs["Service"], InvalidInput, HttpClient.HttpClient> =>
  Effect.gen(function* () {
    const apiKey = options.apiKey === null ? null : yield* validate.apiKey(options.apiKey)
    const base = yield* validate.baseUrl(
      options.baseUrl ?? DEFAULT_BASE_URL,
      options.allowInsecureHttp ?? false
    )
    const timeout = yield* validate.duration("requestTimeout", options.requestTimeout ?? "30 seconds")
    const maxRetryAfter = yield* validate.duration("maxRetryAfter", options.maxRetryAfter ?? "60 seconds")
    const retrySchedule = options.retrySchedule ?? RetrySchedule.defaultSchedule
    const scrub = internalScrub.makeScrub(apiKey === null ? "" : Redacted.value(apiKey))
    const tracing = options.tracing ?? "auto"
    if (!TRACING.includes(tracing)) {
      return yield* new InvalidInput({
        param: "tracing",
        message: `tracing must be one of ${TRACING.map((mode) => `"${mode}"`).join(", ")}`
      })
    }
    // Every request's headers, built once (no per-request chain of header copies).
    const headers = Headers.fromInput({
      ...(apiKey === null ? {} : { authorization: `Bearer ${Redacted.value(apiKey)}` }),
      "user-agent": USER_AGENT,
      accept: "application/json"
    })
    const request = (path: string, urlParams?: Record<string, string>) =>
      HttpClientRequest.get(base.href + path, urlParams === undefined ? { headers } : { headers, urlParams })
    const client = yield* HttpClient.HttpClient

    const deadlinePassed = (request: HttpClientRequest.HttpClientRequest) =>
      new TransportError({
        method: request.method,
        url: new URL(request.url, base).href,
        reason: "Deadline",
        message: "The caller's deadline passed before a complete response arrived"
      })

    // The client, its requests aborted when a Scope we own closes (see `limit`).
    const scopedClient = HttpClient.withScope(client)
    const traced = tracedWith(tracing)

    const send = <A, I>(
      request: HttpClientRequest.HttpClientRequest,
      schema: Schema.Codec<A, I>,
      requestOptions: RequestOptions | undefined,
      fast?: internalResponse.FastDecoder<A>
    ): Effect.Effect<A, IngestionError> => {
      const handle = internalResponse.handle(schema, scrub, fast)
      /**
       * One attempt (response body included) limited to `ms`, failing with `onTimeout()` after it.
       *
       * No fiber of its own: the request runs in the caller's fiber in a Scope that aborts it (the
       * client's AbortSignal, which fetch, undici and node:http honour, body included) when it
       * closes; a timer closes it after `ms`. The attempt's end cancels the timer, and an
       * interruption (an abort stops everything at once) closes the Scope. `Effect.timeout` would
       * race two fibers and a sleep per attempt instead: about three times the cost of this, on
       * every poll. The timer is a plain `setTimeout` on the real-time clock, a fiber sleeping on
       * the clock on any other (`TestClock`): see `liveClock.ts`. The path is the same on both.
       */
      const limit = (ms: number, onTimeout: () => IngestionError): Effect.Effect<A, IngestionError> =>
        Effect.withFiber((fiber) => {
          const scope = Scope.makeUnsafe()
          let fired = false
          const cancel = startTimer(fiber, ms, () => {
            fired = true
            Effect.runFork(Scope.close(scope, Exit.void))
          })
          return traced(
            scopedClient
              .execute(request)
              .pipe(
                Effect.provideService(Scope.Scope, scope),
                Effect.mapError(internalResponse.transportError),
                Effect.flatMap(handle)
              )
          ).pipe(
            Effect.mapError((error) => (fired ? onTimeout() : error)),
            Effect.onExit((exit) => {
              cancel()
              // Interrupted: abort the request. Otherwise the response was read to its end (or
              // never came): nothing to abort, and an abort would build a DOMException for naught.
              return Exit.hasInterrupts(exit) ? Scope.close(scope, exit) : Effect.void
            })
          )
        })
      const timedOut = () =>
        new TransportError({
          method: request.method,
          url: new URL(request.url, base).href,
          reason: "Timeout",
          message: `No complete response within ${Duration.format(timeout)}`
        })
      const deadline = requestOptions?.deadline
      const policy =
        requestOptions === undefined ? retry : () => retryPolicy(retrySchedule, maxRetryAfter, requestOptions)
      if (deadline === undefined) return retrying(limit(timeoutMillis, timedOut), policy)
      // The clock is read before every attempt: a timer that fired late (a blocked event loop)
      // cannot send a request past the deadline, and an attempt never outlives it.
      const attempt = Effect.flatMap(Clock.currentTimeMillis, (now) =>
        now >= deadline
          ? Effect.fail(deadlinePassed(request))
          : deadline - now < timeoutMillis
            ? limit(deadline - now, () => deadlinePassed(request))
            : limit(timeoutMillis, timedOut)
      )
      return retrying(attempt, policy)
    }
    // Built at the first call without a deadline or `onRetry` (the engine's requests always have a
    // deadline: a client that only waits never builds it).
    let defaultPolicy: Schedule.Schedule<unknown, IngestionError> | undefined
    const retry = () => {
      if (defaultPolicy === undefined) defaultPolicy = retryPolicy(retrySchedule, maxRetryAfter, undefined)
      return defaultPolicy
    }
    const timeoutMillis = Duration.toMillis(timeout)
    const withRetries = (requestOptions: RequestOptions | undefined) =>
      requestOptions?.onRetry === undefined && requestOptions?.deadline === undefined
        ? undefined
        : requestOptions

    const jobsPath = (knowledgeBaseId: string) =>
      `knowledge-bases/${encodeURIComponent(knowledgeBaseId)}/ingestion-jobs`

    const list = (knowledgeBaseId: string, listOptions: ListOptions & RequestOptions = {}) =>
      Effect.gen(function* () {
        const kb = yield* validate.id("knowledgeBaseId", knowledgeBaseId)
        const params: Record<string, string> = {}
        if (listOptions.limit !== undefined) params.limit = String(yield* validate.limit(listOptions.limit))
        if (listOptions.after !== undefined) params.after = yield* validate.id("after", listOptions.after)
        if (listOptions.status !== undefined) params.status = yield* validate.status(listOptions.status)
        return yield* send(
          request(jobsPath(kb), params),
          IngestionJob.IngestionJobList,
          withRetries(listOptions),
          fastDecode.list
        )
      })

    const getWith =
      <A>(
        schema: Schema.Codec<A, IngestionJob.IngestionJobDetailEncoded>,
        fast?: internalResponse.FastDecoder<A>
      ) =>
      (knowledgeBaseId: string, jobId: string, requestOptions?: RequestOptions) =>
        Effect.gen(function* () {
          const kb = yield* validate.id("knowledgeBaseId", knowledgeBaseId)
          const job = yield* validate.id("jobId", jobId)
          return yield* send(
            request(`${jobsPath(kb)}/${encodeURIComponent(job)}`),
            schema,
            withRetries(requestOptions),
            fast
          )
        })
    const get = getWith(IngestionJob.IngestionJobDetail)
    // A running job's answer is read by the hand-written decoder (status, counters, timestamps);
    // a terminal one by the schema, `document_details` included.
    const poll = getWith(PolledJob, fastDecode.runningJob)

    const listAll = (knowledgeBaseId: string, listAllOptions: ListAllOptions = {}) =>
      Stream.unwrap(
        Effect.gen(function* () {
          // Validate once, up front: a bad option fails the stream before the first request.
          const kb = yield* validate.id("knowledgeBaseId", knowledgeBaseId)
          const limit = yield* validate.limit(listAllOptions.limit ?? 100)
          const status =
            listAllOptions.status === undefined ? undefined : yield* validate.status(listAllOptions.status)
          const first =
            listAllOptions.after === undefined ? undefined : yield* validate.id("after", listAllOptions.after)
          return Stream.paginate(first, (after: string | undefined) =>
            list(kb, { limit, status, after }).pipe(
              Effect.flatMap((page) => nextCursor(page, after)),
              Effect.map(([page, next]) => [page.data, next] as const)
            )
          )
        })
      )

    return IngestionJobs.of({ list, get, poll, listAll })
  })

const TRACING: ReadonlyArray<Tracing> = ["auto", "spans", "propagate", "none"]

/**
 * The span of a request attempt as the client has always made it: named `http.client <METHOD>`,
 * with the request's and the response's headers as attributes (`Authorization` among the names
 * `Headers.CurrentRedactedNames` redacts: `<redacted>`). Effect's own defaults are `<METHOD>` and no
 * header.
 */
const spanName = (request: HttpClientRequest.HttpClientRequest): string => `http.client ${request.method}`
const withSpans: Context.Context<never> = Context.make(HttpClient.SpanNameGenerator, spanName).pipe(
  Context.add(HttpClient.TracerHeaderFilter, constTrue)
)
const withSpansNoPropagation = Context.add(withSpans, HttpClient.TracerPropagationEnabled, false)
const withoutSpans = Context.make(References.TracerEnabled, false)

// Module functions, not closures per client: they depend on the mode alone.
const propagating = <A, E>(effect: Effect.Effect<A, E>): Effect.Effect<A, E> =>
  Effect.provideContext(effect, withSpans)
const propagationOff = <A, E>(effect: Effect.Effect<A, E>): Effect.Effect<A, E> =>
  Effect.provideContext(effect, withSpansNoPropagation)
const spansOff = <A, E>(effect: Effect.Effect<A, E>): Effect.Effect<A, E> =>
  Effect.provideContext(effect, withoutSpans)
/** `Tracer.nativeTracer` is Effect's built-in tracer: spans it makes are recorded nowhere. */
const tracedAuto = <A, E>(effect: Effect.Effect<A, E>): Effect.Effect<A, E> =>
  Effect.withFiber((fiber) =>
    fiber.getRef(Tracer.Tracer) === Tracer.nativeTracer ? spansOff(effect) : propagationOff(effect)
  )

/**
 * Runs a request attempt with the spans and trace headers `tracing` asks for. The client reads
 * them from context references: they are set for the attempt alone.
 */
const tracedWith = (tracing: Tracing) =>
  tracing === "propagate"
    ? propagating
    : tracing === "spans"
      ? propagationOff
      : tracing === "none"
        ? spansOff
        : tracedAuto

/**
 * `Effect.retry(attempt, policy())`, without stepping the policy (and building its state) for an
 * attempt that succeeds or fails for good: a request that is not retried costs no retry machinery.
 */
const retrying = <A>(
  attempt: Effect.Effect<A, IngestionError>,
  policy: () => Schedule.Schedule<unknown, IngestionError>
): Effect.Effect<A, IngestionError> =>
  Effect.catch(attempt, (first) =>
    first.isTransient
      ? Effect.flatMap(Schedule.toStepWithSleep(policy()), (step) => {
          // A step sleeps the delay and succeeds, or fails (with `Cause.Done`) when the policy is done.
          const loop = (error: IngestionError): Effect.Effect<A, IngestionError> =>
            Effect.matchEffect(step(error), {
              onFailure: () => Effect.fail(error),
              onSuccess: () => Effect.catch(attempt, loop)
            })
          return loop(first)
        })
      : Effect.fail(first)
  )

/** The cursor of the next page; a page that claims more but cannot advance is a decode error. */
const nextCursor = (
  page: IngestionJob.IngestionJobList,
  previous: string | undefined
): Effect.Effect<readonly [IngestionJob.IngestionJobList, Option.Option<string>], ResponseDecodeError> => {
  if (!page.has_more) return Effect.succeed([page, Option.none()])
  const last = page.data[page.data.length - 1]
  if (last === undefined || last.id === previous) {
    return Effect.fail(
      new ResponseDecodeError({
        method: "GET",
        url: "",
        status: 200,
        message: "The list claims has_more but its last job cannot serve as the next cursor",
        excerpt: JSON.stringify({
          has_more: page.has_more,
          data_length: page.data.length,
          after: previous ?? null
        })
      })
    )
  }
  return Effect.succeed([page, Option.some(last.id)])
}

/**
 * The retry policy: the caller's schedule, only for transient errors, never shorter than the
 * `Retry-After` the service asked for (capped at `maxRetryAfter`), and never past the call's
 * deadline (the attempt at the deadline then fails before it is sent).
 */
const retryPolicy = (
  schedule: Schedule.Schedule<unknown, IngestionError>,
  maxRetryAfter: Duration.Duration,
  options: RequestOptions | undefined
): Schedule.Schedule<unknown, IngestionError> => {
  const transient = Schedule.while(schedule, ({ input }) => input.isTransient)
  const onRetry = options?.onRetry
  const deadline = options?.deadline
  // `attempt` counts the policy's steps from 1: the first retry of the request is attempt 1.
  return Schedule.modifyDelay(transient, ({ input: error, attempt, duration: delay }) => {
    const asked = "retryAfterMs" in error ? error.retryAfterMs : undefined
    const wanted =
      asked === undefined ? delay : Duration.max(delay, Duration.min(Duration.millis(asked), maxRetryAfter))
    const wait =
      deadline === undefined
        ? Effect.succeed(wanted)
        : Effect.map(Clock.currentTimeMillis, (now) =>
            Duration.min(wanted, Duration.millis(Math.max(0, deadline - now)))
          )
    return onRetry === undefined
      ? wait
      : Effect.tap(wait, (delayed) =>
          onRetry({
            error: error as RetryInfo["error"],
            attempt,
            delayMillis: Duration.toMillis(delayed)
          })
        )
  })
}

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
 * and `TENSORAS_BASE_URL` (default {@link DEFAULT_BASE_URL}).
 *
 * @example
 * ```ts
 * import { IngestionJobs } from "@tensoras/ingestion"
 * import * as Effect from "effect/Effect"
 *
 * const program = Effect.gen(function* () {
 *   const { apiKey, baseUrl } = yield* IngestionJobs.config
 *   return baseUrl
 * })
 * ```
 * @category config
 * @since 0.1.0
 */
export const config: Config.Config<{ readonly apiKey: Redacted.Redacted<string>; readonly baseUrl: string }> =
  Config.all({
    apiKey: Config.Redacted("TENSORAS_API_KEY"),
    baseUrl: Config.withDefault(Config.String("TENSORAS_BASE_URL"), DEFAULT_BASE_URL)
  })

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
  options?: ListAllOptions
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
 * @since 0.2.0
 */
export const poll = (
  knowledgeBaseId: string,
  jobId: string,
  options?: RequestOptions
): Effect.Effect<PollSchedule.Polled | TerminalJob, IngestionError, IngestionJobs> =>
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
 * @since 0.2.0
 */
export const isValidId: (value: unknown) => value is string = validate.isId
