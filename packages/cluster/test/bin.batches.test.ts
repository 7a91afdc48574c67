/**
 * `tensoras-cluster wait` for many jobs at once, against a runner: one workflow per 1,000 new waits, waits already
 * running joined, each job printed once; and exit 69 when no cluster answers. (One job at a time: `bin.test.ts`.)
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Eventually, NodeSimulator } from "@tensoras/ingestion-testkit"
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest"
import { EVENTS } from "./support/eventLimit.js"
import { createDatabase, psql } from "./support/postgres.js"
import { runnerPort, runWait, startRunner, startWait, stopAll } from "./support/processes.js"
import { byJob } from "./support/waitOutput.js"

const API_KEY = "tns_cluster_batches_loopback_only"
const PASSWORD = "pw-canary-7c2a0b"

describe("tensoras-cluster wait for many jobs, against a runner", () => {
  let sim: NodeSimulator.RunningSimulator
  let databaseUrl: string
  let folder: string

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), "tensoras-cli-batches-"))
    databaseUrl = await createDatabase(inject("postgresUrl"), "cluster_cli_batches")
    sim = await NodeSimulator.start({ scenario: "empty", clock: "real", apiKey: API_KEY })
    const runner = startRunner({
      name: "r1",
      databaseUrl,
      baseUrl: sim.baseUrl,
      apiKey: API_KEY,
      port: runnerPort(),
      pollInterval: "1s"
    })
    await Eventually.within("the runner ready", runner.ready, EVENTS)
  })

  afterAll(async () => {
    await stopAll()
    await sim?.close()
    if (folder !== undefined) await rm(folder, { recursive: true, force: true })
  })

  it("registers a command's new waits in one workflow per 1,000 jobs, joins the waits running, and prints each job once", async () => {
    const env = { TENSORAS_DATABASE_URL: databaseUrl }
    const soon = (jobId: string, queuedMs = 1_000) =>
      sim.control.addDataSource("kb_batch", {
        jobId,
        queuedMs,
        documents: [{ name: "notes.md", durationMs: 1_000 }]
      })
    sim.control.addKnowledgeBase("kb_batch")
    const jobIds = Array.from({ length: 1_001 }, (_, i) => `job_b${String(i).padStart(4, "0")}`)
    for (const jobId of jobIds) soon(jobId)
    const jobsFile = join(folder, "batch.txt")
    await writeFile(jobsFile, jobIds.join("\n"))
    const batchesOf = async (ids: ReadonlyArray<string>) =>
      psql(
        databaseUrl,
        `SELECT batch_id, count(*) FROM tensoras_waits WHERE knowledge_base_id = 'kb_batch'
          AND job_id IN (${ids.map((id) => `'${id}'`).join(", ")}) GROUP BY batch_id ORDER BY count(*) DESC`
      )

    const run = await runWait(["kb_batch", "--jobs-file", jobsFile, "--json"], env)
    expect(run.code, run.stderr).toBe(0)
    const printed = run.stdout.trim().split("\n")
    expect(printed).toHaveLength(jobIds.length)
    expect(Object.keys(byJob(run.stdout)).sort()).toEqual(jobIds)
    // 1,001 new waits: a workflow of 1,000 and one of 1, each delivered once.
    const batches = await batchesOf(jobIds)
    expect(batches.map(([, count]) => count)).toEqual(["1000", "1"])
    const deliveries = () =>
      psql(
        databaseUrl,
        `SELECT b.batch_id, count(d.id) FROM tensoras_wait_batches b
          LEFT JOIN tensoras_wait_deliveries d ON d.batch_id = b.batch_id
          WHERE b.knowledge_base_id = 'kb_batch' GROUP BY b.batch_id`
      )
    await Eventually.until(
      "both batches delivered",
      async () => (await deliveries()).every(([, count]) => count !== "0"),
      EVENTS
    )
    expect((await deliveries()).map(([, count]) => count)).toEqual(["1", "1"])

    // A job with a wait running (started by another command) is joined; ended ones answer at once; the new
    // ones get a workflow of their own. job_b_late stays queued until the second command registered its new
    // waits; then the test moves the simulator's clock to its end.
    soon("job_b_late", 600_000)
    soon("job_b_new1")
    soon("job_b_new2")
    const late = startWait(["kb_batch", "job_b_late", "--timeout", "5m", "--json"], env)
    await Eventually.until(
      "job_b_late's wait registered",
      async () => (await batchesOf(["job_b_late"])).length === 1,
      EVENTS
    )
    const [lateBatch] = (await batchesOf(["job_b_late"]))[0] ?? []
    const mixed = ["job_b0000", "job_b0500", "job_b1000", "job_b_late", "job_b_new1", "job_b_new2"]
    const second = startWait(["kb_batch", ...mixed, "--json"], env)
    await Eventually.until(
      "the second command's new waits registered",
      async () => (await batchesOf(["job_b_new1", "job_b_new2"])).length === 1,
      EVENTS
    )
    sim.control.advanceToTerminal("kb_batch", "job_b_late")
    const again = await Eventually.within("the second command", second.exited, EVENTS)
    expect(again.code, again.stderr).toBe(0)
    expect(Object.keys(byJob(again.stdout)).sort()).toEqual([...mixed].sort())
    expect(again.stdout.trim().split("\n")).toHaveLength(mixed.length)
    expect((await Eventually.within("the first command on job_b_late", late.exited, EVENTS)).code).toBe(0)
    expect(await batchesOf(["job_b_late"])).toEqual([[lateBatch, "1"]])
    const newBatches = await batchesOf(["job_b_new1", "job_b_new2"])
    expect(newBatches.map(([, count]) => count)).toEqual(["2"])
    expect(newBatches[0]?.[0]).not.toBe(lateBatch)
    // The ended ones were answered from their waits, without a new one.
    const waitsOfOld = await psql(
      databaseUrl,
      `SELECT job_id, count(*) FROM tensoras_waits WHERE knowledge_base_id = 'kb_batch'
        AND job_id IN ('job_b0000', 'job_b0500', 'job_b1000') GROUP BY job_id ORDER BY job_id`
    )
    expect(waitsOfOld).toEqual([
      ["job_b0000", "1"],
      ["job_b0500", "1"],
      ["job_b1000", "1"]
    ])
  })

  it("exits 69, never 130, when it cannot reach the cluster before its --timeout", async () => {
    // A database no runner serves, and no database at all.
    const unserved = await createDatabase(inject("postgresUrl"), "cluster_cli_unserved")
    const [noRunner, noDatabase] = await Promise.all([
      runWait(["kb_batch", "job_ok", "--timeout", "3s", "--json"], { TENSORAS_DATABASE_URL: unserved }),
      runWait(["kb_batch", "job_ok", "--timeout", "3s", "--json"], {
        TENSORAS_DATABASE_URL: `postgres://postgres:${PASSWORD}@127.0.0.1:1/postgres`
      })
    ])
    for (const run of [noRunner, noDatabase]) {
      expect(byJob(run.stdout)).toEqual({
        job_ok: expect.objectContaining({
          outcome: "error",
          _tag: "ClusterUnavailable",
          documents_failed: null
        })
      })
      expect(run.code).toBe(69)
      expect(`${run.stdout}${run.stderr}`).not.toContain(PASSWORD)
    }
  })
})
