import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "@effect/vitest"
import {
  createIngestionJobsClient,
  IngestionError,
  WaitError,
  waitForIngestionJob
} from "@tensoras/ingestion"
import { Canary, NodeSimulator, TestLimit } from "@tensoras/ingestion-testkit"
import * as Effect from "effect/Effect"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import * as HttpClient from "effect/http/HttpClient"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"

const API_KEY = "tns_canary_promise_4c2a9e"

let simulator: NodeSimulator.RunningSimulator
beforeAll(async () => {
  simulator = await NodeSimulator.start({ scenario: "docs", apiKey: API_KEY, clock: "manual" })
})
afterAll(() => simulator.close())
beforeEach(() => simulator.control.setScenario("docs"))

const client = (options: Partial<Parameters<typeof createIngestionJobsClient>[0]> = {}) =>
  createIngestionJobsClient({ apiKey: API_KEY, baseUrl: simulator.baseUrl, maxRetries: 0, ...options })

/** Awaits a rejection and returns it; the key must not appear in it anywhere. */
const rejection = async (promise: Promise<unknown>): Promise<any> => {
  try {
    await promise
  } catch (error) {
    expect(JSON.stringify([String(error), JSON.stringify(error), (error as Error).stack])).not.toContain(
      API_KEY
    )
    return error
  }
  return expect.fail("expected a rejection")
}

describe("createIngestionJobsClient", () => {
  it("lists, gets, and iterates over every page", async () => {
    const c = client()
    const page = await c.list("kb_abc123")
    expect(page.data.map((job) => `${job.id}: ${job.status}`)).toStrictEqual([
      "job_abc123: completed",
      "job_def456: processing"
    ])

    const job = await c.get("kb_abc123", "job_abc123")
    expect(job.document_details[0]?.document_name).toBe("product-guide.pdf")

    simulator.control.setScenario("paginated")
    const kb = simulator.control.knowledgeBases()[0]!
    const before = simulator.control.requestCount()
    const ids: Array<string> = []
    for await (const each of c.listAll(kb, { limit: 100 })) ids.push(each.id)
    expect(ids.length).toBeGreaterThan(200)
    expect(simulator.control.requestCount() - before).toBeGreaterThanOrEqual(3)
  })

  it("rejects with the same tagged classes: instanceof and _tag both work", async () => {
    const error = await rejection(client().get("kb_abc123", "job_missing"))
    expect(error).toBeInstanceOf(IngestionError.NotFound)
    expect(error).toBeInstanceOf(Error)
    expect(error._tag).toBe("NotFound")
    expect(error.code).toBe("ingestion_job_not_found")
    expect(IngestionError.isIngestionError(error)).toBe(true)

    const auth = await rejection(client({ apiKey: "tns_wrong" }).list("kb_abc123"))
    expect(auth).toBeInstanceOf(IngestionError.Unauthorized)
  })

  it("an iteration that fails rejects with the tagged error", async () => {
    const iterate = async () => {
      for await (const _ of client().listAll("kb_missing")) {
        // nothing: the first page already fails
      }
    }
    const error = await rejection(iterate())
    expect(error).toBeInstanceOf(IngestionError.NotFound)
  })

  it("throws InvalidInput at once for bad options, and for bad arguments sends nothing", async () => {
    expect(() => createIngestionJobsClient({ apiKey: "" })).toThrow(IngestionError.InvalidInput)
    expect(() => createIngestionJobsClient({ apiKey: API_KEY, baseUrl: "http://example.test/v1" })).toThrow(
      /https/
    )
    expect(() => client({ requestTimeoutMs: -1 })).toThrow(IngestionError.InvalidInput)
    expect(() => client({ maxRetries: 1.5 })).toThrow(IngestionError.InvalidInput)

    const before = simulator.control.requestCount()
    const error = await rejection(client().list("kb_abc123", { limit: 1000 }))
    expect(error).toMatchObject({ _tag: "InvalidInput", param: "limit" })
    expect(simulator.control.requestCount()).toBe(before)
  })

  it("accepts the key as an Effect Redacted", async () => {
    const page = await client({ apiKey: Redacted.make(API_KEY) }).list("kb_abc123")
    expect(page.data.length).toBe(2)
  })

  it("uses the fetch it is given", async () => {
    const seen: Array<string> = []
    const page = await client({
      fetch: (input, init) => {
        seen.push(String(input))
        return fetch(input, init)
      }
    }).list("kb_abc123")
    expect(page.object).toBe("list")
    expect(seen).toStrictEqual([`${simulator.baseUrl}/knowledge-bases/kb_abc123/ingestion-jobs`])
  })

  it("uses the Effect HttpClient it is given; fetch and httpClient together are InvalidInput", async () => {
    const seen: Array<string> = []
    const platform = Effect.runSync(Effect.provide(HttpClient.HttpClient, FetchHttpClient.layer))
    const httpClient = HttpClient.tapRequest(platform, (request) => Effect.sync(() => seen.push(request.url)))
    const page = await client({ httpClient }).list("kb_abc123")
    expect(page.object).toBe("list")
    expect(seen).toStrictEqual([`${simulator.baseUrl}/knowledge-bases/kb_abc123/ingestion-jobs`])
    expect(() => client({ httpClient, fetch })).toThrow(expect.objectContaining({ param: "httpClient" }))
    const wait = await rejection(
      waitForIngestionJob({
        apiKey: API_KEY,
        baseUrl: simulator.baseUrl,
        knowledgeBaseId: "kb_abc123",
        jobId: "job_abc123",
        httpClient,
        fetch
      })
    )
    expect(wait).toBeInstanceOf(IngestionError.InvalidInput)
    expect(
      await waitForIngestionJob({
        apiKey: API_KEY,
        baseUrl: simulator.baseUrl,
        knowledgeBaseId: "kb_abc123",
        jobId: "job_abc123",
        httpClient
      })
    ).toMatchObject({ status: "completed" })
    expect(seen.length).toBe(2)
  })

  it("an aborted signal stops the request in flight and rejects with an AbortError", async () => {
    simulator.control.injectFault({ kind: "hang" })
    const controller = new AbortController()
    const pending = client({ maxRetries: 5 }).list("kb_abc123", { signal: controller.signal })
    await simulator.control.waitForRequests(1)
    const count = simulator.control.requestCount()
    controller.abort()
    const error = await rejection(pending)
    expect(error.name).toBe("AbortError")
    await expect.poll(() => simulator.control.requests.at(-1)?.outcome).toBe("hung")
    expect(simulator.control.requestCount()).toBe(count)
  })

  it("an already aborted signal sends nothing", async () => {
    const before = simulator.control.requestCount()
    const error = await rejection(client().get("kb_abc123", "job_abc123", { signal: AbortSignal.abort() }))
    expect(error.name).toBe("AbortError")
    expect(simulator.control.requestCount()).toBe(before)
  })

  it("aborting a listAll rejects the loop with the signal's reason", async () => {
    simulator.control.injectFault({ kind: "hang" })
    const controller = new AbortController()
    const iterate = async () => {
      for await (const _ of client().listAll("kb_abc123", { signal: controller.signal })) {
        // the first page hangs
      }
    }
    const done = rejection(iterate())
    await simulator.control.waitForRequests(1)
    controller.abort(new Error("user cancelled"))
    expect((await done).message).toBe("user cancelled")
  })
})

describe("waitForIngestionJob", () => {
  const fast = Schedule.max([Schedule.exponential("5 millis"), Schedule.recurs(20)])
  const base = () => ({ apiKey: API_KEY, baseUrl: simulator.baseUrl, pollIntervalMs: 5, retrySchedule: fast })

  /** Lets simulated time pass as the wait polls: every request moves the simulator's clock by `step`. */
  const tickOnEveryRequest = (step: number) => {
    let seen = simulator.control.requestCount()
    const timer = setInterval(() => {
      const count = simulator.control.requestCount()
      if (count > seen) simulator.control.advance((count - seen) * step)
      seen = count
    }, 1)
    return () => clearInterval(timer)
  }

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
    expect(simulator.control.requestCount()).toBe(1)
  })

  it("a failed job rejects with IngestionJobFailed", async () => {
    simulator.control.setScenario("failing")
    simulator.control.advanceToTerminal("kb_failing", "job_rejected")
    const error = await rejection(
      waitForIngestionJob({ ...base(), knowledgeBaseId: "kb_failing", jobId: "job_rejected" })
    )
    expect(error).toBeInstanceOf(WaitError.IngestionJobFailed)
    expect(error.job.status).toBe("failed")
  })

  it("rides out a storm of 429s and 503s", async () => {
    simulator.control.injectFault({ kind: "rate-limit", retryAfterFormat: "none", times: 3 })
    simulator.control.injectFault({ kind: "server-error", status: 503, times: 3 })
    const job = await waitForIngestionJob({ ...base(), knowledgeBaseId: "kb_abc123", jobId: "job_abc123" })
    expect(job.status).toBe("completed")
    expect(simulator.control.requestCount({ status: 429 })).toBe(3)
    expect(simulator.control.requestCount({ status: 503 })).toBe(3)
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
    expect(simulator.control.requestCount()).toBe(0)
  })

  it("timeoutMs bounds the whole wait, requestTimeoutMs each request", async () => {
    simulator.control.injectFault({ kind: "hang" })
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
      .poll(() => simulator.control.requests.map((r) => r.outcome))
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
    expect(simulator.control.requestCount({ jobId: "job_x" })).toBe(1)
    expect(simulator.control.requestCount({ authorized: false })).toBe(1)
  })

  it("calls with the options of a recent call reuse its engine, each still sending its own key", async () => {
    // No retrySchedule of its own: the engine of a call is kept for the next calls with the same options.
    const given = { apiKey: API_KEY, baseUrl: simulator.baseUrl, maxRetries: 0, pollIntervalMs: 5 }
    const call = (options: Partial<Parameters<typeof waitForIngestionJob>[0]> = {}) =>
      waitForIngestionJob({ ...given, knowledgeBaseId: "kb_abc123", jobId: "job_abc123", ...options })
    expect((await call()).status).toBe("completed")
    const wrongKey = await rejection(call({ apiKey: "tns_wrong" }))
    expect(wrongKey).toBeInstanceOf(IngestionError.Unauthorized)
    expect((await call({ apiKey: Redacted.make(API_KEY) })).status).toBe("completed")
    expect(simulator.control.requestCount({ authorized: false })).toBe(1)
    expect(simulator.control.requestCount({ authorized: true })).toBe(2)
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
    expect(simulator.control.requestCount()).toBe(0)
  })

  it("an abort stops it at once: the request in flight is aborted, none follows", async () => {
    simulator.control.injectFault({ kind: "hang" })
    const controller = new AbortController()
    const pending = waitForIngestionJob({
      ...base(),
      knowledgeBaseId: "kb_abc123",
      jobId: "job_def456",
      signal: controller.signal
    })
    await simulator.control.waitForRequests(1)
    controller.abort()
    const error = await rejection(pending)
    expect(error.name).toBe("AbortError")
    // Nothing more is sent: a later request of our own is the next one the server sees.
    await client().get("kb_abc123", "job_abc123")
    expect(simulator.control.requests.map((r) => r.jobId)).toStrictEqual(["job_def456", "job_abc123"])
  })

  it("leaves nothing behind: a script that awaits it exits by itself", async () => {
    const script = [
      `import { waitForIngestionJob } from "@tensoras/ingestion"`,
      `const job = await waitForIngestionJob({ apiKey: ${JSON.stringify(API_KEY)}, baseUrl: ${JSON.stringify(simulator.baseUrl)}, knowledgeBaseId: "kb_abc123", jobId: "job_abc123" })`,
      `console.log(job.status)`
    ].join("\n")
    const { code, stdout } = await new Promise<{ code: number | null; stdout: string }>((resolve, reject) => {
      const child = spawn(
        process.execPath,
        ["--conditions=@tensoras/source", "--import", "tsx", "--input-type=module"],
        {
          cwd: fileURLToPath(new URL("../../..", import.meta.url))
        }
      )
      let out = ""
      child.stdout.on("data", (chunk) => {
        out += chunk
      })
      const killer = setTimeout(() => child.kill("SIGKILL"), TestLimit.ms)
      child.on("error", reject)
      child.on("close", (exit) => {
        clearTimeout(killer)
        resolve({ code: exit, stdout: out })
      })
      child.stdin.end(script)
    })
    expect(stdout.trim()).toBe("completed")
    expect(code).toBe(0)
  })
})

describe("waits on one client share one engine", () => {
  it("waitForAll resolves in the order of jobIds, allSettled-shaped, each with its own outcome", async () => {
    simulator.control.setScenario("failing")
    simulator.control.advanceToTerminal("kb_failing", "job_rejected")
    const c = client({ maxRetries: 0 })
    const [rejected, missing] = await c.waitForAll("kb_failing", ["job_rejected", "job_nope"], {
      pollIntervalMs: 1_000
    })
    expect(rejected?.status).toBe("rejected")
    expect(rejected?.status === "rejected" && rejected.reason).toBeInstanceOf(WaitError.IngestionJobFailed)
    expect(missing?.status === "rejected" && missing.reason).toBeInstanceOf(IngestionError.NotFound)
  })

  it("waitForAll rejects only on invalid input, before anything is sent", async () => {
    const error = await rejection(client().waitForAll("kb_abc123", ["job_abc123", "job/2"]))
    expect(error).toMatchObject({ _tag: "InvalidInput", param: "jobId" })
    expect(simulator.control.requestCount()).toBe(0)
  })

  it("many waits on one knowledge base poll as one loop: two jobs, one round of requests", async () => {
    const c = client()
    const [done, other] = await c.waitForAll("kb_abc123", ["job_abc123", "job_abc123"])
    expect(done?.status).toBe("fulfilled")
    expect(other?.status).toBe("fulfilled")
    // Two waits on one job: one GET answers both.
    expect(simulator.control.requestCount({ route: "get" })).toBe(1)
  })

  it("watch yields each change and ends with the terminal job", async () => {
    simulator.control.advanceToTerminal("kb_abc123", "job_def456")
    const statuses: Array<string> = []
    for await (const job of client().watch("kb_abc123", "job_def456")) statuses.push(String(job.status))
    expect(statuses).toStrictEqual(["completed"])
  })

  it("watchAll yields Changed and Ended updates and ends after the last", async () => {
    const updates: Array<string> = []
    for await (const update of client().watchAll("kb_abc123", ["job_abc123"])) {
      updates.push(update._tag === "Changed" ? `changed ${update.job.status}` : `ended ${update.result._tag}`)
    }
    expect(updates).toStrictEqual(["changed completed", "ended Success"])
  })

  it("reads the key and base URL from the environment when they are not given", async () => {
    const saved = { key: process.env.TENSORAS_API_KEY, url: process.env.TENSORAS_BASE_URL }
    process.env.TENSORAS_API_KEY = API_KEY
    process.env.TENSORAS_BASE_URL = simulator.baseUrl
    try {
      const job = await createIngestionJobsClient().get("kb_abc123", "job_abc123")
      expect(job.id).toBe("job_abc123")
      delete process.env.TENSORAS_API_KEY
      expect(() => createIngestionJobsClient()).toThrow(
        "No API key: pass apiKey, or set the TENSORAS_API_KEY environment variable"
      )
    } finally {
      if (saved.key === undefined) delete process.env.TENSORAS_API_KEY
      else process.env.TENSORAS_API_KEY = saved.key
      if (saved.url === undefined) delete process.env.TENSORAS_BASE_URL
      else process.env.TENSORAS_BASE_URL = saved.url
    }
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
