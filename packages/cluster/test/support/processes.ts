/**
 * Real `tensoras-cluster` processes for the tests, the benchmark and the demo: runners that report `ready`
 * and their polling rounds as NDJSON, and `wait` commands. Every process started here is tracked, and
 * `stopAll` ends the ones still running (SIGTERM, then SIGKILL) and waits for their exit.
 */

import { type ChildProcess, spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import * as RunnerAddress from "effect/cluster/RunnerAddress"
import * as ShardingConfig from "effect/cluster/ShardingConfig"
import * as Hash from "effect/Hash"
import * as HashRing from "effect/HashRing"

/** The runners' host: `tensoras-cluster runner`'s default `--host`, which the runners started here keep. */
const RUNNER_HOST = "127.0.0.1"

/** The command from source, through tsx: no build needed. `dist/bin.js` is the same module compiled. */
export const BIN = fileURLToPath(new URL("../../src/bin.ts", import.meta.url))
const NODE_ARGS = ["--conditions=@tensoras/source", "--import", "tsx"]

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

export interface RunnerProcess {
  readonly name: string
  readonly port: number
  /** `host:port`, as the runner names itself (in the cluster, and in the store's `ended_by`). */
  readonly address: string
  readonly child: ChildProcess
  /** Resolves when the runner printed `ready`; rejects if it exited first. */
  readonly ready: Promise<void>
  /** Resolves with the exit code (or the signal) once the process has exited. */
  readonly exited: Promise<number | NodeJS.Signals>
  readonly rounds: Array<Round & { readonly runner: string }>
  /** How many shards it last said it holds (its `shards` events); undefined before the first. */
  readonly shards: () => number | undefined
  readonly stderr: () => string
  /** What it printed on stdout besides its NDJSON events (Effect's log lines go there): the last 8 KiB. */
  readonly logs: () => string
}

const cleanEnv = (extra: Record<string, string>): Record<string, string> => {
  const env: Record<string, string> = {}
  for (const [name, value] of Object.entries(process.env)) {
    // A generic PORT or HOST must not reach the cluster's configuration; TENSORAS_* comes from `extra`.
    if (value === undefined || name.startsWith("TENSORAS_") || name === "PORT" || name === "HOST") continue
    env[name] = value
  }
  return { ...env, ...extra }
}

const children = new Set<ChildProcess>()

const exitOf = (child: ChildProcess): Promise<number | NodeJS.Signals> =>
  new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve(child.exitCode ?? (child.signalCode as NodeJS.Signals))
      return
    }
    child.once("exit", (code, signal) => resolve(code ?? (signal as NodeJS.Signals)))
  })

export interface RunnerOptions {
  readonly name: string
  readonly databaseUrl: string
  readonly baseUrl: string
  readonly apiKey: string
  readonly port: number
  readonly pollInterval?: string
}

export const startRunner = (options: RunnerOptions): RunnerProcess => {
  const child = spawn(
    process.execPath,
    [
      ...NODE_ARGS,
      BIN,
      "runner",
      "--json",
      "--port",
      String(options.port),
      "--base-url",
      options.baseUrl,
      ...(options.pollInterval === undefined ? [] : ["--poll-interval", options.pollInterval])
    ],
    {
      env: cleanEnv({ TENSORAS_DATABASE_URL: options.databaseUrl, TENSORAS_API_KEY: options.apiKey }),
      stdio: ["ignore", "pipe", "pipe"]
    }
  )
  children.add(child)
  const exited = exitOf(child)
  void exited.then(() => children.delete(child))
  const rounds: Array<Round & { readonly runner: string }> = []
  let stderr = ""
  let logs = ""
  let shards: number | undefined
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk
  })
  const ready = new Promise<void>((resolve, reject) => {
    let buffer = ""
    child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      buffer += chunk
      let newline = buffer.indexOf("\n")
      while (newline >= 0) {
        const line = buffer.slice(0, newline)
        buffer = buffer.slice(newline + 1)
        newline = buffer.indexOf("\n")
        if (!line.startsWith("{")) {
          logs = `${logs}${line}\n`.slice(-8_192)
          continue
        }
        const event = JSON.parse(line) as { readonly event: string; readonly held?: number } & Round
        if (event.event === "ready") resolve()
        else if (event.event === "round") rounds.push({ ...event, runner: options.name })
        else if (event.event === "shards") shards = event.held
      }
    })
    void exited.then((code) =>
      reject(new Error(`runner ${options.name} exited (${code}) before ready:\n${stderr}`))
    )
  })
  return {
    name: options.name,
    port: options.port,
    address: `${RUNNER_HOST}:${options.port}`,
    child,
    ready,
    exited,
    rounds,
    shards: () => shards,
    stderr: () => stderr,
    logs: () => logs
  }
}

/** Ends every process started here that still runs: SIGTERM, then SIGKILL after `graceMs`. */
export const stopAll = async (graceMs = 20_000): Promise<void> => {
  await Promise.all(
    Array.from(children, async (child) => {
      const exited = exitOf(child)
      child.kill("SIGTERM")
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs)
      await exited
      clearTimeout(timer)
    })
  )
}

export interface WaitRun {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/** Runs `tensoras-cluster wait …` to its end. */
export const runWait = async (args: ReadonlyArray<string>, env: Record<string, string>): Promise<WaitRun> => {
  const run = spawnProgram(BIN, ["wait", ...args], env)
  const code = await run.exited
  return { code: typeof code === "number" ? code : null, stdout: run.stdout(), stderr: run.stderr() }
}

/** A port below 32768 for a runner, different for each call of one process. */
let nextPort = 23_000 + Math.floor(Math.random() * 8_000)
export const runnerPort = (): number => {
  nextPort += 1 + Math.floor(Math.random() * 7)
  if (nextPort > 32_000) nextPort = 23_000
  return nextPort
}

export interface Spawned {
  readonly child: ChildProcess
  readonly exited: Promise<number | NodeJS.Signals>
  readonly stdout: () => string
  readonly stderr: () => string
  /** Resolves once stdout contains `text`; rejects if the process exited first. */
  readonly printed: (text: string) => Promise<void>
}

/** Runs a TypeScript program of the repository (from source, through tsx) as a tracked process. */
export const spawnProgram = (
  file: string,
  args: ReadonlyArray<string>,
  env: Record<string, string>
): Spawned => {
  const child = spawn(process.execPath, [...NODE_ARGS, file, ...args], {
    env: cleanEnv(env),
    stdio: ["ignore", "pipe", "pipe"]
  })
  children.add(child)
  const exited = exitOf(child)
  void exited.then(() => children.delete(child))
  let stdout = ""
  let stderr = ""
  const listeners = new Set<() => void>()
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk
    for (const listener of listeners) listener()
  })
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk
  })
  const printed = (text: string) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (!stdout.includes(text)) return
        listeners.delete(check)
        resolve()
      }
      listeners.add(check)
      check()
      void exited.then((code) =>
        reject(new Error(`${file} exited (${code}) before printing '${text}':\n${stderr}`))
      )
    })
  return { child, exited, stdout: () => stdout, stderr: () => stderr, printed }
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
