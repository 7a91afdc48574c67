/**
 * A runner killed with `kill -9` under `tensoras-cluster wait` commands: the command goes on through the runners
 * that are alive (it needs only PostgreSQL, not a given runner), the batch of waits it registered (one workflow)
 * is taken over and delivered once, and a command started right after the death is answered. (The death of the
 * runner that held the cluster's singletons: `failover.singletons.test.ts`.)
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { IngestionCluster, WaitForIngestionJobs } from "@tensoras/ingestion-cluster"
import { Eventually, type TestProcess } from "@tensoras/ingestion-testkit"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Option from "effect/Option"
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest"
import * as Batches from "../src/internal/cli/batches.js"
import { EVENTS } from "./support/eventLimit.js"
import { exitOf, type FailoverWorld, startFailoverWorld } from "./support/failover.js"
import { psql } from "./support/postgres.js"
import { holderOf } from "./support/processes.js"
import { linesOf } from "./support/waitOutput.js"

/**
 * The command's jobs stay queued this long: they end only when the test moves the simulator's clock, after the
 * kill, so that the killed runner cannot have ended them all before its death, however slow the machine.
 */
const HELD_BACK_MS = 1_200_000

describe("tensoras-cluster wait while a runner dies", () => {
  let world: FailoverWorld
  let folder: string
  let runtime: ManagedRuntime.ManagedRuntime<IngestionCluster.Services, unknown>

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), "tensoras-failover-"))
    world = await startFailoverWorld(inject("postgresUrl"), "cluster_failover")
    runtime = ManagedRuntime.make(IngestionCluster.client({ databaseUrl: world.databaseUrl }))
  })

  afterAll(async () => {
    await world?.close()
    await runtime?.dispose()
    if (folder !== undefined) await rm(folder, { recursive: true, force: true })
  })

  it("takes a killed runner's batch over: every outcome printed once, the batch delivered once, and a wait started right after answered", async () => {
    const { sim, databaseUrl, runners, wait, addJobs, knowledgeBaseOf, responsesOf } = world
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
    addJobs(failoverKb, "job_fo", jobIds.length, HELD_BACK_MS, 40)
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
    // The command's jobs end from 3 s after the death on (over 8 s), for the survivors to see.
    sim.control.advance(HELD_BACK_MS - 3_000)

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
})
