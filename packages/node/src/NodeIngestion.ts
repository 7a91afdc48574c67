/**
 * Node.js Layers for `@tensoras/ingestion`, the way `@effect/platform-node` provides them: an
 * undici `HttpClient` that keeps connections alive between polls, the `IngestionJobs` client
 * built on it (from options or from `TENSORAS_API_KEY` / `TENSORAS_BASE_URL`), and a `runMain`
 * whose SIGINT / SIGTERM interrupt the program, abort the request in flight and exit with the
 * conventional code.
 *
 * @since 0.1.0
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Undici from "@effect/platform-node/Undici"
import type { InvalidInput } from "@tensoras/ingestion/IngestionError"
import * as IngestionJobs from "@tensoras/ingestion/IngestionJobs"
import type * as ConfigError from "effect/ConfigError"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as internal from "./internal/nodeIngestion.js"

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
  readonly keepAliveTimeout?: Duration.DurationInput | undefined
  /** The longest keep-alive a server's `Keep-Alive: timeout=…` hint may ask for. Default 10 minutes. */
  readonly keepAliveMaxTimeout?: Duration.DurationInput | undefined
  /** The most connections per origin. Default: no limit. */
  readonly connections?: number | undefined
}

/**
 * Options of {@link layer}: the client's (`apiKey`, `baseUrl`, `requestTimeout`, ...) and the agent's.
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
export interface Options extends IngestionJobs.Options, AgentOptions {}

/**
 * A scoped undici `Agent` with keep-alive, as `@effect/platform-node`'s `Dispatcher`: it is
 * destroyed (its sockets closed) when the Layer is released. Fails with `InvalidInput` when an
 * option is not a positive duration or count.
 *
 * @example
 * ```ts
 * import { NodeIngestion } from "@tensoras/ingestion-node"
 * import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
 * import * as Layer from "effect/Layer"
 *
 * const httpClient = NodeHttpClient.layerUndiciWithoutDispatcher.pipe(
 *   Layer.provide(NodeIngestion.layerDispatcher({ keepAliveTimeout: "1 minute" }))
 * )
 * ```
 * @category layers
 * @since 0.1.0
 */
export const layerDispatcher = (
  options: AgentOptions = {}
): Layer.Layer<NodeHttpClient.Dispatcher, InvalidInput> =>
  Layer.scoped(
    NodeHttpClient.Dispatcher,
    Effect.acquireRelease(
      Effect.map(internal.agentOptions(options), (agentOptions) => new Undici.Agent(agentOptions)),
      (agent) => Effect.promise(() => agent.destroy())
    )
  )

/**
 * The undici-backed `HttpClient` of `@effect/platform-node`, on an `Agent` that keeps
 * connections alive between polls (see {@link AgentOptions}). Interrupting a request aborts it.
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
  NodeHttpClient.layerUndiciWithoutDispatcher.pipe(Layer.provide(layerDispatcher(options)))

/**
 * The `IngestionJobs` client on the keep-alive undici `HttpClient`, from options. Fails with
 * `InvalidInput` (nothing sent) when the key, the base URL or an option is not acceptable.
 *
 * @example
 * ```ts
 * import { IngestionJobs } from "@tensoras/ingestion"
 * import { NodeIngestion } from "@tensoras/ingestion-node"
 * import * as Effect from "effect/Effect"
 * import * as Redacted from "effect/Redacted"
 *
 * const program = IngestionJobs.get("kb_abc123", "job_abc123").pipe(
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
export const layer = (options: Options): Layer.Layer<IngestionJobs.IngestionJobs, InvalidInput> =>
  IngestionJobs.layer(options).pipe(Layer.provide(layerHttpClient(options)))

/**
 * The `IngestionJobs` client on the keep-alive undici `HttpClient`, its key and base URL from
 * configuration: `TENSORAS_API_KEY` (required, read as `Redacted`) and `TENSORAS_BASE_URL`
 * (default `https://api.tensoras.ai/v1`), through Effect's `ConfigProvider` (the environment by
 * default). The other options are given here.
 *
 * @example
 * ```ts
 * import { IngestionJobs } from "@tensoras/ingestion"
 * import { NodeIngestion } from "@tensoras/ingestion-node"
 * import * as Effect from "effect/Effect"
 *
 * const program = IngestionJobs.get("kb_abc123", "job_def456").pipe(
 *   Effect.provide(NodeIngestion.layerConfig({ keepAliveTimeout: "1 minute" }))
 * )
 * ```
 * @category layers
 * @since 0.1.0
 */
export const layerConfig = (
  options: Omit<Options, "apiKey" | "baseUrl"> = {}
): Layer.Layer<IngestionJobs.IngestionJobs, InvalidInput | ConfigError.ConfigError> =>
  IngestionJobs.layerConfig(options).pipe(Layer.provide(layerHttpClient(options)))

/**
 * The signals {@link runMain} turns into an interruption of the program.
 *
 * @example
 * ```ts
 * import { NodeIngestion } from "@tensoras/ingestion-node"
 *
 * const quietOnTerm = (signal: NodeIngestion.Signal | undefined) => (signal === "SIGTERM" ? 0 : 130)
 * ```
 * @category models
 * @since 0.1.0
 */
export type Signal = "SIGINT" | "SIGTERM"

/**
 * Options of {@link runMain}.
 *
 * @example
 * ```ts
 * import { NodeIngestion } from "@tensoras/ingestion-node"
 * import * as Effect from "effect/Effect"
 * import * as Exit from "effect/Exit"
 *
 * // A program whose result is its exit code; a signal still gives 130 / 143.
 * const options: NodeIngestion.RunMainOptions<number, never> = {
 *   disableErrorReporting: true,
 *   exitCode: (exit, signal) => (Exit.isSuccess(exit) ? exit.value : NodeIngestion.exitCode(exit, signal))
 * }
 * NodeIngestion.runMain(Effect.succeed(3), options)
 * ```
 * @category models
 * @since 0.1.0
 */
export interface RunMainOptions<A, E> {
  /** Do not log the failure of the program. Default false. */
  readonly disableErrorReporting?: boolean | undefined
  /** Keep Effect's default logger instead of the pretty one. Default false. */
  readonly disablePrettyLogger?: boolean | undefined
  /**
   * The process exit code for how the program ended, and the signal that interrupted it, if one
   * did. Default {@link exitCode}.
   */
  readonly exitCode?: ((exit: Exit.Exit<A, E>, signal: Signal | undefined) => number) | undefined
}

/**
 * The default exit code of {@link runMain}: 0 when the program succeeded, 130 (SIGINT) or 143
 * (SIGTERM) when a signal interrupted it, 1 when it failed.
 *
 * @example
 * ```ts
 * import { NodeIngestion } from "@tensoras/ingestion-node"
 * import * as Exit from "effect/Exit"
 * import * as FiberId from "effect/FiberId"
 *
 * NodeIngestion.exitCode(Exit.interrupt(FiberId.none), "SIGINT") // 130
 * NodeIngestion.exitCode(Exit.succeed("done"), undefined) // 0
 * ```
 * @category running
 * @since 0.1.0
 */
export const exitCode: (exit: Exit.Exit<unknown, unknown>, signal: Signal | undefined) => number =
  internal.exitCode

/**
 * Runs a program as the main entry point of a Node process, on `@effect/platform-node`'s
 * `NodeRuntime.runMain`: SIGINT and SIGTERM interrupt it (a second signal kills the process),
 * so finalizers run and the HTTP request in flight is aborted; then the process exits with
 * {@link RunMainOptions.exitCode} (by default 0, 1, or 130 / 143 after a signal).
 *
 * @example
 * ```ts
 * import { Wait, WaitEngine } from "@tensoras/ingestion"
 * import { NodeIngestion } from "@tensoras/ingestion-node"
 * import * as Console from "effect/Console"
 * import * as Effect from "effect/Effect"
 * import * as Layer from "effect/Layer"
 *
 * Wait.waitFor("kb_abc123", "job_def456").pipe(
 *   Effect.flatMap((job) => Console.log(`${job.chunks_created} chunks`)),
 *   Effect.provide(WaitEngine.layer().pipe(Layer.provide(NodeIngestion.layerConfig()))),
 *   NodeIngestion.runMain
 * )
 * ```
 * @category running
 * @since 0.1.0
 */
export const runMain = <A, E>(effect: Effect.Effect<A, E>, options: RunMainOptions<A, E> = {}): void => {
  const toCode = options.exitCode ?? internal.exitCode
  const signals = internal.listenForSignals()
  NodeRuntime.runMain(effect, {
    disableErrorReporting: options.disableErrorReporting,
    disablePrettyLogger: options.disablePrettyLogger,
    teardown: (exit, onExit) => {
      signals.stop()
      // The runtime's teardown is typed for any Exit; this one ran `effect`.
      onExit(toCode(exit as unknown as Exit.Exit<A, E>, signals.received()))
    }
  })
}
