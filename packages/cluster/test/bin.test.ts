import * as IngestionId from "@tensoras/ingestion/IngestionId"
import * as Redaction from "@tensoras/ingestion/Redaction"
import { Eventually, NodeSimulator } from "@tensoras/ingestion-testkit"
import * as Effect from "effect/Effect"
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest"
import { parse, secretsIn } from "../src/internal/cli/args.js"
import { EVENTS } from "./support/eventLimit.js"
import { createDatabase, psql } from "./support/postgres.js"
import {
  type RunnerProcess,
  runnerPort,
  runWait,
  startRunner,
  startWait,
  stopAll
} from "./support/processes.js"
import { byJob } from "./support/waitOutput.js"

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
    expect(usage(["wait", "kb_1", "job_1", "--timeout", "5"])).toMatch(
      /^--timeout must be a positive whole number/
    )
    expect(usage(["wait", "kb_1", "--jobs-file", "/nonexistent/jobs.txt"])).toBe(
      "cannot read --jobs-file '/nonexistent/jobs.txt': ENOENT"
    )
  })

  it("checks every ID by core's rule, with core's message, before anything starts", () => {
    const invalid = (args: ReadonlyArray<string>) => {
      const parsed = parse(args, env, "0.0.0", () => "")
      return parsed._tag === "Invalid" ? parsed.message : `not invalid input: ${parsed._tag}`
    }
    expect(invalid(["wait", "kb_1", "job_1", "job/x"])).toBe(
      `InvalidInput (jobId): ${IngestionId.idProblem("jobId", "job/x")}`
    )
    expect(invalid(["wait", "kb_1", " job_2"])).toMatch(/^InvalidInput \(jobId\): jobId must not contain " "/)
    expect(invalid(["wait", "..", "job_1"])).toBe(
      `InvalidInput (knowledgeBaseId): ${IngestionId.idProblem("knowledgeBaseId", "..")}`
    )
    expect(parse(["wait", "kb_1", "job_1"], env, "0.0.0", () => "")._tag).toBe("Run")
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

  it("passes Effect's log lines (a runner's warnings) through the scrubber", async () => {
    const { withScrubbedLogs } = await import("../src/internal/cli/main.js")
    const lines: Array<string> = []
    const scrub = Redaction.makeScrub(
      secretsIn([], { ...env, TENSORAS_DATABASE_URL: `postgres://u:${PASSWORD}@db/x` })
    )
    await Effect.runPromise(
      withScrubbedLogs(
        Effect.logWarning(
          `registering a wait failed; retrying: key ${API_KEY}, url postgres://u:${PASSWORD}@db/x`
        ),
        scrub,
        (line) => lines.push(line)
      )
    )
    expect(lines.join("")).toContain("registering a wait failed")
    expect(lines.join("")).not.toContain(API_KEY)
    expect(lines.join("")).not.toContain(PASSWORD)
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
    await Eventually.within("the runner ready", runner.ready, EVENTS)
  })

  afterAll(async () => {
    await stopAll()
    await sim?.close()
  })

  const jobs = ["job_ok", "job_partial", "job_fail", "job_slow", "job_missing"]

  it("prints one NDJSON object per job when it ends, and exits 1 unless every job completed", async () => {
    const run = await Eventually.within(
      "the wait command",
      runWait(["kb_cli", ...jobs, "--timeout", "15s", "--json"], { TENSORAS_DATABASE_URL: databaseUrl }),
      EVENTS
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
      await runWait(["kb_cli", "job_ok", "job_fail", "job_slow", "--timeout", "6s", "--json"], {
        TENSORAS_DATABASE_URL: databaseUrl
      }),
      await runWait(["kb_cli", "job_ok", "job_fail", "job_slow", "--timeout", "6s"], {
        TENSORAS_DATABASE_URL: databaseUrl
      })
    ]
    // job_slow timed out in the first test: each command waits on it again, for its own --timeout.
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
    // The command's timeout says what the polls of the wait saw, as the wait's own timeout would.
    expect(byJob(first.stdout).job_slow).toEqual(
      expect.objectContaining({ message: expect.stringMatching(/last status: queued, [1-9]\d* responses/) })
    )
  })

  it("waits again on a job whose wait timed out, and its --timeout counts from the command's start", async () => {
    const env = { TENSORAS_DATABASE_URL: databaseUrl }
    // job_late stays queued until the test moves the simulator's clock to its end: a first command gives up on
    // it, a second one waits for it again and sees it complete.
    sim.control.addDataSource("kb_cli", {
      jobId: "job_late",
      queuedMs: 600_000,
      documents: [{ name: "notes.md", durationMs: 5_000 }]
    })
    const waitsOn = async (jobId: string) =>
      Number(
        (await psql(databaseUrl, `SELECT count(*) FROM tensoras_waits WHERE job_id = '${jobId}'`))[0]?.[0]
      )
    const first = await runWait(["kb_cli", "job_late", "--timeout", "3s", "--json"], env)
    expect(byJob(first.stdout).job_late).toEqual(expect.objectContaining({ outcome: "timed_out" }))
    expect(first.code).toBe(1)
    // A wait with a long deadline is running on job_slow: a command with a short --timeout gives up at its own.
    const before = await waitsOn("job_slow")
    const long = startWait(["kb_cli", "job_slow", "--timeout", "20m", "--json"], env)
    await Eventually.until(
      "job_slow's 20 minute wait registered",
      async () => (await waitsOn("job_slow")) > before,
      EVENTS
    )
    const short = await runWait(["kb_cli", "job_slow", "--timeout", "3s", "--json"], env)
    expect(byJob(short.stdout).job_slow).toEqual(expect.objectContaining({ outcome: "timed_out" }))
    expect(short.code).toBe(1)
    long.kill("SIGINT")
    expect((await Eventually.within("the 20 minute wait's exit", long.exited, EVENTS)).code).toBe(130)
    // A new wait on job_late, registered before the job ends (10 minutes on; job_slow stays queued).
    const second = startWait(["kb_cli", "job_late", "--json"], env)
    await Eventually.until(
      "job_late's second wait registered",
      async () => (await waitsOn("job_late")) === 2,
      EVENTS
    )
    sim.control.advanceToTerminal("kb_cli", "job_late")
    const secondExit = await Eventually.within("the second command on job_late", second.exited, EVENTS)
    expect(byJob(secondExit.stdout).job_late).toEqual({
      job_id: "job_late",
      outcome: "completed",
      documents_failed: 0
    })
    expect(secondExit.code).toBe(0)
  })

  it("exits 0 when every job completed", async () => {
    const run = await runWait(["kb_cli", "job_ok", "job_partial"], { TENSORAS_DATABASE_URL: databaseUrl })
    expect(run.code).toBe(0)
  })
})
