import { fileURLToPath } from "node:url"
import { afterAll, describe, expect, it } from "vitest"
import { TestProcess } from "../src/index.js"

// The source entry through tsx, so the test needs no build; `dist/bin.js` is the same module compiled.
const BIN = fileURLToPath(new URL("../src/bin.ts", import.meta.url))

const start = (args: ReadonlyArray<string>): TestProcess.Spawned => TestProcess.node(BIN, args)

afterAll(() => TestProcess.stopAll())

// One child process at a time: seven Node processes starting at once on a busy 2-core machine is how
// a suite gets slow enough to fail. Each waits for its events under the tests' one limit.
describe("tensoras-simulator (the bin)", () => {
  it("prints the base URL alone on its first line, serves the docs scenario, exits 0 on SIGTERM", async () => {
    const child = start(["--scenario", "docs"])
    const baseUrl = await child.line(() => true)
    expect(baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/)
    const response = await fetch(`${baseUrl}/knowledge-bases/kb_abc123/ingestion-jobs`, {
      headers: { authorization: "Bearer tns_your_key_here" }
    })
    expect(response.status).toBe(200)
    expect((await response.json()).data.map((job: { id: string }) => job.id)).toEqual([
      "job_abc123",
      "job_def456"
    ])
    child.kill("SIGTERM")
    const exit = await child.exited
    expect(exit.code).toBe(0)
    expect(exit.stderr).toBe("")
  })

  it("prints the scenario, key and ids after the URL, and exits 0 on SIGINT", async () => {
    const child = start(["--scenario", "failing", "--clock", "manual", "--api-key", "tns_cli_key"])
    await child.printed("try: curl")
    child.kill("SIGINT")
    const { code, stdout } = await child.exited
    expect(code).toBe(0)
    const lines = stdout.split("\n")
    expect(lines[1]).toMatch(/^scenario: failing/)
    expect(stdout).toContain("api key: tns_cli_key")
    expect(stdout).toContain("knowledge base kb_failing: job_failing (queued), job_rejected (queued)")
  })

  it("prints usage for --help and exits 0", async () => {
    const { code, stdout } = await start(["--help"]).exited
    expect(code).toBe(0)
    expect(stdout).toMatch(/^Usage: tensoras-simulator/)
  })

  it.each([
    [["--bogus"], /Unknown option '--bogus'/],
    [["--port", "http"], /--port must be an integer/],
    [["--scenario", "nope"], /unknown scenario 'nope'/],
    [["--clock", "fast"], /--clock must be 'real' or 'manual'/]
  ])("rejects %j on stderr with exit code 2", async (args, message) => {
    const { code, stdout, stderr } = await start(args).exited
    expect(code).toBe(2)
    expect(stderr).toMatch(message)
    expect(stdout).toBe("")
  })
})
