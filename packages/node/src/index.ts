/**
 * `@tensoras/ingestion-node`: Node.js Layers for `@tensoras/ingestion` (an undici `HttpClient`
 * with keep-alive, the client and the wait engine from options or `TENSORAS_API_KEY` /
 * `TENSORAS_BASE_URL`, a signal-aware `runMain`). The `tensoras-ingest` command is
 * `@tensoras/ingestion-cli`.
 *
 * @since 0.1.0
 */

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
