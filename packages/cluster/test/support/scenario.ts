/**
 * The failover scenario shared by `pnpm bench:cluster` and `npm run demo:cluster`: a simulator with jobs in
 * several knowledge bases, 3 runner processes, the waits registered (mostly 100 per WaitForIngestionJobs
 * workflow, some a workflow each), the jobs ending over a spread, one runner killed with `kill -9` half-way,
 * and the figures: registration time, requests per round against core's bound, detection latency, failover
 * time, deliveries.
 */

import { mkdtemp, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import {
  IngestionCluster,
  WaitForIngestionJob,
  WaitForIngestionJobs,
  WaitStore
} from "@tensoras/ingestion-cluster"
import { Eventually, NodeSimulator, type TestProcess } from "@tensoras/ingestion-testkit"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as SqlClient from "effect/sql/SqlClient"
import { EVENTS } from "./eventLimit.js"
import {
  type Round,
  type RunnerProcess,
  runnerPort,
  shardsSettled,
  startRunner,
  startWait,
  stopAll
} from "./processes.js"
import { endsAt, type PlannedJob, planJobs, roundBound, startEnding } from "./world.js"

export interface ScenarioOptions {
  readonly databaseUrl: string
  readonly knowledgeBases: number
  readonly jobsPerKnowledgeBase: number
  /** Waits registered as a workflow each (the others: 100 per workflow). */
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
  readonly waits: number
  readonly singleWaits: number
  readonly batchWorkflows: number
  readonly runnersReadyMs: number
  readonly registerMs: number
  readonly singleRegisterMs: number
  readonly outcomes: Readonly<Record<string, number>>
  readonly rounds: number
  readonly roundsOverBound: number
  /** The first few rounds over core's bound, as their runners reported them. */
  readonly overBound: ReadonlyArray<Round & { readonly runner: string; readonly bound: number }>
  readonly requestsPerRound: { readonly median: number; readonly max: number }
  readonly boundPerRound: { readonly median: number; readonly max: number }
  readonly requestsTotal: number
  readonly detection: {
    readonly samples: number
    readonly medianMs: number
    readonly p95Ms: number
    readonly maxMs: number
  }
  readonly detectionInFailover: { readonly samples: number; readonly maxMs: number }
  /**
   * From an outcome stored (`ended_at`) to its line printed by a `tensoras-cluster wait --json` command that waits
   * for the single-wait jobs (a command per knowledge base, started once they are registered).
   */
  readonly toCaller: {
    readonly samples: number
    readonly medianMs: number
    readonly p95Ms: number
    readonly maxMs: number
    readonly exitCodes: ReadonlyArray<number | string>
  }
  readonly killed: { readonly runner: string; readonly knowledgeBases: number } | undefined
  readonly failoverMs: { readonly min: number; readonly max: number } | undefined
  readonly batches: number
  readonly deliveries: number
  readonly duplicates: number
  readonly totalMs: number
}

const API_KEY = "tns_cluster_scenario_loopback_only"

const quantile = (values: ReadonlyArray<number>, q: number): number => {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!
}

export const runScenario = async (options: ScenarioOptions): Promise<Summary> => {
  const t0 = Date.now()
  const sim = await NodeSimulator.start({
    scenario: "empty",
    clock: "real",
    apiKey: API_KEY,
    host: "127.0.0.1"
  })
  const runners: Array<RunnerProcess> = []
  const runtime = ManagedRuntime.make(
    WaitStore.layer.pipe(Layer.provideMerge(IngestionCluster.client({ databaseUrl: options.databaseUrl })))
  )
  const folder = await mkdtemp(join(tmpdir(), "tensoras-scenario-"))
  const callers: Array<TestProcess.Spawned> = []
  let phase: Progress["phase"] = "runners"
  let killed: { runner: RunnerProcess; at: number; knowledgeBases: ReadonlyArray<string> } | undefined
  let failoverMs: number | undefined
  let lastStats = { waits: 0, endedWaits: 0, deliveries: 0, batches: 0 }
  const stats = () => runtime.runPromise(Effect.flatMap(WaitStore.WaitStore, (store) => store.stats))
  const allRounds = () => runners.flatMap((runner) => runner.rounds)
  const latestRounds = () => {
    const latest = new Map<string, Round & { readonly runner: string }>()
    for (const round of allRounds()) {
      const current = latest.get(round.knowledgeBaseId)
      if (current === undefined || current.at <= round.at) latest.set(round.knowledgeBaseId, round)
    }
    return Array.from(latest.values())
      .sort((a, b) => a.knowledgeBaseId.localeCompare(b.knowledgeBaseId))
      .map((round) => ({ ...round, bound: roundBound(round) }))
  }
  const report = options.onProgress
  const ticker = setInterval(() => {
    void stats().then(
      (now) => {
        lastStats = now
      },
      () => undefined
    )
    report?.({
      phase,
      seconds: (Date.now() - t0) / 1000,
      waits: options.knowledgeBases * options.jobsPerKnowledgeBase,
      registered: lastStats.waits,
      ended: lastStats.endedWaits,
      deliveries: lastStats.deliveries,
      batches: lastStats.batches,
      runnersAlive: runners.filter(
        (runner) => runner.child.exitCode === null && runner.child.signalCode === null
      ).length,
      latestRounds: latestRounds(),
      killed: killed && { runner: killed.runner.name, knowledgeBases: killed.knowledgeBases },
      failoverMs
    })
  }, 1_000)

  try {
    for (let i = 0; i < 3; i++) {
      runners.push(
        startRunner({
          name: `runner-${i + 1}`,
          databaseUrl: options.databaseUrl,
          baseUrl: sim.baseUrl,
          apiKey: API_KEY,
          port: runnerPort(),
          pollInterval: options.pollInterval
        })
      )
    }
    await Eventually.within("3 runners ready", Promise.all(runners.map((runner) => runner.ready)), EVENTS)
    await Eventually.until("the shards settled on the 3 runners", () => shardsSettled(runners), EVENTS)
    const runnersReadyMs = Date.now() - t0

    phase = "registering"
    const plan = {
      prefix: "kb",
      knowledgeBases: options.knowledgeBases,
      jobsPerKnowledgeBase: options.jobsPerKnowledgeBase,
      firstEndMs: 3_600_000,
      lastEndMs: 3_600_000 + options.spreadMs,
      failEvery: 17
    }
    const createdAt = Date.now()
    const jobs = planJobs(sim, plan)
    const singles = jobs.slice(jobs.length - options.singleWaits)
    const rest = jobs.slice(0, jobs.length - options.singleWaits)
    const batches: Array<ReadonlyArray<PlannedJob>> = []
    for (const kb of new Set(rest.map((job) => job.knowledgeBaseId))) {
      const ofKb = rest.filter((job) => job.knowledgeBaseId === kb)
      for (let i = 0; i < ofKb.length; i += 100) batches.push(ofKb.slice(i, i + 100))
    }
    const registerStart = Date.now()
    let singleRegisterMs = 0
    await runtime.runPromise(
      Effect.all(
        [
          Effect.forEach(
            batches,
            (batch) =>
              WaitForIngestionJobs.WaitForIngestionJobs.execute(
                { knowledgeBaseId: batch[0]!.knowledgeBaseId, jobIds: batch.map((job) => job.jobId) },
                { discard: true }
              ),
            { concurrency: 4, discard: true }
          ),
          Effect.forEach(
            singles,
            (job) =>
              WaitForIngestionJob.WaitForIngestionJob.execute(
                { knowledgeBaseId: job.knowledgeBaseId, jobId: job.jobId },
                { discard: true }
              ),
            { concurrency: 16, discard: true }
          )
        ],
        { concurrency: 2, discard: true }
      )
    )
    const singleRows = () =>
      runtime.runPromise(
        Effect.flatMap(
          SqlClient.SqlClient,
          (sql) => sql<{ n: string }>`SELECT count(*) AS n FROM tensoras_wait_batches b
            WHERE (SELECT count(*) FROM tensoras_waits w WHERE w.batch_id = b.batch_id) = 1`
        )
      )
    await Eventually.until(
      "every wait registered",
      async () => {
        if (singleRegisterMs === 0 && Number((await singleRows())[0]?.n) >= singles.length) {
          singleRegisterMs = Date.now() - registerStart
        }
        return (await stats()).waits === jobs.length
      },
      EVENTS
    )
    const registerMs = Date.now() - registerStart
    if (singleRegisterMs === 0) singleRegisterMs = registerMs

    // The callers: a `tensoras-cluster wait` per knowledge base of the single waits (it joins their workflows),
    // each line timed as it arrives.
    const printedAt = new Map<string, number>()
    for (const kb of new Set(singles.map((job) => job.knowledgeBaseId))) {
      const file = join(folder, `${kb}.txt`)
      await writeFile(
        file,
        singles
          .filter((job) => job.knowledgeBaseId === kb)
          .map((job) => job.jobId)
          .join("\n")
      )
      const caller = startWait([kb, "--jobs-file", file, "--json", "--timeout", "30m"], {
        TENSORAS_DATABASE_URL: options.databaseUrl
      })
      caller.onLine((line) => {
        if (line.startsWith("{"))
          printedAt.set(`${kb}/${(JSON.parse(line) as { job_id: string }).job_id}`, Date.now())
      })
      callers.push(caller)
    }

    phase = "waiting"
    startEnding(sim, plan, createdAt, 5_000)
    const endedAt = new Map(jobs.map((job) => [`${job.knowledgeBaseId}/${job.jobId}`, endsAt(sim, job)]))

    await Eventually.until(
      "half of the waits ended",
      async () => (await stats()).endedWaits >= jobs.length / 2,
      EVENTS
    )
    const hosts = new Map(latestRounds().map((round) => [round.knowledgeBaseId, round.runner]))
    const count = (name: string) => Array.from(hosts.values()).filter((runner) => runner === name).length
    const victim = runners.reduce((most, runner) => (count(runner.name) > count(most.name) ? runner : most))
    const victimKnowledgeBases = Array.from(hosts)
      .filter(([, runner]) => runner === victim.name)
      .map(([kb]) => kb)
    const killedAt = Date.now()
    victim.kill("SIGKILL")
    killed = { runner: victim, at: killedAt, knowledgeBases: victimKnowledgeBases }
    await Eventually.within("the killed runner's exit", victim.exited, EVENTS)
    const survivors = runners.filter((runner) => runner !== victim)
    const failovers = new Map<string, number>()
    const final = await Eventually.until(
      "every wait ended and delivered",
      async () => {
        for (const kb of victimKnowledgeBases) {
          if (failovers.has(kb)) continue
          const first = survivors
            .flatMap((runner) => runner.rounds)
            .filter((round) => round.knowledgeBaseId === kb && round.at > killedAt)
            .sort((a, b) => a.at - b.at)[0]
          if (first !== undefined) failovers.set(kb, first.at - killedAt)
        }
        if (failovers.size > 0) failoverMs = Math.max(...failovers.values())
        const now = await stats()
        return now.endedWaits === jobs.length && now.deliveredBatches === now.batches ? now : undefined
      },
      EVENTS
    )
    const callerExits = await Eventually.within(
      "the callers' exit",
      Promise.all(callers.map((caller) => caller.exited)),
      EVENTS
    )
    phase = "done"

    const rows = await runtime.runPromise(
      Effect.flatMap(
        SqlClient.SqlClient,
        (sql) => sql<{
          knowledge_base_id: string
          job_id: string
          ended_ms: number
          tag: string
        }>`SELECT knowledge_base_id, job_id, extract(epoch from ended_at) * 1000 AS ended_ms,
            coalesce(outcome->'left'->>'_tag', 'Completed') AS tag FROM tensoras_waits`
      )
    )
    const outcomes: Record<string, number> = {}
    const toCaller: Array<number> = []
    const latencies: Array<number> = []
    const failoverLatencies: Array<number> = []
    const lastFailover = killedAt + Math.max(0, ...failovers.values())
    for (const row of rows) {
      outcomes[row.tag] = (outcomes[row.tag] ?? 0) + 1
      const printed = printedAt.get(`${row.knowledge_base_id}/${row.job_id}`)
      if (printed !== undefined) toCaller.push(printed - Number(row.ended_ms))
      const ended = endedAt.get(`${row.knowledge_base_id}/${row.job_id}`)
      if (ended === undefined) continue
      const latency = Number(row.ended_ms) - ended
      const inFailover =
        victimKnowledgeBases.includes(row.knowledge_base_id) &&
        ended <= lastFailover &&
        Number(row.ended_ms) >= killedAt
      ;(inFailover ? failoverLatencies : latencies).push(latency)
    }
    const rounds = allRounds()
    const requests = rounds.map((round) => round.requests)
    const bounds = rounds.map((round) => roundBound(round))
    return {
      waits: jobs.length,
      singleWaits: singles.length,
      batchWorkflows: batches.length,
      runnersReadyMs,
      registerMs,
      singleRegisterMs,
      outcomes,
      rounds: rounds.length,
      roundsOverBound: rounds.filter((round) => round.requests > roundBound(round)).length,
      overBound: rounds
        .filter((round) => round.requests > roundBound(round))
        .slice(0, 5)
        .map((round) => ({ ...round, bound: roundBound(round) })),
      requestsPerRound: { median: quantile(requests, 0.5), max: Math.max(...requests) },
      boundPerRound: { median: quantile(bounds, 0.5), max: Math.max(...bounds) },
      requestsTotal: sim.control.requestCount(),
      detection: {
        samples: latencies.length,
        medianMs: quantile(latencies, 0.5),
        p95Ms: quantile(latencies, 0.95),
        maxMs: Math.max(...latencies)
      },
      detectionInFailover: { samples: failoverLatencies.length, maxMs: Math.max(0, ...failoverLatencies) },
      toCaller: {
        samples: toCaller.length,
        medianMs: quantile(toCaller, 0.5),
        p95Ms: quantile(toCaller, 0.95),
        maxMs: Math.max(...toCaller),
        exitCodes: callerExits.map((exit) => exit.code ?? exit.signal ?? "none")
      },
      killed: { runner: victim.name, knowledgeBases: victimKnowledgeBases.length },
      failoverMs:
        failovers.size === 0
          ? undefined
          : { min: Math.min(...failovers.values()), max: Math.max(...failovers.values()) },
      batches: final.batches,
      deliveries: final.deliveries,
      duplicates: final.duplicates,
      totalMs: Date.now() - t0
    }
  } finally {
    clearInterval(ticker)
    await stopAll()
    await rm(folder, { recursive: true, force: true })
    await runtime.dispose()
    await sim.close()
  }
}
