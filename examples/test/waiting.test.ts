import { afterAll, beforeAll, beforeEach, describe, expect, it } from "@effect/vitest"
import { NodeSimulator } from "@tensoras/ingestion-testkit"
import { runPollingExample, startExample } from "./utils.js"

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

/**
 * Starts `example` on `kb_abc123` / `job_def456` against the simulator, whose GETs hang, sends it SIGINT
 * once its first poll has arrived, and returns how it exited and that poll's request, settled.
 */
const interruptedWhilePolling = async (example: string) => {
  simulator.control.injectFault({ kind: "hang", route: "get", times: Number.POSITIVE_INFINITY })
  const child = startExample(example, ["kb_abc123", "job_def456"], {
    TENSORAS_API_KEY: simulator.apiKey,
    TENSORAS_BASE_URL: simulator.baseUrl
  })
  await simulator.control.waitForRequests(1)
  child.kill("SIGINT")
  const exit = await child.exited
  // Settles once the client has closed the hung request: the signal aborted it.
  const [poll] = await simulator.control.waitForRequests(1, { settled: true })
  return { exit, poll, requests: simulator.control.requestCount() }
}

describe("examples/effect-pipeline: Ctrl-C", () => {
  it("interrupts the wait under runMain: the request in flight is aborted, a line says so, exit 130", async () => {
    const { exit, poll, requests } = await interruptedWhilePolling("effect-pipeline/main.ts")
    expect(exit.code).toBe(130)
    expect(exit.stdout).toBe("Waiting for job_def456 in kb_abc123:\n")
    expect(exit.stderr).toBe("Interrupted: stopped waiting for job_def456 (it goes on in the service)\n")
    expect(poll?.outcome).toBe("hung")
    expect(requests).toBe(1)
  })

  it("on its embedded simulator too: the simulator is closed, the process exits 130", async () => {
    const child = startExample("effect-pipeline/main.ts")
    await child.line(/^Waiting for job_demo_sync in kb_demo:$/)
    child.kill("SIGINT")
    const exit = await child.exited
    expect(exit.code).toBe(130)
    expect(exit.stderr).toBe("Interrupted: stopped waiting for job_demo_sync (it goes on in the service)\n")
  })
})

describe("examples/promise: Ctrl-C", () => {
  it("aborts the wait: the request in flight is aborted, 'Interrupted', exit 1", async () => {
    const { exit, poll, requests } = await interruptedWhilePolling("promise/main.ts")
    expect(exit.code).toBe(1)
    expect(exit.stderr).toBe("Interrupted\n")
    expect(poll?.outcome).toBe("hung")
    expect(requests).toBe(1)
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
