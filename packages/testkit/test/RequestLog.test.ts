import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest"
import { type RunningSimulator, startSimulator } from "../src/index.js"
import { call } from "./helpers.js"

let sim: RunningSimulator
beforeAll(async () => {
  sim = await startSimulator({ scenario: "docs", clock: "manual" })
})
afterAll(() => sim.close())
beforeEach(() => sim.control.reset())

describe("the request log", () => {
  it("records each request: times, method, path, route, ids, query, status, authorization and fault", async () => {
    sim.control.injectFault({ kind: "rate-limit", route: "get" })
    await call(sim, "/knowledge-bases/kb_abc123/ingestion-jobs?limit=5&status=completed")
    sim.control.advance(1_500)
    await call(sim, "/knowledge-bases/kb_abc123/ingestion-jobs/job%5Fdef456")
    await call(sim, "/knowledge-bases/kb_abc123/ingestion-jobs", { key: "tns_wrong" })
    await call(sim, "/nowhere", { method: "POST" })

    const [list, get, unauthorized, unknown] = sim.control.requests
    expect(list).toEqual({
      seq: 1,
      method: "GET",
      path: "/v1/knowledge-bases/kb_abc123/ingestion-jobs",
      route: "list",
      kbId: "kb_abc123",
      jobId: null,
      query: { limit: "5", status: "completed" },
      at: 1709125040000,
      realAt: expect.any(Number),
      status: 200,
      outcome: "responded",
      authorized: true,
      userAgent: "node",
      faults: []
    })
    expect(get).toMatchObject({
      seq: 2,
      path: "/v1/knowledge-bases/kb_abc123/ingestion-jobs/job%5Fdef456",
      route: "get",
      jobId: "job_def456",
      at: 1709125041500,
      status: 429,
      faults: [{ id: 1, kind: "rate-limit" }]
    })
    expect(unauthorized).toMatchObject({ status: 401, authorized: false })
    expect(unknown).toMatchObject({ method: "POST", route: "unknown", status: 404, kbId: null })
  })

  it("never records the Authorization header's value", async () => {
    await call(sim, "/knowledge-bases/kb_abc123/ingestion-jobs", { key: "tns_secret_value_123" })
    await call(sim, "/knowledge-bases/kb_abc123/ingestion-jobs")
    const text = JSON.stringify(sim.control.requests)
    expect(text).not.toContain("tns_secret_value_123")
    expect(text).not.toContain(sim.apiKey)
  })

  it("counts requests by filter object or predicate", async () => {
    await call(sim, "/knowledge-bases/kb_abc123/ingestion-jobs")
    await call(sim, "/knowledge-bases/kb_abc123/ingestion-jobs/job_abc123")
    await call(sim, "/knowledge-bases/kb_abc123/ingestion-jobs/job_def456")
    expect(sim.control.requestCount()).toBe(3)
    expect(sim.control.requestCount({ route: "get" })).toBe(2)
    expect(sim.control.requestCount({ route: "get", jobId: "job_def456", status: 200 })).toBe(1)
    expect(sim.control.requestCount((record) => record.route === "list")).toBe(1)
  })

  it("is cleared by reset and clearRequests, and numbering restarts", async () => {
    await call(sim, "/knowledge-bases/kb_abc123/ingestion-jobs")
    sim.control.clearRequests()
    expect(sim.control.requests).toEqual([])
    await call(sim, "/knowledge-bases/kb_abc123/ingestion-jobs")
    expect(sim.control.requests[0]?.seq).toBe(1)
  })
})

describe("waitForRequests", () => {
  it("resolves once the N-th request has arrived, so a test can synchronise with a polling client", async () => {
    const third = sim.control.waitForRequests(3, { filter: { route: "get" } })
    const poll = async () => {
      for (let i = 0; i < 3; i++) await call(sim, "/knowledge-bases/kb_abc123/ingestion-jobs/job_def456")
    }
    const [records] = await Promise.all([third, poll()])
    expect(records.map((record) => record.seq)).toEqual([1, 2, 3])
  })

  it("resolves at once when enough requests are already logged", async () => {
    await call(sim, "/knowledge-bases/kb_abc123/ingestion-jobs")
    await expect(sim.control.waitForRequests(1)).resolves.toHaveLength(1)
  })

  it("with `settled`, waits for the answer rather than the arrival", async () => {
    sim.control.injectFault({ kind: "latency", ms: 1_000, clock: "engine" })
    const pending = call(sim, "/knowledge-bases/kb_abc123/ingestion-jobs")
    const [arrived] = await sim.control.waitForRequests(1)
    expect(arrived?.outcome).toBe("pending")
    const settled = sim.control.waitForRequests(1, { settled: true })
    sim.control.advance(1_000)
    const [done] = await settled
    expect(done).toMatchObject({ outcome: "responded", status: 200 })
    await pending
  })

  it("rejects after timeoutMs, saying what it saw", async () => {
    await call(sim, "/knowledge-bases/kb_abc123/ingestion-jobs")
    await expect(sim.control.waitForRequests(2, { timeoutMs: 20 })).rejects.toThrow(
      /Timed out after 20 ms waiting for 2 request\(s\); saw 1: #1 GET/
    )
  })
})
