/**
 * `@tensoras/ingestion-node`: Node.js Layers for `@tensoras/ingestion` (an `HttpClient` on
 * undici's `Dispatcher.request` with keep-alive, the client and the wait engine from options or
 * `TENSORAS_API_KEY` / `TENSORAS_BASE_URL`, a signal-aware `runMain`), the Promise API on that
 * client (`createIngestionJobsClient`, `waitForIngestionJob`), and the start of a command-line
 * program (`NodeCommand`). The `tensoras-ingest` command is `@tensoras/ingestion-cli`.
 *
 * @since 0.1.0
 */

/**
 * The start of a command-line program: arguments parsed first, secrets scrubbed from all it
 * prints, usage errors exit 2, a closed pipe ends it quietly. Import it as
 * `@tensoras/ingestion-node/NodeCommand` in a program's entry point: that path loads no Effect.
 *
 * @example
 * ```ts
 * import { NodeCommand } from "@tensoras/ingestion-node"
 *
 * await NodeCommand.start({
 *   parse: (args) => ({ _tag: "Print", text: `${args.length} arguments\n` }),
 *   run: () => {}
 * })
 * ```
 * @since 0.1.0
 */
export * as NodeCommand from "./NodeCommand.js"
/**
 * Layers of the client and the wait engine on undici with keep-alive, from options or
 * configuration, and `runMain`.
 *
 * @example
 * ```ts
 * import { Wait } from "@tensoras/ingestion"
 * import { NodeIngestion } from "@tensoras/ingestion-node"
 * import * as Console from "effect/Console"
 * import * as Effect from "effect/Effect"
 *
 * Wait.waitFor("kb_abc123", "job_def456").pipe(
 *   Effect.flatMap((job) => Console.log(`completed: ${job.chunks_created} chunks`)),
 *   Effect.provide(NodeIngestion.layerConfig()),
 *   NodeIngestion.runMain
 * )
 * ```
 * @since 0.1.0
 */
export * as NodeIngestion from "./NodeIngestion.js"

/**
 * The Promise API of `@tensoras/ingestion` on undici's `Dispatcher.request` with keep-alive:
 * `createIngestionJobsClient` and `waitForIngestionJob`, same options and results as the core
 * package's, about half the client CPU per response of the global `fetch`.
 *
 * @example
 * ```ts
 * import { waitForIngestionJob } from "@tensoras/ingestion-node"
 *
 * const job = await waitForIngestionJob({ knowledgeBaseId: "kb_abc123", jobId: "job_def456", timeoutMs: 600_000 })
 * console.log(`${job.chunks_created} chunks`)
 * ```
 * @since 0.1.0
 */
export { createIngestionJobsClient, waitForIngestionJob } from "./NodeIngestionClient.js"
