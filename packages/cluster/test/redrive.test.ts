/**
 * The re-drive sweep: a wait workflow whose outcomes were delivered but that was never woken (the race of
 * `effect/workflow` 0.19, or a wake message skipped by the SQL storage) is resumed, and finishes with them.
 * The runner runs in this process, with a short `redriveAfter`.
 */
import { NotFound } from "@tensoras/ingestion/IngestionError"
import * as PollSchedule from "@tensoras/ingestion/PollSchedule"
import { IngestionCluster, WaitForIngestionJob } from "@tensoras/ingestion-cluster"
import { Eventually, NodeSimulator } from "@tensoras/ingestion-testkit"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Option from "effect/Option"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import * as SqlClient from "effect/sql/SqlClient"
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest"
import { Outcome } from "../src/internal/outcome.js"
import { EVENTS } from "./support/eventLimit.js"
import { createDatabase } from "./support/postgres.js"
import { runnerPort } from "./support/processes.js"

const API_KEY = "tns_cluster_redrive_loopback_only"
const KB = "kb_redrive"

const notFound = Schema.encodeSync(Outcome)(
  Result.fail(
    new NotFound({
      method: "GET",
      url: `http://127.0.0.1/v1/knowledge-bases/${KB}/ingestion-jobs/job_lost`,
      status: 404,
      message: "Ingestion job 'job_lost' not found"
    })
  )
)

describe("the re-drive sweep", () => {
  let sim: NodeSimulator.RunningSimulator
  let runtime: ManagedRuntime.ManagedRuntime<IngestionCluster.Services, unknown>

  beforeAll(async () => {
    const databaseUrl = await createDatabase(inject("postgresUrl"), "cluster_redrive")
    sim = await NodeSimulator.start({ scenario: "empty", clock: "real", apiKey: API_KEY })
    sim.control.addKnowledgeBase(KB)
    // job_lost stays queued: only the test ends its wait. job_ok completes on its own.
    sim.control.addDataSource(KB, { jobId: "job_lost", queuedMs: 3_600_000, documents: [{ name: "a.md" }] })
    sim.control.addDataSource(KB, {
      jobId: "job_ok",
      queuedMs: 500,
      documents: [{ name: "b.md", durationMs: 500 }]
    })
    runtime = ManagedRuntime.make(
      IngestionCluster.runner({
        databaseUrl,
        port: runnerPort(),
        apiKey: API_KEY,
        baseUrl: sim.baseUrl,
        schedule: PollSchedule.fixed("1 second"),
        redriveAfter: "2 seconds"
      })
    )
    await runtime.runPromise(Effect.void)
  })

  afterAll(async () => {
    await runtime?.dispose()
    await sim?.close()
  })

  const batchRow = (executionId: string) =>
    runtime.runPromise(
      Effect.flatMap(
        SqlClient.SqlClient,
        (sql) => sql<{ settled: boolean; deliveries: string }>`
          SELECT settled_at IS NOT NULL AS settled,
            (SELECT count(*) FROM tensoras_wait_deliveries d WHERE d.batch_id = b.batch_id) AS deliveries
          FROM tensoras_wait_batches b WHERE batch_id = ${executionId}`
      )
    )

  it("resumes a workflow that was delivered its outcome but never woken", async () => {
    const payload = { knowledgeBaseId: KB, jobId: "job_lost" }
    const executionId = await runtime.runPromise(
      WaitForIngestionJob.WaitForIngestionJob.execute(payload, { discard: true })
    )
    await Eventually.until(
      "the wait registered and its workflow suspended",
      async () => {
        const polled = await runtime.runPromise(WaitForIngestionJob.WaitForIngestionJob.poll(executionId))
        return Option.isSome(polled) && polled.value._tag === "Suspended"
      },
      EVENTS
    )
    // The race's aftermath: the outcome recorded and the batch delivered (closed, acknowledged, logged once), the
    // workflow never woken: no DurableDeferred.done reached it.
    await runtime.runPromise(
      Effect.flatMap(SqlClient.SqlClient, (sql) =>
        Effect.all([
          sql`UPDATE tensoras_waits SET outcome = ${JSON.stringify(notFound)}::jsonb, ended_at = now(), ended_by = 'lost'
            WHERE batch_id = ${executionId}`,
          sql`UPDATE tensoras_wait_batches SET closed_at = now(), acknowledged_at = now() WHERE batch_id = ${executionId}`,
          sql`INSERT INTO tensoras_wait_deliveries (batch_id, runner) VALUES (${executionId}, 'lost')`
        ])
      )
    )
    // The sweep delivers it again and resumes it: it finishes with the outcome delivered.
    const exit = await runtime.runPromise(
      Effect.exit(WaitForIngestionJob.WaitForIngestionJob.execute(payload))
    )
    expect(Exit.isFailure(exit) && Exit.findErrorOption(exit).pipe(Option.map((e) => e._tag))).toEqual(
      Option.some("NotFound")
    )
    await Eventually.until(
      "the batch settled",
      async () => (await batchRow(executionId))[0]?.settled === true,
      EVENTS
    )
  })

  it("settles a workflow that finished as usual, without delivering it again", async () => {
    const payload = { knowledgeBaseId: KB, jobId: "job_ok" }
    const job = await runtime.runPromise(WaitForIngestionJob.WaitForIngestionJob.execute(payload))
    expect(job.status).toBe("completed")
    const executionId = await runtime.runPromise(WaitForIngestionJob.WaitForIngestionJob.executionId(payload))
    await Eventually.until(
      "the batch settled",
      async () => (await batchRow(executionId))[0]?.settled === true,
      EVENTS
    )
    expect(Number((await batchRow(executionId))[0]?.deliveries)).toBe(1)
  })
})
