/**
 * The Promise API of `@tensoras/ingestion`, tuned for Node: `createIngestionJobsClient` and
 * `waitForIngestionJob` with the same options and results as the core package's, sending through
 * an `HttpClient` on undici's `Dispatcher.request` rather than the global `fetch` (about half the
 * client CPU per response), over one keep-alive `Agent` shared by every client of the process.
 * Idle connections do not keep the process alive: a script exits once its wait is over.
 *
 * Pass `fetch` or `httpClient` to send through them instead.
 *
 * @since 0.1.0
 */

import * as core from "@tensoras/ingestion/IngestionJobsClient"
import type * as Wait from "@tensoras/ingestion/Wait"
import type * as HttpClient from "effect/http/HttpClient"
import * as internal from "./internal/nodeIngestion.js"
import * as undiciHttpClient from "./internal/undiciHttpClient.js"

let shared: HttpClient.HttpClient | undefined

/**
 * The `HttpClient` of every client of this module: undici's `Dispatcher.request` on one keep-alive
 * `Agent` of the process, made at the first request, undici loaded then (it holds no key: each
 * client sends its own). An idle socket does not hold the process; the agent lives as long as the
 * process.
 */
const defaultHttpClient = (): HttpClient.HttpClient => {
  if (shared === undefined) {
    shared = undiciHttpClient.makeDeferred(() =>
      internal.importUndici().then((undici) => new undici.Agent(internal.DEFAULT_AGENT_OPTIONS))
    )
  }
  return shared
}

/**
 * The options with this module's `HttpClient`, unless they bring a `fetch` or an `HttpClient`. Throws
 * on Bun (`NOT_UNDICI`): Bun's `undici` has no `Dispatcher.request`, and every request would fail as a
 * network failure, to a misleading `Unreachable` or the wait's deadline.
 */
const withDefaultClient = <O extends core.ClientOptions>(options: O): O => {
  if (options.fetch !== undefined || options.httpClient !== undefined) return options
  if (typeof process.versions.bun === "string") throw new TypeError(undiciHttpClient.NOT_UNDICI)
  return { ...options, httpClient: defaultHttpClient() }
}

/**
 * Creates the Promise client of `@tensoras/ingestion` (same options, same methods, same errors)
 * on undici's `Dispatcher.request` with keep-alive. Throws `InvalidInput` at once when an option
 * is not acceptable (`fetch` and `httpClient` together included), or when no key is given and
 * `TENSORAS_API_KEY` is not set; a `TypeError` on Bun without `fetch` or `httpClient` (use
 * `@tensoras/ingestion-bun` there).
 *
 * @example
 * ```ts
 * import { createIngestionJobsClient } from "@tensoras/ingestion-node"
 *
 * const client = createIngestionJobsClient({ apiKey: "tns_your_key_here", baseUrl: "http://127.0.0.1:4010/v1" })
 *
 * const job = await client.waitFor("kb_abc123", "job_def456", { timeoutMs: 10 * 60_000 })
 * console.log(`${job.chunks_created} chunks`)
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const createIngestionJobsClient = (options: core.ClientOptions = {}): core.IngestionJobsClient =>
  core.createIngestionJobsClient(withDefaultClient(options))

/**
 * Waits for one ingestion job, for code that does not use Effect: `waitForIngestionJob` of
 * `@tensoras/ingestion` (deadline, backoff, retries honouring `Retry-After`, typed errors, an
 * abortable `signal`) on undici's `Dispatcher.request` with keep-alive.
 *
 * @example
 * ```ts
 * import { IngestionError, WaitError } from "@tensoras/ingestion"
 * import { waitForIngestionJob } from "@tensoras/ingestion-node"
 *
 * try {
 *   // The key and base URL from TENSORAS_API_KEY / TENSORAS_BASE_URL, as they are not given here.
 *   const job = await waitForIngestionJob({ knowledgeBaseId: "kb_abc123", jobId: "job_def456", timeoutMs: 600_000 })
 *   console.log(`${job.chunks_created} chunks`)
 * } catch (error) {
 *   if (error instanceof WaitError.IngestionJobFailed) console.error(`failed: ${error.message}`)
 *   else if (error instanceof IngestionError.NotFound) console.error("no such job")
 *   else throw error
 * }
 * ```
 * @category waiting
 * @since 0.1.0
 */
export const waitForIngestionJob = (options: core.WaitForIngestionJobOptions): Promise<Wait.CompletedJob> => {
  try {
    return core.waitForIngestionJob(withDefaultClient(options))
  } catch (error) {
    return Promise.reject(error)
  }
}
