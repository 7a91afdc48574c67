import * as IngestionError from "@tensoras/ingestion/IngestionError"
import * as IngestionJob from "@tensoras/ingestion/IngestionJob"
import type { Scenarios } from "@tensoras/ingestion-testkit"
import * as Exit from "effect/Exit"
import * as Schema from "effect/Schema"
import { describe, expect, it } from "vitest"
import { frame } from "../src/internal/progress.js"
import { summaryLines } from "../src/internal/summary.js"
import { apply, type RunState } from "../src/internal/waitJobs.js"
import { drive, envFor, linesOf, plain, spawnCli, withSimulator } from "./helpers.js"

const idOf = (index: number) => `job_${String(index).padStart(4, "0")}`

type Kind = "ok" | "partial" | "failed"

/**
 * `kb_many` with `count` jobs, `job_0000`…: each queued 1 to 10 s, then 4 to 8 documents of 1 s;
 * a `partial` job has one document that fails, a `failed` job fails 1.5 s into processing.
 */
const manyJobs = (count: number, kindOf: (index: number) => Kind): Scenarios.Scenario => ({
  name: "many",
  description: `${count} jobs of one knowledge base`,
  setup: (engine) => {
    engine.addKnowledgeBase("kb_many")
    for (let index = 0; index < count; index++) {
      const kind = kindOf(index)
      engine.addDataSource("kb_many", {
        id: `ds_${String(index).padStart(4, "0")}`,
        jobId: idOf(index),
        queuedMs: 1_000 + (index % 10) * 1_000,
        documents: Array.from({ length: 4 + (index % 5) }, (_, document) => ({
          name: `doc_${document}.md`,
          durationMs: 1_000,
          ...(kind === "partial" && document === 1 ? { fail: "The PDF is password-protected" } : {})
        })),
        ...(kind === "failed"
          ? {
              failure: {
                afterMs: 1_500,
                error: { message: "Embedding service unavailable", code: "embedding_service_unavailable" }
              }
            }
          : {})
      })
    }
  }
})

// The 1,000 jobs of these tests: 20 fail, 100 complete with a failed document, the rest complete.
const THOUSAND = manyJobs(1_000, (index) =>
  index % 50 === 7 ? "failed" : index % 10 === 3 ? "partial" : "ok"
)
// Named on the command line: the test knows exactly which jobs it waits for.
const WAIT_THOUSAND = [
  "jobs",
  "wait",
  "kb_many",
  ...Array.from({ length: 1_000 }, (_, n) => idOf(n)),
  "--interval",
  "50ms"
]

// A 30-row, 100-column terminal: the pseudo-terminal of the tests has no size of its own.
const SCREEN = { LINES: "30", COLUMNS: "100" }

const jsonLines = (stdout: string) => linesOf(stdout).map((line) => JSON.parse(line))

// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escape sequences start with ESC
const REDRAWS = /\x1b\[(\d+)A\r\x1b\[J/g

/** The height of each frame the live view redrew (what each redraw backed up over). */
const frameHeights = (output: string) => [...output.matchAll(REDRAWS)].map((match) => Number(match[1]))

/** The last frame, and what came after it (the summary, stderr's lines): what the screen shows at the end. */
const ending = (output: string) => {
  const shown = output.lastIndexOf("\x1b[?25h")
  const lastRedraw = [...output.matchAll(REDRAWS)].at(-1)
  const from = lastRedraw === undefined ? 0 : (lastRedraw.index ?? 0) + lastRedraw[0].length
  return { frame: linesOf(plain(output.slice(from, shown))), after: linesOf(plain(output.slice(shown))) }
}

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/

describe.concurrent("jobs wait with 1,000 jobs", () => {
  it("on a 30-row terminal: totals, what needs attention first, never a frame or a summary taller than the screen", () =>
    withSimulator({ scenario: THOUSAND }, async (simulator) => {
      const cli = spawnCli(WAIT_THOUSAND, {
        env: { ...envFor(simulator), ...SCREEN },
        pty: true
      })
      const run = await drive(simulator, cli, 200)
      expect(run.code).toBe(1)
      const heights = frameHeights(run.stdout)
      expect(heights.length).toBeGreaterThan(0)
      for (const height of heights) expect(height).toBeLessThanOrEqual(29)
      const { frame: last, after } = ending(run.stdout)
      expect(last.slice(0, 3)).toEqual([
        "kb_many: 1000 jobs, 1000 ended",
        "  jobs       20 failed, 100 partial, 880 completed",
        // The documents a failed job left are not ended: the bar stops short of them.
        expect.stringMatching(/^ {2}documents {2}█+░* +\d+% +\d+\/\d+ ended, 100 failed$/)
      ])
      expect(last[3]).toMatch(/^ {2}elapsed {4}\S+( \S+)? · \d+ requests/)
      // The failed jobs first, with their code, then the partial ones; the rest counted by state.
      const failed = Array.from({ length: 20 }, (_, n) => idOf(n * 50 + 7))
      expect(last.slice(4, 24).map((line) => line.split(" ")[0])).toEqual(failed)
      expect(last[4]).toMatch(
        /^job_0007 failed \(embedding_service_unavailable\): \d+\/\d+ documents, \d+ chunks$/
      )
      expect(last.at(-1)).toBe("… 976 more jobs: 96 partial, 880 completed")
      expect(last.length).toBeLessThanOrEqual(29)
      // Never the counters without what they count.
      expect(plain(run.stdout)).not.toMatch(/\d+ processed processing/)
      // The summary and the error lines fit the screen, failures first, the rest counted.
      expect(after.length).toBeLessThanOrEqual(29)
      expect(after[0]).toMatch(/^\[FAILED\] job_0007: failed - /)
      expect(after).toContainEqual(
        expect.stringMatching(
          /^… \d+ more jobs that did not fully succeed: (\d+ failed, )?100 completed with failures \(--verbose lists them\)$/
        )
      )
      expect(after).toContain("880 other jobs completed (--verbose lists them)")
      expect(after).toContainEqual(
        expect.stringMatching(/^1000 jobs: 20 failed, 100 completed with failures, 880 completed \(/)
      )
      const errors = after.filter((line) => line.startsWith("error: "))
      expect(errors.at(0)).toBe(
        "error: job job_0007: IngestionJobFailed (embedding_service_unavailable): Embedding service unavailable"
      )
      expect(errors.at(-1)).toMatch(
        /^error: … and \d+ more jobs that did not complete \(--verbose prints every error\)$/
      )
    }))

  it("--json: every event has its time; a failed job's ended event has the job's code; SIGINT ends it with an interrupted event", () =>
    withSimulator({ scenario: THOUSAND }, async (simulator) => {
      const startedAt = Date.now()
      const cli = spawnCli([...WAIT_THOUSAND, "--json"], {
        env: envFor(simulator)
      })
      // The clock moves until a job has failed, then stops: the other waits are still running when
      // the command is stopped.
      await simulator.control.advanceOnEachAnswer(
        200,
        cli.line((line) => line.includes('"result":"failed"'))
      )
      cli.kill("SIGINT")
      const run = await cli.exited
      expect(run.code).toBe(130)
      expect(run.stderr).toBe("")
      const events = jsonLines(run.stdout)
      let previous = startedAt
      for (const event of events) {
        expect(event.at).toMatch(ISO)
        const at = Date.parse(event.at)
        expect(at).toBeGreaterThanOrEqual(previous)
        previous = at
      }
      expect(previous).toBeLessThanOrEqual(Date.now())
      const failed = events.find((event) => event.event === "ended" && event.result === "failed")
      expect(failed.error).toEqual({
        tag: "IngestionJobFailed",
        message: "Embedding service unavailable",
        code: "embedding_service_unavailable"
      })
      const interrupted = events.at(-1)
      expect(Object.keys(interrupted)).toEqual(["event", "at", "ended", "pending"])
      expect(interrupted.event).toBe("interrupted")
      const ended = new Set(events.filter((event) => event.event === "ended").map((event) => event.job_id))
      expect(interrupted.ended).toBe(ended.size)
      expect(interrupted.pending.length).toBe(1_000 - ended.size)
      expect(interrupted.pending.length).toBeGreaterThan(0)
      for (const id of interrupted.pending) expect(ended.has(id)).toBe(false)
      // Nothing is left running: every request the command sent has ended.
      const requests = await simulator.control.waitForRequests(simulator.control.requestCount(), {
        settled: true
      })
      expect(requests.every((request) => request.outcome !== "pending")).toBe(true)
    }))
})

// The case: a summary of 19 partial jobs ran to 42 lines on a 30-row terminal.
const NINETEEN_PARTIAL = manyJobs(19, () => "partial")

describe.concurrent("jobs wait: the summary on a terminal", () => {
  const wait19 = [
    "jobs",
    "wait",
    "kb_many",
    ...Array.from({ length: 19 }, (_, n) => idOf(n)),
    "--interval",
    "50ms"
  ]

  it("19 partial jobs on a 30-row terminal: a summary of 29 lines, the jobs first, then their failed documents", () =>
    withSimulator({ scenario: NINETEEN_PARTIAL }, async (simulator) => {
      const cli = spawnCli(wait19, { env: { ...envFor(simulator), ...SCREEN }, pty: true })
      const run = await drive(simulator, cli, 500)
      expect(run.code).toBe(0)
      const { after } = ending(run.stdout)
      expect(after.length).toBeLessThanOrEqual(29)
      // Every job, and the failed documents of the first ones in the room left.
      expect(after.filter((line) => line.startsWith("[PARTIAL] "))).toHaveLength(19)
      expect(after.filter((line) => line.startsWith("  [FAIL] doc_1.md: "))).toHaveLength(29 - 19 - 1)
      expect(after.slice(0, 4)).toEqual([
        "[PARTIAL] job_0000: completed - 3 processed, 1 failed, 30 chunks (4/4 documents)",
        "  [FAIL] doc_1.md: The PDF is password-protected",
        "[PARTIAL] job_0001: completed - 4 processed, 1 failed, 40 chunks (5/5 documents)",
        "  [FAIL] doc_1.md: The PDF is password-protected"
      ])
      expect(after.at(-1)).toMatch(/^19 jobs: 19 completed with failures \(/)
    }))

  it("--verbose: every job and every document, however tall", () =>
    withSimulator({ scenario: NINETEEN_PARTIAL }, async (simulator) => {
      const cli = spawnCli([...wait19, "--verbose"], { env: { ...envFor(simulator), ...SCREEN }, pty: true })
      const run = await drive(simulator, cli, 500)
      expect(run.code).toBe(0)
      const { after } = ending(run.stdout)
      expect(after.filter((line) => line.startsWith("[PARTIAL] "))).toHaveLength(19)
      expect(after.filter((line) => line.startsWith("  [FAIL] doc_1.md: "))).toHaveLength(19)
      const documents = Array.from({ length: 19 }, (_, index) => 4 + (index % 5)).reduce((a, b) => a + b, 0)
      expect(after.filter((line) => /^ {2}\[(OK|FAIL)\] /.test(line))).toHaveLength(documents)
    }))
})

// --- The frame and the summary of a thousand jobs, drawn from a state ---------------------------

const decodeDetail = Schema.decodeUnknownSync(IngestionJob.IngestionJobDetail)

/** A job of `kb_many` as the API gives it: `processed` of `total` documents ingested, `failed` failed. */
const wireJob = (index: number, status: string, processed: number, failed: number, total: number) => ({
  object: "ingestion_job",
  id: idOf(index),
  knowledge_base_id: "kb_many",
  data_source_id: "ds_many",
  status,
  documents_processed: processed,
  documents_failed: failed,
  chunks_created: processed * 10,
  started_at: 1_709_125_010,
  completed_at: status === "completed" || status === "failed" ? 1_709_125_100 : null,
  created_at: 1_709_125_000,
  error:
    status === "failed"
      ? { message: "Embedding service unavailable", code: "embedding_service_unavailable" }
      : null,
  document_details: Array.from({ length: total }, (_, document) => ({
    document_id: `doc_${document}`,
    document_name: `doc_${document}.md`,
    status: document < processed ? "completed" : document < processed + failed ? "failed" : "queued",
    chunks_created: document < processed ? 10 : 0,
    error: document >= processed && document < processed + failed ? { message: "Unreadable" } : null
  }))
})

/**
 * 1,000 jobs of 10 documents: `job_0000`… in the order of the command line; 5 % ended completed, 1 %
 * partial, 0.5 % failed; of the rest, every hundredth stalled, every 250th retrying, a third queued.
 */
const thousand = (): RunState => {
  const state: RunState = {
    knowledgeBaseId: "kb_many",
    jobs: Array.from({ length: 1_000 }, (_, index) => ({
      jobId: idOf(index),
      job: undefined,
      total: undefined,
      nextPollAt: null,
      stalled: false,
      retrying: false,
      result: undefined
    })),
    retry: undefined,
    requests: { sent: 2_311, retries: 14 },
    startedAt: 0,
    finishedAt: undefined
  }
  for (const job of state.jobs) {
    const index = Number(job.jobId.slice(4))
    const ending =
      index % 200 === 199
        ? wireJob(index, "failed", 4, 0, 10)
        : index % 100 === 42
          ? wireJob(index, "completed", 9, 1, 10)
          : index % 20 === 5
            ? wireJob(index, "completed", 10, 0, 10)
            : undefined
    if (ending !== undefined) {
      apply(state, { _tag: "Exit", jobId: job.jobId, exit: Exit.succeed(decodeDetail(ending)) })
      continue
    }
    const { document_details: _, ...polled } = wireJob(
      index,
      index % 3 === 0 ? "queued" : "processing",
      index % 3 === 0 ? 0 : 4,
      0,
      10
    )
    job.job = Schema.decodeUnknownSync(IngestionJob.IngestionJob)(polled)
    job.nextPollAt = 4_000 + index
    job.stalled = index % 100 === 17
    job.retrying = index % 250 === 1
  }
  return state
}

describe("the view and the summary of 1,000 jobs", () => {
  it("the frame: totals, then what needs attention (failed, stalled, retrying) first, in 29 lines", () => {
    const lines = frame(thousand(), 1_000, { color: false, columns: 100, rows: 30 })
    expect(lines).toHaveLength(29)
    expect(lines.slice(0, 4)).toEqual([
      "kb_many: 1000 jobs, 65 ended",
      "  jobs       5 failed, 10 stalled, 4 retrying, 613 processing, 308 queued, 10 partial, 50 completed",
      "  documents  3112 ended, 10 failed",
      "  elapsed    1.0s · 2311 requests, 14 retries · next poll in 3s"
    ])
    expect(lines.slice(4, 8)).toEqual([
      "job_0199 failed (embedding_service_unavailable): 4/10 documents, 40 chunks",
      "job_0399 failed (embedding_service_unavailable): 4/10 documents, 40 chunks",
      "job_0599 failed (embedding_service_unavailable): 4/10 documents, 40 chunks",
      "job_0799 failed (embedding_service_unavailable): 4/10 documents, 40 chunks"
    ])
    expect(lines[9]).toBe("job_0017 processing, no progress for a while: 4 processed, 40 chunks")
    expect(lines[19]).toBe("job_0001 processing, retrying: 4 processed, 40 chunks")
    expect(lines.slice(23, 28).every((line) => / processing: 4 processed, 40 chunks$/.test(line))).toBe(true)
    expect(lines[28]).toBe("… 976 more jobs: 608 processing, 308 queued, 10 partial, 50 completed")
  })

  it("a frame never outgrows the terminal, a retry line included", () => {
    const state = thousand()
    state.retry = {
      error: new IngestionError.RateLimited({
        method: "GET",
        url: "https://api.tensoras.ai/v1/knowledge-bases/kb_many/ingestion-jobs",
        status: 429,
        message: "Too many requests"
      }),
      until: 3_000,
      attempt: 1
    }
    for (const rows of [3, 6, 12, 24, 80]) {
      const lines = frame(state, 1_000, { color: false, columns: 100, rows })
      // A thousand jobs never fit: every row but the cursor's is used.
      expect(lines).toHaveLength(rows - 1)
      if (rows >= 12) expect(lines.at(-1)).toBe("  HTTP 429 rate limited, retry 1 in 2.0 s")
    }
  })

  it("the summary: as many of the jobs that did not fully succeed as fit, then the counts; --verbose: all", () => {
    const state = thousand()
    for (const job of state.jobs)
      if (job.result === undefined && job.job !== undefined)
        apply(state, {
          _tag: "Exit",
          jobId: job.jobId,
          exit: Exit.succeed(decodeDetail(wireJob(Number(job.jobId.slice(4)), "completed", 10, 0, 10)))
        })
    const failed = [199, 399, 599, 799, 999].map(
      (index) => `[FAILED] ${idOf(index)}: failed - 4 processed, 0 failed, 40 chunks (4/10 documents)`
    )
    const partial = (index: number) =>
      `[PARTIAL] ${idOf(index)}: completed - 9 processed, 1 failed, 90 chunks (10/10 documents)`
    const tail = [
      "985 other jobs completed (--verbose lists them)",
      "1000 jobs: 5 failed, 10 completed with failures, 985 completed (1m 00s)"
    ]
    // 20 rows: every job that did not fully succeed, then their failed documents while room is left.
    expect(summaryLines(state, { verbose: false, color: false, now: 60_000, rows: 20 })).toEqual([
      ...failed,
      partial(42),
      "  [FAIL] doc_9.md: Unreadable",
      partial(142),
      "  [FAIL] doc_9.md: Unreadable",
      partial(242),
      "  [FAIL] doc_9.md: Unreadable",
      ...[342, 442, 542, 642, 742, 842, 942].map(partial),
      ...tail
    ])
    // 12 rows: the jobs first, the gravest first; the rest counted.
    expect(summaryLines(state, { verbose: false, color: false, now: 60_000, rows: 12 })).toEqual([
      ...failed,
      ...[42, 142, 242, 342].map(partial),
      "… 6 more jobs that did not fully succeed: 6 completed with failures (--verbose lists them)",
      ...tail
    ])
    const all = summaryLines(state, { verbose: true, color: false, now: 60_000, rows: 20 })
    expect(all.filter((line) => /^\[(FAILED|PARTIAL|OK)\] /.test(line))).toHaveLength(1_000)
    const unbounded = summaryLines(state, { verbose: false, color: false, now: 60_000, rows: undefined })
    expect(unbounded.filter((line) => /^\[(FAILED|PARTIAL)\] /.test(line))).toHaveLength(15)
    expect(unbounded.filter((line) => line.startsWith("  [FAIL] "))).toHaveLength(10)
  })
})
