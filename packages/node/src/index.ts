/**
 * `@tensoras/ingestion-node`: Node.js Layers for `@tensoras/ingestion` (an undici `HttpClient`
 * with keep-alive, the client from `TENSORAS_API_KEY` / `TENSORAS_BASE_URL`, a signal-aware
 * `runMain`) and the `tensoras-ingest` command.
 *
 * @since 0.1.0
 */

/**
 * Layers of the client on undici with keep-alive, from options or configuration, and `runMain`.
 *
 * @example
 * ```ts
 * import { IngestionJobs } from "@tensoras/ingestion"
 * import { NodeIngestion } from "@tensoras/ingestion-node"
 * import * as Console from "effect/Console"
 * import * as Effect from "effect/Effect"
 *
 * IngestionJobs.get("kb_abc123", "job_abc123").pipe(
 *   Effect.flatMap((job) => Console.log(`${job.status}: ${job.chunks_created} chunks`)),
 *   Effect.provide(NodeIngestion.layerConfig()),
 *   NodeIngestion.runMain
 * )
 * ```
 * @since 0.1.0
 */
export * as NodeIngestion from "./NodeIngestion.js"
