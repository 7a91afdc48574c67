import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { createIngestionJobsClient, IngestionError, WaitError } from "@tensoras/ingestion"
import { afterAll, describe, expect, it } from "vitest"
import { Eventually, Scenarios, TestProcess } from "../src/index.js"
import * as SimulatorControl from "../src/SimulatorControl.js"

// The source entry through tsx, so the test needs no build; `dist/bin.js` is the same module compiled.
const BIN = fileURLToPath(new URL("../src/bin.ts", import.meta.url))
const EXAMPLE = fileURLToPath(new URL("../../../examples/simulator-scenario/scenario.json", import.meta.url))
const DOCS_KEY = "tns_your_key_here"

const start = (args: ReadonlyArray<string>, options?: TestProcess.NodeOptions): TestProcess.Spawned =>
  TestProcess.node(BIN, args, options)

const scratch = mkdtempSync(join(tmpdir(), "tensoras-simulator-"))

afterAll(async () => {
  await TestProcess.stopAll()
  rmSync(scratch, { recursive: true, force: true })
})

/** The value of a `name: value` line the bin printed at start. */
const printed = async (child: TestProcess.Spawned, name: string): Promise<string> =>
  (await child.line((line) => line.startsWith(`${name}: `))).slice(name.length + 2)

const literally = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")

/** The error a promise rejects with. */
const rejection = (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    () => {
      throw new Error("it resolved")
    },
    (error: unknown) => error
  )

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

  it("prints the scenario and ids after the URL, never a key or token it was given, and exits 0 on SIGINT", async () => {
    // The key and token given are canaries: the child's output containing one fails the test.
    const given = ["--api-key", "tns_cli_key", "--control-token", "ctl_given_token"]
    const child = start(["--scenario", "failing", "--clock", "manual", ...given], {
      canaries: ["tns_cli_key", "ctl_given_token"]
    })
    await child.printed("try: curl")
    child.kill("SIGINT")
    const { code, stdout } = await child.exited
    expect(code).toBe(0)
    const lines = stdout.split("\n")
    expect(lines[1]).toMatch(/^scenario: failing/)
    expect(stdout).toContain("api key: not shown (the key you gave)")
    expect(stdout).toContain("control token: not shown (the token you gave)")
    expect(stdout).toContain('try: curl -H "Authorization: Bearer $TENSORAS_API_KEY"')
    expect(stdout).toContain("knowledge base kb_failing: job_failing (queued), job_rejected (queued)")
  })

  it("prints usage for --help, every built-in scenario on a line of its own, and exits 0", async () => {
    const { code, stdout } = await start(["--help"]).exited
    expect(code).toBe(0)
    expect(stdout).toMatch(/^Usage: tensoras-simulator/)
    const lines = stdout.split("\n")
    for (const [name, scenario] of Object.entries(Scenarios.builtIn)) {
      expect(lines.filter((line) => new RegExp(`^  ${name} +\\S`).test(line))).toEqual([
        expect.stringMatching(new RegExp(`^  ${name} +${literally(scenario.description)}$`))
      ])
    }
  })

  it.each([
    [["--bogus"], /Unknown option '--bogus'/],
    [["--port", "http"], /--port must be an integer/],
    [["--scenario", "nope"], /unknown scenario 'nope'/],
    [["--clock", "fast"], /--clock must be 'real' or 'manual'/],
    [["--key", " "], /--key must be one word/],
    [["--key", "tns_a", "--api-key", "tns_b"], /give --key or --api-key, not both/]
  ])("rejects %j on stderr with exit code 2", async (args, message) => {
    const { code, stdout, stderr } = await start(args).exited
    expect(code).toBe(2)
    expect(stderr).toMatch(message)
    expect(stdout).toBe("")
  })
})

describe("tensoras-simulator --scenario FILE", () => {
  it("serves the example file: a real client meets its faults; the clock moved from outside moves its jobs", async () => {
    const child = start(["--scenario", EXAMPLE, "--clock", "manual"])
    const baseUrl = await child.line(() => true)
    const control = SimulatorControl.connect({
      url: await printed(child, "control"),
      token: await printed(child, "control token")
    })
    // The docs' example key is the default, and printing it is intended.
    expect(await printed(child, "api key")).toBe(DOCS_KEY)
    const client = createIngestionJobsClient({ apiKey: DOCS_KEY, baseUrl, maxRetries: 0 })

    // kb_crawl's first list is rate limited; job_wiki's second poll gets a 503.
    expect(await rejection(client.list("kb_crawl"))).toMatchObject({
      _tag: "RateLimited",
      retryAfterMs: 1_000
    })
    expect((await client.list("kb_crawl")).data.map((job) => job.id)).toEqual(["job_crawl"])
    expect((await client.get("kb_wiki", "job_wiki")).status).toBe("processing")
    expect(await rejection(client.get("kb_wiki", "job_wiki"))).toBeInstanceOf(IngestionError.ServerError)

    // Two waits polling on the manual clock: nothing ends until the test moves it from outside.
    const docs = client.waitFor("kb_docs", "job_docs", { pollIntervalMs: 5 })
    const crawl = rejection(client.waitFor("kb_crawl", "job_crawl", { pollIntervalMs: 5 }))
    await control.waitForRequests(2, { filter: { jobId: "job_docs" }, settled: true })
    await control.waitForRequests(2, { filter: { jobId: "job_crawl" }, settled: true })
    expect(await control.advance(9_000)).toBe(Date.UTC(2025, 0, 1) + 9_000)
    expect(await Eventually.within("job_docs' wait", docs)).toMatchObject({
      status: "completed",
      chunks_created: 50
    })
    const failed = await Eventually.within("job_crawl's wait", crawl)
    expect(failed).toBeInstanceOf(WaitError.IngestionJobFailed)
    expect((failed as WaitError.IngestionJobFailed).job.error?.message).toBe("Embedding service unavailable")

    // The request log, read from outside: the faulted answers, each with its fault.
    const faulted = (await control.requests()).filter((record) => record.faults.length > 0)
    expect(faulted.map((record) => [record.path, record.status, record.faults[0]?.kind])).toEqual([
      ["/v1/knowledge-bases/kb_crawl/ingestion-jobs", 429, "rate-limit"],
      ["/v1/knowledge-bases/kb_wiki/ingestion-jobs/job_wiki", 503, "server-error"]
    ])
    child.kill("SIGTERM")
    const exit = await child.exited
    expect([exit.code, exit.stderr]).toEqual([0, ""])
    expect(exit.stdout.split("\n")[1]).toBe("scenario: three-kbs")
  })

  it("refuses a bad file before serving anything: exit 2, the bad field named", async () => {
    const file = join(scratch, "bad.json")
    writeFileSync(
      file,
      JSON.stringify({
        knowledgeBases: [{ id: "kb_a", jobs: [{ id: "job_a", documents: [{ name: "a.md", chunks: -3 }] }] }]
      })
    )
    const { code, stdout, stderr } = await start(["--scenario", file]).exited
    expect(code).toBe(2)
    expect(stdout).toBe("")
    expect(stderr).toBe(
      `tensoras-simulator: cannot serve the scenario file ${file}:\n` +
        "  knowledgeBases[0].jobs[0].documents[0].chunks: Expected a value greater than or equal to 0, got -3\n"
    )
  })

  it("refuses a file that is not JSON", async () => {
    const file = join(scratch, "broken.json")
    writeFileSync(file, "{ knowledgeBases: [")
    const { code, stdout, stderr } = await start(["--scenario", file]).exited
    expect([code, stdout]).toEqual([2, ""])
    expect(stderr).toMatch(/cannot serve the scenario file .*broken\.json:\n {2}\(the file\): not JSON/)
  })
})
