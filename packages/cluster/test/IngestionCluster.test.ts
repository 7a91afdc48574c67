import {
  IngestionCluster,
  WaitForIngestionJob,
  WaitForIngestionJobs,
  WaitStore
} from "@tensoras/ingestion-cluster"
import { Eventually, NodeSimulator } from "@tensoras/ingestion-testkit"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Result from "effect/Result"
import * as SqlClient from "effect/sql/SqlClient"
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest"
import { EVENTS } from "./support/eventLimit.js"
import { createDatabase } from "./support/postgres.js"
import { type RunnerProcess, runnerPort, shardsSettled, startRunner, stopAll } from "./support/processes.js"
import { type Expected, type PlannedJob, planJobs, roundBound, startEnding } from "./support/world.js"

const API_KEY = "tns_cluster_test_loopback_only"
const KNOWLEDGE_BASES = 5
const JOBS_PER_KNOWLEDGE_BASE = 400
const RUNNERS = 3
/** Waits on jobs planned to run past it end with `WaitTimeout`. */
const SHORT_TIMEOUT = Duration.seconds(20)
/**
 * Jobs end over half a minute, starting a few seconds after every wait is registered: some 70 outcomes a second,
 * and after the kill, half-way, some 15 s of them for the survivors (the failover takes about 5).
 */
const PLAN = {
  knowledgeBases: KNOWLEDGE_BASES,
  jobsPerKnowledgeBase: JOBS_PER_KNOWLEDGE_BASE,
  firstEndMs: 3_600_000,
  lastEndMs: 3_630_000,
  failEvery: 17,
  missingEvery: 97,
  timeoutEvery: 89
}
/** Of the 2,000 waits, these many are a workflow each (WaitForIngestionJob); the others come 100 per workflow. */
const SINGLE_WAITS = 100

const tagOf = (expected: Expected): string | undefined =>
  expected === "failed"
    ? "IngestionJobFailed"
    : expected === "missing"
      ? "NotFound"
      : expected === "timeout"
        ? "WaitTimeout"
        : undefined

describe("IngestionCluster: 3 runners, 2,000 waits over 5 knowledge bases, one runner killed with kill -9 half-way", () => {
  let sim: NodeSimulator.RunningSimulator
  let runtime: ManagedRuntime.ManagedRuntime<IngestionCluster.Services | WaitStore.WaitStore, unknown>
  let runners: Array<RunnerProcess>
  let jobs: ReadonlyArray<PlannedJob>
  let createdAt: number

  beforeAll(async () => {
    const databaseUrl = await createDatabase(inject("postgresUrl"), "cluster_scale")
    sim = await NodeSimulator.start({ scenario: "empty", clock: "real", apiKey: API_KEY })
    runners = Array.from({ length: RUNNERS }, (_, index) =>
      startRunner({
        name: `r${index + 1}`,
        databaseUrl,
        baseUrl: sim.baseUrl,
        apiKey: API_KEY,
        port: runnerPort(),
        pollInterval: "1s"
      })
    )
    runtime = ManagedRuntime.make(
      WaitStore.layer.pipe(Layer.provideMerge(IngestionCluster.client({ databaseUrl })))
    )
    await Eventually.within("3 runners ready", Promise.all(runners.map((runner) => runner.ready)), EVENTS)
    await Eventually.until("the shards settled on the 3 runners", () => shardsSettled(runners), EVENTS)
    createdAt = Date.now()
    jobs = planJobs(sim, PLAN)
  })

  afterAll(async () => {
    await stopAll()
    await runtime?.dispose()
    await sim?.close()
  })

  it("ends every wait with its outcome, delivers each once, and polls within core's bound", async () => {
    const timeoutOf = (job: PlannedJob) => (job.expected === "timeout" ? { timeout: SHORT_TIMEOUT } : {})
    // A hundred waits are a workflow each; the others come 100 per WaitForIngestionJobs workflow, per
    // knowledge base (the waits on jobs planned to time out in a workflow of their own, with the short timeout).
    const singles = jobs.slice(jobs.length - SINGLE_WAITS)
    const batches: Array<ReadonlyArray<PlannedJob>> = []
    const rest = jobs.slice(0, jobs.length - SINGLE_WAITS)
    for (const kb of new Set(rest.map((job) => job.knowledgeBaseId))) {
      const ofKb = rest.filter((job) => job.knowledgeBaseId === kb)
      const timingOut = ofKb.filter((job) => job.expected === "timeout")
      const others = ofKb.filter((job) => job.expected !== "timeout")
      for (let i = 0; i < others.length; i += 100) batches.push(others.slice(i, i + 100))
      if (timingOut.length > 0) batches.push(timingOut)
    }
    const batchPayload = (batch: ReadonlyArray<PlannedJob>) => ({
      knowledgeBaseId: batch[0]!.knowledgeBaseId,
      jobIds: batch.map((job) => job.jobId),
      ...(batch[0]!.expected === "timeout" ? { timeout: SHORT_TIMEOUT } : {})
    })

    await runtime.runPromise(
      Effect.all(
        [
          Effect.forEach(
            singles,
            (job) =>
              WaitForIngestionJob.WaitForIngestionJob.execute(
                { knowledgeBaseId: job.knowledgeBaseId, jobId: job.jobId, ...timeoutOf(job) },
                { discard: true }
              ),
            { concurrency: 16, discard: true }
          ),
          Effect.forEach(
            batches,
            (batch) =>
              WaitForIngestionJobs.WaitForIngestionJobs.execute(batchPayload(batch), { discard: true }),
            { concurrency: 4, discard: true }
          )
        ],
        { concurrency: 2, discard: true }
      )
    )

    const stats = () => runtime.runPromise(Effect.flatMap(WaitStore.WaitStore, (store) => store.stats))
    // What a give-up reports: the store's counts, and each runner's exit, rounds, stderr and log lines.
    const state = async () =>
      [
        `store: ${JSON.stringify(await stats())}`,
        ...runners.map(
          (runner) =>
            `${runner.name}: exit ${runner.child.exitCode ?? runner.child.signalCode ?? "none"}, ` +
            `${runner.rounds.length} rounds, stderr: ${runner.stderr().slice(-2_000) || "(empty)"}, ` +
            `logs: ${runner.logs().slice(-2_000) || "(none)"}`
        )
      ].join("\n")

    // Every wait registered in PostgreSQL; then the jobs end, over half a minute.
    await Eventually.until("every wait registered", async () => (await stats()).waits === jobs.length, {
      ...EVENTS,
      describe: state
    })
    startEnding(sim, PLAN, createdAt, 5_000)

    // Half-way: kill -9 the runner that hosts the most knowledge bases (the last to report a round for each).
    await Eventually.until(
      "half of the waits ended",
      async () => (await stats()).endedWaits >= jobs.length / 2,
      {
        ...EVENTS,
        describe: state
      }
    )
    const hostOf = new Map<string, RunnerProcess>()
    const lastRound = new Map<string, number>()
    for (const runner of runners)
      for (const round of runner.rounds) {
        const latest = lastRound.get(round.knowledgeBaseId)
        if (latest === undefined || latest < round.at) {
          lastRound.set(round.knowledgeBaseId, round.at)
          hostOf.set(round.knowledgeBaseId, runner)
        }
      }
    const pendingKnowledgeBases = () =>
      runtime
        .runPromise(Effect.flatMap(WaitStore.WaitStore, (store) => store.knowledgeBasesWithPendingWaits))
        .then((kbs) => new Set(kbs))
    // Knowledge bases whose waits had all ended have nothing left to poll: they count for nobody.
    const pendingBefore = await pendingKnowledgeBases()
    const hosted = (runner: RunnerProcess) =>
      Array.from(hostOf).filter(([kb, host]) => host === runner && pendingBefore.has(kb)).length
    const victim = runners.reduce((most, runner) => (hosted(runner) > hosted(most) ? runner : most))
    victim.kill("SIGKILL")
    await Eventually.within("the killed runner's exit", victim.exited, EVENTS)
    // Those of its knowledge bases that still have waits to serve: each must be taken over.
    const pending = await pendingKnowledgeBases()
    const victimKnowledgeBases = Array.from(hostOf)
      .filter(([kb, host]) => host === victim && pending.has(kb))
      .map(([kb]) => kb)
    expect(victimKnowledgeBases.length).toBeGreaterThan(0)
    const survivors = runners.filter((runner) => runner !== victim)
    const leftWaits = (
      await Promise.all(
        victimKnowledgeBases.map((kb) =>
          runtime
            .runPromise(Effect.flatMap(WaitStore.WaitStore, (store) => store.pending(kb)))
            .then((waits) => waits.map((wait) => ({ ...wait, knowledgeBaseId: kb })))
        )
      )
    ).flat()

    // Every wait ends and every batch is delivered; then the outcomes are read back through the workflows.
    const final = await Eventually.until(
      "every wait ended and every batch delivered",
      async () => {
        const now = await stats()
        return now.endedWaits === jobs.length && now.deliveredBatches === now.batches ? now : undefined
      },
      { ...EVENTS, describe: state }
    )

    const singleResults = await runtime.runPromise(
      Effect.forEach(
        singles,
        (job) =>
          Effect.result(
            WaitForIngestionJob.WaitForIngestionJob.execute({
              knowledgeBaseId: job.knowledgeBaseId,
              jobId: job.jobId,
              ...timeoutOf(job)
            })
          ),
        { concurrency: 64 }
      )
    )
    singles.forEach((job, index) => {
      const result = singleResults[index]!
      const tag = tagOf(job.expected)
      if (tag === undefined) {
        expect(Result.isSuccess(result) && result.success.status, job.jobId).toBe("completed")
      } else {
        expect(Result.isFailure(result) && result.failure._tag, job.jobId).toBe(tag)
      }
    })

    const batchResults = await runtime.runPromise(
      Effect.forEach(batches, (batch) =>
        WaitForIngestionJobs.WaitForIngestionJobs.execute(batchPayload(batch))
      )
    )
    batches.forEach((batch, b) => {
      expect(batchResults[b]!.map((result) => result.jobId)).toEqual(batch.map((job) => job.jobId))
      batch.forEach((job, index) => {
        const { outcome } = batchResults[b]![index]!
        const tag = tagOf(job.expected)
        if (tag === undefined)
          expect(Result.isSuccess(outcome) && outcome.success.status, job.jobId).toBe("completed")
        else expect(Result.isFailure(outcome) && outcome.failure._tag, job.jobId).toBe(tag)
      })
    })

    // Exactly once: one delivery-log row per workflow execution (batch), none twice.
    expect(final.batches).toBe(singles.length + batches.length)
    expect(final.deliveries).toBe(final.batches)
    expect(final.duplicates).toBe(0)

    // One loop per knowledge base: every round of every runner within core's bound.
    const rounds = runners.flatMap((runner) => runner.rounds)
    expect(rounds.length).toBeGreaterThan(0)
    for (const round of rounds)
      expect(round.requests, JSON.stringify(round)).toBeLessThanOrEqual(roundBound(round))

    // Failover: the waits the killed runner left (pending after its exit) were ended by the survivors: the
    // store records which runner wrote each outcome. (One the killed runner wrote may only be an outcome
    // whose commit was on its way to PostgreSQL at the kill.) Each of its knowledge bases was taken over.
    const endedBy = new Map(
      (
        await runtime.runPromise(
          Effect.flatMap(
            SqlClient.SqlClient,
            (sql) => sql<{ batch_id: string; job_id: string; ended_by: string | null }>`
              SELECT batch_id, job_id, ended_by FROM tensoras_waits`
          )
        )
      ).map((row) => [`${row.batch_id}/${row.job_id}`, row.ended_by])
    )
    const writerOf = (wait: { readonly batchId: string; readonly jobId: string }) =>
      endedBy.get(`${wait.batchId}/${wait.jobId}`)
    expect(leftWaits.length).toBeGreaterThan(0)
    for (const wait of leftWaits)
      expect(
        runners.map((runner) => runner.address),
        `${wait.batchId}/${wait.jobId}`
      ).toContain(writerOf(wait))
    for (const kb of victimKnowledgeBases) {
      const writers = new Set(leftWaits.filter((wait) => wait.knowledgeBaseId === kb).map(writerOf))
      expect(
        survivors.some((runner) => writers.has(runner.address)),
        `${kb}: ended by ${Array.from(writers).join(", ")}`
      ).toBe(true)
    }
    // And a survivor polled each of those knowledge bases where it ended one of those waits that needed a
    // request to end (a wait whose deadline passed ends without one). Its round may have started before the
    // kill (a knowledge base moves between runners on its own), and is reported when it ends, after the
    // outcomes it wrote: the report is awaited.
    const expectedOf = new Map(jobs.map((job) => [job.jobId, job.expected]))
    const survivorAddresses = new Set(survivors.map((runner) => runner.address))
    const polledAfterKill = victimKnowledgeBases.filter((kb) =>
      leftWaits.some(
        (wait) =>
          wait.knowledgeBaseId === kb &&
          expectedOf.get(wait.jobId) !== "timeout" &&
          survivorAddresses.has(writerOf(wait) ?? "")
      )
    )
    await Eventually.until(
      "a survivor's round of each knowledge base the killed runner left waits to poll in",
      () =>
        polledAfterKill.every((kb) =>
          survivors.some((runner) => runner.rounds.some((r) => r.knowledgeBaseId === kb))
        ),
      {
        ...EVENTS,
        describe: async () =>
          [
            `killed: ${victim.name}, its knowledge bases with waits left to poll: ${polledAfterKill.join(", ")}`,
            ...survivors.map(
              (runner) =>
                `${runner.name} polled: ${Array.from(new Set(runner.rounds.map((r) => r.knowledgeBaseId))).join(", ")}`
            ),
            await state()
          ].join("\n")
      }
    )

    // Nothing keeps running: the survivors drain on SIGTERM and exit 0.
    for (const runner of survivors) runner.kill("SIGTERM")
    const exits = await Eventually.within(
      "the survivors' exit",
      Promise.all(survivors.map((runner) => runner.exited)),
      EVENTS
    )
    expect(exits.map((exit) => exit.code)).toEqual(survivors.map(() => 0))
  })
})
