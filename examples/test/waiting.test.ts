import { afterAll, beforeAll, beforeEach, describe, expect, it } from "@effect/vitest"
import { NodeSimulator } from "@tensoras/ingestion-testkit"
import { runPollingExample } from "./utils.js"

let simulator: NodeSimulator.RunningSimulator
beforeAll(async () => {
  simulator = await NodeSimulator.start({ scenario: "docs", clock: "manual" })
})
afterAll(() => simulator.close())
beforeEach(() => simulator.control.setScenario("docs"))

describe("examples/effect-pipeline", () => {
  it("waits with progress, reports the failed documents, then queries", async () => {
    const result = await runPollingExample(simulator, "effect-pipeline/main.ts", ["kb_abc123", "job_def456"])
    expect(result.stderr).toBe("")
    const lines = result.stdout.trim().split("\n")
    expect(lines[0]).toBe("Waiting for job_def456 in kb_abc123:")
    expect(lines[1]).toBe("  processing: 8 processed, 1 failed, 245 chunks")
    expect(lines).toContain("Ingested, but 1 documents failed:")
    expect(lines.at(-1)).toMatch(/^Querying the knowledge base over \d+ fresh chunks… done\.$/)
    expect(result.code).toBe(0)
  })

  it("turns a failed job into a typed message", async () => {
    simulator.control.setScenario("failing")
    const result = await runPollingExample(simulator, "effect-pipeline/main.ts", [
      "kb_failing",
      "job_failing"
    ])
    expect(result.stderr).toMatch(/^Ingestion failed: .+ \(embedding_service_unavailable\)\n$/)
  })
})

describe("examples/promise", () => {
  it("waits with progress and reports the chunks", async () => {
    const result = await runPollingExample(simulator, "promise/main.ts", ["kb_abc123", "job_def456"])
    expect(result.stderr).toBe("")
    const lines = result.stdout.trim().split("\n")
    expect(lines[0]).toBe("processing: 8 processed, 245 chunks")
    expect(lines).toContain(
      `Completed: ${simulator.control.getJob("kb_abc123", "job_def456").chunks_created} chunks`
    )
    expect(result.code).toBe(0)
  })

  it("exits 1 with a typed message when the job does not exist", async () => {
    const result = await runPollingExample(simulator, "promise/main.ts", ["kb_abc123", "job_nope"])
    expect(result.stderr.trim()).toBe("No such job (ingestion_job_not_found)")
    expect(result.code).toBe(1)
  })
})
