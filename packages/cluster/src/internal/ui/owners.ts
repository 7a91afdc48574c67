/**
 * Which runner holds which knowledge base, as PostgreSQL knows it: a knowledge base's entity runs on the runner
 * that holds its shard, and on PostgreSQL `effect/cluster` (`SqlRunnerStorage`) holds a shard with a session-level
 * advisory lock. So the holder of a shard is the session that holds its lock, and a runner names its sessions
 * after its address (`applicationName`, set by `IngestionCluster.runner`). Read from `pg_locks` and
 * `pg_stat_activity`, both readable by any role, the answer is what the cluster itself goes by, this instant:
 * a runner that died released its locks with its sessions.
 *
 * With `shardLockDisableAdvisory`, shards are rows of `cluster_locks` instead: those are read too.
 */
import * as ShardingConfig from "effect/cluster/ShardingConfig"
import * as Hash from "effect/Hash"

/** What a runner's sessions are called: `tensoras-cluster runner 10.0.0.12:24431` (at most 63 bytes are kept). */
export const RUNNER_APPLICATION_PREFIX = "tensoras-cluster runner "

export const runnerApplicationName = (address: string): string => `${RUNNER_APPLICATION_PREFIX}${address}`

/** The runner's address in an application name, or `undefined` when the session is not a runner's. */
export const runnerOfApplication = (applicationName: string | null): string | undefined =>
  applicationName?.startsWith(RUNNER_APPLICATION_PREFIX) === true
    ? applicationName.slice(RUNNER_APPLICATION_PREFIX.length)
    : undefined

/** The shards of the one shard group this package's entities use, `default` (`effect/cluster`'s defaults). */
export const SHARDS = ShardingConfig.defaults.shardsPerGroup

/** The shard of an entity id, as `Sharding.getShardId` computes it (the same hash, `effect/Hash`'s `string`). */
export const shardOf = (entityId: string): number => Math.abs(Hash.string(entityId) % SHARDS) + 1

/**
 * The advisory lock key space of `SqlRunnerStorage` with its default table prefix `cluster`: the FNV-1a hash of
 * `effect-cluster:cluster` (its comment calls it a persistent wire format, never to change), as PostgreSQL
 * shows it in `pg_locks.classid` (an unsigned oid).
 */
export const lockNamespace = (prefix = "cluster"): number => {
  const bytes = new TextEncoder().encode(`effect-cluster:${prefix}`)
  let hash = 0x811c9dc5
  for (const byte of bytes) hash = Math.imul(hash ^ byte, 0x01000193)
  return (hash | 0) >>> 0
}

/**
 * The shard whose lock is `objid` (`(group index + 1) × 1,000,000 + shard`, the group `default` being the first
 * of the sorted available groups), or `undefined` for another group's.
 */
export const shardOfLock = (objid: number): number | undefined => {
  const shard = objid - 1_000_000
  return shard >= 1 && shard <= SHARDS ? shard : undefined
}

/** A shard id as `cluster_locks` stores it: `default:17`. */
export const shardOfLockRow = (shardId: string): number | undefined => {
  const match = /^default:(\d+)$/.exec(shardId)
  return match === null ? undefined : shardOfLock(1_000_000 + Number(match[1]))
}
