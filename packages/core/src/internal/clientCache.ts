/**
 * What the Promise clients of one process share, each cache in this one place: none holds a key
 * where it could leak (no key is a map key or part of a string), and each is bounded or held weakly.
 *
 * - the fetch-based `HttpClient` of each `fetch` function (one per function, held weakly);
 * - the default retry schedule (one value);
 * - the engines of recent `waitForIngestionJob` calls, by their client options (8 per transport).
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import * as HttpClient from "effect/http/HttpClient"
import * as Redacted from "effect/Redacted"
import type * as Schedule from "effect/Schedule"
import type { IngestionError } from "../IngestionError.js"
import type { WaitForIngestionJobOptions } from "../IngestionJobsClient.js"
import * as RetrySchedule from "../RetrySchedule.js"
import type * as WaitEngine from "../WaitEngine.js"

/** Effect's fetch client, built once (a Layer built per client costs more than the client). */
let baseFetchClient: HttpClient.HttpClient | undefined

/** The fetch client of each `fetch` function, while that function lives. */
const fetchClients = new WeakMap<typeof globalThis.fetch, HttpClient.HttpClient>()

/**
 * The fetch client of one Promise client: Effect's, with its `fetch` and fetch's
 * `redirect: "manual"` (a redirect is answered, not followed: the client turns it into a typed
 * error), as `FetchHttpClient.layer` built with them in context would give.
 */
export const fetchClient = (fetch: typeof globalThis.fetch): HttpClient.HttpClient => {
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

let defaultRetries: Schedule.Schedule<unknown, IngestionError> | undefined
/** The default retries (5), built once: a schedule is a value, shared by every client. */
export const defaultRetrySchedule = (): Schedule.Schedule<unknown, IngestionError> =>
  (defaultRetries ??= RetrySchedule.exponential({ retries: 5 }))

/** How many engines {@link engineFor} keeps for calls with the same client options. */
const RECENT_ENGINES = 8

/** A recent call's engine, the key it sends (inside a `Redacted`, as a client holds it) and its other options. */
interface RecentEngine {
  readonly apiKey: Redacted.Redacted<string>
  readonly options: string
  readonly engine: WaitEngine.WaitEngine["Service"]
}

/**
 * The engines of recent `waitForIngestionJob` calls, by how requests are sent (`httpClient`, else
 * `fetch`), newest last: a call with the options of a recent one waits on its engine instead of
 * building a service and an engine of its own (about a fifth of a millisecond of CPU and its
 * garbage, per call). Waits on one engine are independent; they share a knowledge base's loop when
 * they watch the same one, as a client's waits do. An engine with no wait holds no fiber and no
 * timer. Bounded: the oldest entry goes when a ninth set of options comes. The key is compared, never
 * used as a map key or written into a string: it stays inside its `Redacted`.
 */
const recentEngines = new WeakMap<object, Array<RecentEngine>>()

/**
 * The engine for a call's client options: a recent call's with the same options, or a new one from
 * `build` (which throws for options that are not acceptable: those are never kept). Only options
 * given in full are reused (the key and base URL given, no schedule, logger or cadence object of one's
 * own): the environment is read, and a schedule built, at each call otherwise.
 */
export const engineFor = (
  options: WaitForIngestionJobOptions,
  build: (options: WaitForIngestionJobOptions) => WaitEngine.WaitEngine["Service"]
): WaitEngine.WaitEngine["Service"] => {
  const apiKey = Redacted.isRedacted(options.apiKey) ? Redacted.value(options.apiKey) : options.apiKey
  const baseUrl = options.baseUrl
  if (
    typeof apiKey !== "string" ||
    baseUrl === undefined ||
    options.retrySchedule !== undefined ||
    options.logger !== undefined ||
    options.cadence !== undefined ||
    (options.fetch !== undefined && options.httpClient !== undefined)
  )
    return build(options)
  const transport: object = options.httpClient ?? options.fetch ?? globalThis.fetch
  const others = JSON.stringify([
    String(baseUrl),
    options.allowInsecureHttp ?? false,
    options.requestTimeoutMs ?? null,
    options.maxRetries ?? null,
    options.unreachableAfter ?? null,
    options.maxResponseBytes ?? null,
    options.logLevel ?? null
  ])
  let engines = recentEngines.get(transport)
  const known = engines?.find(
    (recent) => recent.options === others && Redacted.value(recent.apiKey) === apiKey
  )
  if (known !== undefined) return known.engine
  // Built (and validated) before it is kept: options that throw are not remembered.
  const engine = build(options)
  if (engines === undefined) {
    engines = []
    recentEngines.set(transport, engines)
  }
  if (engines.length >= RECENT_ENGINES) engines.shift()
  engines.push({ apiKey: Redacted.make(apiKey), options: others, engine })
  return engine
}
