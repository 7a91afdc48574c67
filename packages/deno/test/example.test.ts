import { serveSimulator } from "@tensoras/ingestion-deno/DenoSimulator"
import { assertEquals, assertMatch, assertNotMatch } from "./assert.ts"
import { denoConfig, denoRun, repoRoot } from "./helpers.ts"

const example = `${repoRoot}examples/deno/wait.ts`
const ENV_FLAG = "--allow-env=TENSORAS_API_KEY,TENSORAS_BASE_URL"

/** What a defect would print: a stack trace or Effect's failure dump. */
const DEFECT = /\n\s+at |Uncaught|FiberFailure|\(FiberFailure\)/

Deno.test("examples/deno/wait.ts waits to completion with the minimum permissions", async () => {
  await using sim = await serveSimulator({ scenario: "docs", clock: "manual" })
  const host = new URL(sim.baseUrl).host
  // Each answered poll moves the world 10 s on, as if the example had waited that long.
  const result = await sim.control.advanceOnEachAnswer(
    10_000,
    denoRun([`--allow-net=${host}`, ENV_FLAG], example, ["kb_abc123", "job_def456", "20"], {
      TENSORAS_API_KEY: sim.apiKey,
      TENSORAS_BASE_URL: sim.baseUrl
    })
  )
  assertEquals(result.stderr, "")
  assertEquals(result.code, 0)
  const lines = result.stdout.trim().split("\n")
  assertEquals(lines[0], "processing: 8 processed, 1 failed, 245 chunks")
  assertMatch(lines.at(-2) ?? "", /^completed: \d+ processed, 1 failed, \d+ chunks$/)
  const final = sim.control.getJob("kb_abc123", "job_def456")
  assertEquals(lines.at(-1), `Completed: ${final.chunks_created} chunks, 1 documents failed`)
})

Deno.test("without --allow-env: a typed PermissionDenied naming the flag, exit code 1, no stack", async () => {
  await using sim = await serveSimulator({ scenario: "docs", clock: "manual" })
  const host = new URL(sim.baseUrl).host
  const result = await denoRun([`--allow-net=${host}`], example, ["kb_abc123", "job_abc123"], {
    TENSORAS_API_KEY: sim.apiKey,
    TENSORAS_BASE_URL: sim.baseUrl
  })
  assertEquals(result.code, 1)
  assertEquals(result.stdout, "")
  assertEquals(
    result.stderr.trim(),
    `PermissionDenied: Deno may not read the environment variable TENSORAS_API_KEY: run with ${ENV_FLAG}`
  )
  assertNotMatch(result.stderr, DEFECT)
  assertEquals(sim.control.requestCount(), 0)
})

Deno.test("without --allow-net for the API's host: PermissionDenied naming --allow-net=<host>", async () => {
  await using sim = await serveSimulator({ scenario: "docs", clock: "manual" })
  const host = new URL(sim.baseUrl).host
  // Net access to another host only: the simulator's host is still not allowed.
  const result = await denoRun(
    ["--allow-net=example.invalid", ENV_FLAG],
    example,
    ["kb_abc123", "job_abc123"],
    {
      TENSORAS_API_KEY: sim.apiKey,
      TENSORAS_BASE_URL: sim.baseUrl
    }
  )
  assertEquals(result.code, 1)
  assertEquals(
    result.stderr.trim(),
    `PermissionDenied: Deno may not connect to ${host}: run with --allow-net=${host}`
  )
  assertNotMatch(result.stderr, DEFECT)
  assertEquals(sim.control.requestCount(), 0)
})

Deno.test("without TENSORAS_API_KEY: a ConfigError, exit code 1, no stack", async () => {
  const result = await denoRun(["--allow-net=127.0.0.1", ENV_FLAG], example, ["kb_abc123", "job_abc123"], {})
  assertEquals(result.code, 1)
  // Effect 4's text of a variable that is not set: the schema's issue, at the variable's name.
  assertEquals(result.stderr.trim(), 'ConfigError: Expected string at ["TENSORAS_API_KEY"]')
  assertNotMatch(result.stderr, DEFECT)
})

Deno.test("SIGINT interrupts the wait: the request in flight is aborted, exit code 130", async () => {
  await using sim = await serveSimulator({ scenario: "docs", clock: "manual" })
  sim.control.injectFault({ kind: "hang", route: "get" })
  const host = new URL(sim.baseUrl).host
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--no-prompt",
      "--config",
      denoConfig,
      `--allow-net=${host}`,
      ENV_FLAG,
      example,
      "kb_abc123",
      "job_def456"
    ],
    cwd: repoRoot,
    env: { TENSORAS_API_KEY: sim.apiKey, TENSORAS_BASE_URL: sim.baseUrl },
    stdout: "piped",
    stderr: "piped"
  }).spawn()
  await sim.control.waitForRequests(1)
  child.kill("SIGINT")
  const output = await child.output()
  assertEquals(output.code, 130)
  assertEquals(new TextDecoder().decode(output.stderr), "")
  const [request] = await sim.control.waitForRequests(1, { settled: true })
  assertEquals(request?.outcome, "hung")
  assertEquals(sim.control.requestCount(), 1)
})
