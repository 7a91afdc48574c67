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
 * @since 0.1.0
 */
import * as Config from "effect/Config"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import * as HttpClient from "effect/http/HttpClient"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import type * as Schedule from "effect/Schedule"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { type IngestionError, InvalidInput } from "./IngestionError.js"
import type * as IngestionJob from "./IngestionJob.js"
import * as IngestionJobs from "./IngestionJobs.js"
import { abortReason, runPromise, squash } from "./internal/runPromise.js"
import * as validate from "./internal/validate.js"
import type * as PollSchedule from "./PollSchedule.js"
import * as RetrySchedule from "./RetrySchedule.js"
import * as Wait from "./Wait.js"
import * as WaitEngine from "./WaitEngine.js"
import type { WaitError } from "./WaitError.js"

/**
 * Options of {@link createIngestionJobsClient}. Where the runtime has an environment (Node, Deno,
 * Bun), `apiKey` and `baseUrl` default to `TENSORAS_API_KEY` and `TENSORAS_BASE_URL`.
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
}

/**
 * Per-call options.
 *
 * @category models
 * @since 0.1.0
 */
export interface CallOptions {
  /** Aborting it stops the call at once, retries included. */
  readonly signal?: AbortSignal | undefined
}

/**
 * Options of the Promise waits: the Effect waits' options (`WaitEngine.WaitOptions`) with
 * durations as `…Ms` numbers, plus an `AbortSignal`.
 *
 * @category models
 * @since 0.2.0
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
 * One job's result in {@link IngestionJobsClient.waitForAll}: `Promise.allSettled`'s shape, with
 * the tagged error (`IngestionJobFailed`, `WaitTimeout`, `NotFound`, ...) as the reason.
 *
 * @category models
 * @since 0.2.0
 */
export type WaitResult =
  | { readonly status: "fulfilled"; readonly value: Wait.CompletedJob }
  | { readonly status: "rejected"; readonly reason: WaitError }

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
   * documents failed); rejects with `IngestionJobFailed`, `WaitTimeout` or the client's error.
   */
  readonly waitFor: (
    knowledgeBaseId: string,
    jobId: string,
    options?: ClientWaitOptions
  ) => Promise<Wait.CompletedJob>
  /**
   * Waits for many jobs of one knowledge base (one polling loop), resolving in the order of
   * `jobIds` to `Promise.allSettled`-shaped results. Rejects only on invalid input or abort.
   */
  readonly waitForAll: (
    knowledgeBaseId: string,
    jobIds: Iterable<string>,
    options?: Omit<ClientWaitOptions, "onUpdate">
  ) => Promise<ReadonlyArray<WaitResult>>
  /**
   * The job each time it changes, ending with the terminal job (with `document_details`).
   * Breaking out of the loop, or aborting, leaves the wait.
   */
  readonly watch: (
    knowledgeBaseId: string,
    jobId: string,
    options?: Omit<ClientWaitOptions, "onUpdate">
  ) => AsyncIterable<IngestionJob.IngestionJob>
  /** Many jobs as one iterable of `Changed` / `Ended` updates, ending after the last `Ended`. */
  readonly watchAll: (
    knowledgeBaseId: string,
    jobIds: Iterable<string>,
    options?: Omit<ClientWaitOptions, "onUpdate">
  ) => AsyncIterable<Wait.JobUpdate>
}

const API_KEY_VARIABLE = "TENSORAS_API_KEY"
const BASE_URL_VARIABLE = "TENSORAS_BASE_URL"

const environmentConfig = Config.all({
  apiKey: Config.option(Config.Redacted(API_KEY_VARIABLE)),
  baseUrl: Config.option(Config.String(BASE_URL_VARIABLE))
})

/**
 * The two variables as the process's environment has them now, an empty value included (it is
 * given, and then not valid). Effect's default provider reads the environment once per process,
 * and takes an empty value for a missing one.
 */
const environmentNow = (): ConfigProvider.ConfigProvider => {
  const env = (globalThis as { readonly process?: { readonly env?: Record<string, string | undefined> } })
    .process?.env
  const variables: Record<string, string> = {}
  for (const name of [API_KEY_VARIABLE, BASE_URL_VARIABLE]) {
    const value = env?.[name]
    if (value !== undefined) variables[name] = value
  }
  return ConfigProvider.fromEnv({ env: variables, preserveEmptyStrings: true })
}

/** The key and base URL from the environment, where there is one (not in a browser), read at each call. */
const fromEnvironment = Effect.suspend(() =>
  Effect.provideService(environmentConfig, ConfigProvider.ConfigProvider, environmentNow())
).pipe(Effect.orElseSucceed(() => ({ apiKey: Option.none(), baseUrl: Option.none() })))

const MISSING_KEY = new InvalidInput({
  param: "apiKey",
  message: "No API key: pass apiKey, or set the TENSORAS_API_KEY environment variable"
})

const FETCH_AND_CLIENT = new InvalidInput({
  param: "httpClient",
  message: "Pass fetch or httpClient, not both"
})

/** Effect's fetch client, built once (a Layer built per client costs more than the client). */
let baseFetchClient: HttpClient.HttpClient | undefined

/**
 * The fetch client of one Promise client: Effect's, with its `fetch` and fetch's
 * `redirect: "manual"` (a redirect is answered, not followed: the client turns it into a typed
 * error), as `FetchHttpClient.layer` built with them in context would give.
 */
const fetchClient = (fetch: typeof globalThis.fetch): HttpClient.HttpClient => {
  // One per `fetch` function (the clients of a process usually share `globalThis.fetch`): it holds
  // no key, only how requests are sent.
  const shared = fetchClients.get(fetch)
  if (shared !== undefined) return shared
  baseFetchClient ??= Effect.runSync(Effect.provide(HttpClient.HttpClient, FetchHttpClient.layer))
  const context = Context.make(FetchHttpClient.Fetch, fetch).pipe(
    Context.add(FetchHttpClient.RequestInit, { redirect: "manual" })
  )
  const client = HttpClient.transformResponse(
    baseFetchClient,
    Effect.updateContext((input: Context.Context<never>) => Context.merge(context, input))
  )
  fetchClients.set(fetch, client)
  return client
}

/** The fetch client of each `fetch` function, while that function lives. */
const fetchClients = new WeakMap<typeof globalThis.fetch, HttpClient.HttpClient>()

let defaultRetries: Schedule.Schedule<unknown, IngestionError> | undefined
/** The default retries (5), built once: a schedule is a value, shared by every client. */
const defaultRetrySchedule = () => (defaultRetries ??= RetrySchedule.exponential({ retries: 5 }))

/** The Effect wait options from the Promise ones. */
const waitOptions = (options: ClientWaitOptions): Effect.Effect<WaitEngine.WaitOptions, InvalidInput> =>
  Effect.gen(function* () {
    const timeout =
      options.timeoutMs === undefined ? undefined : yield* validate.duration("timeoutMs", options.timeoutMs)
    const pollInterval =
      options.pollIntervalMs === undefined
        ? undefined
        : yield* validate.duration("pollIntervalMs", options.pollIntervalMs)
    return { timeout, deadline: options.deadline, pollInterval, schedule: options.schedule }
  })

/**
 * A stream as an async iterable, the one bridge of the Promise client's `listAll`, `watch` and
 * `watchAll`: an abort of `signal` fails the stream with the signal's reason, so a loop rejects
 * instead of ending quietly.
 */
const toAsyncIterable = <A, E>(
  stream: Stream.Stream<A, E>,
  signal: AbortSignal | undefined
): AsyncIterable<A> =>
  Stream.toAsyncIterable(
    signal === undefined
      ? stream
      : Stream.interruptWhen(
          stream,
          Effect.callback<never, unknown>((resume) => {
            const onAbort = () => resume(Effect.fail(abortReason(signal)))
            if (signal.aborted) return onAbort()
            signal.addEventListener("abort", onAbort, { once: true })
            return Effect.sync(() => signal.removeEventListener("abort", onAbort))
          })
        )
  )

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
export const createIngestionJobsClient = (options: ClientOptions = {}): IngestionJobsClient =>
  clientOf(build(options))

/** The service and the engine of a client; throws as {@link createIngestionJobsClient} does. */
const build = (options: ClientOptions) => {
  const exit = Effect.runSyncExit(
    Effect.gen(function* () {
      const environment =
        options.apiKey === undefined || options.baseUrl === undefined
          ? yield* fromEnvironment
          : { apiKey: Option.none(), baseUrl: Option.none() }
      if (options.fetch !== undefined && options.httpClient !== undefined) return yield* FETCH_AND_CLIENT
      const given = options.apiKey ?? Option.getOrUndefined(environment.apiKey)
      if (given === undefined) return yield* MISSING_KEY
      const apiKey = yield* validate.apiKey(given)
      const timeout =
        options.requestTimeoutMs === undefined
          ? undefined
          : yield* validate.duration("requestTimeoutMs", options.requestTimeoutMs)
      const retries =
        options.maxRetries === undefined
          ? undefined
          : yield* validate.count("maxRetries", options.maxRetries, 0)
      const service = yield* IngestionJobs.make({
        apiKey,
        baseUrl: options.baseUrl ?? Option.getOrUndefined(environment.baseUrl),
        allowInsecureHttp: options.allowInsecureHttp,
        requestTimeout: timeout,
        retrySchedule:
          options.retrySchedule ??
          (retries === undefined ? defaultRetrySchedule() : RetrySchedule.exponential({ retries }))
      })
      // The client's engine lives as long as the client; its loops stop whenever no wait is left.
      const scope = yield* Scope.make()
      const engine = yield* WaitEngine.make().pipe(
        Effect.provideService(IngestionJobs.IngestionJobs, service),
        Scope.provide(scope)
      )
      return { service, engine }
    }).pipe(
      Effect.provideService(
        HttpClient.HttpClient,
        options.httpClient ?? fetchClient(options.fetch ?? globalThis.fetch)
      )
    )
  )
  if (Exit.isFailure(exit)) throw squash(exit.cause)
  return exit.value
}

/** A wait on an engine, with the Promise options validated first, as a Promise. */
const onEngine = <A, E>(
  engine: WaitEngine.WaitEngine["Service"],
  options: ClientWaitOptions,
  wait: (effectOptions: WaitEngine.WaitOptions) => Effect.Effect<A, E, WaitEngine.WaitEngine>
): Promise<A> =>
  runPromise(
    Effect.provideService(Effect.flatMap(waitOptions(options), wait), WaitEngine.WaitEngine, engine),
    options.signal
  )

/** `waitFor` on an engine, with the Promise options. */
const waitForOn = (
  engine: WaitEngine.WaitEngine["Service"],
  knowledgeBaseId: string,
  jobId: string,
  options: ClientWaitOptions
): Promise<Wait.CompletedJob> =>
  onEngine(engine, options, (effectOptions) =>
    Wait.waitFor(knowledgeBaseId, jobId, { ...effectOptions, onUpdate: options.onUpdate })
  )

/** The Promise client on a service and its engine. */
const clientOf = ({
  service,
  engine
}: {
  readonly service: IngestionJobs.IngestionJobs["Service"]
  readonly engine: WaitEngine.WaitEngine["Service"]
}): IngestionJobsClient => {
  /** A wait on the client's engine, with the Promise options validated first, as a Promise. */
  const waitOnEngine = <A, E>(
    options: ClientWaitOptions,
    wait: (effectOptions: WaitEngine.WaitOptions) => Effect.Effect<A, E, WaitEngine.WaitEngine>
  ): Promise<A> => onEngine(engine, options, wait)
  /** A watch on the client's engine, with the Promise options validated first, as an async iterable. */
  const watchOnEngine = <A, E>(
    options: ClientWaitOptions,
    watch: (effectOptions: WaitEngine.WaitOptions) => Stream.Stream<A, E, WaitEngine.WaitEngine>
  ): AsyncIterable<A> =>
    toAsyncIterable(
      Stream.provideService(
        Stream.unwrap(Effect.map(waitOptions(options), watch)),
        WaitEngine.WaitEngine,
        engine
      ),
      options.signal
    )

  return {
    list: (knowledgeBaseId, listOptions = {}) =>
      runPromise(service.list(knowledgeBaseId, listOptions), listOptions.signal),
    get: (knowledgeBaseId, jobId, callOptions = {}) =>
      runPromise(service.get(knowledgeBaseId, jobId), callOptions.signal),
    listAll: (knowledgeBaseId, listOptions = {}) =>
      toAsyncIterable(service.listAll(knowledgeBaseId, listOptions), listOptions.signal),
    waitFor: (knowledgeBaseId, jobId, options = {}) => waitForOn(engine, knowledgeBaseId, jobId, options),
    waitForAll: (knowledgeBaseId, jobIds, options = {}) =>
      waitOnEngine(options, (effectOptions) =>
        Effect.map(Wait.waitForAll(knowledgeBaseId, jobIds, effectOptions), (results) =>
          results.map(
            Result.match({
              onFailure: (reason): WaitResult => ({ status: "rejected", reason }),
              onSuccess: (value): WaitResult => ({ status: "fulfilled", value })
            })
          )
        )
      ),
    watch: (knowledgeBaseId, jobId, options = {}) =>
      watchOnEngine(options, (effectOptions) => Wait.watch(knowledgeBaseId, jobId, effectOptions)),
    watchAll: (knowledgeBaseId, jobIds, options = {}) =>
      watchOnEngine(options, (effectOptions) => Wait.watchAll(knowledgeBaseId, jobIds, effectOptions))
  }
}

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
 *   else if (error instanceof IngestionError.NotFound) console.error("no such job")
 *   else throw error
 * }
 * ```
 * @category waiting
 * @since 0.1.0
 */
export const waitForIngestionJob = (options: WaitForIngestionJobOptions): Promise<Wait.CompletedJob> => {
  // A client's service and engine, without the client: one call uses nothing else.
  let engine: WaitEngine.WaitEngine["Service"]
  try {
    engine = engineFor(options)
  } catch (error) {
    return Promise.reject(error)
  }
  return waitForOn(engine, options.knowledgeBaseId, options.jobId, options)
}

/** How many engines {@link waitForIngestionJob} keeps for calls with the same client options. */
const RECENT_ENGINES = 8

/** A recent call's engine, the key it sends (inside a `Redacted`, as a client holds it) and its other options. */
interface RecentEngine {
  readonly apiKey: Redacted.Redacted<string>
  readonly options: string
  readonly engine: WaitEngine.WaitEngine["Service"]
}

/**
 * The engines of recent {@link waitForIngestionJob} calls, by how requests are sent (`httpClient`,
 * else `fetch`), newest last: a call with the options of a recent one waits on its engine instead
 * of building a service and an engine of its own (about a fifth of a millisecond of CPU and its
 * garbage, per call). Waits on one engine are independent; they share a knowledge base's loop when
 * they watch the same one, as a client's waits do. An engine with no wait holds no fiber and no
 * timer. Bounded: the oldest entry goes when a ninth set of options comes. The key is compared, never
 * used as a map key or written into a string: it stays inside its `Redacted`.
 */
const recentEngines = new WeakMap<object, Array<RecentEngine>>()

/**
 * The engine for a call's client options: a recent call's with the same options, or a new one.
 * Only options given in full are reused (the key and base URL given, no schedule object of one's
 * own): the environment is read, and a schedule built, at each call otherwise.
 */
const engineFor = (options: WaitForIngestionJobOptions): WaitEngine.WaitEngine["Service"] => {
  const apiKey = Redacted.isRedacted(options.apiKey) ? Redacted.value(options.apiKey) : options.apiKey
  const baseUrl = options.baseUrl
  if (
    typeof apiKey !== "string" ||
    baseUrl === undefined ||
    options.retrySchedule !== undefined ||
    (options.fetch !== undefined && options.httpClient !== undefined)
  )
    return build(options).engine
  const transport: object = options.httpClient ?? options.fetch ?? globalThis.fetch
  const others = JSON.stringify([
    String(baseUrl),
    options.allowInsecureHttp ?? false,
    options.requestTimeoutMs ?? null,
    options.maxRetries ?? null
  ])
  let engines = recentEngines.get(transport)
  const known = engines?.find(
    (recent) => recent.options === others && Redacted.value(recent.apiKey) === apiKey
  )
  if (known !== undefined) return known.engine
  // Built (and validated) before it is kept: options that throw are not remembered.
  const engine = build(options).engine
  if (engines === undefined) {
    engines = []
    recentEngines.set(transport, engines)
  }
  if (engines.length >= RECENT_ENGINES) engines.shift()
  engines.push({ apiKey: Redacted.make(apiKey), options: others, engine })
  return engine
}
