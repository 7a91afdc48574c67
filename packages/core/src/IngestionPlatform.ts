/**
 * The contract a runtime adapter fills (`@tensoras/ingestion-node`, `-deno`, `-browser`, a Bun one
 * tomorrow), and what they share, written once here.
 *
 * An adapter provides what only its runtime knows, in three parts:
 *
 * - {@link Http}: its `HttpClient` Layer (undici, `fetch`, ...) and, where the runtime guards the
 *   network, a check of the base URL before anything is sent (Deno's `--allow-net`);
 * - {@link Environment}: where `TENSORAS_API_KEY` and `TENSORAS_BASE_URL` come from, as a
 *   `ConfigProvider` (Effect's own on Node, `Deno.env` after a permission check on Deno);
 * - {@link Process}: its SIGINT / SIGTERM, how it exits, and where a failure report goes.
 *
 * Core then gives every adapter the same {@link layer} and {@link layerConfig} (the client and the
 * wait engine; the key and base URL read by one rule, `IngestionJobs.config`'s: an empty variable is
 * unset) and the same {@link runMain} (the first signal interrupts the program and is remembered for
 * the exit code, the listeners are removed, the exit code is `ExitCode.ofExit`'s, one report rule:
 * {@link failureReport}). A browser fills only `Http`: a page has no environment and no process.
 *
 * Core imports no runtime here: the adapter hands its runtime in.
 *
 * @since 1.0.0
 */
import type * as Cause from "effect/Cause"
import type * as Config from "effect/Config"
import type * as ConfigProvider from "effect/ConfigProvider"
import type * as Effect from "effect/Effect"
import type * as Exit from "effect/Exit"
import type * as HttpClient from "effect/http/HttpClient"
import type * as Layer from "effect/Layer"
import type * as ExitCode from "./ExitCode.js"
import type { InvalidInput } from "./IngestionError.js"
import type * as IngestionJobs from "./IngestionJobs.js"
import * as internal from "./internal/ingestionPlatform.js"
import type * as WaitEngine from "./WaitEngine.js"

/**
 * The signals {@link runMain} turns into an interruption of the program: `ExitCode.Signal`.
 *
 * @example
 * ```ts
 * import { IngestionPlatform } from "@tensoras/ingestion"
 *
 * const quietOnTerm = (signal: IngestionPlatform.Signal | undefined) => (signal === "SIGTERM" ? 0 : 130)
 * ```
 * @category models
 * @since 1.0.0
 */
export type Signal = ExitCode.Signal

/**
 * A runtime's SIGINT and SIGTERM: starts listening, calls `onSignal` for each signal received, and
 * returns the function that stops listening. {@link runMain} keeps the first signal only and stops
 * listening at once, so that a second signal ends the process the runtime's default way. A runtime
 * that cannot listen to one of them (SIGTERM on Windows) leaves it out.
 *
 * @example
 * ```ts
 * import type { IngestionPlatform } from "@tensoras/ingestion"
 *
 * // Node's (and Bun's) signals.
 * const signals: IngestionPlatform.SignalSource = (onSignal) => {
 *   const onInt = () => onSignal("SIGINT")
 *   const onTerm = () => onSignal("SIGTERM")
 *   process.on("SIGINT", onInt)
 *   process.on("SIGTERM", onTerm)
 *   return () => {
 *     process.off("SIGINT", onInt)
 *     process.off("SIGTERM", onTerm)
 *   }
 * }
 * ```
 * @category models
 * @since 1.0.0
 */
export type SignalSource = (onSignal: (signal: Signal) => void) => () => void

/**
 * The HTTP part of a platform, the part every adapter fills (the browser's too): its `HttpClient`
 * Layer, built from the adapter's own options (an agent's, a `fetch`'s), and, where the runtime
 * guards the network, a check that it may reach the base URL, run once the client's options are
 * known to be good and before any request (its failure is the adapter's typed error `E`).
 *
 * The client must not follow redirects (core makes a redirect a typed error, so the key goes to
 * the base URL only), and interrupting a request must abort it.
 *
 * @example
 * ```ts
 * import type { IngestionPlatform } from "@tensoras/ingestion"
 * import * as FetchHttpClient from "effect/http/FetchHttpClient"
 * import * as Layer from "effect/Layer"
 *
 * const http: IngestionPlatform.Http<{}, never> = {
 *   layerHttpClient: () =>
 *     FetchHttpClient.layer.pipe(Layer.provide(Layer.succeed(FetchHttpClient.RequestInit, { redirect: "manual" })))
 * }
 * ```
 * @category models
 * @since 1.0.0
 */
export interface Http<Options, E> {
  /** The `HttpClient` the client sends through. */
  readonly layerHttpClient: (options: Options) => Layer.Layer<HttpClient.HttpClient, E>
  /** Succeeds when the runtime may reach `baseUrl` (a valid, absolute URL). Default: no check. */
  readonly checkBaseUrl?: ((baseUrl: string | URL) => Effect.Effect<void, E>) | undefined
}

/**
 * The environment part of a platform: where the client's key and base URL come from, as a
 * `ConfigProvider` that {@link layerConfig} reads `TENSORAS_API_KEY` and `TENSORAS_BASE_URL` from
 * (`IngestionJobs.config`). It may fail with the adapter's typed error `E` (Deno: the environment
 * may not be read). A runtime with no environment (a page) leaves this part out.
 *
 * @example
 * ```ts
 * import type { IngestionPlatform } from "@tensoras/ingestion"
 * import * as ConfigProvider from "effect/ConfigProvider"
 * import * as Effect from "effect/Effect"
 *
 * // Node's: Effect's provider in context, the process's environment unless the program provides another.
 * const environment: IngestionPlatform.Environment<never> = {
 *   configProvider: Effect.service(ConfigProvider.ConfigProvider)
 * }
 * ```
 * @category models
 * @since 1.0.0
 */
export interface Environment<E> {
  /** The provider to read the two variables from. */
  readonly configProvider: Effect.Effect<ConfigProvider.ConfigProvider, E>
}

/**
 * The process part of a platform, what {@link runMain} needs: its signals, its exit, and where a
 * failure report goes (one text, possibly of several lines: a defect's full cause).
 *
 * @example
 * ```ts
 * import type { IngestionPlatform } from "@tensoras/ingestion"
 *
 * const node: IngestionPlatform.Process = {
 *   signals: (onSignal) => {
 *     const listener = (signal: NodeJS.Signals) => onSignal(signal === "SIGTERM" ? "SIGTERM" : "SIGINT")
 *     process.on("SIGINT", listener)
 *     process.on("SIGTERM", listener)
 *     return () => {
 *       process.off("SIGINT", listener)
 *       process.off("SIGTERM", listener)
 *     }
 *   },
 *   exit: (code) => process.exit(code),
 *   reportFailure: (report) => {
 *     process.stderr.write(`${report}\n`)
 *   }
 * }
 * ```
 * @category models
 * @since 1.0.0
 */
export interface Process {
  /** The runtime's SIGINT and SIGTERM. */
  readonly signals: SignalSource
  /** Ends the process with `code` now. */
  readonly exit: (code: number) => void
  /** Writes a failure report (see {@link failureReport}) where the runtime's errors go: stderr. */
  readonly reportFailure: (report: string) => void
}

/**
 * A whole platform, as a runtime with a network, an environment and a process fills it (Node,
 * Deno, Bun): `Options` are the adapter's own options of its HTTP client, `E` its own typed
 * errors (Node: `InvalidInput` for an agent option; Deno: `PermissionDenied`).
 *
 * @example
 * ```ts
 * import { IngestionPlatform } from "@tensoras/ingestion"
 * import * as ConfigProvider from "effect/ConfigProvider"
 * import * as Effect from "effect/Effect"
 * import * as FetchHttpClient from "effect/http/FetchHttpClient"
 * import * as Layer from "effect/Layer"
 *
 * // A Bun adapter: Bun's fetch, Effect's environment, Node's process API.
 * const bun: IngestionPlatform.IngestionPlatform<{}, never> = {
 *   layerHttpClient: () =>
 *     FetchHttpClient.layer.pipe(Layer.provide(Layer.succeed(FetchHttpClient.RequestInit, { redirect: "manual" }))),
 *   configProvider: Effect.service(ConfigProvider.ConfigProvider),
 *   signals: (onSignal) => {
 *     const onInt = () => onSignal("SIGINT")
 *     const onTerm = () => onSignal("SIGTERM")
 *     process.on("SIGINT", onInt).on("SIGTERM", onTerm)
 *     return () => process.off("SIGINT", onInt).off("SIGTERM", onTerm)
 *   },
 *   exit: (code) => process.exit(code),
 *   reportFailure: (report) => console.error(report)
 * }
 *
 * export const layerConfig = () => IngestionPlatform.layerConfig(bun, {})
 * export const runMain = <A, E>(effect: Effect.Effect<A, E>) => IngestionPlatform.runMain(bun, effect)
 * ```
 * @category models
 * @since 1.0.0
 */
export interface IngestionPlatform<Options, E> extends Http<Options, E>, Environment<E>, Process {}

/**
 * Options of {@link layer}: the client's (`IngestionJobs.Options`), the engine's
 * (`WaitEngine.EngineOptions`) and the platform's own options of its HTTP client.
 *
 * @example
 * ```ts
 * import type { IngestionPlatform } from "@tensoras/ingestion"
 * import * as Redacted from "effect/Redacted"
 *
 * const options: IngestionPlatform.LayerOptions<{ readonly connections?: number }> = {
 *   apiKey: Redacted.make("tns_your_key_here"),
 *   requestTimeout: "10 seconds",
 *   connections: 4
 * }
 * ```
 * @category models
 * @since 1.0.0
 */
export type LayerOptions<Options> = IngestionJobs.Options & WaitEngine.EngineOptions & Options

/**
 * The `IngestionJobs` client on the platform's `HttpClient` and the `WaitEngine` on it (so
 * `Wait.waitFor` & co. run as they are), from options. Fails with `InvalidInput` (nothing sent)
 * when the key, the base URL or an option is not acceptable, or with the platform's error `E` (its
 * HTTP client's options, or a base URL the runtime may not reach).
 *
 * @example
 * ```ts
 * import { IngestionPlatform, Wait } from "@tensoras/ingestion"
 * import * as Effect from "effect/Effect"
 * import * as FetchHttpClient from "effect/http/FetchHttpClient"
 * import * as Layer from "effect/Layer"
 * import * as Redacted from "effect/Redacted"
 *
 * const http: IngestionPlatform.Http<{}, never> = {
 *   layerHttpClient: () =>
 *     FetchHttpClient.layer.pipe(Layer.provide(Layer.succeed(FetchHttpClient.RequestInit, { redirect: "manual" })))
 * }
 * const job = Wait.waitFor("kb_abc123", "job_def456").pipe(
 *   Effect.provide(IngestionPlatform.layer(http, { apiKey: Redacted.make("tns_your_key_here") }))
 * )
 * ```
 * @category layers
 * @since 1.0.0
 */
export const layer: <Options, E>(
  platform: Http<Options, E>,
  options: LayerOptions<Options>
) => Layer.Layer<IngestionJobs.IngestionJobs | WaitEngine.WaitEngine, InvalidInput | E> = internal.layer

/**
 * {@link layer}, the key and base URL read from the platform's environment: `TENSORAS_API_KEY`
 * (required, `Redacted`) and `TENSORAS_BASE_URL` (default `https://api.tensoras.ai/v1`), by
 * `IngestionJobs.config` (a variable set to the empty string is unset). Fails with a
 * `Config.ConfigError` without a key, or with the platform's error `E` (an environment it may not
 * read).
 *
 * @example
 * ```ts
 * import { IngestionJobs, IngestionPlatform } from "@tensoras/ingestion"
 * import * as ConfigProvider from "effect/ConfigProvider"
 * import * as Effect from "effect/Effect"
 * import * as FetchHttpClient from "effect/http/FetchHttpClient"
 * import * as Layer from "effect/Layer"
 *
 * const platform: IngestionPlatform.Http<{}, never> & IngestionPlatform.Environment<never> = {
 *   layerHttpClient: () =>
 *     FetchHttpClient.layer.pipe(Layer.provide(Layer.succeed(FetchHttpClient.RequestInit, { redirect: "manual" }))),
 *   configProvider: Effect.service(ConfigProvider.ConfigProvider)
 * }
 * const page = IngestionJobs.list("kb_abc123").pipe(
 *   Effect.provide(IngestionPlatform.layerConfig(platform, { requestTimeout: "10 seconds" }))
 * )
 * ```
 * @category layers
 * @since 1.0.0
 */
export const layerConfig: <Options, E>(
  platform: Http<Options, E> & Environment<E>,
  options: Omit<LayerOptions<Options>, "apiKey" | "baseUrl">
) => Layer.Layer<IngestionJobs.IngestionJobs | WaitEngine.WaitEngine, InvalidInput | E | Config.ConfigError> =
  internal.layerConfig

/**
 * Options of {@link runMain}; the adapters' `runMain` take these (Node's adds its logger's).
 *
 * @example
 * ```ts
 * import { ExitCode, type IngestionPlatform } from "@tensoras/ingestion"
 * import * as Exit from "effect/Exit"
 *
 * // A program whose result is its exit code; a signal still gives 130 / 143.
 * const options: IngestionPlatform.RunMainOptions<number, never> = {
 *   disableErrorReporting: true,
 *   exitCode: (exit, signal) => (Exit.isSuccess(exit) ? exit.value : ExitCode.ofExit(exit, signal))
 * }
 * ```
 * @category models
 * @since 1.0.0
 */
export interface RunMainOptions<A, E> {
  /** Report nothing when the program fails. Default false: {@link failureReport}'s text, to the platform's stderr. */
  readonly disableErrorReporting?: boolean | undefined
  /**
   * The exit code for how the program ended and the signal that interrupted it, if one did.
   * Default `ExitCode.ofExit`: 0; 130 / 143 after a signal; the library's code of a library error
   * (2 input, 1 job failed, 3 wait timed out, 4 API); else 1.
   */
  readonly exitCode?: ((exit: Exit.Exit<A, E>, signal: Signal | undefined) => number) | undefined
}

/**
 * Runs a program as the main entry point of the platform's process, on Effect's
 * `Runtime.makeRunMain` (which keeps the process alive while the program runs):
 *
 * 1. listening to the platform's signals starts before the program does; the first SIGINT or
 *    SIGTERM interrupts it (its finalizers run, the HTTP request in flight is aborted) and is
 *    remembered for the exit code; the listeners are removed then, or when the program ends, so
 *    a second signal ends the process the runtime's default way;
 * 2. a failure is reported (unless `disableErrorReporting`): {@link failureReport}'s text, given to
 *    the platform's `reportFailure`;
 * 3. the exit code is {@link RunMainOptions.exitCode}'s (default `ExitCode.ofExit`), and the
 *    platform exits with it when it is not 0 or a signal came; a program that ended well on its
 *    own leaves the runtime to end by itself, its output flushed.
 *
 * @example
 * ```ts
 * import { IngestionPlatform } from "@tensoras/ingestion"
 * import * as Effect from "effect/Effect"
 *
 * const codes: Array<number> = []
 * const fake: IngestionPlatform.Process = {
 *   signals: () => () => {},
 *   exit: (code) => codes.push(code),
 *   reportFailure: (report) => console.error(report)
 * }
 * // Prints "Error: boom"; exit code 1.
 * IngestionPlatform.runMain(fake, Effect.fail("boom"))
 * ```
 * @category running
 * @since 1.0.0
 */
export const runMain: <A, E>(
  platform: Process,
  effect: Effect.Effect<A, E>,
  options?: RunMainOptions<A, E>
) => void = internal.runMain

/**
 * The failure report of {@link runMain}, the same on every runtime: nothing for an interruption
 * alone or an error marked as reported already (Effect's `Runtime.errorReported`); one line
 * `Tag: message` for a typed failure (the library's errors carry a message written for a person,
 * e.g. the flag or the variable to set, and no stack is needed to act on it; a `ConfigError` is
 * put on one line); the full cause, with its traces, for a defect.
 *
 * @example
 * ```ts
 * import { IngestionError, IngestionPlatform } from "@tensoras/ingestion"
 * import * as Cause from "effect/Cause"
 *
 * const report = IngestionPlatform.failureReport(
 *   Cause.fail(new IngestionError.InvalidInput({ param: "baseUrl", message: "baseUrl must be https" }))
 * )
 * console.log(report) // "InvalidInput: baseUrl must be https"
 * ```
 * @category running
 * @since 1.0.0
 */
export const failureReport: (cause: Cause.Cause<unknown>) => string | undefined = internal.failureReport
