/**
 * The Layers of a durable-wait cluster on PostgreSQL: {@link runner} for a process that hosts
 * knowledge-base watchers and runs workflows, {@link client} for a process that only starts and awaits
 * them; and the same from the environment (`TENSORAS_DATABASE_URL`, `TENSORAS_API_KEY`,
 * `TENSORAS_BASE_URL`). PostgreSQL is never started by them: they connect to the one you give.
 *
 * @since 0.1.0
 */
import type { InvalidInput } from "@tensoras/ingestion/IngestionError"
import type * as PollSchedule from "@tensoras/ingestion/PollSchedule"
import type { RoundReport } from "@tensoras/ingestion/WaitEngine"
import * as Config from "effect/Config"
import type { Sharding } from "effect/cluster/Sharding"
import type * as ShardingConfig from "effect/cluster/ShardingConfig"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Redacted from "effect/Redacted"
import type { SocketServerError } from "effect/socket/SocketServer"
import type { SqlClient } from "effect/sql/SqlClient"
import type { SqlError } from "effect/sql/SqlError"
import type { WorkflowEngine } from "effect/workflow/WorkflowEngine"
import * as internal from "./internal/ingestionCluster.js"
import type { WaitStore } from "./WaitStore.js"

/**
 * The port a runner listens on when none is given: below 32768, outside Linux's ephemeral port range.
 *
 * @example
 * ```ts
 * import { IngestionCluster } from "@tensoras/ingestion-cluster"
 *
 * IngestionCluster.DEFAULT_PORT // 24431
 * ```
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_PORT = 24431

/**
 * Options of {@link client}.
 *
 * @example
 * ```ts
 * import { IngestionCluster } from "@tensoras/ingestion-cluster"
 *
 * const options: IngestionCluster.ClientOptions = { databaseUrl: "postgres://postgres@127.0.0.1:5432/postgres" }
 * ```
 * @since 0.1.0
 * @category models
 */
export interface ClientOptions {
  /** `postgres://user:password@host:port/database`; a `Redacted` keeps a password out of logs. */
  readonly databaseUrl: string | Redacted.Redacted<string>
  /** Connections of the pool. Default 10. */
  readonly maxConnections?: number | undefined
  /** Advanced: the `effect/cluster` sharding settings, over this package's defaults. */
  readonly sharding?: Partial<ShardingConfig.ShardingConfig["Service"]> | undefined
}

/**
 * Options of {@link runner}.
 *
 * @example
 * ```ts
 * import { IngestionCluster } from "@tensoras/ingestion-cluster"
 * import { PollSchedule } from "@tensoras/ingestion"
 *
 * const options: IngestionCluster.RunnerOptions = {
 *   databaseUrl: "postgres://postgres@127.0.0.1:5432/postgres",
 *   host: "10.0.0.12",
 *   port: 24431,
 *   schedule: PollSchedule.fixed("5 seconds")
 * }
 * ```
 * @since 0.1.0
 * @category models
 */
export interface RunnerOptions extends ClientOptions {
  /** The address other runners reach this one at. Default `127.0.0.1` (one machine). */
  readonly host?: string | undefined
  /** The port it listens on. Default {@link DEFAULT_PORT}; keep it below 32768. */
  readonly port?: number | undefined
  /** The address to listen on, when it differs from `host` (e.g. `0.0.0.0`). */
  readonly listenHost?: string | undefined
  /** The API key; default `TENSORAS_API_KEY` from the environment. */
  readonly apiKey?: string | Redacted.Redacted<string> | undefined
  /** The API's base URL; default `TENSORAS_BASE_URL`, else the production API. */
  readonly baseUrl?: string | undefined
  /** The poll cadence of every wait. Default: core's default schedule. */
  readonly schedule?: PollSchedule.PollSchedule | undefined
  /** Called after each polling round of a knowledge base hosted here (requests, jobs watched, ...). */
  readonly onRound?: ((report: RoundReport) => void) | undefined
  /**
   * The re-drive sweep (a cluster singleton): a wait workflow still suspended this long after its outcomes were
   * delivered is delivered them again and resumed. Default 30 seconds; the sweep runs as often. Since 1.0.0.
   */
  readonly redriveAfter?: Duration.Input | undefined
}

/**
 * What a runner or a client provides: the `WorkflowEngine` (to `execute` the wait workflows and your
 * own), `Sharding` and the `SqlClient` of the cluster's database.
 *
 * @example
 * ```ts
 * import type { IngestionCluster } from "@tensoras/ingestion-cluster"
 * import type * as Layer from "effect/Layer"
 *
 * declare const live: Layer.Layer<IngestionCluster.Services>
 * ```
 * @since 0.1.0
 * @category models
 */
export type Services = WorkflowEngine | Sharding | SqlClient

/**
 * A runner: joins the cluster (listening on `host:port`), hosts the knowledge-base watchers of its
 * shards with core's wait engine, and runs the wait workflows. Add your own workflows' Layers on top
 * of it. Releasing the Layer leaves the cluster (its shards move to the other runners).
 *
 * @example
 * ```ts
 * import { IngestionCluster } from "@tensoras/ingestion-cluster"
 * import * as Layer from "effect/Layer"
 * import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
 *
 * IngestionCluster.runner({ databaseUrl: "postgres://postgres@127.0.0.1:5432/postgres", port: 24431 }).pipe(
 *   Layer.launch,
 *   NodeRuntime.runMain
 * )
 * ```
 * @since 0.1.0
 * @category layers
 */
export const runner = (
  options: RunnerOptions
): Layer.Layer<Services | WaitStore, SqlError | SocketServerError | Config.ConfigError | InvalidInput> =>
  internal.runner(options)

/**
 * A client: starts and awaits workflows (the wait workflows, your own) without hosting any entity.
 *
 * @example
 * ```ts
 * import { IngestionCluster, WaitForIngestionJob } from "@tensoras/ingestion-cluster"
 * import * as Effect from "effect/Effect"
 *
 * const job = WaitForIngestionJob.waitFor("kb_abc123", "job_def456").pipe(
 *   Effect.provide(IngestionCluster.client({ databaseUrl: "postgres://postgres@127.0.0.1:5432/postgres" }))
 * )
 * ```
 * @since 0.1.0
 * @category layers
 */
export const client = (options: ClientOptions): Layer.Layer<Services, SqlError | Config.ConfigError> =>
  internal.client(options)

/**
 * `TENSORAS_DATABASE_URL`, read as `Redacted`.
 *
 * @example
 * ```ts
 * import { IngestionCluster } from "@tensoras/ingestion-cluster"
 * import * as Effect from "effect/Effect"
 *
 * const url = Effect.map(IngestionCluster.databaseUrl, () => "configured")
 * ```
 * @since 0.1.0
 * @category config
 */
export const databaseUrl: Config.Config<Redacted.Redacted<string>> = Config.Redacted("TENSORAS_DATABASE_URL")

/**
 * {@link runner} with the database URL from `TENSORAS_DATABASE_URL` (and, unless given, the key and
 * base URL from `TENSORAS_API_KEY` / `TENSORAS_BASE_URL`).
 *
 * @example
 * ```ts
 * import { IngestionCluster } from "@tensoras/ingestion-cluster"
 *
 * const live = IngestionCluster.runnerConfig({ port: 24432 })
 * ```
 * @since 0.1.0
 * @category layers
 */
export const runnerConfig = (
  options: Omit<RunnerOptions, "databaseUrl"> = {}
): Layer.Layer<Services | WaitStore, SqlError | SocketServerError | Config.ConfigError | InvalidInput> =>
  Layer.unwrap(Effect.map(databaseUrl, (url) => runner({ ...options, databaseUrl: url })))

/**
 * {@link client} with the database URL from `TENSORAS_DATABASE_URL`.
 *
 * @example
 * ```ts
 * import { IngestionCluster } from "@tensoras/ingestion-cluster"
 *
 * const live = IngestionCluster.clientConfig()
 * ```
 * @since 0.1.0
 * @category layers
 */
export const clientConfig = (
  options: Omit<ClientOptions, "databaseUrl"> = {}
): Layer.Layer<Services, SqlError | Config.ConfigError> =>
  Layer.unwrap(Effect.map(databaseUrl, (url) => client({ ...options, databaseUrl: url })))
