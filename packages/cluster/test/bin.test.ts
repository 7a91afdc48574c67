import { NodeSimulator } from "@tensoras/ingestion-testkit"
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest"
import { parse } from "../src/internal/cli/args.js"
import { createDatabase } from "./support/postgres.js"
import { type RunnerProcess, runnerPort, runWait, startRunner, stopAll } from "./support/processes.js"
import { within } from "./support/until.js"

const API_KEY = "tns_canary_cli_0123456789abcdef"
const PASSWORD = "pw-canary-4d1f9e"

describe("tensoras-cluster: the command line is checked before anything starts", () => {
  const env = {
    TENSORAS_DATABASE_URL: "postgres://postgres@127.0.0.1:5432/postgres",
    TENSORAS_API_KEY: API_KEY
  }
  const usage = (args: ReadonlyArray<string>, environment: NodeJS.ProcessEnv = env) => {
    const parsed = parse(args, environment, "0.0.0", () => "")
    return parsed._tag === "Usage" ? parsed.message : `not a usage error: ${parsed._tag}`
  }

  it("needs a database, from --database-url or TENSORAS_DATABASE_URL", () => {
    expect(usage(["wait", "kb_1", "job_1"], {})).toBe(
      "no database: pass --database-url or set TENSORAS_DATABASE_URL"
    )
    expect(usage(["wait", "kb_1", "job_1", "--database-url", "mysql://x"], {})).toBe(
      "--database-url must be a postgres:// URL"
    )
  })

  it("needs a knowledge base and at least one job, and whole durations with a unit", () => {
    expect(usage(["wait"])).toBe("a knowledge base id is required")
    expect(usage(["wait", "kb_1"])).toBe("at least one job id is required (arguments or --jobs-file)")
    expect(usage(["wait", "kb_1", "job_1", "--timeout", "5"])).toMatch(/^--timeout must be a whole number/)
    expect(usage(["wait", "kb_1", "--jobs-file", "/nonexistent/jobs.txt"])).toBe(
      "cannot read --jobs-file '/nonexistent/jobs.txt': ENOENT"
    )
  })

  it("reads job ids from a file, one a line, and waits once for a job named twice", () => {
    const parsed = parse(
      ["wait", "kb_1", "job_1", "--jobs-file", "-"],
      env,
      "0.0.0",
      () => "job_2\n\n# note\njob_1\n"
    )
    expect(parsed._tag === "Run" && parsed.command._tag === "Wait" && parsed.command.jobIds).toEqual([
      "job_1",
      "job_2"
    ])
  })

  it("runs a runner only with an API key and a port", () => {
    expect(usage(["runner"], { TENSORAS_DATABASE_URL: env.TENSORAS_DATABASE_URL })).toBe(
      "no API key: set TENSORAS_API_KEY"
    )
    expect(usage(["runner", "--port", "99999"])).toBe("--port must be a port number (got '99999')")
    expect(usage(["runner", "--verbose"])).toMatch(/Unknown option '--verbose'/)
  })
})

describe("tensoras-cluster wait, against a runner", () => {
  let sim: NodeSimulator.RunningSimulator
  let databaseUrl: string
  let runner: RunnerProcess

  beforeAll(async () => {
    const url = new URL(await createDatabase(inject("postgresUrl"), "cluster_cli"))
    // The server trusts local connections: the password is not needed, only checked for never being printed.
    url.password = PASSWORD
    databaseUrl = url.toString()
    sim = await NodeSimulator.start({ scenario: "empty", clock: "real", apiKey: API_KEY })
    sim.control.addKnowledgeBase("kb_cli")
    const document = (durationMs: number) => [{ name: "notes.md", durationMs }]
    sim.control.addDataSource("kb_cli", { jobId: "job_ok", queuedMs: 2_000, documents: document(8_000) })
    sim.control.addDataSource("kb_cli", {
      jobId: "job_partial",
      queuedMs: 2_000,
      documents: [
        ...document(4_000),
        { name: "scan.pdf", durationMs: 4_000, fail: "The PDF is password-protected" }
      ]
    })
    sim.control.addDataSource("kb_cli", {
      jobId: "job_fail",
      queuedMs: 2_000,
      documents: document(8_000),
      failure: { afterMs: 9_000, error: { message: "Embedding service unavailable" } }
    })
    sim.control.addDataSource("kb_cli", {
      jobId: "job_slow",
      queuedMs: 3_600_000,
      documents: document(1_000)
    })
    runner = startRunner({
      name: "r1",
      databaseUrl,
      baseUrl: sim.baseUrl,
      apiKey: API_KEY,
      port: runnerPort(),
      pollInterval: "1s"
    })
    await within("the runner ready", runner.ready)
  })

  afterAll(async () => {
    await stopAll()
    await sim?.close()
  })

  const jobs = ["job_ok", "job_partial", "job_fail", "job_slow", "job_missing"]
  const byJob = (stdout: string) =>
    Object.fromEntries(
      stdout
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line) as { job_id: string })
        .map((line) => [line.job_id, line])
    )

  it("prints one NDJSON object per job when it ends, and exits 1 unless every job completed", async () => {
    const run = await within(
      "the wait command",
      runWait(["kb_cli", ...jobs, "--timeout", "15s", "--json"], { TENSORAS_DATABASE_URL: databaseUrl })
    )
    expect(run.stderr).toBe("")
    expect(byJob(run.stdout)).toEqual({
      job_ok: { job_id: "job_ok", outcome: "completed", documents_failed: 0 },
      job_partial: { job_id: "job_partial", outcome: "completed", documents_failed: 1 },
      job_fail: {
        job_id: "job_fail",
        outcome: "failed",
        _tag: "IngestionJobFailed",
        documents_failed: 0,
        message: "Embedding service unavailable"
      },
      job_slow: expect.objectContaining({ job_id: "job_slow", outcome: "timed_out", _tag: "WaitTimeout" }),
      job_missing: expect.objectContaining({
        job_id: "job_missing",
        outcome: "error",
        _tag: "NotFound",
        documents_failed: null
      })
    })
    expect(run.code).toBe(1)
    expect(`${run.stdout}${run.stderr}${runner.stderr()}`).not.toContain(PASSWORD)
    expect(`${run.stdout}${run.stderr}${runner.stderr()}`).not.toContain(API_KEY)
  })

  it("joins the same waits when run again, answering the finished ones with the same outcomes", async () => {
    const [first, again] = [
      await runWait(["kb_cli", "job_ok", "job_fail", "job_slow", "--json"], {
        TENSORAS_DATABASE_URL: databaseUrl
      }),
      await runWait(["kb_cli", "job_ok", "job_fail", "job_slow"], { TENSORAS_DATABASE_URL: databaseUrl })
    ]
    // The timeout of the first start stands: job_slow is still timed out, not waited on for 30 minutes more.
    expect(byJob(first.stdout)).toEqual({
      job_ok: expect.objectContaining({ outcome: "completed" }),
      job_fail: expect.objectContaining({ outcome: "failed" }),
      job_slow: expect.objectContaining({ outcome: "timed_out" })
    })
    const lines = again.stdout.trim().split("\n")
    expect(lines).toHaveLength(3)
    expect(lines).toEqual(
      expect.arrayContaining([
        "✔ job_ok completed, 0 documents failed",
        "✖ job_fail failed, 0 documents failed: IngestionJobFailed: Embedding service unavailable",
        expect.stringMatching(/^⏱ job_slow timed out, 0 documents failed: WaitTimeout: /)
      ])
    )
    expect([first.code, again.code]).toEqual([1, 1])
  })

  it("exits 0 when every job completed", async () => {
    const run = await runWait(["kb_cli", "job_ok", "job_partial"], { TENSORAS_DATABASE_URL: databaseUrl })
    expect(run.code).toBe(0)
  })
})
