import { describe, expect, it } from "@effect/vitest"
import {
  createIngestionJobsClient,
  IngestionError,
  WaitError,
  waitForIngestionJob
} from "@tensoras/ingestion"
import { Canary, NodeSimulator } from "@tensoras/ingestion-testkit"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import { API_KEY, rejection, useSimulator } from "./utils/ingestionJobsClient.js"
import { startScript } from "./utils/script.js"

const world = useSimulator()
const { client } = world

const fast = Schedule.max([Schedule.exponential("5 millis"), Schedule.recurs(20)])
const base = () => ({
  apiKey: API_KEY,
  baseUrl: world.simulator.baseUrl,
  pollIntervalMs: 5,
  retrySchedule: fast
})

/** Lets simulated time pass as the wait polls: every request moves the simulator's clock by `step`. */
const tickOnEveryRequest = (step: number) => {
  let seen = world.simulator.control.requestCount()
  const timer = setInterval(() => {
    const count = world.simulator.control.requestCount()
    if (count > seen) world.simulator.control.advance((count - seen) * step)
    seen = count
  }, 1)
  return () => clearInterval(timer)
}

describe("waitForIngestionJob", () => {
  it("resolves with the completed job and its document_details; onUpdate sees each change", async () => {
    const updates: Array<string> = []
    const stop = tickOnEveryRequest(5_000)
    try {
      const job = await waitForIngestionJob({
        ...base(),
        knowledgeBaseId: "kb_abc123",
        jobId: "job_def456",
        onUpdate: (update) => updates.push(`${update.status} ${update.documents_processed}`)
      })
      expect(job.status).toBe("completed")
      expect(job.partial).toBe(true) // job_def456 has one failed document
      expect(job.document_details.length).toBe(20)
      expect(updates[0]).toBe("processing 8")
      expect(updates.at(-1)).toBe(`completed ${job.documents_processed}`)
      expect(new Set(updates).size).toBe(updates.length)
    } finally {
      stop()
    }
  })

  it("the first response already terminal: one request", async () => {
    const job = await waitForIngestionJob({ ...base(), knowledgeBaseId: "kb_abc123", jobId: "job_abc123" })
    expect(job.partial).toBe(false)
    expect(world.simulator.control.requestCount()).toBe(1)
  })

  it("a failed job rejects with IngestionJobFailed", async () => {
    world.simulator.control.setScenario("failing")
    world.simulator.control.advanceToTerminal("kb_failing", "job_rejected")
    const error = await rejection(
      waitForIngestionJob({ ...base(), knowledgeBaseId: "kb_failing", jobId: "job_rejected" })
    )
    expect(error).toBeInstanceOf(WaitError.IngestionJobFailed)
    expect(error.job.status).toBe("failed")
  })

  it("rides out a storm of 429s and 503s", async () => {
    world.simulator.control.injectFault({ kind: "rate-limit", retryAfterFormat: "none", times: 3 })
    world.simulator.control.injectFault({ kind: "server-error", status: 503, times: 3 })
    const job = await waitForIngestionJob({ ...base(), knowledgeBaseId: "kb_abc123", jobId: "job_abc123" })
    expect(job.status).toBe("completed")
    expect(world.simulator.control.requestCount({ status: 429 })).toBe(3)
    expect(world.simulator.control.requestCount({ status: 503 })).toBe(3)
  })

  it("onRetry hears each retry of the requests that serve the wait, as a call's retries", async () => {
    world.simulator.control.injectFault({ kind: "server-error", status: 502, times: 2, route: "get" })
    const retries: Array<string> = []
    const job = await waitForIngestionJob({
      ...base(),
      knowledgeBaseId: "kb_abc123",
      jobId: "job_abc123",
      onRetry: (retry) => retries.push(`${retry.error._tag} ${retry.attempt} ${typeof retry.delayMillis}`)
    })
    expect(job.status).toBe("completed")
    expect(retries).toStrictEqual(["ServerError 1 number", "ServerError 2 number"])
  })

  it("a deadline that has passed rejects with WaitTimeout and sends nothing", async () => {
    // What the deadline does poll by poll is pinned in virtual time (Wait.test.ts); here, the wiring.
    const error = await rejection(
      waitForIngestionJob({
        ...base(),
        knowledgeBaseId: "kb_abc123",
        jobId: "job_def456",
        deadline: Date.now() - 1
      })
    )
    expect(error).toBeInstanceOf(WaitError.WaitTimeout)
    expect(error).toMatchObject({ reason: "deadline", lastJob: null, observed: { responses: 0 } })
    expect(world.simulator.control.requestCount()).toBe(0)
  })
})

describe("waitForIngestionJob", () => {
  it("timeoutMs bounds the whole wait, requestTimeoutMs each request", async () => {
    world.simulator.control.injectFault({ kind: "hang" })
    const job = await waitForIngestionJob({
      ...base(),
      knowledgeBaseId: "kb_abc123",
      jobId: "job_abc123",
      timeoutMs: 600_000,
      requestTimeoutMs: 1_000
    })
    expect(job.status).toBe("completed")
    // The server learns of the abort a moment after the client moved on.
    await expect
      .poll(() => world.simulator.control.requests.map((r) => r.outcome))
      .toStrictEqual(["hung", "responded"])
  })

  it("not found and a wrong key reject at once, typed", async () => {
    const missing = await rejection(
      waitForIngestionJob({ ...base(), knowledgeBaseId: "kb_abc123", jobId: "job_x" })
    )
    expect(missing).toBeInstanceOf(IngestionError.NotFound)
    const wrongKey = await rejection(
      waitForIngestionJob({
        ...base(),
        apiKey: "tns_wrong",
        knowledgeBaseId: "kb_abc123",
        jobId: "job_abc123"
      })
    )
    expect(wrongKey).toBeInstanceOf(IngestionError.Unauthorized)
    // One request each: neither is retried. (Counted by job and key, so that a request of an
    // earlier test still on its way cannot blur the count.)
    expect(world.simulator.control.requestCount({ jobId: "job_x" })).toBe(1)
    expect(world.simulator.control.requestCount({ authorized: false })).toBe(1)
  })

  it("calls with the options of a recent call reuse its engine, each still sending its own key", async () => {
    // No retrySchedule of its own: the engine of a call is kept for the next calls with the same options.
    const given = { apiKey: API_KEY, baseUrl: world.simulator.baseUrl, maxRetries: 0, pollIntervalMs: 5 }
    const call = (options: Partial<Parameters<typeof waitForIngestionJob>[0]> = {}) =>
      waitForIngestionJob({ ...given, knowledgeBaseId: "kb_abc123", jobId: "job_abc123", ...options })
    expect((await call()).status).toBe("completed")
    const wrongKey = await rejection(call({ apiKey: "tns_wrong" }))
    expect(wrongKey).toBeInstanceOf(IngestionError.Unauthorized)
    expect((await call({ apiKey: Redacted.make(API_KEY) })).status).toBe("completed")
    expect(world.simulator.control.requestCount({ authorized: false })).toBe(1)
    expect(world.simulator.control.requestCount({ authorized: true })).toBe(2)
  })

  it("bad input rejects with InvalidInput and sends nothing", async () => {
    for (const options of [
      { knowledgeBaseId: "kb/1", jobId: "job_1" },
      { knowledgeBaseId: "kb_1", jobId: "" },
      { knowledgeBaseId: "kb_1", jobId: "job_1", timeoutMs: 0 },
      { knowledgeBaseId: "kb_1", jobId: "job_1", pollIntervalMs: Number.NaN },
      { knowledgeBaseId: "kb_1", jobId: "job_1", baseUrl: "http://example.test/v1" }
    ]) {
      const error = await rejection(waitForIngestionJob({ ...base(), ...options }))
      expect(error).toBeInstanceOf(IngestionError.InvalidInput)
    }
    expect(world.simulator.control.requestCount()).toBe(0)
  })
})

describe("waitForIngestionJob", () => {
  it("an abort stops it at once: the request in flight is aborted, none follows", async () => {
    world.simulator.control.injectFault({ kind: "hang" })
    const controller = new AbortController()
    const pending = waitForIngestionJob({
      ...base(),
      knowledgeBaseId: "kb_abc123",
      jobId: "job_def456",
      signal: controller.signal
    })
    await world.simulator.control.waitForRequests(1)
    controller.abort()
    const error = await rejection(pending)
    expect(error.name).toBe("AbortError")
    // Nothing more is sent: a later request of our own is the next one the server sees.
    await client().get("kb_abc123", "job_abc123")
    expect(world.simulator.control.requests.map((r) => r.jobId)).toStrictEqual(["job_def456", "job_abc123"])
  })

  it("leaves nothing behind: a script that awaits it exits by itself", async () => {
    const script = [
      `import { waitForIngestionJob } from "@tensoras/ingestion"`,
      `const job = await waitForIngestionJob({ apiKey: ${JSON.stringify(API_KEY)}, baseUrl: ${JSON.stringify(world.simulator.baseUrl)}, knowledgeBaseId: "kb_abc123", jobId: "job_abc123" })`,
      `console.log(job.status)`
    ].join("\n")
    const { code, stdout } = await startScript(script).exited
    expect(stdout.trim()).toBe("completed")
    expect(code).toBe(0)
  })
})

describe("deadlines against a really blocked event loop", () => {
  it("no request leaves after the deadline, even when every timer fires late", async () => {
    const real = await NodeSimulator.start({ scenario: "docs", apiKey: API_KEY })
    try {
      const deadline = Date.now() + 1_000
      const error = await rejection(
        createIngestionJobsClient({ apiKey: API_KEY, baseUrl: real.baseUrl }).waitFor(
          "kb_abc123",
          "job_def456",
          {
            pollIntervalMs: 100,
            deadline,
            // The first answer blocks the process past the deadline: a long synchronous task.
            onUpdate: () => {
              while (Date.now() < deadline + 500) {
                // busy: no timer can fire
              }
            }
          }
        )
      )
      expect(error).toBeInstanceOf(WaitError.WaitTimeout)
      expect(real.control.requests.filter((r) => r.at >= deadline)).toStrictEqual([])
    } finally {
      await real.close()
    }
  })
})

describe("canary: a key the server echoes never comes out of a wait", () => {
  it("not in the jobs it reports, nor in its WaitTimeout, its message, stack or JSON", async () => {
    const key = Canary.make()
    const echoing = await NodeSimulator.start({ scenario: "docs", apiKey: key, clock: "manual" })
    try {
      // Every string of every answer carries the key (the status too: the job reads as unknown).
      echoing.control.injectFault({ kind: "echo-key", times: Infinity })
      const c = createIngestionJobsClient({ apiKey: key, baseUrl: echoing.baseUrl })
      const updates: Array<unknown> = []
      const timedOut = await rejection(
        c.waitFor("kb_abc123", "job_def456", {
          pollIntervalMs: 3_600_000,
          deadline: Date.now() + 1_000,
          onUpdate: (job) => updates.push(job)
        })
      )
      expect(timedOut).toBeInstanceOf(WaitError.WaitTimeout)
      expect(updates.length).toBe(1)
      expect(JSON.stringify(updates)).toContain("[echo:")
      expect(Canary.leaks(key, timedOut, updates)).toEqual([])
    } finally {
      await echoing.close()
    }
  })
})
