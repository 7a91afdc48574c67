/**
 * `@tensoras/ingestion-node`: Node.js Layers for `@tensoras/ingestion` (an undici `HttpClient`
 * with keep-alive, the client and the wait engine from options or `TENSORAS_API_KEY` /
 * `TENSORAS_BASE_URL`, a signal-aware `runMain`), and the start of a command-line program
 * (`NodeCommand`). The `tensoras-ingest` command is `@tensoras/ingestion-cli`.
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
 * @since 0.2.0
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
