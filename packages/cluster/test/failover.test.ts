/**
 * Runners killed with `kill -9` under `tensoras-cluster wait` commands: the command goes on through the runners
 * that are alive (it needs only PostgreSQL, not a given runner), the batch of waits it registered (one workflow)
 * is taken over and delivered once, a command started right after a death is answered, and a dead runner is
 * noticed within seconds even when it held the cluster's singletons.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { IngestionCluster, WaitForIngestionJobs } from "@tensoras/ingestion-cluster"
import { Eventually, NodeSimulator, type TestProcess } from "@tensoras/ingestion-testkit"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Option from "effect/Option"
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest"
import * as Batches from "../src/internal/cli/batches.js"
import { EVENTS } from "./support/eventLimit.js"
import { createDatabase, psql } from "./support/postgres.js"
import {
  HEALTH_SINGLETON,
  holderOf,
  type RunnerProcess,
  runnerPort,
  shardOf,
  shardsSettled,
  startRunner,
  startWait,
  stopAll
} from "./support/processes.js"

const API_KEY = "tns_cluster_failover_loopback_only"

interface Line {
  readonly job_id: string
  readonly outcome: string
  readonly message?: string
}
const linesOf = (run: TestProcess.Spawned): ReadonlyArray<Line> =>
  run
    .stdout()
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Line)

describe("tensoras-cluster wait while runners die", () => {
  let sim: NodeSimulator.RunningSimulator
  let databaseUrl: string
  let folder: string
  let runtime: ManagedRuntime.ManagedRuntime<IngestionCluster.Services, unknown>
  const runners: Array<RunnerProcess> = []
  const alive = () =>
    runners.filter((runner) => runner.child.exitCode === null && runner.child.signalCode === null)
  const start = (name: string) => {
    const runner = startRunner({
      name,
      databaseUrl,
      baseUrl: sim.baseUrl,
      apiKey: API_KEY,
      port: runnerPort(),
      pollInterval: "1s"
    })
    runners.push(runner)
    return runner
  }
  const wait = (args: ReadonlyArray<string>) =>
    startWait([...args, "--json"], { TENSORAS_DATABASE_URL: databaseUrl })
  /** How many responses the polls of a job's waits recorded (0 before its first wait is registered). */
  const responsesOf = async (knowledgeBaseId: string, jobId: string) =>
    Number(
      (
        await psql(
          databaseUrl,
          `SELECT coalesce(max((observed->>'responses')::int), 0) FROM tensoras_waits WHERE job_id = '${jobId}' AND knowledge_base_id = '${knowledgeBaseId}'`
        )
      )[0]?.[0] ?? 0
    )
  /** A knowledge base that `runner` polls (the holder of its watcher's shard): `${prefix}_0`, `_1`, … */
  const knowledgeBaseOf = (runner: RunnerProcess, live: ReadonlyArray<RunnerProcess>, prefix: string) => {
    let n = 0
    while (holderOf(live, `${prefix}_${n}`) !== runner) n++
    return `${prefix}_${n}`
  }
  /** Resolves with the time it exited at (and how), once it has. */
  const exitOf = (run: TestProcess.Spawned) => run.exited.then((exit) => ({ ...exit, at: Date.now() }))
  /** Jobs that end `inMs` from now, one every `everyMs`. */
  const addJobs = (knowledgeBaseId: string, prefix: string, count: number, inMs: number, everyMs: number) => {
    sim.control.addKnowledgeBase(knowledgeBaseId)
    return Array.from({ length: count }, (_, i) => {
      const jobId = `${prefix}_${String(i).padStart(4, "0")}`
      sim.control.addDataSource(knowledgeBaseId, {
        jobId,
        queuedMs: inMs + i * everyMs,
        documents: [{ name: "notes.md", durationMs: 500 }]
      })
      return jobId
    })
  }

  beforeAll(async () => {
    databaseUrl = await createDatabase(inject("postgresUrl"), "cluster_failover")
    sim = await NodeSimulator.start({ scenario: "empty", clock: "real", apiKey: API_KEY })
    folder = await mkdtemp(join(tmpdir(), "tensoras-failover-"))
    runtime = ManagedRuntime.make(IngestionCluster.client({ databaseUrl }))
    for (const name of ["r1", "r2", "r3"]) start(name)
    await Eventually.within("3 runners ready", Promise.all(runners.map((runner) => runner.ready)), EVENTS)
    await Eventually.until("the shards settled on the 3 runners", () => shardsSettled(runners), EVENTS)
  })

  afterAll(async () => {
    await stopAll()
    await runtime?.dispose()
    await sim?.close()
    if (folder !== undefined) await rm(folder, { recursive: true, force: true })
  })

  it("takes a killed runner's batch over: every outcome printed once, the batch delivered once, and a wait started right after answered", async () => {
    // The command's 200 jobs need new waits: one batch, one workflow. Its knowledge base is one whose watcher
    // and whose batch's workflow live on the same runner: that runner is killed.
    const jobIds = Array.from({ length: 200 }, (_, i) => `job_fo_${String(i).padStart(4, "0")}`)
    const batchOf = (knowledgeBaseId: string) =>
      Effect.runPromise(
        Batches.executionIdOf(
          Batches.payloadOf(
            knowledgeBaseId,
            jobIds.map((jobId) => ({ jobId, waits: 0 })),
            600_000
          )
        )
      )
    let n = 0
    let batchId = await batchOf("kb_failover_0")
    while (holderOf(runners, `kb_failover_${n}`) !== holderOf(runners, batchId))
      batchId = await batchOf(`kb_failover_${++n}`)
    const failoverKb = `kb_failover_${n}`
    const victim = holderOf(runners, failoverKb)
    addJobs(failoverKb, "job_fo", jobIds.length, 25_000, 40)
    const jobsFile = join(folder, "jobs.txt")
    await writeFile(jobsFile, jobIds.join("\n"))
    const client = wait([failoverKb, "--jobs-file", jobsFile, "--timeout", "10m"])

    // A wait that lasts a day, on a job that stays queued in a knowledge base the victim polls: after the
    // death, a command with a short --timeout joins it.
    const heldKnowledgeBase = knowledgeBaseOf(victim, runners, "kb_held")
    sim.control.addKnowledgeBase(heldKnowledgeBase)
    sim.control.addDataSource(heldKnowledgeBase, {
      jobId: "job_held",
      queuedMs: 3_600_000,
      documents: [{ name: "notes.md", durationMs: 500 }]
    })
    const holder = wait([heldKnowledgeBase, "job_held", "--timeout", "24h"])

    // A few seconds into the wait, its first waits registered, and the day-long wait polled by the victim:
    // kill -9.
    const registered = async () =>
      Number(
        (
          await psql(
            databaseUrl,
            `SELECT count(*) FROM tensoras_waits WHERE knowledge_base_id = '${failoverKb}'`
          )
        )[0]?.[0]
      )
    await Eventually.until(
      "the command's first waits registered, and the victim's polls of the day-long wait recorded",
      async () => (await registered()) > 0 && (await responsesOf(heldKnowledgeBase, "job_held")) > 0,
      EVENTS
    )
    victim.kill("SIGKILL")
    await Eventually.within("the killed runner's exit", victim.exited, EVENTS)

    // Right after the death (before the cluster noticed it): new commands, one whose jobs end soon, and two
    // that give up after their --timeout of 30 s: one on a job that never ends (its wait starts now,
    // registered whenever the cluster takes it up), one on the day-long wait, which it joins.
    const soonIds = addJobs("kb_after", "job_after", 20, 3_000, 50)
    sim.control.addDataSource("kb_after", {
      jobId: "job_never",
      queuedMs: 3_600_000,
      documents: [{ name: "notes.md", durationMs: 500 }]
    })
    const after = wait(["kb_after", ...soonIds, "--timeout", "10m"])
    const startedAt = Date.now()
    const givesUp = wait(["kb_after", "job_never", "--timeout", "30s"])
    const joins = wait([heldKnowledgeBase, "job_held", "--timeout", "30s"])

    const [clientExit, afterExit, givesUpExit, joinsExit] = await Eventually.within(
      "the four commands' exit",
      Promise.all([exitOf(client), exitOf(after), exitOf(givesUp), exitOf(joins)]),
      {
        ...EVENTS,
        describe: () =>
          `still running: ${Object.entries({ client, after, givesUp, joins })
            .filter(([, run]) => run.child.exitCode === null && run.child.signalCode === null)
            .map(([name]) => name)
            .join(", ")}`
      }
    )
    // Read at once: the day-long wait as the cluster holds it when the command that joined it has exited.
    const heldOutcomes = await psql(
      databaseUrl,
      `SELECT outcome IS NULL FROM tensoras_waits WHERE knowledge_base_id = '${heldKnowledgeBase}' AND job_id = 'job_held'`
    )
    const detail = (run: TestProcess.Spawned) => `stderr: ${run.stderr().slice(-2_000)}`
    expect(clientExit.code, detail(client)).toBe(0)
    const lines = linesOf(client)
    expect(lines.map((line) => line.job_id).sort()).toEqual([...jobIds].sort())
    expect(lines.every((line) => line.outcome === "completed")).toBe(true)
    expect(client.stderr()).toBe("")
    // One batch, its waits ended by the survivors (the victim held them when it died), delivered once, by a
    // survivor, to its workflow, which finished on a survivor.
    const waitsOfBatch = await psql(
      databaseUrl,
      `SELECT batch_id, count(*), count(*) FILTER (WHERE ended_by <> '${victim.address}') FROM tensoras_waits
        WHERE knowledge_base_id = '${failoverKb}' GROUP BY batch_id`
    )
    expect(waitsOfBatch.map(([batch, count]) => [batch, count])).toEqual([[batchId, "200"]])
    expect(Number(waitsOfBatch[0]?.[2])).toBeGreaterThan(0)
    const workflow = await Eventually.until(
      "the batch's workflow finished",
      async () => {
        const polled = await runtime.runPromise(WaitForIngestionJobs.WaitForIngestionJobs.poll(batchId))
        return Option.isSome(polled) && polled.value._tag === "Complete" ? polled.value : undefined
      },
      EVENTS
    )
    expect(Exit.isSuccess(workflow.exit) && workflow.exit.value.map((result) => result.jobId)).toEqual(jobIds)
    const deliveries = await psql(
      databaseUrl,
      `SELECT runner FROM tensoras_wait_deliveries WHERE batch_id = '${batchId}'`
    )
    expect(deliveries).toHaveLength(1)
    expect(deliveries[0]?.[0]).not.toBe(victim.address)

    expect(afterExit.code, detail(after)).toBe(0)
    expect(
      linesOf(after)
        .map((line) => line.job_id)
        .sort()
    ).toEqual([...soonIds].sort())

    // Both gave up at their own deadline, 30 s from their start. Not before it: each exited 30 s or more
    // after the test started it (a bound no machine's speed can break).
    expect(givesUpExit.code, detail(givesUp)).toBe(1)
    expect(linesOf(givesUp)).toEqual([expect.objectContaining({ job_id: "job_never", outcome: "timed_out" })])
    expect(givesUpExit.at - startedAt).toBeGreaterThanOrEqual(30_000)
    expect(joinsExit.code, detail(joins)).toBe(1)
    expect(linesOf(joins)).toEqual([
      expect.objectContaining({
        job_id: "job_held",
        outcome: "timed_out",
        // What the dead runner's polls saw: the command reads them from PostgreSQL, not from a runner.
        message: expect.stringMatching(/last status: queued, [1-9]\d* responses/)
      })
    ])
    expect(joinsExit.at - startedAt).toBeGreaterThanOrEqual(30_000)
    // And not at a deadline counted from the wait's registration, nor when the cluster's wait ends (seen at
    // a backoff's next look): that wait lasts a day, and had not ended when the command exited. A command
    // that waited for it would not have exited at all under the test's limit.
    expect(heldOutcomes).toEqual([["t"]])
    expect(holder.child.exitCode, detail(holder)).toBeNull()
    await holder.stop({ signal: "SIGINT" })
  })

  it("takes a runner's work over within seconds when the one killed held the cluster's singletons", async () => {
    // Three runners again (the first test killed one).
    const fresh = start(`r${runners.length + 1}`)
    await Eventually.within("the new runner ready", fresh.ready, EVENTS)
    await Eventually.until("the shards settled on the runners alive", () => shardsSettled(alive()), EVENTS)
    const live = alive()
    const victim = holderOf(live, HEALTH_SINGLETON)
    const survivors = live.filter((runner) => runner !== victim)

    // A knowledge base the victim hosts, with a wait on a job that stays queued: its polls are seen, and it
    // times out after the failover, on a survivor.
    const knowledgeBaseId = knowledgeBaseOf(victim, live, "kb_singletons")
    sim.control.addKnowledgeBase(knowledgeBaseId)
    sim.control.addDataSource(knowledgeBaseId, {
      jobId: "job_queued",
      queuedMs: 3_600_000,
      documents: [{ name: "notes.md", durationMs: 500 }]
    })
    const command = wait([knowledgeBaseId, "job_queued", "--timeout", "45s"])
    const responsesSeen = () => responsesOf(knowledgeBaseId, "job_queued")
    await Eventually.until(
      "the victim's polls of the wait recorded",
      async () => (await responsesSeen()) >= 3,
      EVENTS
    )
    const seenBefore = await responsesSeen()

    const killedAt = Date.now()
    victim.kill("SIGKILL")
    await Eventually.within("the killed runner's exit", victim.exited, EVENTS)
    // The survivors mark it unhealthy (the cluster's own check ran on it: nobody checks the checker).
    await Eventually.until(
      "the dead holder of the singletons marked unhealthy",
      async () =>
        (
          await psql(databaseUrl, `SELECT healthy FROM cluster_runners WHERE address = '${victim.address}'`)
        )[0]?.[0] === "f",
      EVENTS
    )
    const unhealthyMs = Date.now() - killedAt
    // Its knowledge base is polled again, by a survivor.
    const firstRound = await Eventually.until(
      "a survivor's round of the victim's knowledge base",
      () =>
        survivors
          .flatMap((runner) => runner.rounds)
          .filter((round) => round.knowledgeBaseId === knowledgeBaseId && round.at > killedAt)
          .sort((a, b) => a.at - b.at)[0],
      EVENTS
    )
    const failoverMs = firstRound.at - killedAt
    process.stdout.write(
      `singletons' holder killed (shard ${shardOf(HEALTH_SINGLETON)}): marked unhealthy after ${unhealthyMs} ms, its knowledge base polled again after ${failoverMs} ms\n`
    )

    // The timeout says what the polls saw before the failover too, not only after it.
    expect((await Eventually.within("the command's exit", command.exited, EVENTS)).code).toBe(1)
    const [line] = linesOf(command)
    expect(line).toEqual(expect.objectContaining({ job_id: "job_queued", outcome: "timed_out" }))
    const responses = Number(/last status: queued, (\d+) responses/.exec(line?.message ?? "")?.[1] ?? -1)
    expect(responses, line?.message).toBeGreaterThanOrEqual(seenBefore)
  })
})
