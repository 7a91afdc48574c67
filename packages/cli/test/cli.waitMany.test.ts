import { describe, expect, it } from "vitest"
import { frame } from "../src/internal/progress.js"
import type { RunState } from "../src/internal/waitJobs.js"
import {
  drive,
  envFor,
  interruptInTerminal,
  linesOf,
  plain,
  runCli,
  spawnCli,
  withSimulator
} from "./helpers.js"

const jsonLines = (stdout: string) => linesOf(stdout).map((line) => JSON.parse(line))

// Each test has its own simulator and child process, so they run side by side.
describe.concurrent("tensoras-ingest jobs wait, several jobs", () => {
  it("waits for every job named, one loop for all; the summary counts what completed", () =>
    withSimulator({ scenario: "docs" }, async (simulator) => {
      const cli = spawnCli(["jobs", "wait", "kb_abc123", "job_abc123", "job_def456", "--interval", "20ms"], {
        env: envFor(simulator)
      })
      const run = await drive(simulator, cli, 5_000)
      expect(run.stderr).toBe("")
      expect(run.code).toBe(0)
      const lines = linesOf(run.stdout)
      expect(lines).toContain("job_abc123: completed - 15 processed, 0 failed, 482 chunks (15/15 documents)")
      expect(lines.slice(-4)).toEqual([
        "[PARTIAL] job_def456: completed - 19 processed, 1 failed, 542 chunks (20/20 documents)",
        "  [FAIL] legacy-manual-2019.pdf: The PDF is password-protected",
        "1 other job completed (--verbose lists them)",
        expect.stringMatching(/^2 jobs: 1 completed with failures, 1 completed \([\d.]+s\)$/)
      ])
    }))

  it("--json: a changed event per change of each job, one ended event per job, exit 1 when one failed", () =>
    withSimulator({ scenario: "failing" }, async (simulator) => {
      const cli = spawnCli(
        ["jobs", "wait", "kb_failing", "job_failing", "job_rejected", "--interval", "500ms", "--json"],
        { env: envFor(simulator) }
      )
      const run = await drive(simulator, cli, 1_000)
      expect(run.code).toBe(1)
      const events = jsonLines(run.stdout)
      const ended = events.filter((event) => event.event === "ended")
      expect(ended.map((event) => [event.job_id, event.result, event.exit_code]).sort()).toEqual([
        ["job_failing", "failed", 1],
        ["job_rejected", "failed", 1]
      ])
      expect(ended.find((event) => event.job_id === "job_failing").error).toEqual({
        tag: "IngestionJobFailed",
        message: "Embedding service unavailable after 3 attempts",
        code: "embedding_service_unavailable"
      })
      for (const event of events) expect(Date.parse(event.at)).not.toBeNaN()
      for (const event of ended) {
        expect(event.job).toEqual(simulator.control.getJob("kb_failing", event.job_id))
        expect(event.error.tag).toBe("IngestionJobFailed")
        // The job's own code, as stderr's line has it.
        expect(event.error.code).toBe(event.job.error.code)
        // Nothing about a job after its end.
        expect(events.slice(events.indexOf(event) + 1).some((later) => later.job_id === event.job_id)).toBe(
          false
        )
      }
      for (const change of events.filter((event) => event.event === "changed")) {
        expect(change.job.id).toBe(change.job_id)
      }
      // Each change of a job is a change: no line repeats the one before it for that job.
      for (const id of ["job_failing", "job_rejected"]) {
        const statuses = events
          .filter((event) => event.job_id === id && event.event === "changed")
          .map((event) => JSON.stringify(event.job))
        expect(new Set(statuses).size).toBe(statuses.length)
      }
      // One error line per failed job, on stderr.
      expect(linesOf(run.stderr).sort()).toEqual([
        "error: job job_failing: IngestionJobFailed (embedding_service_unavailable): Embedding service unavailable after 3 attempts",
        expect.stringMatching(/^error: job job_rejected: IngestionJobFailed /)
      ])
    }))

  it("--all-active lists the jobs running when it began (Wait.activeJobs), and waits for them", () =>
    withSimulator({ scenario: "docs" }, async (simulator) => {
      const cli = spawnCli(["jobs", "wait", "kb_abc123", "--all-active", "--interval", "20ms", "--json"], {
        env: envFor(simulator)
      })
      const run = await drive(simulator, cli, 5_000)
      expect(run.code).toBe(0)
      // The oldest processing, queued, processing job, then the whole list from the oldest (creation order).
      const lists = simulator.control.requests.filter((request) => request.route === "list").slice(0, 4)
      expect(lists.map((request) => [request.query.status, request.query.after])).toEqual([
        ["processing", undefined],
        ["queued", undefined],
        ["processing", undefined],
        [undefined, "job_def456"]
      ])
      // job_abc123 had completed already: only job_def456 is waited for.
      const ended = jsonLines(run.stdout).filter((event) => event.event === "ended")
      expect(ended.map((event) => [event.job_id, event.result])).toEqual([["job_def456", "completed"]])
    }))

  it("--all-active without an active job: says so, exit 0", () =>
    withSimulator({ scenario: "empty" }, async (simulator) => {
      const run = await runCli(["jobs", "wait", "kb_empty", "--all-active"], { env: envFor(simulator) })
      expect([run.code, run.stdout, run.stderr]).toEqual([
        0,
        "no queued or processing jobs in kb_empty\n",
        ""
      ])
    }))
})

describe.concurrent("jobs wait: SIGINT with several jobs", () => {
  const WAIT_BOTH = ["jobs", "wait", "kb_abc123", "job_abc123", "job_def456", "--interval", "1h"]
  const NOTE = "interrupted: 1 of 2 jobs had not ended (they go on in the service; only the wait stopped)"

  it("without a terminal: one line on stderr says how many jobs had not ended; exit 130", () =>
    withSimulator({ scenario: "docs" }, async (simulator) => {
      // job_abc123 has completed; job_def456's polls hang.
      simulator.control.injectFault({ kind: "hang", jobId: "job_def456", times: Number.POSITIVE_INFINITY })
      const cli = spawnCli(WAIT_BOTH, { env: envFor(simulator) })
      await cli.line(/^job_abc123: completed/)
      cli.kill("SIGINT")
      const run = await cli.exited
      expect(run.code).toBe(130)
      expect(run.stderr).toBe(`${NOTE}\n`)
    }))

  it("--all-active, stopped while it lists the jobs: an interrupted event that names no wait", () =>
    withSimulator({ scenario: "paginated" }, async (simulator) => {
      simulator.control.injectFault({ kind: "hang", route: "list" })
      const cli = spawnCli(["jobs", "wait", "kb_paginated", "--all-active", "--json"], {
        env: envFor(simulator)
      })
      await simulator.control.waitForRequests(1)
      cli.kill("SIGINT")
      const run = await cli.exited
      expect(run.code).toBe(130)
      expect(jsonLines(run.stdout)).toEqual([
        { event: "interrupted", at: expect.stringMatching(/Z$/), ended: 0, pending: [] }
      ])
      const [request] = await simulator.control.waitForRequests(1, { settled: true })
      expect(request?.outcome).toBe("hung")
    }))

  it("on a terminal: the cursor is shown again, then the note", () =>
    withSimulator({ scenario: "docs" }, async (simulator) => {
      simulator.control.injectFault({ kind: "hang", jobId: "job_def456", times: Number.POSITIVE_INFINITY })
      const cli = spawnCli(WAIT_BOTH, { env: envFor(simulator), pty: true })
      await cli.printed("1 completed")
      interruptInTerminal(cli)
      const run = await cli.exited
      expect(run.code).toBe(130)
      const afterView = run.stdout.slice(run.stdout.lastIndexOf("\x1b[?25h") + "\x1b[?25h".length)
      expect(linesOf(plain(afterView))).toEqual([NOTE])
    }))
})

describe.concurrent("jobs wait: exit codes of several jobs", () => {
  it("a schedule that ends says so: --max-polls 1 on a job that does not move is exit 3", () =>
    withSimulator({ scenario: "docs" }, async (simulator) => {
      // The manual clock never moves: job_def456 stays processing; job_abc123 has completed.
      const run = await runCli(
        ["jobs", "wait", "kb_abc123", "job_abc123", "job_def456", "--max-polls", "1", "--json"],
        {
          env: envFor(simulator)
        }
      )
      expect(run.code).toBe(3)
      const ended = jsonLines(run.stdout).filter((event) => event.event === "ended")
      expect(ended.find((event) => event.job_id === "job_def456")).toMatchObject({
        result: "timed_out",
        exit_code: 3,
        error: { tag: "WaitTimeout", reason: "schedule" },
        job: { status: "processing" }
      })
      expect(run.stderr).toMatch(
        /^error: job job_def456: WaitTimeout \(--max-polls 1\): The poll schedule ended before the job finished \(last status: processing, 1 responses, 0 retries\)\n$/
      )
    }))

  it("a job that does not exist fails its own wait only: exit 4, the others still reported", () =>
    withSimulator({ scenario: "docs" }, async (simulator) => {
      const run = await runCli(["jobs", "wait", "kb_abc123", "job_abc123", "job_nope"], {
        env: envFor(simulator)
      })
      expect(run.code).toBe(4)
      expect(run.stderr).toBe(
        "error: job job_nope: NotFound (ingestion_job_not_found): Ingestion job 'job_nope' not found\n"
      )
      const lines = linesOf(run.stdout)
      expect(lines).toContain("[ERROR] job_nope: NotFound")
      expect(lines.at(-1)).toMatch(/^2 jobs: 1 error, 1 completed \(/)
    }))

  it("an invalid ID among several: exit 2, and nothing is sent", () =>
    withSimulator({ scenario: "docs" }, async (simulator) => {
      const run = await runCli(["jobs", "wait", "kb_abc123", "job_abc123", "job/x"], {
        env: envFor(simulator)
      })
      expect(run.code).toBe(2)
      expect(run.stderr).toMatch(/^error: InvalidInput \(jobId\): jobId must not contain "\/"/)
      expect(simulator.control.requestCount()).toBe(0)
    }))

  it("job IDs and --all-active together are a usage error", async () => {
    const run = await runCli(["jobs", "wait", "kb_abc123", "job_abc123", "--all-active"], {
      env: { TENSORAS_API_KEY: "tns_your_key_here" }
    })
    expect(run.code).toBe(2)
    expect(run.stderr).toMatch(/^error: give job IDs or --all-active, not both/)
  })
})

describe("the live view's frame", () => {
  const job = {
    object: "ingestion_job",
    id: "job_demo_sync",
    knowledge_base_id: "kb_demo",
    data_source_id: "ds_demo",
    status: "processing",
    documents_processed: 37,
    documents_failed: 2,
    chunks_created: 1059,
    error: null,
    created_at: 1_709_125_000,
    started_at: 1_709_125_010,
    completed_at: null
  } as const
  const state = (jobs: number): RunState => ({
    knowledgeBaseId: "kb_demo",
    jobs: Array.from({ length: jobs }, (_, index) => ({
      jobId: jobs === 1 ? job.id : `job_${index}`,
      job: { ...job, id: jobs === 1 ? job.id : `job_${index}` },
      total: 40,
      nextPollAt: 3_000,
      stalled: false,
      retrying: false,
      result: undefined
    })),
    retry: undefined,
    requests: { sent: 0, retries: 0 },
    startedAt: 0,
    finishedAt: undefined
  })
  const draw = (jobs: number, columns: number, rows = 24) =>
    frame(state(jobs), 1_000, { color: false, columns, rows })

  it("shows a bar of 24 on a wide terminal", () => {
    expect(draw(1, 80)).toEqual([
      "job_demo_sync in kb_demo: processing",
      `  documents  ${"█".repeat(23)}░  97%  39/40: 37 processed, 2 failed`,
      "  chunks     1059",
      "  elapsed    1.0s · next poll in 2s"
    ])
  })

  it("at 50 columns the bar gives way before the counts", () => {
    const lines = draw(1, 50)
    expect(lines[1]).toBe("  documents  39/40: 37 processed, 2 failed")
    for (const line of lines) expect(line.length).toBeLessThan(50)
    const many = draw(3, 50)
    expect(many.find((line) => line.startsWith("job_0 "))).toBe(
      "job_0 39/40 processing, 1059 chunks, 2 failed"
    )
  })

  it("narrows the bar before dropping it", () => {
    const [, documents] = draw(1, 64)
    expect(documents).toMatch(/^ {2}documents {2}[█░]{6,23} +97% {2}39\/40: 37 processed, 2 failed$/)
    expect(documents?.length).toBeLessThan(64)
  })

  it("a line per job, and as many as the terminal's height allows: the rest counted", () => {
    const lines = draw(40, 80, 12)
    // The line under the frame holds the cursor: a frame of 12 lines would scroll, and no redraw could reach its top.
    expect(lines).toHaveLength(11)
    expect(lines.slice(0, 4)).toEqual([
      "kb_demo: 40 jobs, 0 ended",
      "  jobs       40 processing",
      `  documents  ${"█".repeat(23)}░  97%  1560/1600 ended, 80 failed`,
      "  elapsed    1.0s · 0 requests · next poll in 2s"
    ])
    expect(lines.slice(4, -1)).toHaveLength(6)
    expect(lines.at(-1)).toBe("… 34 more jobs: 34 processing")
  })
})
