/**
 * Deno Layers for `@tensoras/ingestion`: the fetch-based `HttpClient` of `effect/http`, the
 * `IngestionJobs` client built on it (from options, or from `TENSORAS_API_KEY` / `TENSORAS_BASE_URL`
 * read with `Deno.env`), and a `runMain` whose SIGINT / SIGTERM interrupt the program.
 *
 * Deno's permissions are checked before anything is read or sent: a missing `--allow-env` or
 * `--allow-net` is a typed {@link PermissionDenied} naming the flag to add, never a defect and never
 * a network failure retried five times.
 *
 * It fills core's adapter contract (`IngestionPlatform`): `layer`, `layerConfig` and `runMain` are
 * core's, on Deno's `fetch`, `Deno.env` and `Deno.permissions`, signals and exit.
 *
 * @module
 * @since 0.1.0
 */
import * as ExitCode from "@tensoras/ingestion/ExitCode"
import type { InvalidInput } from "@tensoras/ingestion/IngestionError"
import type * as IngestionJobs from "@tensoras/ingestion/IngestionJobs"
import * as IngestionPlatform from "@tensoras/ingestion/IngestionPlatform"
import type * as WaitEngine from "@tensoras/ingestion/WaitEngine"
import type * as Cause from "effect/Cause"
import type * as Config from "effect/Config"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import type * as Exit from "effect/Exit"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import type * as HttpClient from "effect/http/HttpClient"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import * as internal from "./internal/denoIngestion.ts"

/** The fields of {@link PermissionDenied}, spelled out so that JSR needs no inference (no slow types). */
type PermissionDeniedFields = {
  /** The kind of permission Deno refused. */
  readonly permission: Schema.Literals<readonly ["env", "net"]>
  /** The environment variable or the host (with its port, when it has one). */
  readonly resource: typeof Schema.String
  /** The `deno run` flag that grants it, e.g. `--allow-env=TENSORAS_API_KEY,TENSORAS_BASE_URL`. */
  readonly flag: typeof Schema.String
  /** Names `flag`. */
  readonly message: typeof Schema.String
}

const PermissionDeniedBase: Schema.Class<
  PermissionDenied,
  Schema.TaggedStruct<"PermissionDenied", PermissionDeniedFields>,
  Cause.YieldableError
> = Schema.TaggedError<PermissionDenied>("@tensoras/ingestion-deno/PermissionDenied")("PermissionDenied", {
  permission: Schema.Literals(["env", "net"]),
  resource: Schema.String,
  flag: Schema.String,
  message: Schema.String
})

/**
 * Deno refused a permission the client needs: `permission` is `env` or `net`, `resource` the
 * variable or host, and `flag` the exact `deno run` flag that grants it (also in `message`). A tagged
 * error like every error of the library: `Effect.catchTag("PermissionDenied", …)`, and a `Schema`
 * to send it across a process boundary.
 *
 * @example
 * ```ts
 * import { DenoIngestion } from "@tensoras/ingestion-deno"
 * import * as Effect from "effect/Effect"
 *
 * const explained = DenoIngestion.checkEnv.pipe(
 *   Effect.catchTag("PermissionDenied", (e) => Effect.logError(`add ${e.flag} to your deno run command`))
 * )
 * ```
 * @category errors
 * @since 0.1.0
 */
export class PermissionDenied extends PermissionDeniedBase {
  /** Never: the same process keeps the same permissions. */
  get isTransient(): boolean {
    return false
  }
}

/**
 * The flag that lets the client read its configuration: `--allow-env=TENSORAS_API_KEY,TENSORAS_BASE_URL`.
 *
 * @example
 * ```ts
 * import { DenoIngestion } from "@tensoras/ingestion-deno"
 *
 * console.log(`deno run --allow-net=api.tensoras.ai ${DenoIngestion.ENV_FLAG} main.ts`)
 * ```
 * @category constants
 * @since 0.1.0
 */
export const ENV_FLAG: string = internal.ENV_FLAG

/**
 * Succeeds when Deno lets the program read `TENSORAS_API_KEY` and `TENSORAS_BASE_URL`; else fails
 * with {@link PermissionDenied} naming {@link ENV_FLAG}. It asks `Deno.permissions.query` and never
 * prompts.
 *
 * @example
 * ```ts
 * import { DenoIngestion } from "@tensoras/ingestion-deno"
 * import * as Effect from "effect/Effect"
 *
 * await Effect.runPromise(Effect.result(DenoIngestion.checkEnv))
 * ```
 * @category permissions
 * @since 0.1.0
 */
export const checkEnv: Effect.Effect<void, PermissionDenied> = internal.checkEnv

/**
 * Succeeds when Deno lets the program connect to the host of `baseUrl`; else fails with
 * {@link PermissionDenied} whose flag is `--allow-net=<host>`.
 *
 * @example
 * ```ts
 * import { DenoIngestion } from "@tensoras/ingestion-deno"
 * import * as Effect from "effect/Effect"
 *
 * await Effect.runPromise(Effect.result(DenoIngestion.checkNet("https://api.tensoras.ai/v1")))
 * ```
 * @category permissions
 * @since 0.1.0
 */
export const checkNet: (baseUrl: string | URL) => Effect.Effect<void, PermissionDenied> = internal.checkNet

/**
 * A `ConfigProvider` of `TENSORAS_API_KEY` and `TENSORAS_BASE_URL` read with `Deno.env`, after
 * {@link checkEnv}. (Effect's default provider reads `process.env`, which is not Deno's API.)
 *
 * @example
 * ```ts
 * import { IngestionJobs } from "@tensoras/ingestion"
 * import { DenoIngestion } from "@tensoras/ingestion-deno"
 * import * as Effect from "effect/Effect"
 *
 * const baseUrl = Effect.gen(function* () {
 *   const provider = yield* DenoIngestion.configProvider
 *   const { baseUrl } = yield* IngestionJobs.config.parse(provider)
 *   return baseUrl
 * })
 * ```
 * @category config
 * @since 0.1.0
 */
export const configProvider: Effect.Effect<ConfigProvider.ConfigProvider, PermissionDenied> = Effect.map(
  internal.readEnv,
  (env) => ConfigProvider.fromEnv({ env })
)

/**
 * The `HttpClient` for Deno: `@effect/platform`'s fetch client on Deno's own `fetch`, with
 * `redirect: "manual"`: a redirect is never followed (the client fails with a `ResponseDecodeError`
 * saying so), so the key goes to the base URL only, as with every other adapter.
 * Interrupting a request aborts it.
 *
 * @example
 * ```ts
 * import { IngestionJobs } from "@tensoras/ingestion"
 * import { DenoIngestion } from "@tensoras/ingestion-deno"
 * import * as Layer from "effect/Layer"
 * import * as Redacted from "effect/Redacted"
 *
 * const live = IngestionJobs.layer({ apiKey: Redacted.make("tns_your_key_here") }).pipe(
 *   Layer.provide(DenoIngestion.layerHttpClient)
 * )
 * ```
 * @category layers
 * @since 0.1.0
 */
export const layerHttpClient: Layer.Layer<HttpClient.HttpClient> = FetchHttpClient.layer.pipe(
  Layer.provide(Layer.succeed(FetchHttpClient.RequestInit, { redirect: "manual" }))
)

/** Deno in core's adapter contract: `fetch`, `Deno.env` and `Deno.permissions`, Deno's signals and exit. */
const platform: IngestionPlatform.IngestionPlatform<{}, PermissionDenied> = {
  layerHttpClient: () => layerHttpClient,
  checkBaseUrl: internal.checkNet,
  configProvider,
  ...internal.denoProcess
}

/**
 * Options of {@link layer}: those of `IngestionJobs.layer` (`apiKey`, `baseUrl`, `requestTimeout`,
 * `retrySchedule`, ...).
 *
 * @example
 * ```ts
 * import { DenoIngestion } from "@tensoras/ingestion-deno"
 * import * as Redacted from "effect/Redacted"
 *
 * const options: DenoIngestion.Options = { apiKey: Redacted.make("tns_your_key_here"), requestTimeout: "10 seconds" }
 * ```
 * @category models
 * @since 0.1.0
 */
export interface Options extends IngestionJobs.Options {}

/**
 * The `IngestionJobs` client on Deno's `fetch`, from options, and the `WaitEngine` every wait of
 * the program shares. Fails with `InvalidInput` when an option
 * is not acceptable, or with {@link PermissionDenied} when Deno may not reach the base URL's host.
 *
 * @example
 * ```ts
 * import { IngestionJobs } from "@tensoras/ingestion"
 * import { DenoIngestion } from "@tensoras/ingestion-deno"
 * import * as Effect from "effect/Effect"
 * import * as Redacted from "effect/Redacted"
 *
 * const program = IngestionJobs.get("kb_abc123", "job_abc123").pipe(
 *   Effect.provide(DenoIngestion.layer({ apiKey: Redacted.make("tns_your_key_here"), baseUrl: "http://127.0.0.1:4010/v1" }))
 * )
 * ```
 * @category layers
 * @since 0.1.0
 */
export const layer = (
  options: Options
): Layer.Layer<IngestionJobs.IngestionJobs | WaitEngine.WaitEngine, InvalidInput | PermissionDenied> =>
  IngestionPlatform.layer(platform, options)

/**
 * The `IngestionJobs` client on Deno's `fetch` and the `WaitEngine`, the key and base URL from `Deno.env`:
 * `TENSORAS_API_KEY` (required, read as `Redacted`) and `TENSORAS_BASE_URL` (default
 * `https://api.tensoras.ai/v1`). Fails with {@link PermissionDenied} when `--allow-env` or
 * `--allow-net` is missing, with a `ConfigError` when the key is unset, with `InvalidInput` when a
 * value is not acceptable.
 *
 * @example
 * ```ts
 * import { IngestionJobs } from "@tensoras/ingestion"
 * import { DenoIngestion } from "@tensoras/ingestion-deno"
 * import * as Effect from "effect/Effect"
 *
 * const program = IngestionJobs.get("kb_abc123", "job_def456").pipe(
 *   Effect.provide(DenoIngestion.layerConfig({ requestTimeout: "10 seconds" }))
 * )
 * ```
 * @category layers
 * @since 0.1.0
 */
export const layerConfig = (
  options: Omit<Options, "apiKey" | "baseUrl"> = {}
): Layer.Layer<
  IngestionJobs.IngestionJobs | WaitEngine.WaitEngine,
  InvalidInput | PermissionDenied | Config.ConfigError
> => IngestionPlatform.layerConfig(platform, options)

/**
 * The signals {@link runMain} turns into an interruption of the program.
 *
 * @example
 * ```ts
 * import { DenoIngestion } from "@tensoras/ingestion-deno"
 *
 * const quietOnTerm = (signal: DenoIngestion.Signal | undefined) => (signal === "SIGTERM" ? 0 : 130)
 * ```
 * @category models
 * @since 0.1.0
 */
export type Signal = ExitCode.Signal

/**
 * Options of {@link runMain}: core's `IngestionPlatform.RunMainOptions`: `disableErrorReporting` (print
 * nothing when the program fails; default false: `Tag: message` on stderr, the full cause for a
 * defect) and `exitCode` (default {@link exitCode}).
 *
 * @example
 * ```ts
 * import { DenoIngestion } from "@tensoras/ingestion-deno"
 * import * as Effect from "effect/Effect"
 * import * as Exit from "effect/Exit"
 *
 * const options: DenoIngestion.RunMainOptions<number, never> = {
 *   exitCode: (exit, signal) => (Exit.isSuccess(exit) ? exit.value : DenoIngestion.exitCode(exit, signal))
 * }
 * DenoIngestion.runMain(Effect.succeed(3), options)
 * ```
 * @category models
 * @since 0.1.0
 */
export interface RunMainOptions<A, E> extends IngestionPlatform.RunMainOptions<A, E> {}

/**
 * The default exit code of {@link runMain}: core's `ExitCode.ofExit` (0 on success, 130 / 143 for a
 * signal, 1–4 for the library's errors, the same codes as the Node adapter and the CLI).
 *
 * @example
 * ```ts
 * import { DenoIngestion } from "@tensoras/ingestion-deno"
 * import * as Exit from "effect/Exit"
 *
 * DenoIngestion.exitCode(Exit.interrupt(), "SIGINT") // 130
 * DenoIngestion.exitCode(Exit.succeed("done"), undefined) // 0
 * ```
 * @category running
 * @since 0.1.0
 */
export const exitCode: (exit: Exit.Exit<unknown, unknown>, signal: Signal | undefined) => number =
  ExitCode.ofExit

/**
 * Runs a program as the main module of a Deno process, by core's `IngestionPlatform.runMain`. The
 * first SIGINT or SIGTERM (through `Deno.addSignalListener`) interrupts it: finalizers run and the
 * HTTP request in flight is aborted; a second signal ends the process the default way. When the
 * program ends, a failure is reported on stderr as `Tag: message` (a typed error has no stack trace
 * to show; a defect prints its full cause), and the process exits with
 * {@link RunMainOptions.exitCode} when it is not 0 or a signal came (else Deno ends by itself).
 *
 * @example
 * ```ts
 * import { Wait, WaitEngine } from "@tensoras/ingestion"
 * import { DenoIngestion } from "@tensoras/ingestion-deno"
 * import * as Console from "effect/Console"
 * import * as Effect from "effect/Effect"
 * import * as Layer from "effect/Layer"
 *
 * Wait.waitFor("kb_abc123", "job_def456").pipe(
 *   Effect.flatMap((job) => Console.log(`${job.chunks_created} chunks`)),
 *   Effect.provide(DenoIngestion.layerConfig()),
 *   DenoIngestion.runMain
 * )
 * ```
 * @category running
 * @since 0.1.0
 */
export const runMain = <A, E>(effect: Effect.Effect<A, E>, options: RunMainOptions<A, E> = {}): void =>
  IngestionPlatform.runMain(platform, effect, options)
