// The Effect API on real Bun: examples/bun/wait.ts (BunIngestion.layerConfig + runMain) against the
// simulator, which runs in this (Node) test process and sees every request Bun sends.
import { spawnSync } from "node:child_process"
import type * as NodeSimulator from "@tensoras/ingestion-testkit/NodeSimulator"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import {
  against,
  bunPath,
  DEFECT,
  folderWithDotEnv,
  pinnedBunVersion,
  startBun,
  startProgram,
  startSimulator
} from "./helpers.js"

let sim: NodeSimulator.RunningSimulator
beforeEach(async () => {
  sim = await startSimulator()
})
afterEach(() => sim.close())

describe("BunIngestion on Bun", () => {
  it("runs on the Bun the workspace pins", () => {
    const result = spawnSync(bunPath, ["--version"], { encoding: "utf8" })
    expect(result.stdout.trim()).toBe(pinnedBunVersion)
  })

  it("Bun's own `undici` has no `Dispatcher.request`: why Bun has this adapter, not the Node one", () => {
    // Bun answers `import "undici"` with a module of its own; `@tensoras/ingestion-node` sends through
    // `Agent.request`, so on Bun its every request fails (and is retried as a network failure).
    const probe = 'const { Agent } = await import("undici"); console.log(typeof new Agent().request)'
    const result = spawnSync(bunPath, ["-e", probe], { encoding: "utf8" })
    expect(result.stdout.trim()).toBe("undefined")
  })

  it.each(["promise", "effect"] as const)(
    "the Node adapter on Bun (%s API) is refused at once, naming this adapter: no request, no retries",
    async (api) => {
      // Before: every request failed as a network failure, was retried, and the wait ended with
      // `Unreachable` ("check that it runs at …") however healthy the service.
      const exit = await startProgram("nodeAdapter.ts", [api], against(sim)).exited
      expect(exit.stderr).toBe("")
      expect(exit.stdout.trim()).toMatch(
        /^TypeError: @tensoras\/ingestion-node sends through undici's Dispatcher\.request, .* use @tensoras\/ingestion-bun instead$/
      )
      expect(sim.control.requestCount()).toBe(0)
    }
  )

  it("waits to completion: progress on each change, the outcome, exit 0, no key printed", async () => {
    // Each answered poll moves the world 10 s on, as if the example had waited that long.
    const exit = await sim.control.advanceOnEachAnswer(
      10_000,
      startBun("wait.ts", ["kb_abc123", "job_def456", "20"], against(sim)).exited
    )
    expect(exit.stderr).toBe("")
    expect(exit.code).toBe(0)
    const lines = exit.stdout.trim().split("\n")
    expect(lines[0]).toBe("processing: 8 processed, 1 failed, 245 chunks")
    expect(lines.at(-2)).toMatch(/^completed: \d+ processed, 1 failed, \d+ chunks$/)
    const final = sim.control.getJob("kb_abc123", "job_def456")
    expect(lines.at(-1)).toBe(`Completed: ${final.chunks_created} chunks, 1 documents failed`)
    expect(sim.control.requests.every((request) => request.authorized)).toBe(true)
  })

  it.each([
    ["SIGINT", 130],
    ["SIGTERM", 143]
  ] as const)("%s interrupts the wait: the request in flight is aborted, exit %i", async (signal, code) => {
    sim.control.injectFault({ kind: "hang", route: "get" })
    const child = startBun("wait.ts", ["kb_abc123", "job_def456"], against(sim))
    await sim.control.waitForRequests(1)
    child.kill(signal)
    const exit = await child.exited
    expect(exit.code).toBe(code)
    expect(exit.stderr).toBe("")
    const [request] = await sim.control.waitForRequests(1, { settled: true })
    expect(request?.outcome).toBe("hung")
    expect(sim.control.requestCount()).toBe(1)
  })

  it("a redirect is not followed: ResponseDecodeError on one line, exit 4, one request", async () => {
    sim.control.injectFault({ kind: "redirect", route: "get" })
    const exit = await startBun("wait.ts", ["kb_abc123", "job_def456"], against(sim)).exited
    expect(exit.code).toBe(4)
    expect(exit.stderr).toMatch(/^ResponseDecodeError: The service answered HTTP 30\d, a redirect to .*\n$/)
    expect(sim.control.requestCount()).toBe(1)
  })

  it("a key echoed back by the service, in a job or in an error, is never printed", async () => {
    // The canary check is `against`'s: `exited` rejects if the key shows in stdout or stderr.
    sim.control.injectFault({ kind: "echo-key", route: "get" })
    const echoedInJob = await sim.control.advanceOnEachAnswer(
      10_000,
      startBun("wait.ts", ["kb_abc123", "job_def456", "20"], against(sim)).exited
    )
    expect(echoedInJob.code).toBe(0)
    expect(echoedInJob.stdout).toContain("<redacted>")

    sim.control.injectFault({ kind: "echo-key", route: "get", status: 401 })
    const echoedInError = await startBun("wait.ts", ["kb_abc123", "job_def456"], against(sim)).exited
    expect(echoedInError.code).toBe(4)
    expect(echoedInError.stderr).toMatch(/^Unauthorized: .*<redacted>.*\n$/)
    expect(echoedInError.stderr).not.toMatch(DEFECT)
  })
})

describe("BunIngestion.layerConfig on Bun: TENSORAS_API_KEY / TENSORAS_BASE_URL", () => {
  it("without TENSORAS_API_KEY: a ConfigError on one line, exit 1, nothing sent", async () => {
    // In a folder without a `.env`, so that nothing but the environment given here is read.
    const cwd = folderWithDotEnv("")
    const exit = await startBun("wait.ts", ["kb_abc123", "job_def456"], {
      cwd,
      env: { TENSORAS_BASE_URL: sim.baseUrl }
    }).exited
    expect(exit.code).toBe(1)
    expect(exit.stderr.trim()).toBe('ConfigError: Expected string at ["TENSORAS_API_KEY"]')
    expect(sim.control.requestCount()).toBe(0)
  })

  it("TENSORAS_API_KEY set to the empty string is unset", async () => {
    const exit = await startBun("wait.ts", ["kb_abc123", "job_def456"], {
      cwd: folderWithDotEnv(""),
      env: { TENSORAS_API_KEY: "", TENSORAS_BASE_URL: sim.baseUrl }
    }).exited
    expect(exit.code).toBe(1)
    expect(exit.stderr.trim()).toBe('ConfigError: Expected string at ["TENSORAS_API_KEY"]')
    expect(sim.control.requestCount()).toBe(0)
  })

  it("reads both from a .env file in the working directory, which Bun loads", async () => {
    const cwd = folderWithDotEnv(`TENSORAS_API_KEY=${sim.apiKey}\nTENSORAS_BASE_URL=${sim.baseUrl}\n`)
    const exit = await startBun("wait.ts", ["kb_abc123", "job_abc123"], { cwd, canaries: [sim.apiKey] })
      .exited
    expect(exit.stderr).toBe("")
    expect(exit.code).toBe(0)
    expect(exit.stdout.trim().split("\n").at(-1)).toBe("Completed: 482 chunks")
    expect(sim.control.requestCount()).toBe(1)
  })
})
