import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import type { IngestionJob } from "@tensoras/ingestion"
import * as JobMachine from "@tensoras/ingestion/JobMachine"
import { NodeSimulator } from "@tensoras/ingestion-testkit"
import { createActor, type EventObject, fromCallback, toPromise } from "xstate"
import { makePipeline } from "../xstate-pipeline/pipeline.js"
import { startExample } from "./utils.js"

let simulator: NodeSimulator.RunningSimulator
beforeAll(async () => {
  simulator = await NodeSimulator.start({ scenario: "docs", clock: "manual" })
})
afterAll(() => simulator.close())

const start = (args: ReadonlyArray<string>, env: Record<string, string>) =>
  startExample("xstate-pipeline/main.ts", args, env)

const run = (args: ReadonlyArray<string>, env: Record<string, string>) => start(args, env).exited

describe("the xstate-pipeline example", () => {
  it("on its own simulator: syncs, waits for the ingestion job, then answers", async () => {
    const result = await run([], { POLL_INTERVAL_MS: "100" })
    expect(result.stderr).toBe("")
    expect(result.code).toBe(0)
    const lines = result.stdout.trim().split("\n")
    expect(lines[0]).toMatch(/^Simulator: http:\/\/127\.0\.0\.1:\d+\/v1 \(scenario "realistic"\)$/)
    expect(lines.filter((line) => line.startsWith("pipeline:"))).toStrictEqual([
      "pipeline: syncing",
      expect.stringMatching(/^pipeline: ingesting \(job job_\w+\)$/),
      "pipeline: querying",
      "pipeline: answered"
    ])
    expect(lines).toContain("  completed: 4 processed, 1 failed, 40 chunks (completed)")
    expect(lines.slice(-2)).toStrictEqual([
      "Ingested: 4 documents, 40 chunks; failed: scan-1998.pdf",
      'Answer: (stand-in) "How do I rotate an API key?" would now search 40 chunks from 4 documents of kb_demo'
    ])
  })

  it("against a service given by TENSORAS_BASE_URL: waits for the job a sync started there", async () => {
    simulator.control.setScenario("docs")
    const job = simulator.control.syncDataSource("kb_abc123", "ds_xyz789", {
      queuedMs: 2_000,
      documents: [
        { name: "changelog.md", chunks: 4, durationMs: 3_000 },
        { name: "faq.md", chunks: 9, durationMs: 3_000 }
      ]
    })
    const done = run(["kb_abc123", "ds_xyz789", job.id], {
      TENSORAS_API_KEY: simulator.apiKey,
      TENSORAS_BASE_URL: simulator.baseUrl,
      POLL_INTERVAL_MS: "20"
    })
    // The simulator's clock moves a second per answered poll, as if the example had waited.
    const result = await simulator.control.advanceOnEachAnswer(1_000, done)
    expect(result.stderr).toBe("")
    expect(result.code).toBe(0)
    const lines = result.stdout.trim().split("\n")
    expect(lines[0]).toBe("pipeline: syncing")
    expect(lines[1]).toBe(`pipeline: ingesting (job ${job.id})`)
    expect(lines).toContain("  queued: 0 processed, 0 failed, 0 chunks (polling)")
    expect(lines).toContain("  processing: 1 processed, 0 failed, 4 chunks (polling)")
    expect(lines.at(-2)).toBe("Ingested: 2 documents, 13 chunks")
    expect(
      simulator.control.requests.every((request) => request.jobId === job.id && request.authorized)
    ).toBe(true)
  })

  it("Ctrl-C cancels the pipeline, and with it the wait for the job", async () => {
    simulator.control.setScenario("docs")
    simulator.control.injectFault({ kind: "hang", route: "get" })
    const example = start(["kb_abc123", "ds_xyz789", "job_def456"], {
      TENSORAS_API_KEY: simulator.apiKey,
      TENSORAS_BASE_URL: simulator.baseUrl
    })
    await simulator.control.waitForRequests(1)
    example.kill("SIGINT")
    const result = await example.exited
    expect(result.code).toBe(1)
    expect(result.stdout).toContain("pipeline: cancelled")
    expect(result.stderr.trim()).toBe("Cancelled while waiting for job_def456")
    expect(simulator.control.requests.map((request) => request.outcome)).toStrictEqual(["hung"])
  })

  it("reports a job that failed, and exits 1", async () => {
    simulator.control.setScenario("failing")
    simulator.control.advanceToTerminal("kb_failing", "job_rejected")
    const result = await run(["kb_failing", "ds_crawler", "job_rejected"], {
      TENSORAS_API_KEY: simulator.apiKey,
      TENSORAS_BASE_URL: simulator.baseUrl
    })
    expect(result.code).toBe(1)
    expect(result.stdout.trim().split("\n")).toStrictEqual([
      "pipeline: syncing",
      "pipeline: ingesting (job job_rejected)",
      expect.stringMatching(/^ {2}failed: 0 processed, 0 failed, 0 chunks \(failed\)$/),
      "pipeline: notIngested"
    ])
    expect(result.stderr.trim()).toMatch(/^Not ingested: job job_rejected failed: .+$/)
  })
})

describe("the pipeline's named guard and actions, on the job machine's typed output", () => {
  const job: IngestionJob.IngestionJobDetail = {
    id: "job_def456",
    object: "ingestion_job",
    knowledge_base_id: "kb_abc123",
    data_source_id: "ds_xyz789",
    status: "completed",
    documents_processed: 2,
    documents_failed: 0,
    chunks_created: 13,
    started_at: 1_709_125_000,
    completed_at: 1_709_125_084,
    created_at: 1_709_124_990,
    error: null,
    document_details: []
  }
  /** The pipeline on a job machine whose poller sends one scripted event. */
  const pipelineEndingWith = (event: JobMachine.PollerEvent) =>
    createActor(
      makePipeline({
        syncDataSource: async () => "job_def456",
        ingestion: JobMachine.ingestionJobMachine.provide({
          actors: {
            poller: fromCallback<EventObject, JobMachine.PollerInput>(({ sendBack }) => {
              queueMicrotask(() => sendBack(event))
            })
          }
        })
      }),
      { input: { knowledgeBaseId: "kb_abc123", dataSourceId: "ds_xyz789", question: "What changed?" } }
    ).start()

  it("a completed job: `ingested` holds, `keepJob` keeps it, the query runs on it", async () => {
    const output = await toPromise(
      pipelineEndingWith({ type: "POLLED", job, at: 1, changed: true, stalled: false, nextPollAt: null })
    )
    expect(output).toMatchObject({
      _tag: "Answered",
      job: { id: "job_def456", chunks_created: 13, partial: false },
      answer: '(stand-in) "What changed?" would now search 13 chunks from 2 documents of kb_abc123'
    })
  })

  it("a wait that timed out: `reportNotIngested` keeps the job machine's output as it is", async () => {
    const observed = { responses: 3, retries: 0, statuses: { processing: 3 }, httpStatuses: { "200": 3 } }
    const actor = pipelineEndingWith({
      type: "TIMED_OUT",
      lastJob: null,
      elapsedMs: 600_000,
      observed,
      reason: "deadline",
      message: "gave up",
      at: 600_000
    })
    const output = await toPromise(actor)
    expect(actor.getSnapshot().value).toBe("notIngested")
    expect(output).toStrictEqual({
      _tag: "NotIngested",
      jobId: "job_def456",
      outcome: {
        _tag: "TimedOut",
        lastJob: null,
        elapsedMs: expect.any(Number),
        observed,
        reason: "deadline",
        message: "gave up"
      }
    })
  })
})
