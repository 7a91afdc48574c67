import * as NodeClusterSocket from "@effect/platform-node/NodeClusterSocket"
import * as NodeCrypto from "@effect/platform-node/NodeCrypto"
import * as PgClient from "@effect/sql-pg/PgClient"
import * as IngestionJobs from "@tensoras/ingestion/IngestionJobs"
import type { RoundReport } from "@tensoras/ingestion/WaitEngine"
import * as NodeIngestion from "@tensoras/ingestion-node/NodeIngestion"
import * as ClusterWorkflowEngine from "effect/cluster/ClusterWorkflowEngine"
import * as RunnerAddress from "effect/cluster/RunnerAddress"
import * as RunnerHealth from "effect/cluster/RunnerHealth"
import * as Runners from "effect/cluster/Runners"
import * as ShardingConfig from "effect/cluster/ShardingConfig"
import * as Singleton from "effect/cluster/Singleton"
import * as SocketRunner from "effect/cluster/SocketRunner"
import * as SqlMessageStorage from "effect/cluster/SqlMessageStorage"
import * as SqlRunnerStorage from "effect/cluster/SqlRunnerStorage"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as RpcSerialization from "effect/rpc/RpcSerialization"
import * as Schedule from "effect/Schedule"
import * as Scope from "effect/Scope"
import type { ClientOptions, RunnerOptions } from "../IngestionCluster.js"
import { DEFAULT_PORT } from "../IngestionCluster.js"
import * as KnowledgeBaseWatcher from "../KnowledgeBaseWatcher.js"
import * as WaitForIngestionJob from "../WaitForIngestionJob.js"
import * as WaitForIngestionJobs from "../WaitForIngestionJobs.js"
import * as WaitStore from "../WaitStore.js"
import * as PeerHealth from "./peerHealth.js"
import { redriver } from "./redrive.js"
import * as RoundLog from "./roundLog.js"
import { runnerApplicationName } from "./ui/owners.js"

/**
 * This package's sharding defaults over `effect/cluster`'s (which are read from no environment here: the
 * cluster's own `layerFromEnv` would pick up a generic `PORT` or `HOST`).
 * - A dead runner is noticed by the health check within ~5 s instead of a minute.
 * - Persisted messages are polled every second (they are also pushed; polling covers a missed push).
 */
export const shardingDefaults: Partial<ShardingConfig.ShardingConfig["Service"]> = {
  runnerHealthCheckInterval: Duration.seconds(5),
  entityMessagePollInterval: Duration.seconds(1)
}

/**
 * How often each runner checks the others (see `peerHealth.ts`): with the check's own retries (a few seconds),
 * a dead runner is out of the shard assignment within about 5 s, whichever runner it was.
 */
const PEER_CHECK_EVERY = "2 seconds"

/** The re-drive sweep's default: a workflow still suspended this long after its delivery is resumed. */
const REDRIVE_AFTER = "30 seconds"

const redacted = (value: string | Redacted.Redacted<string>): Redacted.Redacted<string> =>
  typeof value === "string" ? Redacted.make(value) : value

/** The application name of a client's connections; `tensoras-cluster ui` reads a runner's from its sessions. */
const CLIENT_APPLICATION = "tensoras-cluster"

const sql = (options: ClientOptions, defaultConnections: number, applicationName = CLIENT_APPLICATION) =>
  PgClient.layer({
    url: redacted(options.databaseUrl),
    maxConnections: options.maxConnections ?? defaultConnections,
    applicationName
  })

/**
 * Between runners: newline-delimited JSON. Effect 4 has no MessagePack serialization; of its JSON ones,
 * plain `json` does not frame messages (one message per HTTP body) and a TCP socket needs framing, which
 * NDJSON gives (a newline ends each message). Uncapped like 0.1's MessagePack was: a workflow's result
 * (a `WaitForIngestionJobs` of many jobs) travels in one message, and only runners speak on these sockets.
 */
const serialization = RpcSerialization.layerNdjsonWith({ maxBufferSize: "unbounded" })

/**
 * A Layer built again (in a fresh scope) when its build fails or dies, a few times: processes that start
 * together on a fresh database race to create the cluster's tables, and the loser's build fails once.
 */
const retryBuild = <A, E, R>(layer: Layer.Layer<A, E, R>): Layer.Layer<A, E, R> =>
  Layer.effectContext(
    Effect.gen(function* () {
      const outer = yield* Effect.scope
      const attempt = Effect.gen(function* () {
        const scope = yield* Scope.fork(outer, "sequential")
        return yield* Layer.buildWithScope(layer, scope).pipe(
          Effect.onError((cause) => Scope.close(scope, Exit.failCause(cause)))
        )
      })
      return yield* attempt.pipe(
        Effect.sandbox,
        Effect.retry(Schedule.exponential("200 millis").pipe(Schedule.jittered, Schedule.upTo({ times: 5 }))),
        Effect.catch(Effect.failCause)
      )
    })
  )

/**
 * The cluster's message tables: their migrations (recorded in `cluster_migrations`, and retried: processes
 * that start together on a fresh database race to create them), then the storage itself. Keys longer than
 * its `message_id` column are hashed, with Node's `Digest`.
 */
const messageStorage = SqlMessageStorage.layerStorage({}).pipe(
  Layer.provide(retryBuild(SqlMessageStorage.layerMigrations({}))),
  Layer.provide(NodeCrypto.layerDigest)
)
/** The runner and shard tables (`cluster_runners`, `cluster_locks`, … and `cluster_runner_migrations`). */
const runnerStorage = SqlRunnerStorage.layerStorage({}).pipe(
  Layer.provide(retryBuild(SqlRunnerStorage.layerMigrations({})))
)

export const client = (options: ClientOptions) => {
  const cluster = SocketRunner.layerClientOnly.pipe(
    Layer.provide(NodeClusterSocket.layerClientProtocol),
    Layer.provideMerge(messageStorage),
    Layer.provide(runnerStorage),
    Layer.provide(ShardingConfig.layer({ ...shardingDefaults, ...options.sharding })),
    Layer.provide(serialization)
  )
  return ClusterWorkflowEngine.layer.pipe(Layer.provideMerge(cluster), Layer.provideMerge(sql(options, 10)))
}

export const runner = (options: RunnerOptions) => {
  const host = options.host ?? "127.0.0.1"
  const port = options.port ?? DEFAULT_PORT
  const config = ShardingConfig.layer({
    ...shardingDefaults,
    ...options.sharding,
    runnerAddress: Option.some(RunnerAddress.make(host, port)),
    runnerListenAddress:
      options.listenHost === undefined
        ? Option.none()
        : Option.some(RunnerAddress.make(options.listenHost, port))
  })
  const health = RunnerHealth.layerPing.pipe(
    Layer.provide(Runners.layerRpc),
    Layer.provide(NodeClusterSocket.layerClientProtocol)
  )
  const peers = PeerHealth.layer(RunnerAddress.make(host, port), PEER_CHECK_EVERY)
  const cluster = Layer.merge(
    SocketRunner.layer.pipe(
      Layer.provide([NodeClusterSocket.layerSocketServer, NodeClusterSocket.layerClientProtocol])
    ),
    peers
  ).pipe(
    Layer.provide(health),
    Layer.provideMerge(messageStorage),
    Layer.provide(runnerStorage),
    Layer.provide(config),
    Layer.provide(serialization)
  )
  // The client and the runner's one WaitEngine, on Node's keep-alive HTTP client. The key and base URL:
  // given, else from TENSORAS_API_KEY / TENSORAS_BASE_URL (as for tensoras-ingest). Its rounds go to the
  // runner's log of recent rounds too (for `tensoras-cluster ui`).
  const engine = Layer.unwrap(
    Effect.gen(function* () {
      const log = yield* RoundLog.RoundLog
      const onRound = (report: RoundReport) => {
        log.round(report)
        options.onRound?.(report)
      }
      if (options.apiKey !== undefined) {
        return NodeIngestion.layer({
          apiKey: redacted(options.apiKey),
          ...(options.baseUrl === undefined ? {} : { baseUrl: options.baseUrl }),
          onRound
        })
      }
      const fromConfig = yield* IngestionJobs.config
      return NodeIngestion.layer({
        apiKey: fromConfig.apiKey,
        baseUrl: options.baseUrl ?? fromConfig.baseUrl,
        onRound
      })
    })
  )
  const entities = Layer.mergeAll(
    KnowledgeBaseWatcher.layer({ schedule: options.schedule }).pipe(
      Layer.provide(engine),
      Layer.provide(RoundLog.layer(`${host}:${port}`))
    ),
    WaitForIngestionJob.layer,
    WaitForIngestionJobs.layer,
    Singleton.make(
      "tensoras.redrive",
      redriver({ every: options.redriveAfter ?? REDRIVE_AFTER, after: options.redriveAfter ?? REDRIVE_AFTER })
    )
  )
  return entities.pipe(
    Layer.provideMerge(WaitStore.layer),
    Layer.provideMerge(ClusterWorkflowEngine.layer),
    Layer.provideMerge(cluster),
    Layer.provideMerge(sql(options, 20, runnerApplicationName(`${host}:${port}`)))
  )
}
