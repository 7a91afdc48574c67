/**
 * `@tensoras/ingestion-bun`: Bun Layers for `@tensoras/ingestion` (an `HttpClient` on Bun's `fetch`,
 * the client and the wait engine from options or `TENSORAS_API_KEY` / `TENSORAS_BASE_URL`, a
 * signal-aware `runMain`). The Promise API on Bun is the core's (`createIngestionJobsClient`,
 * `waitForIngestionJob` from `@tensoras/ingestion`, on Bun's global `fetch`).
 *
 * @since 1.1.0
 */

/**
 * Layers of the client and the wait engine on Bun's `fetch`, from options or configuration, and
 * `runMain`.
 *
 * @example
 * ```ts
 * import { Wait } from "@tensoras/ingestion"
 * import { BunIngestion } from "@tensoras/ingestion-bun"
 * import * as Console from "effect/Console"
 * import * as Effect from "effect/Effect"
 *
 * Wait.waitFor("kb_abc123", "job_def456").pipe(
 *   Effect.flatMap((job) => Console.log(`completed: ${job.chunks_created} chunks`)),
 *   Effect.provide(BunIngestion.layerConfig()),
 *   BunIngestion.runMain
 * )
 * ```
 * @since 1.1.0
 */
export * as BunIngestion from "./BunIngestion.js"
