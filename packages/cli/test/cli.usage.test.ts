import { readFileSync } from "node:fs"
import * as IngestionJob from "@tensoras/ingestion/IngestionJob"
import * as IngestionJobs from "@tensoras/ingestion/IngestionJobs"
import * as WaitEngine from "@tensoras/ingestion/WaitEngine"
import * as Duration from "effect/Duration"
import { describe, expect, it } from "vitest"
import { DEFAULT_TIMEOUT_MS, STATUSES } from "../src/internal/args.js"
import { DEFAULT_BASE_URL } from "../src/internal/usage.js"
import { CANARY, envFor, linesOf, runCli, runCliLoggingModules, spawnCli, withSimulator } from "./helpers.js"

const manifest = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"))

describe.concurrent("tensoras-ingest: help and usage", () => {
  for (const args of [
    ["--help"],
    ["jobs", "-h"],
    ["jobs", "list", "--help"],
    ["jobs", "get", "-h"],
    ["simulate", "--help"],
    ["demo", "--help"],
    ["watch", "--help"]
  ]) {
    it(`${args.join(" ")} prints the usage on stdout, exit 0`, async () => {
      // A key in the environment or on the command line never shows up in a help text.
      const keyFlag = args[0] === "jobs" ? ["--api-key", CANARY] : []
      const run = await runCli([...args, ...keyFlag], { env: { TENSORAS_API_KEY: CANARY } })
      expect(run.stderr).toBe("")
      expect(run.stdout).toMatch(/^Usage: tensoras-ingest /)
      expect(run.code).toBe(0)
    })
  }

  it("--help and jobs wait --help list every exit code of docs/cli.md", async () => {
    const documented = [
      ...readFileSync(new URL("../../../docs/cli.md", import.meta.url), "utf8").matchAll(/^\| (\d+) \|/gm)
    ].map((match) => match[1])
    expect(documented).toEqual(["0", "1", "2", "3", "4", "70", "130", "143"])
    for (const args of [["--help"], ["jobs", "wait", "--help"]]) {
      const run = await runCli(args)
      const listed = [...run.stdout.matchAll(/^ {2}(\d+) +\S/gm)].map((match) => match[1])
      expect(listed).toEqual(documented)
    }
  })

  it("jobs wait --help documents durations", async () => {
    const run = await runCli(["jobs", "wait", "--help"])
    expect(run.stdout).toContain("500ms, 5s, 2m, 1h")
  })

  it("--version prints the package's version", async () => {
    const run = await runCli(["--version"])
    expect([run.code, run.stdout]).toEqual([0, `${manifest.version}\n`])
  })

  for (const [args, message] of [
    [[], "error: missing command"],
    [["ingest"], "error: unknown command 'ingest'"],
    [["jobs"], "error: missing jobs command: list, get or wait"],
    [["demo", "--json"], "error: unknown option '--json'"]
  ] as const) {
    it(`'${args.join(" ")}': usage on stderr, exit 2`, async () => {
      const run = await runCli(args)
      expect(run.stdout).toBe("")
      expect(run.stderr.split("\n\n")[0]).toBe(message)
      expect(run.stderr).toMatch(/\n\nUsage: tensoras-ingest/)
      expect(run.code).toBe(2)
    })
  }

  it("an unknown scenario for simulate is exit 2", async () => {
    const run = await runCli(["simulate", "--scenario", "nope"])
    expect(run.code).toBe(2)
    expect(run.stderr).toMatch(/^error: --scenario must be one of docs, empty, paginated, realistic/)
  })
})

// Effect's modules, wherever the package manager put them (`node_modules/effect/` or pnpm's store).
const isEffect = (url: string) => /\/node_modules\/effect\//.test(url)

describe.concurrent("tensoras-ingest: help, version and usage errors load no Effect", () => {
  for (const args of [
    ["--help"],
    ["--version"],
    [],
    ["jobs", "wait", "--help"],
    ["jobs", "list", "kb_abc123", "--limit", "0"],
    ["jobs", "get", "kb_abc123", "job/x"],
    ["jobs", "wait", "kb_abc123", "job_abc123", "--timeout", "5"],
    ["simulate", "--scenario", "nope"],
    ["watch", "kb_abc123", "--web"]
  ]) {
    it(`'${args.join(" ")}'`, async () => {
      const run = await runCliLoggingModules(args, { env: { TENSORAS_API_KEY: CANARY } })
      expect(run.code).toBe(args[0] === "--help" || args[0] === "--version" || args[2] === "--help" ? 0 : 2)
      // The log is the command's own: its entry point was resolved.
      expect(run.modules.some((url) => url.endsWith("/packages/cli/src/bin.ts"))).toBe(true)
      expect(run.modules.filter(isEffect)).toEqual([])
    })
  }

  it("a command that runs does load Effect (the log would show it)", () =>
    withSimulator({ scenario: "docs" }, async (simulator) => {
      const run = await runCliLoggingModules(["jobs", "get", "kb_abc123", "job_abc123"], {
        env: envFor(simulator)
      })
      expect(run.code).toBe(0)
      expect(run.modules.filter(isEffect).length).toBeGreaterThan(0)
    }))

  it("what the parser restates of core equals core's", () => {
    expect(STATUSES).toEqual(IngestionJob.KNOWN_STATUSES)
    expect(DEFAULT_TIMEOUT_MS).toBe(Duration.toMillis(WaitEngine.DEFAULT_TIMEOUT))
    expect(DEFAULT_BASE_URL).toBe(IngestionJobs.DEFAULT_BASE_URL)
  })
})

describe.concurrent("tensoras-ingest simulate", () => {
  for (const signal of ["SIGINT"] as const) {
    it(`prints the base URL first, then the key and IDs; serves until ${signal}, exit 0`, async () => {
      const cli = spawnCli(["simulate", "--scenario", "failing"])
      const output = await cli.printed("try: ")
      const lines = linesOf(output)
      expect(lines[0]).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/)
      expect(lines[1]).toMatch(/^scenario: failing - /)
      const key = lines
        .map((line) => /^api key: (tns_\S+)$/.exec(line)?.[1])
        .find((found) => found !== undefined)
      expect(lines).toContain("knowledge base kb_failing: job_failing (queued), job_rejected (queued)")
      const response = await fetch(`${lines[0]}/knowledge-bases/kb_failing/ingestion-jobs/job_rejected`, {
        headers: { authorization: `Bearer ${key}` }
      })
      expect(response.status).toBe(200)
      expect((await response.json()).id).toBe("job_rejected")
      cli.kill(signal)
      const run = await cli.exited
      expect(run.code).toBe(0)
      expect(run.stderr).toBe("")
    })
  }
})
