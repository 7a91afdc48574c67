/**
 * Bun Layers for `@tensoras/ingestion`: an `HttpClient` on Bun's own `fetch` (a redirect is never
 * followed; interrupting a request aborts it), the `IngestionJobs` client and the `WaitEngine` built
 * on it (from options or from `TENSORAS_API_KEY` / `TENSORAS_BASE_URL`), and a `runMain` whose SIGINT /
 * SIGTERM interrupt the program, abort the request in flight and exit with the conventional code.
 *
 * It fills core's adapter contract (`IngestionPlatform`): `layer`, `layerConfig` and `runMain` are
 * core's, on Bun's `fetch`, Effect's `ConfigProvider` and Bun's `process`. Not the Node adapter's:
 * Bun answers `import "undici"` with a module of its own whose `Agent` has no `request`, so every
 * request of `@tensoras/ingestion-node` fails on Bun.
 *
 * The Promise API needs no adapter on Bun: `createIngestionJobsClient` and `waitForIngestionJob` of
 * `@tensoras/ingestion` send through the global `fetch`, which is Bun's.
 *
 * @since 1.1.0
 */
import * as ExitCode from "@tensoras/ingestion/ExitCode"
import type { InvalidInput } from "@tensoras/ingestion/IngestionError"
import type * as IngestionJobs from "@tensoras/ingestion/IngestionJobs"
import * as IngestionPlatform from "@tensoras/ingestion/IngestionPlatform"
import type * as WaitEngine from "@tensoras/ingestion/WaitEngine"
import type * as Config from "effect/Config"
import type * as Effect from "effect/Effect"
import type * as Exit from "effect/Exit"
import type * as HttpClient from "effect/http/HttpClient"
import type * as Layer from "effect/Layer"
import * as internal from "./internal/bunIngestion.js"

/**
 * The `HttpClient` for Bun: `effect/http`'s fetch client on Bun's `fetch`, with `redirect: "manual"`:
 * a redirect is never followed (the client fails with a `ResponseDecodeError` saying so), so the key
 * goes to the base URL only. Interrupting a request aborts it.
 *
 * @example
 * ```ts
 * import { IngestionJobs } from "@tensoras/ingestion"
 * import { BunIngestion } from "@tensoras/ingestion-bun"
 * import * as Layer from "effect/Layer"
 * import * as Redacted from "effect/Redacted"
 *
 * const live = IngestionJobs.layer({ apiKey: Redacted.make("tns_your_key_here") }).pipe(
 *   Layer.provide(BunIngestion.layerHttpClient)
 * )
 * ```
 * @category layers
 * @since 1.1.0
 */
export const layerHttpClient: Layer.Layer<HttpClient.HttpClient> = internal.layerHttpClient

/** Bun in core's adapter contract: `fetch`, Effect's `ConfigProvider`, `process`. */
const platform: IngestionPlatform.IngestionPlatform<{}, never> = {
  layerHttpClient: () => layerHttpClient,
  ...internal.bunEnvironment,
  ...internal.bunProcess
}

/**
 * Options of {@link layer}: the client's (`apiKey`, `baseUrl`, `requestTimeout`, `retrySchedule`, ...)
 * and the wait engine's (`onRound`, `gate`).
 *
 * @example
 * ```ts
 * import { BunIngestion } from "@tensoras/ingestion-bun"
 * import * as Redacted from "effect/Redacted"
 *
 * const options: BunIngestion.Options = { apiKey: Redacted.make("tns_your_key_here"), requestTimeout: "10 seconds" }
 * ```
 * @category models
 * @since 1.1.0
 */
export interface Options extends IngestionJobs.Options, WaitEngine.EngineOptions {}

/**
 * The `IngestionJobs` client on Bun's `fetch`, and the `WaitEngine` on it (so `Wait.waitFor` & co. run
 * as they are), from options. Fails with `InvalidInput` (nothing sent) when the key, the base URL or
 * an option is not acceptable.
 *
 * @example
 * ```ts
 * import { Wait } from "@tensoras/ingestion"
 * import { BunIngestion } from "@tensoras/ingestion-bun"
 * import * as Effect from "effect/Effect"
 * import * as Redacted from "effect/Redacted"
 *
 * const program = Wait.waitFor("kb_abc123", "job_def456", { timeout: "15 minutes" }).pipe(
 *   Effect.provide(
 *     BunIngestion.layer({ apiKey: Redacted.make("tns_your_key_here"), baseUrl: "http://127.0.0.1:4010/v1" })
 *   )
 * )
 * ```
 * @category layers
 * @since 1.1.0
 */
export const layer = (
  options: Options
): Layer.Layer<IngestionJobs.IngestionJobs | WaitEngine.WaitEngine, InvalidInput> =>
  IngestionPlatform.layer(platform, options)

/**
 * {@link layer}, the key and base URL from configuration: `TENSORAS_API_KEY` (required, read as
 * `Redacted`) and `TENSORAS_BASE_URL` (default `https://api.tensoras.ai/v1`), through Effect's
 * `ConfigProvider` (`process.env` by default, where Bun puts what it loaded from `.env` files too);
 * a variable set to the empty string is unset. Fails with a `ConfigError` when the key is unset.
 *
 * @example
 * ```ts
 * import { Wait } from "@tensoras/ingestion"
 * import { BunIngestion } from "@tensoras/ingestion-bun"
 * import * as Effect from "effect/Effect"
 *
 * const program = Wait.waitFor("kb_abc123", "job_def456", { timeout: "15 minutes" }).pipe(
 *   Effect.provide(BunIngestion.layerConfig({ requestTimeout: "10 seconds" }))
 * )
 * ```
 * @category layers
 * @since 1.1.0
 */
export const layerConfig = (
  options: Omit<Options, "apiKey" | "baseUrl"> = {}
): Layer.Layer<IngestionJobs.IngestionJobs | WaitEngine.WaitEngine, InvalidInput | Config.ConfigError> =>
  IngestionPlatform.layerConfig(platform, options)

/**
 * The signals {@link runMain} turns into an interruption of the program.
 *
 * @example
 * ```ts
 * import type { BunIngestion } from "@tensoras/ingestion-bun"
 *
 * const quietOnTerm = (signal: BunIngestion.Signal | undefined) => (signal === "SIGTERM" ? 0 : 130)
 * ```
 * @category models
 * @since 1.1.0
 */
export type Signal = ExitCode.Signal

/**
 * Options of {@link runMain}: core's `IngestionPlatform.RunMainOptions` (`disableErrorReporting`,
 * `exitCode`, default {@link exitCode}) and the program's logger, as Node's `runMain` has them.
 *
 * @example
 * ```ts
 * import { BunIngestion } from "@tensoras/ingestion-bun"
 * import * as Effect from "effect/Effect"
 * import * as Exit from "effect/Exit"
 *
 * // A program whose result is its exit code; a signal still gives 130 / 143.
 * const options: BunIngestion.RunMainOptions<number, never> = {
 *   disableErrorReporting: true,
 *   exitCode: (exit, signal) => (Exit.isSuccess(exit) ? exit.value : BunIngestion.exitCode(exit, signal))
 * }
 * BunIngestion.runMain(Effect.succeed(0), options)
 * ```
 * @category models
 * @since 1.1.0
 */
export interface RunMainOptions<A, E> extends IngestionPlatform.RunMainOptions<A, E> {
  /** Keep Effect's default logger for the program's own logs instead of the pretty one. Default false. */
  readonly disablePrettyLogger?: boolean | undefined
}

/**
 * The default exit code of {@link runMain}: core's `ExitCode.ofExit` (0 on success, 130 / 143 for a
 * signal, 2 input, 1 job failed, 3 wait timed out, 4 API; the same codes as the Node adapter and the CLI).
 *
 * @example
 * ```ts
 * import { BunIngestion } from "@tensoras/ingestion-bun"
 * import * as Exit from "effect/Exit"
 *
 * BunIngestion.exitCode(Exit.interrupt(), "SIGINT") // 130
 * BunIngestion.exitCode(Exit.succeed("done"), undefined) // 0
 * ```
 * @category running
 * @since 1.1.0
 */
export const exitCode: (exit: Exit.Exit<unknown, unknown>, signal: Signal | undefined) => number =
  ExitCode.ofExit

/**
 * Runs a program as the main module of a Bun process, by core's `IngestionPlatform.runMain`: the first
 * SIGINT or SIGTERM interrupts it (a second one ends the process Bun's way), so finalizers run and the
 * HTTP request in flight is aborted; a failure is reported on stderr (unless `disableErrorReporting`):
 * one line `Tag: message` for a typed error, the full cause for a defect; the exit code is
 * {@link RunMainOptions.exitCode}'s, by default {@link exitCode}, and the process exits with it when it
 * is not 0 or a signal came (else Bun ends by itself, its output flushed). The program logs with
 * Effect's pretty logger unless `disablePrettyLogger`.
 *
 * @example
 * ```ts
 * import { Wait } from "@tensoras/ingestion"
 * import { BunIngestion } from "@tensoras/ingestion-bun"
 * import * as Console from "effect/Console"
 * import * as Effect from "effect/Effect"
 *
 * Wait.waitFor("kb_abc123", "job_def456").pipe(
 *   Effect.flatMap((job) => Console.log(`${job.chunks_created} chunks`)),
 *   Effect.provide(BunIngestion.layerConfig()),
 *   BunIngestion.runMain
 * )
 * ```
 * @category running
 * @since 1.1.0
 */
export const runMain = <A, E>(effect: Effect.Effect<A, E>, options: RunMainOptions<A, E> = {}): void =>
  IngestionPlatform.runMain(platform, internal.withLogger(effect, options.disablePrettyLogger), options)
