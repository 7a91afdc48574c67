/**
 * The cheapest real cluster for the operators' page: runners in this process (`IngestionCluster.runner`, each its
 * own Layer with its own port, connections and shards), a simulator, and knowledge bases picked so that each runner
 * holds one. What the page shows is then known: which runner holds which knowledge base (the cluster's hash ring of
 * the runners), and which runner ends each wait.
 */
import * as PollSchedule from "@tensoras/ingestion/PollSchedule"
import { IngestionCluster, type WaitStore } from "@tensoras/ingestion-cluster"
import * as RunnerAddress from "effect/cluster/RunnerAddress"
import * as ShardId from "effect/cluster/ShardId"
import { Sharding } from "effect/cluster/Sharding"
import * as ShardingConfig from "effect/cluster/ShardingConfig"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as HashRing from "effect/HashRing"
import * as ManagedRuntime from "effect/ManagedRuntime"
import { shardOf } from "./processes.js"

const HOST = "127.0.0.1"

export interface InProcessRunner {
  readonly address: string
  readonly port: number
  readonly runtime: ManagedRuntime.ManagedRuntime<IngestionCluster.Services | WaitStore.WaitStore, unknown>
}

export interface RunnerSettings {
  readonly databaseUrl: string
  readonly apiKey: string
  readonly baseUrl: string
  readonly pollInterval: Duration.Input
}

/** A runner in this process, built (joined the cluster) before it returns. */
export const startInProcessRunner = async (
  port: number,
  settings: RunnerSettings
): Promise<InProcessRunner> => {
  const runtime = ManagedRuntime.make(
    IngestionCluster.runner({
      databaseUrl: settings.databaseUrl,
      port,
      apiKey: settings.apiKey,
      baseUrl: settings.baseUrl,
      schedule: PollSchedule.fixed(settings.pollInterval)
    })
  )
  await runtime.runPromise(Effect.void)
  return { address: `${HOST}:${port}`, port, runtime }
}

/** The shards the cluster assigns each runner: its hash ring of their addresses (weight 1, 300 shards). */
const assignment = (runners: ReadonlyArray<InProcessRunner>): ReadonlyArray<RunnerAddress.RunnerAddress> => {
  const ring = HashRing.make<RunnerAddress.RunnerAddress>()
  for (const runner of runners)
    HashRing.add(ring, RunnerAddress.make(HOST, runner.port), {
      weight: ShardingConfig.defaults.runnerShardWeight
    })
  return HashRing.getShards(ring, ShardingConfig.defaults.shardsPerGroup) ?? []
}

/** Whether each runner holds exactly the shards the cluster assigns it (until then shards move). */
export const settled = async (runners: ReadonlyArray<InProcessRunner>): Promise<boolean> => {
  const assigned = assignment(runners)
  const held = await Promise.all(
    runners.map((runner) =>
      runner.runtime.runPromise(
        Effect.gen(function* () {
          const sharding = yield* Sharding
          return assigned.every(
            (address, index) =>
              (address.port === runner.port) === sharding.hasShardId(ShardId.make("default", index + 1))
          )
        })
      )
    )
  )
  return held.every(Boolean)
}

/** The first of `kb_<prefix>_1`, `kb_<prefix>_2`, … whose shard the cluster assigns to `runner`. */
export const knowledgeBaseHeldBy = (
  runners: ReadonlyArray<InProcessRunner>,
  runner: InProcessRunner,
  prefix: string
): string => {
  const assigned = assignment(runners)
  for (let n = 1; ; n++) {
    const id = `kb_${prefix}_${n}`
    if (assigned[shardOf(id) - 1]?.port === runner.port) return id
  }
}
