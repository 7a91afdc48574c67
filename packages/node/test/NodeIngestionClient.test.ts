import { fileURLToPath } from "node:url"
import { afterAll, beforeAll, beforeEach, describe, expect, it, onTestFinished } from "@effect/vitest"
import { IngestionError, WaitError } from "@tensoras/ingestion"
import { createIngestionJobsClient, waitForIngestionJob } from "@tensoras/ingestion-node"
import { Canary, NodeSimulator } from "@tensoras/ingestion-testkit"
import * as Effect from "effect/Effect"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import * as HttpClient from "effect/http/HttpClient"
import * as Schedule from "effect/Schedule"
import { CANARY, spawnScript, WRONG_KEY } from "./helpers.js"

let simulator: NodeSimulator.RunningSimulator
beforeAll(async () => {
  simulator = await NodeSimulator.start({ scenario: "docs", clock: "manual", apiKey: CANARY })
})
afterAll(() => simulator.close())
beforeEach(() => simulator.control.setScenario("docs"))

const client = (options: Parameters<typeof createIngestionJobsClient>[0] = {}) =>
  createIngestionJobsClient({ apiKey: CANARY, baseUrl: simulator.baseUrl, maxRetries: 0, ...options })

/** Awaits a rejection and returns it; no key may appear in it anywhere. */
const rejection = async (promise: Promise<unknown>): Promise<any> => {
  try {
    await promise
  } catch (error) {
    expect(Canary.leaks(CANARY, error)).toEqual([])
    expect(Canary.leaks(WRONG_KEY, error)).toEqual([])
    return error
  }
  return expect.fail("expected a rejection")
}

describe("createIngestionJobsClient (Node)", () => {
  it("gets, lists and iterates as the core client does, on undici's Dispatcher.request (not fetch)", async () => {
    const globalFetch = globalThis.fetch
    globalThis.fetch = () => Promise.reject(new Error("the Node client does not use the global fetch"))
    onTestFinished(() => {
      globalThis.fetch = globalFetch
    })
    const c = client()
    const job = await c.get("kb_abc123", "job_abc123")
    expect(job.document_details.length).toBe(15)
    const page = await c.list("kb_abc123")
    expect(page.data.map((each) => each.id)).toEqual(["job_abc123", "job_def456"])
    simulator.control.setScenario("paginated")
    const kb = simulator.control.knowledgeBases()[0]!
    let count = 0
    for await (const _ of c.listAll(kb, { limit: 100 })) count++
    expect(count).toBeGreaterThan(200)
  })

  it("rejects with the tagged errors: a wrong key, a missing job, a redirect (not followed)", async () => {
    expect(await rejection(client({ apiKey: WRONG_KEY }).list("kb_abc123"))).toBeInstanceOf(
      IngestionError.Unauthorized
    )
    expect(await rejection(client().get("kb_abc123", "job_missing"))).toBeInstanceOf(IngestionError.NotFound)
    simulator.control.injectFault({ kind: "redirect" })
    const redirect = await rejection(client().get("kb_abc123", "job_abc123"))
    expect(redirect).toBeInstanceOf(IngestionError.ResponseDecodeError)
    expect(simulator.control.requests.map((r) => r.status)).toEqual([401, 404, 302])
  })

  it("an abort stops the request in flight; the next call is answered", async () => {
    simulator.control.injectFault({ kind: "hang" })
    const controller = new AbortController()
    const c = client({ maxRetries: 5 })
    const pending = c.get("kb_abc123", "job_abc123", { signal: controller.signal })
    await simulator.control.waitForRequests(1)
    controller.abort()
    expect((await rejection(pending)).name).toBe("AbortError")
    expect((await c.get("kb_abc123", "job_abc123")).status).toBe("completed")
    await simulator.control.waitForRequests(2, { settled: true })
    expect(simulator.control.requests.map((r) => r.outcome)).toEqual(["hung", "responded"])
  })

  it("takes fetch or an HttpClient of your own instead, not both", async () => {
    const seen: Array<string> = []
    const fetchClient = Effect.runSync(Effect.provide(HttpClient.HttpClient, FetchHttpClient.layer))
    const httpClient = HttpClient.tapRequest(fetchClient, (request) =>
      Effect.sync(() => seen.push(request.url))
    )
    await client({ httpClient }).list("kb_abc123")
    await client({
      fetch: (input, init) => {
        seen.push(String(input))
        return fetch(input, init)
      }
    }).list("kb_abc123")
    expect(seen.length).toBe(2)
    expect(() => client({ httpClient, fetch })).toThrow(IngestionError.InvalidInput)
  })
})

describe("waitForIngestionJob (Node)", () => {
  const fast = Schedule.max([Schedule.exponential("5 millis"), Schedule.recurs(20)])
  const base = () => ({ apiKey: CANARY, baseUrl: simulator.baseUrl, pollIntervalMs: 5, retrySchedule: fast })

  it("resolves with the completed job, riding out 429s and 503s", async () => {
    simulator.control.injectFault({ kind: "rate-limit", retryAfterFormat: "none", times: 2 })
    simulator.control.injectFault({ kind: "server-error", status: 503, times: 2 })
    const job = await waitForIngestionJob({ ...base(), knowledgeBaseId: "kb_abc123", jobId: "job_abc123" })
    expect([job.status, job.partial, job.document_details.length]).toEqual(["completed", false, 15])
    expect(simulator.control.requests.map((r) => r.status)).toEqual([429, 429, 503, 503, 200])
  })

  it("rejects typed: a failed job, a missing one, bad input (nothing sent)", async () => {
    expect(
      await rejection(waitForIngestionJob({ ...base(), knowledgeBaseId: "kb_abc123", jobId: "job_x" }))
    ).toBeInstanceOf(IngestionError.NotFound)
    const before = simulator.control.requestCount()
    expect(
      await rejection(waitForIngestionJob({ ...base(), knowledgeBaseId: "kb/1", jobId: "job_1" }))
    ).toBeInstanceOf(IngestionError.InvalidInput)
    expect(simulator.control.requestCount()).toBe(before)
    simulator.control.setScenario("failing")
    simulator.control.advanceToTerminal("kb_failing", "job_rejected")
    expect(
      await rejection(
        waitForIngestionJob({ ...base(), knowledgeBaseId: "kb_failing", jobId: "job_rejected" })
      )
    ).toBeInstanceOf(WaitError.IngestionJobFailed)
  })

  it("requestTimeoutMs bounds each request: a hung one is aborted and retried", async () => {
    simulator.control.injectFault({ kind: "hang" })
    const job = await waitForIngestionJob({
      ...base(),
      knowledgeBaseId: "kb_abc123",
      jobId: "job_abc123",
      requestTimeoutMs: 1_000
    })
    expect(job.status).toBe("completed")
    await simulator.control.waitForRequests(2, { settled: true })
    expect(simulator.control.requests.map((r) => r.outcome)).toEqual(["hung", "responded"])
  })

  it("leaves nothing behind: a script that awaits one wait exits by itself, no socket holding it", async () => {
    const fixture = fileURLToPath(new URL("./fixtures/promiseWait.ts", import.meta.url))
    const run = await spawnScript(fixture, [], {
      env: { TENSORAS_API_KEY: CANARY, TENSORAS_BASE_URL: simulator.baseUrl }
    }).exited
    const [status, resources] = run.stdout.trim().split("\n")
    expect([run.code, status]).toEqual([0, "completed"])
    // An idle keep-alive connection is unreferenced: it keeps no handle of the event loop.
    expect(JSON.parse(resources ?? "null")).not.toContain("TCPSocketWrap")
    expect(simulator.control.requestCount({ status: 200 })).toBe(1)
  })
})
