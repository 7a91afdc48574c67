import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { NodeSimulator } from "@tensoras/ingestion-testkit"

import { runExample, runPollingExample } from "./utils.js"

let simulator: NodeSimulator.RunningSimulator
beforeAll(async () => {
  simulator = await NodeSimulator.start({ scenario: "docs", clock: "manual" })
})
afterAll(() => simulator.close())

describe.each(["effect", "promise"])("the %s examples", (style) => {
  it("list-jobs prints `id: status - N docs, M chunks`", async () => {
    simulator.control.setScenario("docs")
    const result = await runExample(simulator, `client/list-jobs.${style}.ts`, ["kb_abc123"])
    expect(result.stderr).toBe("")
    expect(result.stdout).toBe(
      "job_abc123: completed - 15 docs, 482 chunks\njob_def456: processing - 8 docs, 245 chunks\n"
    )
  })

  it("get-job prints the counters and one line per document", async () => {
    simulator.control.setScenario("docs")
    const result = await runExample(simulator, `client/get-job.${style}.ts`, ["kb_abc123", "job_abc123"])
    const lines = result.stdout.trim().split("\n")
    expect(lines.slice(0, 5)).toStrictEqual([
      "Status: completed",
      "Processed: 15, failed: 0",
      "Chunks: 482",
      "  [OK] product-guide.pdf: 32 chunks",
      "  [OK] api-reference.md: 18 chunks"
    ])
    expect(lines.length).toBe(3 + 15)
  })

  it("get-job reports a missing job as a typed error", async () => {
    simulator.control.setScenario("docs")
    const result = await runExample(simulator, `client/get-job.${style}.ts`, ["kb_abc123", "job_nope"])
    expect(result.stderr).toContain("No such job or knowledge base (ingestion_job_not_found)")
  })

  it("poll-until-done polls until the job is terminal, then reports the chunks", async () => {
    simulator.control.setScenario("docs")
    const result = await runPollingExample(simulator, `client/poll-until-done.${style}.ts`, [
      "kb_abc123",
      "job_def456"
    ])
    expect(result.stderr).toBe("")
    const lines = result.stdout.trim().split("\n")
    expect(lines[0]).toBe("processing: 8 docs, 245 chunks")
    expect(lines.at(-1)).toMatch(/^Completed: \d+ chunks$/)
    expect(lines.length).toBeGreaterThan(3)
  })

  it("list-failed prints every failed job across pages with its error", async () => {
    simulator.control.setScenario("paginated")
    const result = await runExample(simulator, `client/list-failed.${style}.ts`, ["kb_paginated"])
    const failed = simulator.control
      .jobs("kb_paginated")
      .map((job) => simulator.control.getJob("kb_paginated", job.id))
      .filter((job) => job.status === "failed")
    expect(failed.length).toBeGreaterThan(20)
    expect(result.stdout).toBe(failed.map((job) => `${job.id}: ${job.error?.message}\n`).join(""))
  })
})
