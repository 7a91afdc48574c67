/**
 * Runners killed with `kill -9` under `tensoras-cluster wait` commands: the command goes on through the runners
 * that are alive (it needs only PostgreSQL, not a given runner), a command started right after a death is
 * answered, and a dead runner is noticed within seconds even when it held the cluster's singletons.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { WaitForIngestionJob } from "@tensoras/ingestion-cluster"
import { NodeSimulator } from "@tensoras/ingestion-testkit"
import * as Effect from "effect/Effect"
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest"
import { createDatabase, psql } from "./support/postgres.js"
import {
  BIN,
  HEALTH_SINGLETON,
  holderOf,
  type RunnerProcess,
  runnerPort,
  type Spawned,
  shardOf,
  shardsSettled,
  spawnProgram,
  startRunner,
  stopAll
} from "./support/processes.js"
import { until, within } from "./support/until.js"

const API_KEY = "tns_cluster_failover_loopback_only"

interface Line {
  readonly job_id: string
  readonly outcome: string
  readonly message?: string
}
const linesOf = (run: Spawned): ReadonlyArray<Line> =>
  run
    .stdout()
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Line)

describe("tensoras-cluster wait while runners die", () => {
  let sim: NodeSimulator.RunningSimulator
  let databaseUrl: string
  let folder: string
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
    spawnProgram(BIN, ["wait", ...args, "--json"], { TENSORAS_DATABASE_URL: databaseUrl })
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
    for (const name of ["r1", "r2", "r3"]) start(name)
    await within("3 runners ready", Promise.all(runners.map((runner) => runner.ready)))
    await until("the shards settled on the 3 runners", async () => shardsSettled(runners))
  })

  afterAll(async () => {
    await stopAll()
    await sim?.close()
    if (folder !== undefined) await rm(folder, { recursive: true, force: true })
  })

  it("prints every outcome once when the runner it talks to dies, and answers a wait started right after", async () => {
    const jobIds = addJobs("kb_failover", "job_fo", 200, 25_000, 40)
    const jobsFile = join(folder, "jobs.txt")
    await writeFile(jobsFile, jobIds.join("\n"))
    const client = wait(["kb_failover", "--jobs-file", jobsFile, "--timeout", "10m"])

    // The runner the command talks to most: the one that holds the shards of most of its workflows.
    const executionIds = await Effect.runPromise(
      Effect.forEach(jobIds, (jobId) =>
        WaitForIngestionJob.WaitForIngestionJob.executionId({ knowledgeBaseId: "kb_failover", jobId })
      )
    )
    const holding = (runner: RunnerProcess) =>
      executionIds.filter((id) => holderOf(runners, `${id}`) === runner).length
    const victim = runners.reduce((most, runner) => (holding(runner) > holding(most) ? runner : most))
    expect(holding(victim)).toBeGreaterThan(0)

    // A few seconds into the wait, its first waits registered: kill -9.
    const registered = async () =>
      Number(
        (
          await psql(
            databaseUrl,
            "SELECT count(*) FROM tensoras_waits WHERE knowledge_base_id = 'kb_failover'"
          )
        )[0]?.[0]
      )
    await until("the command's first waits registered", async () => (await registered()) > 0)
    victim.child.kill("SIGKILL")
    await within("the killed runner's exit", victim.exited)

    // Right after the death (before the cluster noticed it): new commands, one whose jobs end soon, one that
    // gives up on a job that never ends.
    const soonIds = addJobs("kb_after", "job_after", 20, 3_000, 50)
    sim.control.addDataSource("kb_after", {
      jobId: "job_never",
      queuedMs: 3_600_000,
      documents: [{ name: "notes.md", durationMs: 500 }]
    })
    const after = wait(["kb_after", ...soonIds, "--timeout", "10m"])
    const givesUpAt = Date.now()
    const givesUp = wait(["kb_after", "job_never", "--timeout", "30s"])
    const givesUpMs = givesUp.exited.then(() => Date.now() - givesUpAt)

    const [clientCode, afterCode, givesUpCode] = await within(
      "the three commands' exit",
      Promise.all([client.exited, after.exited, givesUp.exited])
    )
    const detail = (run: Spawned) => `stderr: ${run.stderr().slice(-2_000)}`
    expect(clientCode, detail(client)).toBe(0)
    const lines = linesOf(client)
    expect(lines.map((line) => line.job_id).sort()).toEqual([...jobIds].sort())
    expect(lines.every((line) => line.outcome === "completed")).toBe(true)
    expect(client.stderr()).toBe("")

    expect(afterCode, detail(after)).toBe(0)
    expect(
      linesOf(after)
        .map((line) => line.job_id)
        .sort()
    ).toEqual([...soonIds].sort())
    expect(givesUpCode, detail(givesUp)).toBe(1)
    expect(linesOf(givesUp)).toEqual([expect.objectContaining({ job_id: "job_never", outcome: "timed_out" })])
    // It gave up at its own deadline (30 s from its start; the rest is its process starting and stopping), not
    // at a deadline counted from a registration delayed by the failover, nor at a backoff's next look.
    expect(await givesUpMs).toBeLessThan(30_000 + 20_000)
  })

  it("takes a runner's work over within seconds when the one killed held the cluster's singletons", async () => {
    // Three runners again (the first test killed one).
    const fresh = start(`r${runners.length + 1}`)
    await within("the new runner ready", fresh.ready)
    await until("the shards settled on the runners alive", async () => shardsSettled(alive()))
    const live = alive()
    const victim = holderOf(live, HEALTH_SINGLETON)
    const survivors = live.filter((runner) => runner !== victim)

    // A knowledge base the victim hosts, with a wait on a job that stays queued: its polls are seen, and it
    // times out after the failover, on a survivor.
    let n = 0
    while (holderOf(live, `kb_singletons_${n}`) !== victim) n++
    const knowledgeBaseId = `kb_singletons_${n}`
    sim.control.addKnowledgeBase(knowledgeBaseId)
    sim.control.addDataSource(knowledgeBaseId, {
      jobId: "job_queued",
      queuedMs: 3_600_000,
      documents: [{ name: "notes.md", durationMs: 500 }]
    })
    const command = wait([knowledgeBaseId, "job_queued", "--timeout", "45s"])
    const responsesSeen = async () =>
      Number(
        (
          await psql(
            databaseUrl,
            `SELECT coalesce((observed->>'responses')::int, 0) FROM tensoras_waits WHERE job_id = 'job_queued' AND knowledge_base_id = '${knowledgeBaseId}'`
          )
        )[0]?.[0] ?? 0
      )
    await until("the victim's polls of the wait recorded", async () => (await responsesSeen()) >= 3)
    const seenBefore = await responsesSeen()

    const killedAt = Date.now()
    victim.child.kill("SIGKILL")
    await within("the killed runner's exit", victim.exited)
    // The survivors mark it unhealthy (the cluster's own check ran on it: nobody checks the checker).
    await until(
      "the dead holder of the singletons marked unhealthy",
      async () =>
        (
          await psql(databaseUrl, `SELECT healthy FROM cluster_runners WHERE address = '${victim.address}'`)
        )[0]?.[0] === "f"
    )
    const unhealthyMs = Date.now() - killedAt
    // Its knowledge base is polled again, by a survivor.
    const firstRound = await until(
      "a survivor's round of the victim's knowledge base",
      async () =>
        survivors
          .flatMap((runner) => runner.rounds)
          .filter((round) => round.knowledgeBaseId === knowledgeBaseId && round.at > killedAt)
          .sort((a, b) => a.at - b.at)[0]
    )
    const failoverMs = firstRound.at - killedAt
    process.stdout.write(
      `singletons' holder killed (shard ${shardOf(HEALTH_SINGLETON)}): marked unhealthy after ${unhealthyMs} ms, its knowledge base polled again after ${failoverMs} ms\n`
    )

    // The timeout says what the polls saw before the failover too, not only after it.
    expect(await within("the command's exit", command.exited)).toBe(1)
    const [line] = linesOf(command)
    expect(line).toEqual(expect.objectContaining({ job_id: "job_queued", outcome: "timed_out" }))
    const responses = Number(/last status: queued, (\d+) responses/.exec(line?.message ?? "")?.[1] ?? -1)
    expect(responses, line?.message).toBeGreaterThanOrEqual(seenBefore)
  })
})
