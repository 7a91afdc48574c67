import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest"
import { NodeSimulator, RequestLog, Simulator, TestLimit } from "../src/index.js"
import { call } from "./helpers.js"

let sim: NodeSimulator.RunningSimulator
beforeAll(async () => {
  sim = await NodeSimulator.start({ scenario: "docs", clock: "manual" })
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

  it("waits up to the tests' one limit by default (TestLimit.ms), not a short fixed time", async () => {
    vi.useFakeTimers()
    try {
      const { control, dispose } = Simulator.make()
      const pending = control.waitForRequests(1)
      let outcome: unknown
      pending.catch((error: Error) => {
        outcome = error.message
      })
      await vi.advanceTimersByTimeAsync(TestLimit.ms - 1)
      expect(outcome).toBeUndefined()
      await vi.advanceTimersByTimeAsync(1)
      expect(outcome).toMatch(new RegExp(`^Timed out after ${TestLimit.ms} ms waiting for 1 request`))
      dispose()
    } finally {
      vi.useRealTimers()
    }
  })

  it("is cancelled by its signal: nothing stays pending", async () => {
    const controller = new AbortController()
    const pending = sim.control.waitForRequests(1, { signal: controller.signal })
    controller.abort(new Error("cancelled by the test"))
    await expect(pending).rejects.toThrow("cancelled by the test")
    // An already aborted signal rejects at once.
    await expect(sim.control.waitForRequests(1, { signal: controller.signal })).rejects.toThrow(
      "cancelled by the test"
    )
  })

  it("ends every pending wait when the simulator is disposed, and any later one at once", async () => {
    const { control, dispose } = Simulator.make({ scenario: "docs", clock: "manual" })
    const first = control.waitForRequests(1)
    const second = control.waitForRequests(5, { settled: true })
    dispose()
    await expect(first).rejects.toBeInstanceOf(RequestLog.SimulatorDisposed)
    await expect(second).rejects.toBeInstanceOf(RequestLog.SimulatorDisposed)
    await expect(control.waitForRequests(1)).rejects.toBeInstanceOf(RequestLog.SimulatorDisposed)
  })
})

describe("advanceOnEachAnswer", () => {
  it("moves the clock a step after each answered request until the client is done, then stops", async () => {
    const client = async () => {
      const statuses: Array<string> = []
      for (;;) {
        const job = await (await call(sim, "/knowledge-bases/kb_abc123/ingestion-jobs/job_def456")).json()
        statuses.push(job.status)
        if (job.status === "completed") return statuses
      }
    }
    const statuses = await sim.control.advanceOnEachAnswer(10_000, client())
    // Polls at 0, 10, 20, 30, 40 s saw it processing; the one at 50 s saw it completed (44 s in).
    expect(statuses).toEqual([
      "processing",
      "processing",
      "processing",
      "processing",
      "processing",
      "completed"
    ])
    expect(sim.control.now() - 1709125040000).toBe(60_000)
    // Nothing is left waiting on the log once the client is done.
    expect(sim.control.requestCount()).toBe(6)
  })

  it("rejects with the client's error, and counts only requests after it was called", async () => {
    await call(sim, "/knowledge-bases/kb_abc123/ingestion-jobs")
    const failing = (async () => {
      await call(sim, "/knowledge-bases/kb_abc123/ingestion-jobs")
      throw new Error("client gave up")
    })()
    await expect(sim.control.advanceOnEachAnswer(1_000, failing)).rejects.toThrow("client gave up")
    expect(sim.control.now() - 1709125040000).toBeLessThanOrEqual(1_000)
  })
})
