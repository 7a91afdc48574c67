import { describe, expect, it } from "vitest"
import {
  COLOR,
  drive,
  envFor,
  linesOf,
  listed,
  plain,
  REDRAW,
  runCli,
  spawnCli,
  withSimulator
} from "./helpers.js"

const WAIT_DEF456 = ["jobs", "wait", "kb_abc123", "job_def456", "--interval", "20ms"]

/** An event's `at`: ISO 8601, UTC, to the millisecond. */
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/

// Each test has its own simulator and child process, so they run side by side.
describe.concurrent("tensoras-ingest jobs wait", () => {
  it("--json: an NDJSON event per change, then one when the wait ends, with the final job; exit 0 when completed", () =>
    withSimulator({ scenario: "docs" }, async (simulator) => {
      const run = await drive(
        simulator,
        spawnCli([...WAIT_DEF456, "--json"], { env: envFor(simulator) }),
        5_000
      )
      expect(run.stderr).toBe("")
      expect(run.code).toBe(0)
      const events = linesOf(run.stdout).map((line) => JSON.parse(line))
      const changes = events.slice(0, -1)
      expect(changes.length).toBeGreaterThanOrEqual(1)
      // Every event says when it happened, in order.
      const times = events.map((event) => Date.parse(event.at))
      expect(times).toEqual([...times].sort((a, b) => a - b))
      expect(changes[0]).toMatchObject({
        event: "changed",
        job_id: "job_def456",
        job: { status: "processing", documents_processed: 8, chunks_created: 245 }
      })
      for (const [index, change] of changes.entries()) {
        expect(change.event).toBe("changed")
        // A change carries the job's status and counters, as the list endpoint gives them.
        expect(change.job).toEqual(listed(change.job))
        if (index > 0) expect(change.job).not.toEqual(changes[index - 1].job)
      }
      expect(events.at(-1)).toEqual({
        event: "ended",
        at: expect.stringMatching(ISO),
        job_id: "job_def456",
        result: "completed",
        partial: true,
        exit_code: 0,
        job: simulator.control.getJob("kb_abc123", "job_def456"),
        error: null
      })
    }))

  it("without a terminal: one plain line per change, the documents, then the outcome", () =>
    withSimulator({ scenario: "docs" }, async (simulator) => {
      const run = await drive(simulator, spawnCli(WAIT_DEF456, { env: envFor(simulator) }), 5_000)
      expect(run.stderr).toBe("")
      expect(run.code).toBe(0)
      expect(run.stdout).not.toContain("\x1b")
      const lines = linesOf(run.stdout)
      // The total comes from a first GET; the counters from each poll.
      expect(lines[0]).toMatch(
        /^job_def456: processing - \d+ processed, 1 failed, \d+ chunks \(\d+\/20 documents\)$/
      )
      // The summary fits on a screen: the failures, a count of the rest, the outcome.
      expect(lines.slice(-4)).toEqual([
        "job_def456: completed - 19 processed, 1 failed, 542 chunks (20/20 documents)",
        "[FAIL] legacy-manual-2019.pdf: The PDF is password-protected",
        "19 other documents ingested (--verbose lists them)",
        expect.stringMatching(
          /^completed with failures: 19 documents ingested, 1 failed, 542 chunks \([\d.]+s\)$/
        )
      ])
    }))

  it("--verbose: the summary lists every document, failures first", () =>
    withSimulator({ scenario: "docs" }, async (simulator) => {
      const run = await drive(
        simulator,
        spawnCli([...WAIT_DEF456, "--verbose"], { env: envFor(simulator) }),
        5_000
      )
      expect(run.code).toBe(0)
      const documents = linesOf(run.stdout).filter((line) => /^\[(OK|FAIL)\] /.test(line))
      expect(documents).toHaveLength(20)
      expect(documents[0]).toBe("[FAIL] legacy-manual-2019.pdf: The PDF is password-protected")
      expect(documents).toContain("[OK] faq.md: 28 chunks")
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
      // The summary lists the documents the failure left undone, and counts the others.
      const undone = 12 - final.documents_processed
      expect(lines.filter((line) => /^\[QUEUED\] /.test(line))).toHaveLength(undone)
      expect(lines).toContain(`${final.documents_processed} other documents ingested (--verbose lists them)`)
    }))

  it("exit 3 when the deadline passes first, the request in flight aborted", () =>
    withSimulator({ scenario: "docs" }, async (simulator) => {
      // Every request hangs, so the deadline ends the wait whatever the machine's speed: no answer
      // can come first, and the hanging request is the last one sent.
      simulator.control.injectFault({ kind: "hang", times: Number.POSITIVE_INFINITY })
      const run = await runCli([...WAIT_DEF456, "--timeout", "1s", "--json"], { env: envFor(simulator) })
      expect(run.code).toBe(3)
      expect(linesOf(run.stdout).map((line) => JSON.parse(line))).toEqual([
        {
          event: "ended",
          at: expect.stringMatching(ISO),
          job_id: "job_def456",
          result: "timed_out",
          partial: false,
          exit_code: 3,
          job: null,
          error: {
            tag: "WaitTimeout",
            reason: "deadline",
            message:
              "The job was not finished by the deadline (last status: none seen, 0 responses, 0 retries)"
          }
        }
      ])
      expect(run.stderr).toBe(
        "error: WaitTimeout (--timeout 1s): The job was not finished by the deadline (last status: none seen, 0 responses, 0 retries)\n"
      )
      const requests = await simulator.control.waitForRequests(1, { settled: true })
      expect(requests.map((request) => request.outcome)).toEqual(["hung"])
      expect(simulator.control.requestCount()).toBe(1)
    }))

  it("SIGINT: exit 130 at once, the request in flight aborted, nothing sent after", () =>
    withSimulator({ scenario: "docs" }, async (simulator) => {
      simulator.control.injectFault({ kind: "hang" })
      const cli = spawnCli(WAIT_DEF456, { env: envFor(simulator) })
      await simulator.control.waitForRequests(1)
      expect(simulator.control.requests[0]?.outcome).toBe("pending")
      cli.kill("SIGINT")
      // The request hangs for ever: exiting at all means the command did not wait for it.
      const run = await cli.exited
      expect(run.code).toBe(130)
      // The simulator sees the connection go away: the hung request ends.
      const [request] = await simulator.control.waitForRequests(1, { settled: true })
      expect(request?.outcome).toBe("hung")
      expect(simulator.control.requestCount()).toBe(1)
      // One line says what was left: the job goes on, only the wait stopped.
      expect(run.stderr).toBe(
        "interrupted: job_def456 had not ended (it goes on in the service; only the wait stopped)\n"
      )
    }))

  it("SIGINT with --json: an interrupted event names the waits that had not ended; exit 130", () =>
    withSimulator({ scenario: "docs" }, async (simulator) => {
      simulator.control.injectFault({ kind: "hang", jobId: "job_def456" })
      const cli = spawnCli(
        ["jobs", "wait", "kb_abc123", "job_abc123", "job_def456", "--interval", "1h", "--json"],
        {
          env: envFor(simulator)
        }
      )
      // job_abc123 has completed already: its wait ends; job_def456's GET hangs.
      await cli.line((line) => line.includes('"event":"ended"'))
      cli.kill("SIGINT")
      const run = await cli.exited
      expect(run.code).toBe(130)
      expect(run.stderr).toBe("")
      const events = linesOf(run.stdout).map((line) => JSON.parse(line))
      expect(events.map((event) => [event.event, event.job_id])).toEqual([
        ["ended", "job_abc123"],
        ["interrupted", undefined]
      ])
      expect(events.at(-1)).toEqual({
        event: "interrupted",
        at: expect.stringMatching(ISO),
        ended: 1,
        pending: ["job_def456"]
      })
      // The request in flight was aborted with the command: nothing is left running.
      const requests = await simulator.control.waitForRequests(2, { settled: true })
      expect(requests.map((request) => request.outcome).sort()).toEqual(["hung", "responded"])
    }))

  it("SIGINT between two polls: exit 130 without waiting for the next one", () =>
    withSimulator({ scenario: "docs" }, async (simulator) => {
      const cli = spawnCli(["jobs", "wait", "kb_abc123", "job_def456", "--interval", "1h"], {
        env: envFor(simulator)
      })
      // A GET for the number of documents, then the first poll.
      await simulator.control.waitForRequests(2, { settled: true })
      // The first change is printed right after the answer: then the command sleeps for an hour.
      await cli.printed("\n")
      cli.kill("SIGINT")
      // The next poll is an hour away on the real clock: exiting at all means it did not wait for it.
      const run = await cli.exited
      expect(run.code).toBe(130)
      // The process is gone: the log is final, and holds the GET for the total and the one poll.
      expect(simulator.control.requestCount()).toBe(2)
      expect(run.stderr).toBe(
        "interrupted: job_def456 had not ended (it goes on in the service; only the wait stopped)\n"
      )
    }))
})

describe.concurrent("jobs wait: retries and requests as they happen", () => {
  it("without a terminal, a retry is a line of its own, with its cause", () =>
    withSimulator({ scenario: "docs" }, async (simulator) => {
      const cli = spawnCli(WAIT_DEF456, { env: envFor(simulator) })
      const driven = drive(simulator, cli, 5_000)
      // Once the first poll is shown (the GET for the total is behind), the next poll is refused once.
      await cli.printed("processing")
      simulator.control.injectFault({ kind: "rate-limit", retryAfter: 1, route: "get" })
      const run = await driven
      expect(run.code).toBe(0)
      expect(linesOf(run.stdout)).toContainEqual(
        expect.stringMatching(/^HTTP 429 rate limited, retry 1 in 1\.0 s$/)
      )
    }))

  it("--request-timeout and TENSORAS_LOG=debug: the polls on stderr, each within the timeout", () =>
    withSimulator({ scenario: "docs" }, async (simulator) => {
      const run = await drive(
        simulator,
        spawnCli([...WAIT_DEF456, "--json", "--request-timeout", "5s"], {
          env: { ...envFor(simulator), TENSORAS_LOG: "debug" }
        }),
        5_000
      )
      expect(run.code).toBe(0)
      const polls = linesOf(run.stderr)
      expect(polls.length).toBe(simulator.control.requestCount())
      for (const poll of polls)
        expect(poll).toMatch(/^\[tensoras\] GET http:\/\/127\.0\.0\.1:\d+\/v1\/\S+ → 200 in \d+ ms$/)
    }))
})

describe.concurrent("the progress view in a terminal", () => {
  it("redraws in place with colours, shows retries, then the documents", () =>
    withSimulator({ scenario: "docs" }, async (simulator) => {
      const cli = spawnCli(WAIT_DEF456, { env: envFor(simulator), pty: true })
      const driven = drive(simulator, cli, 5_000)
      // Once the view shows the job (the GET for its total is behind), the next poll is refused once.
      await cli.printed("processing")
      simulator.control.injectFault({ kind: "rate-limit", retryAfter: 1, route: "get" })
      const run = await driven
      expect(run.code).toBe(0)
      const output = run.stdout
      expect(output).toMatch(REDRAW) // back up over the previous frame, clear, redraw
      expect(output).toContain("\x1b[?25l") // the cursor hidden while drawing...
      expect(output).toContain("\x1b[?25h") // ...and shown again
      expect(output).toMatch(COLOR)
      expect(output).toContain("\x1b[31m[FAIL]\x1b[39m legacy-manual-2019.pdf: The PDF is password-protected")
      const shown = plain(output)
      // The retry under the view, with its cause and its countdown.
      expect(shown).toMatch(/HTTP 429 rate limited, retry 1 in \d\.\d s/)
      expect(shown).toMatch(/job_def456 in kb_abc123: processing/)
      expect(shown).toMatch(/documents {2}[█░]{24} +\d+% {2}\d+\/20: \d+ processed, 1 failed/)
      // The summary: the failed document, a count of the others.
      expect(shown).toContain("19 other documents ingested (--verbose lists them)")
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
      expect(plain(run.stdout)).toContain("[FAIL] legacy-manual-2019.pdf: The PDF is password-protected")
    }))
})
