/**
 * The failover scenario shared by `pnpm bench:cluster` and `npm run demo:cluster`: a simulator with jobs in
 * several knowledge bases, 3 runner processes, the waits registered (`registration.ts`: by a `tensoras-cluster
 * wait` per knowledge base, in batches; or through the API, mostly 100 per WaitForIngestionJobs workflow, some a
 * workflow each), the jobs ending over a spread, one runner killed with `kill -9` half-way, and the figures
 * (`figures.ts`): registration time, requests per round against core's bound, detection latency, failover time,
 * deliveries, and each outcome printed once.
 */

import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { IngestionCluster, WaitStore } from "@tensoras/ingestion-cluster"
import { Eventually, NodeSimulator } from "@tensoras/ingestion-testkit"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as SqlClient from "effect/sql/SqlClient"
import { EVENTS } from "./eventLimit.js"
import { type EndedRow, figuresOf, type Latencies, quantile } from "./figures.js"
import {
  type Round,
  type RunnerProcess,
  runnerPort,
  shardsSettled,
  startRunner,
  stopAll
} from "./processes.js"
import { type Registered, type Registration, register } from "./registration.js"
import { endsAt, planJobs, roundBound, startEnding } from "./world.js"

export interface ScenarioOptions {
  readonly databaseUrl: string
  readonly knowledgeBases: number
  readonly jobsPerKnowledgeBase: number
  /**
   * `commands`: a `tensoras-cluster wait` per knowledge base registers its jobs (in batches) and prints them;
   * `workflows` (default): through the API, `singleWaits` as a workflow each, the others 100 per workflow.
   */
  readonly registration?: Registration | undefined
  /** `workflows`: the waits registered as a workflow each (the others: 100 per workflow). */
  readonly singleWaits: number
  /** The runners' poll interval, e.g. `2s`. */
  readonly pollInterval: string
  readonly pollIntervalMs: number
  /** The jobs end evenly over this long, from a few seconds after every wait is registered. */
  readonly spreadMs: number
  /** Called about every second with what happened so far. */
  readonly onProgress?: (progress: Progress) => void
}

export interface Progress {
  readonly phase: "runners" | "registering" | "waiting" | "done"
  readonly seconds: number
  readonly waits: number
  readonly registered: number
  readonly ended: number
  readonly deliveries: number
  readonly batches: number
  readonly runnersAlive: number
  /** Per knowledge base, the latest round: its requests, the bound, its mode and the runner that polled. */
  readonly latestRounds: ReadonlyArray<Round & { readonly runner: string; readonly bound: number }>
  readonly killed: { readonly runner: string; readonly knowledgeBases: ReadonlyArray<string> } | undefined
  readonly failoverMs: number | undefined
}

export interface Summary {
  readonly registration: Registration
  readonly waits: number
  readonly singleWaits: number
  /** The WaitForIngestionJobs workflows: of 100 (`workflows`), or the commands' batches (`commands`). */
  readonly batchWorkflows: number
  readonly runnersReadyMs: number
  /** From the first registration sent (`commands`: the commands spawned) to every wait in PostgreSQL. */
  readonly registerMs: number
  /** `workflows`: until every single-wait workflow was registered; `commands`: until the first start was sent. */
  readonly singleRegisterMs: number
  /** The cluster's part of `registerMs`: from the first workflow start sent to every wait in PostgreSQL. */
  readonly clusterRegisterMs: number
  /** `commands`: per batch, from its workflow's start sent to its registration. */
  readonly batchRegisterMs: { readonly median: number; readonly max: number }
  readonly outcomes: Readonly<Record<string, number>>
  readonly rounds: number
  readonly roundsOverBound: number
  /** The first few rounds over core's bound, as their runners reported them. */
  readonly overBound: ReadonlyArray<Round & { readonly runner: string; readonly bound: number }>
  readonly requestsPerRound: { readonly median: number; readonly max: number }
  readonly boundPerRound: { readonly median: number; readonly max: number }
  readonly requestsTotal: number
  readonly detection: Latencies
  readonly detectionInFailover: { readonly samples: number; readonly maxMs: number }
  /**
   * From an outcome stored (`ended_at`) to its line printed by the `tensoras-cluster wait --json` commands (a
   * command per knowledge base: of every job with `commands`, of the single waits with `workflows`).
   */
  readonly toCaller: Latencies & { readonly exitCodes: ReadonlyArray<number | string> }
  /** Of the jobs the commands waited for: printed once, more than once, never. */
  readonly printed: { readonly once: number; readonly twice: number; readonly never: number }
  readonly killed: { readonly runner: string; readonly knowledgeBases: number } | undefined
  readonly failoverMs: { readonly min: number; readonly max: number } | undefined
  readonly batches: number
  readonly deliveries: number
  readonly duplicates: number
  readonly totalMs: number
}

const API_KEY = "tns_cluster_scenario_loopback_only"

type StoreStats = WaitStore.DeliveryStats

/** What the scenario runs on, and what it has done so far (read by the progress reports). */
interface World {
  readonly t0: number
  readonly options: ScenarioOptions
  readonly sim: NodeSimulator.RunningSimulator
  readonly runners: Array<RunnerProcess>
  readonly runtime: ManagedRuntime.ManagedRuntime<IngestionCluster.Services | WaitStore.WaitStore, unknown>
  readonly folder: string
  readonly stats: () => Promise<StoreStats>
  phase: Progress["phase"]
  killed: Kill | undefined
  failoverMs: number | undefined
  lastStats: StoreStats | undefined
}

/** The runner killed half-way, and its knowledge bases (those it polled last). */
interface Kill {
  readonly victim: RunnerProcess
  readonly at: number
  readonly knowledgeBases: ReadonlyArray<string>
}

const allRounds = (world: World) => world.runners.flatMap((runner) => runner.rounds)

/** Per knowledge base, its latest round (on whichever runner), with core's bound. */
const latestRounds = (world: World) => {
  const latest = new Map<string, Round & { readonly runner: string }>()
  for (const round of allRounds(world)) {
    const current = latest.get(round.knowledgeBaseId)
    if (current === undefined || current.at <= round.at) latest.set(round.knowledgeBaseId, round)
  }
  return Array.from(latest.values())
    .sort((a, b) => a.knowledgeBaseId.localeCompare(b.knowledgeBaseId))
    .map((round) => ({ ...round, bound: roundBound(round) }))
}

/** Reports the progress every second (what the store held at the last look). */
const progressReports = (world: World): ReturnType<typeof setInterval> =>
  setInterval(() => {
    void world.stats().then(
      (now) => {
        world.lastStats = now
      },
      () => undefined
    )
    const { options, lastStats, killed } = world
    options.onProgress?.({
      phase: world.phase,
      seconds: (Date.now() - world.t0) / 1000,
      waits: options.knowledgeBases * options.jobsPerKnowledgeBase,
      registered: lastStats?.waits ?? 0,
      ended: lastStats?.endedWaits ?? 0,
      deliveries: lastStats?.deliveries ?? 0,
      batches: lastStats?.batches ?? 0,
      runnersAlive: world.runners.filter(
        (runner) => runner.child.exitCode === null && runner.child.signalCode === null
      ).length,
      latestRounds: latestRounds(world),
      killed: killed && { runner: killed.victim.name, knowledgeBases: killed.knowledgeBases },
      failoverMs: world.failoverMs
    })
  }, 1_000)

/** 3 runners, ready, the shards settled on them. */
const startRunners = async (world: World): Promise<void> => {
  for (let i = 0; i < 3; i++) {
    world.runners.push(
      startRunner({
        name: `runner-${i + 1}`,
        databaseUrl: world.options.databaseUrl,
        baseUrl: world.sim.baseUrl,
        apiKey: API_KEY,
        port: runnerPort(),
        pollInterval: world.options.pollInterval
      })
    )
  }
  const { runners } = world
  await Eventually.within("3 runners ready", Promise.all(runners.map((runner) => runner.ready)), EVENTS)
  await Eventually.until("the shards settled on the 3 runners", () => shardsSettled(runners), EVENTS)
}

/** Half of the waits ended: kill -9 the runner that polled the most knowledge bases last. */
const killHalfWay = async (world: World, waits: number): Promise<Kill> => {
  await Eventually.until(
    "half of the waits ended",
    async () => (await world.stats()).endedWaits >= waits / 2,
    EVENTS
  )
  const hosts = new Map(latestRounds(world).map((round) => [round.knowledgeBaseId, round.runner]))
  const count = (name: string) => Array.from(hosts.values()).filter((runner) => runner === name).length
  const victim = world.runners.reduce((most, runner) =>
    count(runner.name) > count(most.name) ? runner : most
  )
  const knowledgeBases = Array.from(hosts)
    .filter(([, runner]) => runner === victim.name)
    .map(([kb]) => kb)
  const at = Date.now()
  victim.kill("SIGKILL")
  world.killed = { victim, at, knowledgeBases }
  await Eventually.within("the killed runner's exit", victim.exited, EVENTS)
  return world.killed
}

/**
 * Every wait ended and every batch delivered; meanwhile, per knowledge base of the killed runner, the time from
 * the kill to its first round on a survivor.
 */
const awaitEnd = async (world: World, kill: Kill, waits: number) => {
  const survivors = world.runners.filter((runner) => runner !== kill.victim)
  const failovers = new Map<string, number>()
  const final = await Eventually.until(
    "every wait ended and delivered",
    async () => {
      for (const kb of kill.knowledgeBases) {
        if (failovers.has(kb)) continue
        const first = survivors
          .flatMap((runner) => runner.rounds)
          .filter((round) => round.knowledgeBaseId === kb && round.at > kill.at)
          .sort((a, b) => a.at - b.at)[0]
        if (first !== undefined) failovers.set(kb, first.at - kill.at)
      }
      if (failovers.size > 0) world.failoverMs = Math.max(...failovers.values())
      const now = await world.stats()
      return now.endedWaits === waits && now.deliveredBatches === now.batches ? now : undefined
    },
    EVENTS
  )
  return { final, failovers: Array.from(failovers.values()) }
}

/** The rounds of every runner against core's bound. */
const roundFigures = (world: World) => {
  const rounds = allRounds(world)
  const requests = rounds.map((round) => round.requests)
  const bounds = rounds.map((round) => roundBound(round))
  const over = rounds.filter((round) => round.requests > roundBound(round))
  return {
    rounds: rounds.length,
    roundsOverBound: over.length,
    overBound: over.slice(0, 5).map((round) => ({ ...round, bound: roundBound(round) })),
    requestsPerRound: { median: quantile(requests, 0.5), max: Math.max(...requests) },
    boundPerRound: { median: quantile(bounds, 0.5), max: Math.max(...bounds) }
  }
}

/** The summary, from the store's rows once every wait ended. */
const summarize = async (
  world: World,
  run: {
    readonly registration: Registration
    readonly waits: number
    readonly runnersReadyMs: number
    readonly registered: Registered
    readonly endedAt: ReadonlyMap<string, number>
    readonly kill: Kill
    readonly end: Awaited<ReturnType<typeof awaitEnd>>
    readonly exitCodes: ReadonlyArray<number | string>
  }
): Promise<Summary> => {
  const { registered, kill, end } = run
  const rows = await world.runtime.runPromise(
    Effect.flatMap(
      SqlClient.SqlClient,
      (
        sql
      ) => sql<EndedRow>`SELECT knowledge_base_id, job_id, extract(epoch from ended_at) * 1000 AS ended_ms,
        coalesce(outcome->'left'->>'_tag', 'Completed') AS tag FROM tensoras_waits`
    )
  )
  const figures = figuresOf({
    rows,
    endedAt: run.endedAt,
    printedAt: registered.printedAt,
    commanded: registered.commanded,
    killedAt: kill.at,
    victimKnowledgeBases: kill.knowledgeBases,
    lastFailoverAt: kill.at + Math.max(0, ...end.failovers)
  })
  const singleWaits = run.registration === "workflows" ? world.options.singleWaits : 0
  return {
    registration: run.registration,
    waits: run.waits,
    singleWaits,
    batchWorkflows: end.final.batches - singleWaits,
    runnersReadyMs: run.runnersReadyMs,
    registerMs: registered.registerMs,
    singleRegisterMs: registered.firstMs,
    clusterRegisterMs: registered.clusterMs,
    batchRegisterMs: {
      median: quantile(registered.perBatchMs, 0.5),
      max: registered.perBatchMs.length === 0 ? Number.NaN : Math.max(...registered.perBatchMs)
    },
    outcomes: figures.outcomes,
    ...roundFigures(world),
    requestsTotal: world.sim.control.requestCount(),
    detection: figures.detection,
    detectionInFailover: figures.detectionInFailover,
    toCaller: { ...figures.toCaller, exitCodes: run.exitCodes },
    printed: figures.printed,
    killed: { runner: kill.victim.name, knowledgeBases: kill.knowledgeBases.length },
    failoverMs:
      end.failovers.length === 0
        ? undefined
        : { min: Math.min(...end.failovers), max: Math.max(...end.failovers) },
    batches: end.final.batches,
    deliveries: end.final.deliveries,
    duplicates: end.final.duplicates,
    totalMs: Date.now() - world.t0
  }
}

export const runScenario = async (options: ScenarioOptions): Promise<Summary> => {
  const runtime = ManagedRuntime.make(
    WaitStore.layer.pipe(Layer.provideMerge(IngestionCluster.client({ databaseUrl: options.databaseUrl })))
  )
  const world: World = {
    t0: Date.now(),
    options,
    sim: await NodeSimulator.start({ scenario: "empty", clock: "real", apiKey: API_KEY, host: "127.0.0.1" }),
    runners: [],
    runtime,
    folder: await mkdtemp(join(tmpdir(), "tensoras-scenario-")),
    stats: () => runtime.runPromise(Effect.flatMap(WaitStore.WaitStore, (store) => store.stats)),
    phase: "runners",
    killed: undefined,
    failoverMs: undefined,
    lastStats: undefined
  }
  const registration = options.registration ?? "workflows"
  const ticker = progressReports(world)
  try {
    await startRunners(world)
    const runnersReadyMs = Date.now() - world.t0

    world.phase = "registering"
    const plan = {
      prefix: "kb",
      knowledgeBases: options.knowledgeBases,
      jobsPerKnowledgeBase: options.jobsPerKnowledgeBase,
      firstEndMs: 3_600_000,
      lastEndMs: 3_600_000 + options.spreadMs,
      failEvery: 17
    }
    const createdAt = Date.now()
    const jobs = planJobs(world.sim, plan)
    const registered = await register(registration, {
      runtime,
      databaseUrl: options.databaseUrl,
      folder: world.folder,
      jobs,
      singleWaits: options.singleWaits,
      registeredWaits: async () => (await world.stats()).waits
    })

    world.phase = "waiting"
    startEnding(world.sim, plan, createdAt, 5_000)
    const endedAt = new Map(
      jobs.map((job) => [`${job.knowledgeBaseId}/${job.jobId}`, endsAt(world.sim, job)])
    )
    const kill = await killHalfWay(world, jobs.length)
    const end = await awaitEnd(world, kill, jobs.length)
    const callerExits = await Eventually.within(
      "the callers' exit",
      Promise.all(registered.callers.map((caller) => caller.exited)),
      EVENTS
    )
    world.phase = "done"
    return await summarize(world, {
      registration,
      waits: jobs.length,
      runnersReadyMs,
      registered,
      endedAt,
      kill,
      end,
      exitCodes: callerExits.map((exit) => exit.code ?? exit.signal ?? "none")
    })
  } finally {
    clearInterval(ticker)
    await stopAll()
    await rm(world.folder, { recursive: true, force: true })
    await runtime.dispose()
    await world.sim.close()
  }
}
