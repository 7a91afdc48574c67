/**
 * Real `tensoras-cluster` processes for the tests, the benchmark and the demo, started with the testkit's
 * `TestProcess` (which tracks them, reads their output and ends them): runners that report `ready`, the
 * shards they hold and their polling rounds as NDJSON, and `wait` commands. And the cluster's shard
 * assignment, to tell which runner holds what.
 */

import { fileURLToPath } from "node:url"
import { TestProcess } from "@tensoras/ingestion-testkit"
import * as RunnerAddress from "effect/cluster/RunnerAddress"
import * as ShardingConfig from "effect/cluster/ShardingConfig"
import * as Hash from "effect/Hash"
import * as HashRing from "effect/HashRing"
import { EVENT_LIMIT_MS } from "./eventLimit.js"

/** The runners' host: `tensoras-cluster runner`'s default `--host`, which the runners started here keep. */
const RUNNER_HOST = "127.0.0.1"

/** The command from source, through tsx: no build needed. `dist/bin.js` is the same module compiled. */
export const BIN = fileURLToPath(new URL("../../src/bin.ts", import.meta.url))

/** The runners' and `wait` commands' program when the tests bundled it (`command.ts`); else {@link BIN}. */
let bundled: string | undefined

/**
 * Starts the runners and `wait` commands from `file`, the command's sources bundled by the cluster tests'
 * global setup (`command.ts`), instead of from {@link BIN} through tsx: the same program, started in a
 * fraction of the time. The benchmark and the demo, which do not call it, run {@link BIN}.
 */
export const useBundledCommand = (file: string): void => {
  bundled = file
}

/** `tensoras-cluster …` with `options`: from the bundle if there is one (no tsx needed), else from source. */
const command = (args: ReadonlyArray<string>, options: TestProcess.NodeOptions): TestProcess.Spawned =>
  bundled === undefined
    ? TestProcess.node(BIN, args, options)
    : TestProcess.node(bundled, args, { ...options, tsx: false, nodeArgs: [] })

/**
 * How a program of the repository runs here: from source (the workspace's export condition, through tsx),
 * with `env` as its settings and without a generic `PORT` or `HOST` (the cluster's configuration would read
 * them); as long as the test needs it (a runner lives as long as its test file; a test bounds each wait on
 * a command's exit itself), its output awaited under {@link EVENT_LIMIT_MS}.
 */
export const programOptions = (env: Readonly<Record<string, string>>): TestProcess.NodeOptions => ({
  env,
  unset: ["PORT", "HOST"],
  nodeArgs: ["--conditions=@tensoras/source"],
  lifetimeMs: Number.POSITIVE_INFINITY,
  limitMs: EVENT_LIMIT_MS
})

/** What a runner's `--json` stdout reports per polling round of a knowledge base (core's RoundReport). */
export interface Round {
  readonly knowledgeBaseId: string
  readonly at: number
  readonly mode: "get" | "sweep"
  readonly requests: number
  readonly retries?: number
  readonly watchedJobs: number
  readonly dueJobs?: number
  readonly followUpGets?: number
  readonly activeQueued?: number | undefined
  readonly activeProcessing?: number | undefined
}

/** A `tensoras-cluster runner --json` process, and what it reported so far. */
export interface RunnerProcess extends TestProcess.Spawned {
  /** Its name in the test's reports (`r1`, `runner-2`). */
  readonly name: string
  readonly port: number
  /** `host:port`, as the runner names itself (in the cluster, and in the store's `ended_by`). */
  readonly address: string
  /** Resolves when the runner printed `ready`; rejects if it exited first. */
  readonly ready: Promise<void>
  readonly rounds: Array<Round & { readonly runner: string }>
  /** How many shards it last said it holds (its `shards` events); undefined before the first. */
  readonly shards: () => number | undefined
  /** What it printed on stdout besides its NDJSON events (Effect's log lines go there): the last 8 KiB. */
  readonly logs: () => string
}

export interface RunnerOptions {
  readonly name: string
  readonly databaseUrl: string
  readonly baseUrl: string
  readonly apiKey: string
  readonly port: number
  readonly pollInterval?: string
}

type RunnerEvent = { readonly event: string; readonly held?: number } & Round

const isReady = (line: string): boolean =>
  line.startsWith("{") && (JSON.parse(line) as RunnerEvent).event === "ready"

export const startRunner = (options: RunnerOptions): RunnerProcess => {
  const spawned = command(
    [
      "runner",
      "--json",
      "--port",
      String(options.port),
      "--base-url",
      options.baseUrl,
      ...(options.pollInterval === undefined ? [] : ["--poll-interval", options.pollInterval])
    ],
    {
      ...programOptions({ TENSORAS_DATABASE_URL: options.databaseUrl, TENSORAS_API_KEY: options.apiKey }),
      name: options.name
    }
  )
  const rounds: Array<Round & { readonly runner: string }> = []
  let logs = ""
  let shards: number | undefined
  // Subscribed before the first chunk can arrive: no event is missed.
  spawned.onLine((line) => {
    if (!line.startsWith("{")) {
      logs = `${logs}${line}\n`.slice(-8_192)
      return
    }
    const event = JSON.parse(line) as RunnerEvent
    if (event.event === "round") rounds.push({ ...event, runner: options.name })
    else if (event.event === "shards") shards = event.held
  })
  return {
    ...spawned,
    name: options.name,
    port: options.port,
    address: `${RUNNER_HOST}:${options.port}`,
    ready: spawned.line(isReady).then(() => undefined),
    rounds,
    shards: () => shards,
    logs: () => logs
  }
}

/**
 * Ends every process started here (and by the testkit's `TestProcess`) that still runs: SIGTERM, so that a
 * runner hands its shards off and its finalizers run, then SIGKILL after `graceMs`.
 */
export const stopAll = (graceMs = 20_000): Promise<void> =>
  TestProcess.stopAll({ signal: "SIGTERM", graceMs })

/** Starts `tensoras-cluster wait …` with `env` (`TENSORAS_DATABASE_URL`). */
export const startWait = (
  args: ReadonlyArray<string>,
  env: Readonly<Record<string, string>>
): TestProcess.Spawned => command(["wait", ...args], programOptions(env))

/** Runs `tensoras-cluster wait …` to its end. */
export const runWait = (
  args: ReadonlyArray<string>,
  env: Readonly<Record<string, string>>
): Promise<TestProcess.Exit> => startWait(args, env).exited

/** A port below 32768 for a runner, different for each call of one process. */
let nextPort = 23_000 + Math.floor(Math.random() * 8_000)
export const runnerPort = (): number => {
  nextPort += 1 + Math.floor(Math.random() * 7)
  if (nextPort > 32_000) nextPort = 23_000
  return nextPort
}

/**
 * Whether every runner holds the shards the cluster assigns it, as its `shards` events tell: the
 * assignment `effect/cluster` computes from the runners (a hash ring of their addresses, weight 1, 300
 * shards). Until then shards move, and a message sent to a moving shard may wait minutes to be read again
 * (SqlMessageStorage): tests send their workflows once it holds.
 */
export const shardsSettled = (runners: ReadonlyArray<RunnerProcess>): boolean => {
  const { shardsPerGroup, runnerShardWeight } = ShardingConfig.defaults
  const ring = HashRing.make<RunnerAddress.RunnerAddress>()
  for (const runner of runners)
    HashRing.add(ring, RunnerAddress.make(RUNNER_HOST, runner.port), { weight: runnerShardWeight })
  const assigned = HashRing.getShards(ring, shardsPerGroup) ?? []
  return runners.every(
    (runner) => runner.shards() === assigned.filter((address) => address.port === runner.port).length
  )
}

/** The shard of an entity (or singleton) id, as `effect/cluster` computes it (shard group `default`). */
export const shardOf = (id: string): number =>
  Math.abs(Hash.string(id) % ShardingConfig.defaults.shardsPerGroup) + 1

/** The runner that holds the shard of `id` once the shards settled on `runners` (the cluster's hash ring). */
export const holderOf = (runners: ReadonlyArray<RunnerProcess>, id: string): RunnerProcess => {
  const ring = HashRing.make<RunnerAddress.RunnerAddress>()
  for (const runner of runners)
    HashRing.add(ring, RunnerAddress.make(RUNNER_HOST, runner.port), {
      weight: ShardingConfig.defaults.runnerShardWeight
    })
  const address = (HashRing.getShards(ring, ShardingConfig.defaults.shardsPerGroup) ?? [])[shardOf(id) - 1]
  const holder = runners.find((runner) => runner.port === address?.port)
  if (holder === undefined) throw new Error(`no runner holds the shard of ${id}`)
  return holder
}

/** The name of `effect/cluster`'s runner health singleton: its holder checks the other runners' health. */
export const HEALTH_SINGLETON = "effect/cluster/Sharding/RunnerHealth"
