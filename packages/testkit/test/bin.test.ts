import { type ChildProcessByStdio, spawn } from "node:child_process"
import { once } from "node:events"
import type { Readable } from "node:stream"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"

// The source entry through tsx, so the test needs no build; `dist/bin.js` is the same module compiled.
const BIN = fileURLToPath(new URL("../src/bin.ts", import.meta.url))

type Child = ChildProcessByStdio<null, Readable, Readable>

const start = (args: ReadonlyArray<string>): Child =>
  spawn(process.execPath, ["--import", "tsx", BIN, ...args], { stdio: ["ignore", "pipe", "pipe"] })

const collect = (stream: Readable): { text: () => string } => {
  let text = ""
  stream.setEncoding("utf8")
  stream.on("data", (chunk: string) => {
    text += chunk
  })
  return { text: () => text }
}

const firstLine = (stream: Readable): Promise<string> =>
  new Promise((resolve, reject) => {
    let buffered = ""
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString("utf8")
      const newline = buffered.indexOf("\n")
      if (newline >= 0) {
        stream.off("data", onData)
        resolve(buffered.slice(0, newline))
      }
    }
    stream.on("data", onData)
    stream.once("end", () =>
      reject(new Error(`stdout ended before a full line: ${JSON.stringify(buffered)}`))
    )
  })

/** "close", not "exit": only then has everything the child wrote been read. */
const exitOf = async (child: Child): Promise<number | null> => {
  const [code] = (await once(child, "close")) as [number | null]
  return code
}

// One child process at a time: seven Node processes starting at once on a busy 2-core machine is how
// a suite gets slow enough to fail. Each waits for its events under the tests' one limit.
describe("tensoras-simulator (the bin)", () => {
  it("prints the base URL alone on its first line, serves the docs scenario, exits 0 on SIGTERM", async () => {
    const child = start(["--scenario", "docs"])
    const stderr = collect(child.stderr)
    const baseUrl = await firstLine(child.stdout)
    expect(baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/)
    const response = await fetch(`${baseUrl}/knowledge-bases/kb_abc123/ingestion-jobs`, {
      headers: { authorization: "Bearer tns_your_key_here" }
    })
    expect(response.status).toBe(200)
    expect((await response.json()).data.map((job: { id: string }) => job.id)).toEqual([
      "job_abc123",
      "job_def456"
    ])
    const exit = exitOf(child)
    child.kill("SIGTERM")
    expect(await exit).toBe(0)
    expect(stderr.text()).toBe("")
  })

  it("prints the scenario, key and ids after the URL, and exits 0 on SIGINT", async () => {
    const child = start(["--scenario", "failing", "--clock", "manual", "--api-key", "tns_cli_key"])
    const stdout = collect(child.stdout)
    const exit = exitOf(child)
    await new Promise<void>((resolve) => {
      child.stdout.on("data", () => {
        if (stdout.text().includes("try: curl")) resolve()
      })
    })
    child.kill("SIGINT")
    expect(await exit).toBe(0)
    const lines = stdout.text().split("\n")
    expect(lines[1]).toMatch(/^scenario: failing/)
    expect(stdout.text()).toContain("api key: tns_cli_key")
    expect(stdout.text()).toContain("knowledge base kb_failing: job_failing (queued), job_rejected (queued)")
  })

  it("prints usage for --help and exits 0", async () => {
    const child = start(["--help"])
    const stdout = collect(child.stdout)
    expect(await exitOf(child)).toBe(0)
    expect(stdout.text()).toMatch(/^Usage: tensoras-simulator/)
  })

  it.each([
    [["--bogus"], /Unknown option '--bogus'/],
    [["--port", "http"], /--port must be an integer/],
    [["--scenario", "nope"], /unknown scenario 'nope'/],
    [["--clock", "fast"], /--clock must be 'real' or 'manual'/]
  ])("rejects %j on stderr with exit code 2", async (args, message) => {
    const child = start(args)
    const stderr = collect(child.stderr)
    const stdout = collect(child.stdout)
    expect(await exitOf(child)).toBe(2)
    expect(stderr.text()).toMatch(message)
    expect(stdout.text()).toBe("")
  })
})
