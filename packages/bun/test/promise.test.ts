// The Promise API on real Bun: examples/bun/promise.ts (the core's `waitForIngestionJob` on Bun's global
// `fetch`) against the simulator, which runs in this (Node) test process and sees every request Bun sends.

import type * as NodeSimulator from "@tensoras/ingestion-testkit/NodeSimulator"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { against, DEFECT, folderWithDotEnv, startBun, startSimulator } from "./helpers.js"

let sim: NodeSimulator.RunningSimulator
beforeEach(async () => {
  sim = await startSimulator()
})
afterEach(() => sim.close())

describe("the Promise API on Bun", () => {
  it("waits to completion: progress on each change, the outcome, exit 0, no key printed", async () => {
    const exit = await sim.control.advanceOnEachAnswer(
      10_000,
      startBun("promise.ts", ["kb_abc123", "job_def456", "20"], against(sim)).exited
    )
    expect(exit.stderr).toBe("")
    expect(exit.code).toBe(0)
    const lines = exit.stdout.trim().split("\n")
    expect(lines[0]).toBe("processing: 8 processed, 1 failed, 245 chunks")
    const final = sim.control.getJob("kb_abc123", "job_def456")
    expect(lines.at(-1)).toBe(`Completed: ${final.chunks_created} chunks, 1 documents failed`)
  })

  it("SIGINT aborts the wait's signal: the request in flight is aborted, nothing more is sent, exit 130", async () => {
    sim.control.injectFault({ kind: "hang", route: "get" })
    const child = startBun("promise.ts", ["kb_abc123", "job_def456"], against(sim))
    await sim.control.waitForRequests(1)
    child.kill("SIGINT")
    const exit = await child.exited
    expect(exit.code).toBe(130)
    expect(exit.stderr).toBe("")
    const [request] = await sim.control.waitForRequests(1, { settled: true })
    expect(request?.outcome).toBe("hung")
    expect(sim.control.requestCount()).toBe(1)
  })

  it("a redirect is not followed; a key echoed in an error is not printed, even with TENSORAS_LOG=debug", async () => {
    sim.control.injectFault({ kind: "redirect", route: "get" })
    const redirected = await startBun("promise.ts", ["kb_abc123", "job_def456"], against(sim)).exited
    expect(redirected.code).toBe(4)
    expect(redirected.stderr).toMatch(
      /^ResponseDecodeError: The service answered HTTP 30\d, a redirect to .*\n$/
    )
    expect(sim.control.requestCount()).toBe(1)

    sim.control.injectFault({ kind: "echo-key", route: "get", status: 401 })
    // Debug logging: a line per request attempt on stderr, which must not carry the key either.
    const echoed = await startBun(
      "promise.ts",
      ["kb_abc123", "job_def456"],
      against(sim, { TENSORAS_LOG: "debug" })
    ).exited
    expect(echoed.code).toBe(4)
    expect(echoed.stderr).toMatch(/^\[tensoras\] GET .* HTTP 401 invalid_api_key .*<redacted>/)
    expect(echoed.stderr).toMatch(/\nUnauthorized: .*<redacted>.*\n$/)
    expect(echoed.stderr).not.toMatch(DEFECT)
  })

  it("without TENSORAS_API_KEY: InvalidInput naming the variable, exit 2, nothing sent", async () => {
    const exit = await startBun("promise.ts", ["kb_abc123", "job_def456"], {
      cwd: folderWithDotEnv(""),
      env: { TENSORAS_BASE_URL: sim.baseUrl }
    }).exited
    expect(exit.code).toBe(2)
    expect(exit.stderr).toMatch(/^InvalidInput: .*TENSORAS_API_KEY.*\n$/)
    expect(sim.control.requestCount()).toBe(0)
  })

  it("reads the key and base URL from a .env file in the working directory, which Bun loads", async () => {
    const cwd = folderWithDotEnv(`TENSORAS_API_KEY=${sim.apiKey}\nTENSORAS_BASE_URL=${sim.baseUrl}\n`)
    const exit = await startBun("promise.ts", ["kb_abc123", "job_abc123"], { cwd, canaries: [sim.apiKey] })
      .exited
    expect(exit.stderr).toBe("")
    expect(exit.code).toBe(0)
    expect(exit.stdout.trim().split("\n").at(-1)).toBe("Completed: 482 chunks")
  })
})
