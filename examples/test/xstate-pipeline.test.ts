import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { NodeSimulator } from "@tensoras/ingestion-testkit"

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
