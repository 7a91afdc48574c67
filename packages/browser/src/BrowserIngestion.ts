/**
 * The browser entry: Layers for the client over `fetch` (a same-origin proxy by default, an API
 * key only with a loud opt-in), the page's signals and the browser's wait engine; the lifecycle
 * machine on that engine, and a framework-free `watchJob` for UIs.
 *
 * @since 0.1.0
 */
import { type IngestionError, InvalidInput } from "@tensoras/ingestion/IngestionError"
import * as IngestionJobs from "@tensoras/ingestion/IngestionJobs"
import * as JobMachine from "@tensoras/ingestion/JobMachine"
import type * as WaitEngine from "@tensoras/ingestion/WaitEngine"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import type * as HttpClient from "effect/http/HttpClient"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import type * as Schedule from "effect/Schedule"
import { createActor } from "xstate"
import * as BrowserEngine from "./BrowserEngine.js"
import * as lazyEngine from "./internal/lazyEngine.js"
import * as pageClient from "./internal/pageClient.js"
import * as PageSignals from "./PageSignals.js"

/**
 * How the page reaches the API.
 *
 * @category models
 * @since 0.1.0
 */
export interface Options {
  /**
   * Where the two read endpoints are served. A path (`/api/tensoras/v1`) is resolved against the
   * page's location: the intended set-up is a same-origin proxy (see `IngestionProxy`) that adds
   * the key server-side. An absolute URL works too.
   */
  readonly baseUrl: string | URL
  /**
   * An API key, sent from the page. Anyone who opens the page can read it: refused with
   * `InvalidInput` unless `dangerouslyAllowApiKeyInBrowser` is true. Leave it out with a proxy.
   */
  readonly apiKey?: string | Redacted.Redacted<string> | undefined
  /** Sends `apiKey` from the browser anyway (internal tools, local development). Default false. */
  readonly dangerouslyAllowApiKeyInBrowser?: boolean | undefined
  /** Headers of your own app's auth for the proxy (e.g. a CSRF token); a function is read per request. */
  readonly headers?: Record<string, string> | (() => Record<string, string>) | undefined
  /** `fetch`'s `credentials`. Default `same-origin`: the page's cookies go to a same-origin proxy only. */
  readonly credentials?: RequestCredentials | undefined
  /** Allows an `http:` base URL on a non-loopback host (a same-origin one is always allowed). */
  readonly allowInsecureHttp?: boolean | undefined
  readonly requestTimeout?: Duration.Input | undefined
  readonly retrySchedule?: Schedule.Schedule<unknown, IngestionError> | undefined
  readonly maxRetryAfter?: Duration.Input | undefined
  /** Core's `unreachableAfter`: attempts without any answer before `Unreachable`. Default 6. */
  readonly unreachableAfter?: number | undefined
  /** Core's `maxResponseBytes`: the most of a body read (a bigger one is `ResponseDecodeError` `TooLarge`). Default 8 MiB. */
  readonly maxResponseBytes?: number | undefined
  /** The `fetch` to use. Default `globalThis.fetch`. */
  readonly fetch?: typeof globalThis.fetch | undefined
}

const invalid = (param: string, message: string) => new InvalidInput({ param, message })

interface Resolved {
  readonly baseUrl: URL
  readonly apiKey: Redacted.Redacted<string> | undefined
  readonly allowInsecureHttp: boolean
}

/**
 * Checks the options: refuses a key without the opt-in, and resolves a relative base URL
 * against the page's location (core accepts only absolute URLs).
 *
 * @internal
 */
export const resolveOptions = (options: Options): Effect.Effect<Resolved, InvalidInput> =>
  Effect.gen(function* () {
    const key = options.apiKey
    if (key !== undefined && options.dangerouslyAllowApiKeyInBrowser !== true) {
      return yield* invalid(
        "apiKey",
        "Refusing to send an API key from the browser: anyone who opens the page can read it. Serve the API " +
          "through a same-origin proxy that adds the key server-side (makeIngestionProxy) and pass its path as " +
          "baseUrl, or set dangerouslyAllowApiKeyInBrowser: true if you accept the risk."
      )
    }
    if ((options as any).baseUrl === undefined) {
      return yield* invalid(
        "baseUrl",
        "baseUrl is required in the browser: the path of your proxy, e.g. /api/tensoras/v1"
      )
    }
    const pageUrl = typeof location === "undefined" ? undefined : location.href
    let baseUrl: URL
    try {
      baseUrl = new URL(options.baseUrl, pageUrl)
    } catch {
      return yield* invalid(
        "baseUrl",
        `baseUrl is not a valid URL or path (got ${JSON.stringify(String(options.baseUrl))})`
      )
    }
    const sameOrigin = typeof location !== "undefined" && baseUrl.origin === location.origin
    return {
      baseUrl,
      apiKey: key === undefined ? undefined : Redacted.isRedacted(key) ? key : Redacted.make(key),
      allowInsecureHttp: options.allowInsecureHttp === true || sameOrigin
    }
  })

/**
 * The `fetch`-based `HttpClient` for the page: `credentials` as given (default `same-origin`), the
 * caller's headers added; with `keyless`, no `Authorization` header leaves the page.
 *
 * @example
 * ```ts
 * import { BrowserIngestion } from "@tensoras/ingestion-browser"
 *
 * // The HttpClient alone (any request), e.g. to build core's client on it yourself; `layer` and
 * // `layerClient` send core's requests the same way, on a lighter client of their own.
 * const http = BrowserIngestion.layerHttpClient({ headers: { "x-csrf-token": "…" }, credentials: "same-origin" })
 * ```
 * @category layers
 * @since 0.1.0
 */
export const layerHttpClient = (
  options: Pick<Options, "headers" | "credentials" | "fetch"> & { readonly keyless?: boolean }
): Layer.Layer<HttpClient.HttpClient> =>
  FetchHttpClient.layer.pipe(
    Layer.provide(Layer.succeed(FetchHttpClient.RequestInit, pageClient.requestInit(options))),
    Layer.provide(Layer.succeed(FetchHttpClient.Fetch, pageClient.pageFetch(options)))
  )

/**
 * The `IngestionJobs` client for the page. Fails with `InvalidInput` (nothing sent) for a key
 * without `dangerouslyAllowApiKeyInBrowser`, a missing or bad base URL, or a bad option.
 *
 * @example
 * ```ts
 * import { BrowserIngestion } from "@tensoras/ingestion-browser"
 * import { IngestionJobs } from "@tensoras/ingestion"
 * import * as Effect from "effect/Effect"
 *
 * const job = IngestionJobs.get("kb_abc123", "job_abc123").pipe(
 *   Effect.provide(BrowserIngestion.layerClient({ baseUrl: "/api/tensoras/v1" }))
 * )
 * ```
 * @category layers
 * @since 0.1.0
 */
export const layerClient = (options: Options): Layer.Layer<IngestionJobs.IngestionJobs, InvalidInput> =>
  Layer.unwrap(
    Effect.map(resolveOptions(options), (resolved) =>
      IngestionJobs.layer({
        // Through a proxy there is no key: core sends no Authorization header.
        apiKey: resolved.apiKey ?? null,
        baseUrl: resolved.baseUrl,
        allowInsecureHttp: resolved.allowInsecureHttp,
        requestTimeout: options.requestTimeout,
        retrySchedule: options.retrySchedule,
        maxRetryAfter: options.maxRetryAfter,
        unreachableAfter: options.unreachableAfter,
        maxResponseBytes: options.maxResponseBytes
      }).pipe(Layer.provide(pageClient.layer({ ...options, keyless: resolved.apiKey === undefined })))
    )
  )

/**
 * Options of {@link layer} and {@link machine}: how to reach the API, the engine's (tab sharing,
 * the cadence for other tabs' waits), and the page's signals.
 *
 * @category models
 * @since 0.1.0
 */
export interface LayerOptions extends Options, BrowserEngine.Options {
  /** The page's signals. Default {@link PageSignals.layer}. */
  readonly signals?: PageSignals.Controlled | undefined
}

const engineOptions = (options: LayerOptions): BrowserEngine.Options => ({
  shareAcrossTabs: options.shareAcrossTabs,
  channelPrefix: options.channelPrefix,
  schedule: options.schedule,
  onRound: options.onRound
})

/**
 * Everything a wait in the page needs: core's `WaitEngine` as the browser runs it
 * ({@link BrowserEngine}: paused while hidden or offline, one leader tab per knowledge base), the
 * client ({@link layerClient}) and the page's signals. Core's waits (`Wait.waitFor`, `Wait.watch`,
 * `Wait.waitForAll`, ...) run on it.
 *
 * @example
 * ```ts
 * import { BrowserIngestion } from "@tensoras/ingestion-browser"
 * import { Wait } from "@tensoras/ingestion"
 * import * as Effect from "effect/Effect"
 *
 * const job = Wait.waitFor("kb_abc123", "job_def456", { timeout: "15 minutes" }).pipe(
 *   Effect.provide(BrowserIngestion.layer({ baseUrl: "/api/tensoras/v1" }))
 * )
 * ```
 * @category layers
 * @since 0.1.0
 */
export const layer = (
  options: LayerOptions
): Layer.Layer<WaitEngine.WaitEngine | IngestionJobs.IngestionJobs | PageSignals.PageSignals, InvalidInput> =>
  Layer.provideMerge(
    BrowserEngine.layer(engineOptions(options)),
    Layer.merge(layerClient(options), options.signals?.layer ?? PageSignals.layer)
  )

/**
 * Options of {@link machine}: those of {@link layer}; `schedule` is the cadence of the machine's
 * waits (and of the waits of other tabs this tab polls as leader).
 *
 * @category models
 * @since 0.1.0
 */
export interface MachineOptions extends LayerOptions {}

const machineOn = (options: MachineOptions) => {
  const engine = lazyEngine.make(layer(options))
  return { machine: JobMachine.make(engine.context, { schedule: options.schedule }), dispose: engine.dispose }
}

/**
 * Core's `JobMachine` on the browser's engine: its waits pause while the page is hidden or
 * offline, and one tab per knowledge base polls for all. Every actor of one machine shares its
 * engine (built on the first actor's start). Use it with `createActor` or `@xstate/react`.
 *
 * @example
 * ```ts
 * import { BrowserIngestion } from "@tensoras/ingestion-browser"
 * import { createActor } from "xstate"
 *
 * const machine = BrowserIngestion.machine({ baseUrl: "/api/tensoras/v1" })
 * const actor = createActor(machine, { input: { knowledgeBaseId: "kb_abc123", jobId: "job_def456" } }).start()
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const machine = (options: MachineOptions): JobMachine.IngestionJobMachine => machineOn(options).machine

/**
 * Options of {@link watchJob}.
 *
 * @category models
 * @since 0.1.0
 */
export interface WatchOptions extends MachineOptions {
  readonly knowledgeBaseId: string
  readonly jobId: string
  /** How long to wait at most, in milliseconds. Default 30 minutes. */
  readonly timeoutMs?: number | undefined
}

/**
 * Watches a job without a framework: `listener` gets every snapshot of the lifecycle machine
 * (`snapshot.value`, `snapshot.context.job`, `snapshot.output` once settled). Returns a function
 * that stops watching and releases the watch's engine.
 *
 * @example
 * ```ts
 * import { watchJob } from "@tensoras/ingestion-browser"
 *
 * const stop = watchJob({ baseUrl: "/api/tensoras/v1", knowledgeBaseId: "kb_abc123", jobId: "job_def456" }, (snapshot) => {
 *   const job = snapshot.context.job
 *   if (job) console.log(`${job.documents_processed} docs`)
 *   if (snapshot.status === "done") console.log(snapshot.output)
 * })
 * ```
 * @category watching
 * @since 0.1.0
 */
export const watchJob = (
  options: WatchOptions,
  listener: (snapshot: JobMachine.Snapshot) => void
): (() => void) => {
  const { machine, dispose } = machineOn(options)
  const actor = createActor(machine, {
    input: { knowledgeBaseId: options.knowledgeBaseId, jobId: options.jobId, timeoutMs: options.timeoutMs }
  })
  const subscription = actor.subscribe((snapshot) => listener(snapshot))
  actor.start()
  return () => {
    subscription.unsubscribe()
    actor.stop()
    // The engine of this watch: its loop, lock and channel go with it.
    void dispose()
  }
}
