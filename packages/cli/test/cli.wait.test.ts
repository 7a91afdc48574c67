import { describe, expect, it } from "vitest"
import { COLOR, drive, envFor, linesOf, plain, REDRAW, runCli, spawnCli, withSimulator } from "./helpers.js"

const WAIT_DEF456 = ["jobs", "wait", "kb_abc123", "job_def456", "--interval", "20ms"]

// Each test has its own simulator and child process, so they run side by side.
describe.concurrent("tensoras-ingest jobs wait", () => {
  it("--json prints each change as the API's job, the final job last; exit 0 when completed", () =>
    withSimulator({ scenario: "docs" }, async (simulator) => {
      const run = await drive(
        simulator,
        spawnCli([...WAIT_DEF456, "--json"], { env: envFor(simulator) }),
        5_000
      )
      expect(run.stderr).toBe("")
      expect(run.code).toBe(0)
      const jobs = linesOf(run.stdout).map((line) => JSON.parse(line))
      expect(jobs.length).toBeGreaterThanOrEqual(2)
      expect(jobs[0]).toMatchObject({ status: "processing", documents_processed: 8, chunks_created: 245 })
      expect(jobs.at(-1)).toEqual(simulator.control.getJob("kb_abc123", "job_def456"))
      expect(jobs.at(-1).status).toBe("completed")
      for (const [index, job] of jobs.entries()) {
        expect(job.document_details).toHaveLength(20)
        if (index > 0) expect(job).not.toEqual(jobs[index - 1])
      }
    }))

  it("without a terminal: one plain line per change, the documents, then the outcome", () =>
    withSimulator({ scenario: "docs" }, async (simulator) => {
      const run = await drive(simulator, spawnCli(WAIT_DEF456, { env: envFor(simulator) }), 5_000)
      expect(run.stderr).toBe("")
      expect(run.code).toBe(0)
      expect(run.stdout).not.toContain("\x1b")
      const lines = linesOf(run.stdout)
      expect(lines[0]).toBe("job_def456: processing - 8 processed, 1 failed, 245 chunks (9/20 documents)")
      expect(lines).toContain("job_def456: completed - 19 processed, 1 failed, 542 chunks (20/20 documents)")
      expect(lines).toContain("[OK] faq.md: 28 chunks")
      expect(lines).toContain("[FAIL] legacy-manual-2019.pdf: The PDF is password-protected")
      expect(lines.filter((line) => /^\[(OK|FAIL)\] /.test(line))).toHaveLength(20)
      expect(lines.at(-1)).toMatch(
        /^completed with failures: 19 documents ingested, 1 failed, 542 chunks \([\d.]+s\)$/
      )
    }))

  it("exit 1 when the job fails, with the job's error code (polling with a backoff)", () =>
    withSimulator({ scenario: "failing" }, async (simulator) => {
      const cli = spawnCli(
        ["jobs", "wait", "kb_failing", "job_failing", "--interval", "10ms", "--max-interval", "40ms"],
        { env: envFor(simulator) }
      )
      const run = await drive(simulator, cli, 2_000)
      expect(run.code).toBe(1)
      expect(run.stderr).toBe(
        "error: IngestionJobFailed (embedding_service_unavailable): Embedding service unavailable after 3 attempts\n"
      )
      const final = simulator.control.getJob("kb_failing", "job_failing")
      const lines = linesOf(run.stdout)
      expect(lines).toContain(
        `job_failing: failed - ${final.documents_processed} processed, 0 failed, ${final.chunks_created} chunks (${final.documents_processed}/12 documents)`
      )
      // The summary still lists every document: those done, and those the failure left queued.
      expect(lines.filter((line) => /^\[(OK|QUEUED)\] /.test(line))).toHaveLength(12)
    }))

  it("exit 3 when the deadline passes first", () =>
    withSimulator({ scenario: "docs" }, async (simulator) => {
      // The manual clock never moves: job_def456 stays processing.
      const run = await runCli([...WAIT_DEF456, "--timeout", "1s", "--json"], { env: envFor(simulator) })
      expect(run.code).toBe(3)
      const seen = linesOf(run.stdout).map((line) => JSON.parse(line).status)
      // One line, the first answer (nothing changes after it); none if the machine is too busy to get one in 1 s.
      expect(seen).toEqual(seen.length === 0 ? [] : ["processing"])
      expect(run.stderr).toMatch(
        seen.length === 0
          ? /^error: WaitTimeout: The job was not finished by the deadline \(last status: none seen, 0 responses, 0 retries\)\n$/
          : /^error: WaitTimeout: The job was not finished by the deadline \(last status: processing, \d+ responses, 0 retries\)\n$/
      )
      expect(simulator.control.requestCount({ route: "get" })).toBeGreaterThanOrEqual(1)
    }))

  it("SIGINT: exit 130 at once, the request in flight aborted, nothing sent after", () =>
    withSimulator({ scenario: "docs" }, async (simulator) => {
      simulator.control.injectFault({ kind: "hang" })
      const cli = spawnCli(WAIT_DEF456, { env: envFor(simulator) })
      await simulator.control.waitForRequests(1, { timeoutMs: 30_000 })
      expect(simulator.control.requests[0]?.outcome).toBe("pending")
      const signalledAt = Date.now()
      cli.child.kill("SIGINT")
      const run = await cli.done
      expect(run.code).toBe(130)
      expect(Date.now() - signalledAt).toBeLessThan(5_000)
      // The simulator sees the connection go away: the hung request ends.
      const [request] = await simulator.control.waitForRequests(1, { settled: true, timeoutMs: 5_000 })
      expect(request?.outcome).toBe("hung")
      expect(simulator.control.requestCount()).toBe(1)
      expect(run.stderr).toBe("")
    }))

  it("SIGINT between two polls: exit 130 without waiting for the next one", () =>
    withSimulator({ scenario: "docs" }, async (simulator) => {
      const cli = spawnCli(["jobs", "wait", "kb_abc123", "job_def456", "--interval", "1h"], {
        env: envFor(simulator)
      })
      await simulator.control.waitForRequests(1, { settled: true, timeoutMs: 30_000 })
      // The first change is printed right after the answer: then the command sleeps for an hour.
      await cli.printed("\n")
      const signalledAt = Date.now()
      cli.child.kill("SIGINT")
      const run = await cli.done
      expect(run.code).toBe(130)
      expect(Date.now() - signalledAt).toBeLessThan(5_000)
      expect(simulator.control.requestCount()).toBe(1)
    }))
})

describe.concurrent("the progress view in a terminal", () => {
  it("redraws in place with colours, shows retries, then the documents", () =>
    withSimulator({ scenario: "docs" }, async (simulator) => {
      simulator.control.injectFault({ kind: "rate-limit", retryAfter: 1, route: "get" })
      const cli = spawnCli(WAIT_DEF456, { env: envFor(simulator), pty: true })
      const run = await drive(simulator, cli, 5_000)
      expect(run.code).toBe(0)
      const output = run.stdout
      expect(output).toMatch(REDRAW) // back up over the previous frame, clear, redraw
      expect(output).toContain("\x1b[?25l") // the cursor hidden while drawing...
      expect(output).toContain("\x1b[?25h") // ...and shown again
      expect(output).toMatch(COLOR)
      expect(output).toContain("\x1b[32m[OK]\x1b[39m faq.md: 28 chunks")
      const shown = plain(output)
      expect(shown).toMatch(/rate limited, retrying in \ds/)
      expect(shown).toMatch(/job_def456 in kb_abc123: processing/)
      expect(shown).toMatch(/documents {2}[█░]{24} +\d+% {2}\d+\/20: \d+ processed, 1 failed/)
      expect(shown).toMatch(/elapsed {4}[\d.]+s · next poll in \ds/)
      expect(shown).toContain("job_def456 in kb_abc123: completed")
      expect(shown).toContain("[FAIL] legacy-manual-2019.pdf: The PDF is password-protected")
      expect(linesOf(shown).at(-1)).toMatch(
        /^completed with failures: 19 documents ingested, 1 failed, 542 chunks/
      )
    }))

  it("NO_COLOR: the same view without a colour", () =>
    withSimulator({ scenario: "docs" }, async (simulator) => {
      const cli = spawnCli(WAIT_DEF456, { env: { ...envFor(simulator), NO_COLOR: "1" }, pty: true })
      const run = await drive(simulator, cli, 5_000)
      expect(run.code).toBe(0)
      expect(run.stdout).not.toMatch(COLOR)
      expect(run.stdout).toMatch(REDRAW)
      expect(plain(run.stdout)).toContain("[OK] faq.md: 28 chunks")
    }))
})
