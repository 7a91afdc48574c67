/**
 * The Promise client (`IngestionJobsClient`): a client's `IngestionJobs` service and `WaitEngine`,
 * built at once from the Promise options (the key and base URL from the environment when not
 * given, by `environment.ts`'s rule), and its methods as Promises and async iterables over them.
 * What the clients of a process share lives in `clientCache.ts`.
 */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as HttpClient from "effect/http/HttpClient"
import * as Result from "effect/Result"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { InvalidInput } from "../IngestionError.js"
import * as IngestionJobs from "../IngestionJobs.js"
import type {
  CallOptions,
  ClientEnvironment,
  ClientJobUpdate,
  ClientOptions,
  ClientWaitAllOptions,
  ClientWaitOptions,
  IngestionJobsClient,
  WaitForIngestionJobOptions,
  WaitResult
} from "../IngestionJobsClient.js"
import * as RetrySchedule from "../RetrySchedule.js"
import * as Wait from "../Wait.js"
import * as WaitEngine from "../WaitEngine.js"
import type { WaitError } from "../WaitError.js"
import { defaultRetrySchedule, engineFor, fetchClient } from "./clientCache.js"
import { API_KEY_VARIABLE, readEnvironment } from "./environment.js"
import { abortReason, runPromise, squash } from "./runPromise.js"
import * as validate from "./validate.js"

type Engine = WaitEngine.WaitEngine["Service"]

/** A client's service and its engine. */
interface Built {
  readonly service: IngestionJobs.IngestionJobs["Service"]
  readonly engine: Engine
}

const MISSING_KEY = new InvalidInput({
  param: "apiKey",
  message: `No API key: pass apiKey, or set the ${API_KEY_VARIABLE} environment variable`
})

const FETCH_AND_CLIENT = new InvalidInput({
  param: "httpClient",
  message: "Pass fetch or httpClient, not both"
})

/** Nothing from the environment: everything it could say was given. */
const NOT_READ: ClientEnvironment = { apiKey: undefined, baseUrl: undefined }

/** A user's callback, checked when given: a function, or it is an `InvalidInput` naming it. */
const callback = <F>(param: string, value: F | undefined): Effect.Effect<F | undefined, InvalidInput> =>
  value === undefined || typeof value === "function"
    ? Effect.succeed(value)
    : Effect.fail(new InvalidInput({ param, message: `${param} must be a function` }))

/** The Effect wait options from the Promise ones. */
const waitOptions = (
  options: ClientWaitOptions
): Effect.Effect<WaitEngine.WaitOptions & Wait.RetryListener, InvalidInput> =>
  Effect.gen(function* () {
    const timeout =
      options.timeoutMs === undefined ? undefined : yield* validate.duration("timeoutMs", options.timeoutMs)
    const pollInterval =
      options.pollIntervalMs === undefined
        ? undefined
        : yield* validate.duration("pollIntervalMs", options.pollIntervalMs)
    const onRetry = yield* callback("onRetry", options.onRetry)
    return {
      timeout,
      deadline: options.deadline,
      pollInterval,
      schedule: options.schedule,
      // The engine's `Retrying` event, as the Promise API's one retry shape (a call's `RetryInfo`).
      onRetry:
        onRetry === undefined
          ? undefined
          : (retry: WaitEngine.Retrying) =>
              onRetry({ error: retry.error, attempt: retry.attempt, delayMillis: retry.delayMs })
    }
  })

/** A call's `onRetry` as the service's: the user's function, run where the retry happens. */
const requestOptions = (options: CallOptions): IngestionJobs.RequestOptions | undefined => {
  const onRetry = options.onRetry
  return typeof onRetry === "function" ? { onRetry: (info) => Effect.sync(() => onRetry(info)) } : undefined
}

/** The debug lines of a client: where `logLevel` (or `TENSORAS_LOG`) says so, to `logger` (or stderr). */
const logOf = (
  options: ClientOptions,
  environment: ClientEnvironment
): Effect.Effect<((line: string) => void) | undefined, InvalidInput> =>
  Effect.gen(function* () {
    const level = options.logLevel ?? environment.logLevel ?? "off"
    if (level !== "debug" && level !== "off") {
      return yield* new InvalidInput({ param: "logLevel", message: 'logLevel must be "debug" or "off"' })
    }
    const logger = yield* callback("logger", options.logger)
    if (level === "off") return undefined
    return logger ?? ((line: string) => console.error(`[tensoras] ${line}`))
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

/** The `IngestionJobs` service of the options (the key and base URL from the environment when not given). */
const serviceOf = (options: ClientOptions) =>
  Effect.gen(function* () {
    const environment =
      options.apiKey === undefined || options.baseUrl === undefined || options.logLevel === undefined
        ? readEnvironment()
        : NOT_READ
    if (options.fetch !== undefined && options.httpClient !== undefined) return yield* FETCH_AND_CLIENT
    const given = options.apiKey ?? environment.apiKey
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
    const log = yield* logOf(options, environment)
    return yield* IngestionJobs.make({
      apiKey,
      baseUrl: options.baseUrl ?? environment.baseUrl,
      allowInsecureHttp: options.allowInsecureHttp,
      unreachableAfter: options.unreachableAfter,
      maxResponseBytes: options.maxResponseBytes,
      log,
      requestTimeout: timeout,
      retrySchedule:
        options.retrySchedule ??
        (retries === undefined ? defaultRetrySchedule() : RetrySchedule.exponential({ retries }))
    })
  })

/** The service and the engine of a client; throws as `createIngestionJobsClient` does. */
const build = (options: ClientOptions): Built => {
  const exit = Effect.runSyncExit(
    Effect.gen(function* () {
      const service = yield* serviceOf(options)
      // The client's engine lives as long as the client; its loops stop whenever no wait is left.
      const scope = yield* Scope.make()
      const engine = yield* WaitEngine.make({ cadence: options.cadence }).pipe(
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
  engine: Engine,
  options: Omit<ClientWaitOptions, "onUpdate">,
  wait: (effectOptions: WaitEngine.WaitOptions) => Effect.Effect<A, E, WaitEngine.WaitEngine>
): Promise<A> =>
  runPromise(
    Effect.provideService(Effect.flatMap(waitOptions(options), wait), WaitEngine.WaitEngine, engine),
    options.signal
  )

/** `waitForAll`'s and `waitForActive`'s options: the wait's, and `onUpdate` told the Promise shape of each update. */
const waitAllOptions = (options: ClientWaitAllOptions) =>
  Effect.map(
    callback("onUpdate", options.onUpdate),
    (onUpdate): Pick<Wait.ActiveOptions, "onUpdate" | "includeNew"> => ({
      onUpdate: onUpdate === undefined ? undefined : (update) => onUpdate(settledUpdate(update)),
      includeNew: options.includeNew
    })
  )

/** A watch on an engine, with the Promise options validated first, as an async iterable. */
const watchOnEngine = <A, E>(
  engine: Engine,
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

/** `waitFor` on an engine, with the Promise options. */
const waitForOn = (
  engine: Engine,
  knowledgeBaseId: string,
  jobId: string,
  options: ClientWaitOptions
): Promise<Wait.CompletedJob> =>
  onEngine(engine, options, (effectOptions) =>
    Wait.waitFor(knowledgeBaseId, jobId, { ...effectOptions, onUpdate: options.onUpdate })
  )

/** A wait's result as `Promise.allSettled` gives it. */
const settled = Result.match({
  onFailure: (reason: WaitError): WaitResult => ({ status: "rejected", reason }),
  onSuccess: (value: Wait.CompletedJob): WaitResult => ({ status: "fulfilled", value })
})

/** `watchAll`'s update with its result in `Promise.allSettled`'s shape. */
const settledUpdate = (update: Wait.JobUpdate): ClientJobUpdate =>
  update._tag === "Ended" ? { _tag: "Ended", jobId: update.jobId, result: settled(update.result) } : update

/** The list options the service takes, from the Promise ones (without the signal). */
const listOptionsOf = <O extends IngestionJobs.ListAllOptions>(options: O & CallOptions) => {
  const { signal: _, onRetry: __, ...rest } = options
  return { ...rest, ...requestOptions(options) }
}

/** The Promise client on a service and its engine. */
const clientOf = ({ service, engine }: Built): IngestionJobsClient => ({
  list: (knowledgeBaseId, listOptions = {}) =>
    runPromise(service.list(knowledgeBaseId, listOptionsOf(listOptions)), listOptions.signal),
  get: (knowledgeBaseId, jobId, callOptions = {}) =>
    runPromise(service.get(knowledgeBaseId, jobId, requestOptions(callOptions)), callOptions.signal),
  listAll: (knowledgeBaseId, listOptions = {}) =>
    toAsyncIterable(service.listAll(knowledgeBaseId, listOptionsOf(listOptions)), listOptions.signal),
  waitFor: (knowledgeBaseId, jobId, options = {}) => waitForOn(engine, knowledgeBaseId, jobId, options),
  waitForAll: (knowledgeBaseId, jobIds, options = {}) =>
    onEngine(engine, options, (effectOptions) =>
      Effect.flatMap(waitAllOptions(options), ({ onUpdate }) =>
        Effect.map(Wait.waitForAll(knowledgeBaseId, jobIds, { ...effectOptions, onUpdate }), (results) =>
          results.map(settled)
        )
      )
    ),
  waitForActive: (knowledgeBaseId, options = {}) =>
    onEngine(engine, options, (effectOptions) =>
      Effect.flatMap(waitAllOptions(options), (more) =>
        Effect.map(
          Effect.provideService(
            Wait.waitForActive(knowledgeBaseId, { ...effectOptions, ...more }),
            IngestionJobs.IngestionJobs,
            service
          ),
          (ended) =>
            ended.map((update) => ({
              _tag: "Ended" as const,
              jobId: update.jobId,
              result: settled(update.result)
            }))
        )
      )
    ),
  watch: (knowledgeBaseId, jobId, options = {}) =>
    watchOnEngine(engine, options, (effectOptions) => Wait.watch(knowledgeBaseId, jobId, effectOptions)),
  watchAll: (knowledgeBaseId, jobIds, options = {}) =>
    watchOnEngine(engine, options, (effectOptions) =>
      Stream.map(Wait.watchAll(knowledgeBaseId, jobIds, effectOptions), settledUpdate)
    )
})

/** See `createIngestionJobsClient`. */
export const createIngestionJobsClient = (options: ClientOptions = {}): IngestionJobsClient =>
  clientOf(build(options))

const engineOf = (options: WaitForIngestionJobOptions): Engine => build(options).engine

/** See `waitForIngestionJob`. */
export const waitForIngestionJob = (options: WaitForIngestionJobOptions): Promise<Wait.CompletedJob> => {
  // A client's service and engine, without the client: one call uses nothing else.
  let engine: Engine
  try {
    // The engines kept for reuse are told apart by the options they know; a call with one of the
    // newer client options builds its own.
    engine =
      options.unreachableAfter === undefined &&
      options.logLevel === undefined &&
      options.logger === undefined &&
      options.maxResponseBytes === undefined
        ? engineFor(options, engineOf)
        : engineOf(options)
  } catch (error) {
    return Promise.reject(error)
  }
  return waitForOn(engine, options.knowledgeBaseId, options.jobId, options)
}
