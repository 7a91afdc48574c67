/**
 * `@tensoras/ingestion-deno`: Deno Layers for `@tensoras/ingestion` (the fetch `HttpClient`, the client
 * from `Deno.env` with typed permission errors, a signal-aware `runMain`) and the testkit's simulator
 * served by `Deno.serve`.
 *
 * @example
 * ```ts
 * import { IngestionJobs } from "@tensoras/ingestion"
 * import { DenoIngestion } from "@tensoras/ingestion-deno"
 * import * as Console from "effect/Console"
 * import * as Effect from "effect/Effect"
 *
 * IngestionJobs.get("kb_abc123", "job_abc123").pipe(
 *   Effect.flatMap((job) => Console.log(`${job.status}: ${job.chunks_created} chunks`)),
 *   Effect.provide(DenoIngestion.layerConfig()),
 *   DenoIngestion.runMain
 * )
 * ```
 * @module
 * @since 0.1.0
 */

/**
 * Layers of the client on Deno's `fetch`, from options or `Deno.env`, permission checks and `runMain`.
 *
 * @example
 * ```ts
 * import { DenoIngestion } from "@tensoras/ingestion-deno"
 *
 * const live = DenoIngestion.layerConfig()
 * ```
 * @since 0.1.0
 */
export * as DenoIngestion from "./DenoIngestion.ts"

/**
 * The testkit's simulator served by `Deno.serve`, for tests on Deno.
 *
 * @example
 * ```ts
 * import { DenoSimulator } from "@tensoras/ingestion-deno"
 *
 * await using sim = await DenoSimulator.serveSimulator({ scenario: "docs", clock: "manual" })
 * ```
 * @since 0.1.0
 */
export * as DenoSimulator from "./DenoSimulator.ts"
