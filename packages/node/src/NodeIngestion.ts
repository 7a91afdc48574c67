/**
 * Node.js Layers for `@tensoras/ingestion`: an `HttpClient` on undici's `Dispatcher.request` that keeps connections
 * alive between polls, the `IngestionJobs` client and the `WaitEngine` built on it (from options
 * or from `TENSORAS_API_KEY` / `TENSORAS_BASE_URL`), and a `runMain` whose SIGINT / SIGTERM
 * interrupt the program, abort the request in flight and exit with the conventional code.
 * It fills core's adapter contract (`IngestionPlatform`): `layer`, `layerConfig` and `runMain` are
 * core's, on undici, Effect's `ConfigProvider` and `process`.
 *
 * It needs `undici` and Effect's `effect/http/HttpClient`, nothing else: no
 * `@effect/platform-node` (which brings undici 8, `@effect/platform-node-shared` and a `redis` peer along).
 *
 * @since 0.1.0
 */
import type { InvalidInput } from "@tensoras/ingestion/IngestionError"
import type * as IngestionJobs from "@tensoras/ingestion/IngestionJobs"
import * as IngestionPlatform from "@tensoras/ingestion/IngestionPlatform"
import type * as WaitEngine from "@tensoras/ingestion/WaitEngine"
import type * as Config from "effect/Config"
import * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as HttpClient from "effect/http/HttpClient"
import * as Layer from "effect/Layer"
import type * as Undici from "undici"
import * as internal from "./internal/nodeIngestion.js"
import * as undiciHttpClient from "./internal/undiciHttpClient.js"

/**
 * How the undici `Agent` behind the `HttpClient` keeps connections.
 *
 * @example
 * ```ts
 * import { NodeIngestion } from "@tensoras/ingestion-node"
 *
 * const agent: NodeIngestion.AgentOptions = { keepAliveTimeout: "1 minute", connections: 4 }
 * const httpClient = NodeIngestion.layerHttpClient(agent)
 * ```
 * @category models
 * @since 0.1.0
 */
export interface AgentOptions {
  /**
   * How long an idle connection is kept for the next request, unless the server's `Keep-Alive`
   * header asks for less. Default 30 seconds: long enough for a poll every few seconds to reuse
   * one connection.
   */
  readonly keepAliveTimeout?: Duration.Input | undefined
  /** The longest keep-alive a server's `Keep-Alive: timeout=…` hint may ask for. Default 10 minutes. */
  readonly keepAliveMaxTimeout?: Duration.Input | undefined
  /** The most connections per origin. Default: no limit. */
  readonly connections?: number | undefined
}

/**
 * Options of {@link layer}: the client's (`apiKey`, `baseUrl`, `requestTimeout`, ...), the
 * engine's (`onRound`) and the agent's.
 *
 * @example
 * ```ts
 * import { NodeIngestion } from "@tensoras/ingestion-node"
 * import * as Redacted from "effect/Redacted"
 *
 * const options: NodeIngestion.Options = {
 *   apiKey: Redacted.make("tns_your_key_here"),
 *   requestTimeout: "10 seconds",
 *   keepAliveTimeout: "1 minute"
 * }
 * const live = NodeIngestion.layer(options)
 * ```
 * @category models
 * @since 0.1.0
 */
export interface Options extends IngestionJobs.Options, WaitEngine.EngineOptions, AgentOptions {}

/**
 * The undici `Dispatcher` the `HttpClient` of {@link layerHttpClientWithoutDispatcher} sends
 * through: an `Agent` from {@link layerDispatcher}, or one of your own (a `ProxyAgent`, a
 * `MockAgent`...).
 *
 * @example
 * ```ts
 * import { NodeIngestion } from "@tensoras/ingestion-node"
 * import * as Layer from "effect/Layer"
 * import { ProxyAgent } from "undici"
 *
 * const viaProxy = NodeIngestion.layerHttpClientWithoutDispatcher.pipe(
 *   Layer.provide(Layer.succeed(NodeIngestion.Dispatcher, new ProxyAgent("http://proxy.internal:3128")))
 * )
 * ```
 * @category tags
 * @since 0.1.0
 */
export class Dispatcher extends Context.Service<Dispatcher, Undici.Dispatcher>()(
  "@tensoras/ingestion-node/Dispatcher"
) {}

/**
 * A scoped undici `Agent` with keep-alive: it is destroyed (its sockets closed) when the Layer is
 * released. Fails with `InvalidInput` when an option is not a positive duration or count.
 *
 * @example
 * ```ts
 * import { NodeIngestion } from "@tensoras/ingestion-node"
 * import * as Layer from "effect/Layer"
 *
 * const httpClient = NodeIngestion.layerHttpClientWithoutDispatcher.pipe(
 *   Layer.provide(NodeIngestion.layerDispatcher({ keepAliveTimeout: "1 minute" }))
 * )
 * ```
 * @category layers
 * @since 0.1.0
 */
export const layerDispatcher = (options: AgentOptions = {}): Layer.Layer<Dispatcher, InvalidInput> =>
  Layer.effect(
    Dispatcher,
    Effect.acquireRelease(
      Effect.flatMap(internal.agentOptions(options), (agentOptions) =>
        Effect.map(internal.loadUndici, (undici) => new undici.Agent(agentOptions))
      ),
      (agent) => Effect.promise(() => agent.destroy())
    )
  )

/**
 * An `HttpClient` on undici's `Dispatcher.request` (not on `fetch`), through the
 * {@link Dispatcher} in context: about half the client CPU per response of a `fetch`-based
 * client. A redirect is answered, never followed (the client makes it a typed error);
 * interrupting a request aborts it, its response body included. It has no timeout of its own
 * (undici's are off): bound a request with `Effect.timeout`, as the `IngestionJobs` client does
 * (`requestTimeout`).
 *
 * @example
 * ```ts
 * import { NodeIngestion } from "@tensoras/ingestion-node"
 * import * as Layer from "effect/Layer"
 * import { Agent } from "undici"
 *
 * const httpClient = NodeIngestion.layerHttpClientWithoutDispatcher.pipe(
 *   Layer.provide(Layer.succeed(NodeIngestion.Dispatcher, new Agent({ connections: 2 })))
 * )
 * ```
 * @category layers
 * @since 0.1.0
 */
export const layerHttpClientWithoutDispatcher: Layer.Layer<HttpClient.HttpClient, never, Dispatcher> =
  Layer.effect(HttpClient.HttpClient, Effect.map(Dispatcher, undiciHttpClient.make))

/**
 * An `HttpClient` on undici's `Dispatcher.request`, on an `Agent` that keeps connections alive
 * between polls (see {@link AgentOptions}), destroyed with the Layer. Interrupting a request aborts
 * it. See {@link layerHttpClientWithoutDispatcher}.
 *
 * @example
 * ```ts
 * import { IngestionJobs } from "@tensoras/ingestion"
 * import { NodeIngestion } from "@tensoras/ingestion-node"
 * import * as Layer from "effect/Layer"
 * import * as Redacted from "effect/Redacted"
 *
 * const live = IngestionJobs.layer({ apiKey: Redacted.make("tns_your_key_here") }).pipe(
 *   Layer.provide(NodeIngestion.layerHttpClient())
 * )
 * ```
 * @category layers
 * @since 0.1.0
 */
export const layerHttpClient = (
  options: AgentOptions = {}
): Layer.Layer<HttpClient.HttpClient, InvalidInput> =>
  layerHttpClientWithoutDispatcher.pipe(Layer.provide(layerDispatcher(options)))

/** Node in core's adapter contract: undici, Effect's `ConfigProvider`, `process`. */
const platform: IngestionPlatform.IngestionPlatform<AgentOptions, InvalidInput> = {
  layerHttpClient,
  ...internal.nodeEnvironment,
  ...internal.nodeProcess
}

/**
 * The `IngestionJobs` client on the keep-alive undici `HttpClient`, and the `WaitEngine` on it
 * (so `Wait.waitFor` & co. run as they are), from options. Fails with `InvalidInput` (nothing
 * sent) when the key, the base URL or an option is not acceptable.
 *
 * @example
 * ```ts
 * import { Wait } from "@tensoras/ingestion"
 * import { NodeIngestion } from "@tensoras/ingestion-node"
 * import * as Effect from "effect/Effect"
 * import * as Redacted from "effect/Redacted"
 *
 * const program = Wait.waitFor("kb_abc123", "job_def456", { timeout: "15 minutes" }).pipe(
 *   Effect.provide(
 *     NodeIngestion.layer({
 *       apiKey: Redacted.make("tns_your_key_here"),
 *       baseUrl: "http://127.0.0.1:4010/v1",
 *       requestTimeout: "10 seconds"
 *     })
 *   )
 * )
 * ```
 * @category layers
 * @since 0.1.0
 */
export const layer = (
  options: Options
): Layer.Layer<IngestionJobs.IngestionJobs | WaitEngine.WaitEngine, InvalidInput> =>
  IngestionPlatform.layer(platform, options)

/**
 * {@link layer}, the key and base URL from configuration: `TENSORAS_API_KEY` (required, read as
 * `Redacted`) and `TENSORAS_BASE_URL` (default `https://api.tensoras.ai/v1`), through Effect's
 * `ConfigProvider` (the environment by default); a variable set to the empty string is unset. The
 * other options are given here.
 *
 * @example
 * ```ts
 * import { Wait } from "@tensoras/ingestion"
 * import { NodeIngestion } from "@tensoras/ingestion-node"
 * import * as Effect from "effect/Effect"
 *
 * const program = Wait.waitFor("kb_abc123", "job_def456", { timeout: "15 minutes" }).pipe(
 *   Effect.provide(NodeIngestion.layerConfig({ keepAliveTimeout: "1 minute" }))
 * )
 * ```
 * @category layers
 * @since 0.1.0
 */
export const layerConfig = (
  options: Omit<Options, "apiKey" | "baseUrl"> = {}
): Layer.Layer<IngestionJobs.IngestionJobs | WaitEngine.WaitEngine, InvalidInput | Config.ConfigError> =>
  IngestionPlatform.layerConfig(platform, options)

/**
 * Options of {@link runMain}: core's `IngestionPlatform.RunMainOptions` (`disableErrorReporting`,
 * `exitCode`, default `ExitCode.ofExit`) and the program's logger.
 *
 * @example
 * ```ts
 * import { ExitCode } from "@tensoras/ingestion"
 * import { NodeIngestion } from "@tensoras/ingestion-node"
 * import * as Effect from "effect/Effect"
 * import * as Exit from "effect/Exit"
 *
 * // A program whose result is its exit code; a signal still gives 130 / 143.
 * const options: NodeIngestion.RunMainOptions<number, never> = {
 *   disableErrorReporting: true,
 *   exitCode: (exit, signal) => (Exit.isSuccess(exit) ? exit.value : ExitCode.ofExit(exit, signal))
 * }
 * NodeIngestion.runMain(Effect.succeed(3), options)
 * ```
 * @category models
 * @since 0.1.0
 */
export interface RunMainOptions<A, E> extends IngestionPlatform.RunMainOptions<A, E> {
  /** Keep Effect's default logger for the program's own logs instead of the pretty one. Default false. */
  readonly disablePrettyLogger?: boolean | undefined
}

/**
 * Runs a program as the main entry point of a Node process, by core's `IngestionPlatform.runMain`:
 * the first SIGINT or SIGTERM interrupts it (a second one kills the process), so finalizers run and
 * the HTTP request in flight is aborted; a failure is reported on stderr (unless
 * `disableErrorReporting`): one line `Tag: message` for a typed error, the full cause for a defect;
 * then the exit code is {@link RunMainOptions.exitCode}'s, by default `ExitCode.ofExit` (0; 130 / 143
 * after a signal; 2, 1, 3 or 4 for the library's errors; 1 for any other failure), and the process
 * exits with it when it is not 0 or a signal came. The program logs with Effect's pretty logger
 * unless `disablePrettyLogger`.
 *
 * @example
 * ```ts
 * import { Wait } from "@tensoras/ingestion"
 * import { NodeIngestion } from "@tensoras/ingestion-node"
 * import * as Console from "effect/Console"
 * import * as Effect from "effect/Effect"
 *
 * Wait.waitFor("kb_abc123", "job_def456").pipe(
 *   Effect.flatMap((job) => Console.log(`${job.chunks_created} chunks`)),
 *   Effect.provide(NodeIngestion.layerConfig()),
 *   NodeIngestion.runMain
 * )
 * ```
 * @category running
 * @since 0.1.0
 */
export const runMain = <A, E>(effect: Effect.Effect<A, E>, options: RunMainOptions<A, E> = {}): void =>
  IngestionPlatform.runMain(platform, internal.withLogger(effect, options.disablePrettyLogger), options)
