import * as ClusterWorkflowEngine from "@effect/cluster/ClusterWorkflowEngine"
import * as RunnerAddress from "@effect/cluster/RunnerAddress"
import * as RunnerHealth from "@effect/cluster/RunnerHealth"
import * as Runners from "@effect/cluster/Runners"
import * as ShardingConfig from "@effect/cluster/ShardingConfig"
import * as SocketRunner from "@effect/cluster/SocketRunner"
import * as SqlMessageStorage from "@effect/cluster/SqlMessageStorage"
import * as SqlRunnerStorage from "@effect/cluster/SqlRunnerStorage"
import * as NodeClusterSocket from "@effect/platform-node/NodeClusterSocket"
import * as RpcSerialization from "@effect/rpc/RpcSerialization"
import * as PgClient from "@effect/sql-pg/PgClient"
import * as IngestionJobs from "@tensoras/ingestion/IngestionJobs"
import * as NodeIngestion from "@tensoras/ingestion-node/NodeIngestion"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as ExecutionStrategy from "effect/ExecutionStrategy"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import * as Scope from "effect/Scope"
import type { ClientOptions, RunnerOptions } from "../IngestionCluster.js"
import { DEFAULT_PORT } from "../IngestionCluster.js"
import * as KnowledgeBaseWatcher from "../KnowledgeBaseWatcher.js"
import * as WaitForIngestionJob from "../WaitForIngestionJob.js"
import * as WaitForIngestionJobs from "../WaitForIngestionJobs.js"
import * as WaitStore from "../WaitStore.js"

/**
 * This package's sharding defaults over `@effect/cluster`'s (which are read from no environment here: the
 * cluster's own `layerFromEnv` would pick up a generic `PORT` or `HOST`).
 * - A dead runner is noticed by the health check within ~5 s instead of a minute.
 * - Persisted messages are polled every second (they are also pushed; polling covers a missed push).
 */
export const shardingDefaults: Partial<ShardingConfig.ShardingConfig["Type"]> = {
  runnerHealthCheckInterval: Duration.seconds(5),
  entityMessagePollInterval: Duration.seconds(1)
}

const redacted = (value: string | Redacted.Redacted<string>): Redacted.Redacted<string> =>
  typeof value === "string" ? Redacted.make(value) : value

const sql = (options: ClientOptions, defaultConnections: number) =>
  PgClient.layer({
    url: redacted(options.databaseUrl),
    maxConnections: options.maxConnections ?? defaultConnections,
    applicationName: "tensoras-cluster"
  })

const serialization = RpcSerialization.layerMsgPack

/**
 * A Layer built again (in a fresh scope) when its build fails or dies, a few times: processes that start
 * together on a fresh database race to create the cluster's tables, and the loser's build fails once.
 */
const retryBuild = <A, E, R>(layer: Layer.Layer<A, E, R>): Layer.Layer<A, E, R> =>
  Layer.scopedContext(
    Effect.gen(function* () {
      const outer = yield* Effect.scope
      const attempt = Effect.gen(function* () {
        const scope = yield* Scope.fork(outer, ExecutionStrategy.sequential)
        return yield* Layer.buildWithScope(layer, scope).pipe(
          Effect.onError((cause) => Scope.close(scope, Exit.failCause(cause)))
        )
      })
      return yield* attempt.pipe(
        Effect.sandbox,
        Effect.retry(
          Schedule.intersect(Schedule.jittered(Schedule.exponential("200 millis")), Schedule.recurs(5))
        ),
        Effect.unsandbox
      )
    })
  )

const messageStorage = retryBuild(SqlMessageStorage.layer)
const runnerStorage = retryBuild(Layer.orDie(SqlRunnerStorage.layer))

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
  const cluster = SocketRunner.layer.pipe(
    Layer.provide([NodeClusterSocket.layerSocketServer, NodeClusterSocket.layerClientProtocol]),
    Layer.provide(health),
    Layer.provideMerge(messageStorage),
    Layer.provide(runnerStorage),
    Layer.provide(config),
    Layer.provide(serialization)
  )
  // The client and the runner's one WaitEngine, on Node's keep-alive HTTP client. The key and base URL:
  // given, else from TENSORAS_API_KEY / TENSORAS_BASE_URL (as for tensoras-ingest).
  const engine =
    options.apiKey === undefined
      ? Layer.unwrapEffect(
          Effect.map(IngestionJobs.config, (fromConfig) =>
            NodeIngestion.layer({
              apiKey: fromConfig.apiKey,
              baseUrl: options.baseUrl ?? fromConfig.baseUrl,
              onRound: options.onRound
            })
          )
        )
      : NodeIngestion.layer({
          apiKey: redacted(options.apiKey),
          ...(options.baseUrl === undefined ? {} : { baseUrl: options.baseUrl }),
          onRound: options.onRound
        })
  const entities = Layer.mergeAll(
    KnowledgeBaseWatcher.layer({ schedule: options.schedule }).pipe(Layer.provide(engine)),
    WaitForIngestionJob.layer,
    WaitForIngestionJobs.layer
  )
  return entities.pipe(
    Layer.provideMerge(WaitStore.layer),
    Layer.provideMerge(ClusterWorkflowEngine.layer),
    Layer.provideMerge(cluster),
    Layer.provideMerge(sql(options, 20))
  )
}
