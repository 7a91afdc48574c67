import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest"
import { NodeSimulator } from "../src/index.js"
import { call, callJson } from "./helpers.js"

let sim: NodeSimulator.RunningSimulator
beforeAll(async () => {
  sim = await NodeSimulator.start({ scenario: "docs", clock: "manual" })
})
afterAll(() => sim.close())
beforeEach(() => sim.control.reset())

const LIST = "/knowledge-bases/kb_abc123/ingestion-jobs"
const GET = `${LIST}/job_abc123`

describe("rate limiting", () => {
  it("answers 429 with Retry-After in seconds, once by default", async () => {
    sim.control.injectFault({ kind: "rate-limit", retryAfter: 2 })
    const limited = await callJson(sim, LIST)
    expect(limited.status).toBe(429)
    expect(limited.headers.get("retry-after")).toBe("2")
    expect(limited.body.error).toMatchObject({
      type: "rate_limit_error",
      code: "rate_limit_exceeded",
      param: null
    })
    expect((await call(sim, LIST)).status).toBe(200)
  })

  it("answers 429 with Retry-After as an HTTP date on the engine clock, matching the Date header", async () => {
    sim.control.injectFault({ kind: "rate-limit", retryAfter: 3, retryAfterFormat: "http-date" })
    const response = await call(sim, LIST)
    expect(response.status).toBe(429)
    const retryAt = Date.parse(response.headers.get("retry-after") ?? "")
    const serverNow = Date.parse(response.headers.get("date") ?? "")
    expect(serverNow).toBe(1709125040000)
    expect(retryAt - serverNow).toBe(3_000)
  })
})

describe("server errors", () => {
  it.each([
    [500, "server_error"],
    [502, "api_error"],
    [503, "api_error"],
    [504, "api_error"]
  ] as const)("answers %i with a JSON error body of type %s", async (status, type) => {
    sim.control.injectFault({ kind: "server-error", status })
    const { status: actual, body, headers } = await callJson(sim, GET)
    expect(actual).toBe(status)
    expect(headers.get("content-type")).toBe("application/json")
    expect(body.error).toMatchObject({
      type,
      param: null,
      message: expect.any(String),
      code: expect.any(String)
    })
  })

  it("answers any status with the documented error shape (here 403)", async () => {
    sim.control.injectFault({ kind: "http-error", status: 403 })
    const { status, body } = await callJson(sim, LIST)
    expect(status).toBe(403)
    expect(body.error).toMatchObject({ type: "permission_error", code: "permission_denied" })
  })
})

describe("ordering and targeting", () => {
  it("consumes faults in injection order, each `times` times", async () => {
    sim.control.injectFault({ kind: "rate-limit", times: 2 })
    sim.control.injectFault({ kind: "server-error", status: 503 })
    const statuses = []
    for (let i = 0; i < 4; i++) statuses.push((await call(sim, LIST)).status)
    expect(statuses).toEqual([429, 429, 503, 200])
    expect(sim.control.faults).toEqual([])
  })

  it("applies only to the matching route and ids; Infinity lasts until removed", async () => {
    const fault = sim.control.injectFault({
      kind: "server-error",
      route: "get",
      jobId: "job_def456",
      times: Infinity
    })
    expect((await call(sim, LIST)).status).toBe(200)
    expect((await call(sim, GET)).status).toBe(200)
    expect((await call(sim, `${LIST}/job_def456`)).status).toBe(500)
    expect((await call(sim, `${LIST}/job_def456`)).status).toBe(500)
    expect(fault).toMatchObject({ applied: 2, remaining: Infinity })
    fault.remove()
    expect((await call(sim, `${LIST}/job_def456`)).status).toBe(200)
  })

  it("`skip` lets that many matching requests by first, counting those another fault answered", async () => {
    sim.control.injectFault({ kind: "server-error", status: 503, route: "get", skip: 2, times: 2 })
    sim.control.injectFault({ kind: "rate-limit", route: "get" })
    const statuses = []
    for (let i = 0; i < 5; i++) statuses.push((await call(sim, GET)).status)
    expect(statuses).toEqual([429, 200, 503, 503, 200])
    expect((await call(sim, LIST)).status).toBe(200)
  })

  it("rejects malformed faults", () => {
    expect(() => sim.control.injectFault({ kind: "drop", skip: -1 })).toThrow(RangeError)
    expect(() => sim.control.injectFault({ kind: "drop", times: 0 })).toThrow(RangeError)
    expect(() => sim.control.injectFault({ kind: "truncated", fraction: 1 })).toThrow(RangeError)
  })
})

describe("latency", () => {
  it("on the engine clock, holds the answer until the test advances time", async () => {
    sim.control.injectFault({ kind: "latency", ms: 5_000, clock: "engine" })
    const pending = call(sim, LIST)
    await sim.control.waitForRequests(1)
    sim.control.advance(4_999)
    expect(sim.control.requests[0]?.outcome).toBe("pending")
    sim.control.advance(1)
    expect((await pending).status).toBe(200)
  })

  it("combines with another fault: the delay first, then the fault", async () => {
    sim.control.injectFault({ kind: "latency", ms: 1_000, clock: "engine", times: Infinity })
    sim.control.injectFault({ kind: "rate-limit" })
    const pending = call(sim, LIST)
    await sim.control.waitForRequests(1)
    sim.control.advance(1_000)
    expect((await pending).status).toBe(429)
    expect(sim.control.requests[0]?.faults.map((fault) => fault.kind)).toEqual(["latency", "rate-limit"])
  })

  it("on real time, lets the client give up (abort) while waiting", async () => {
    sim.control.injectFault({ kind: "latency", ms: 60_000 })
    const controller = new AbortController()
    const pending = call(sim, LIST, { signal: controller.signal })
    await sim.control.waitForRequests(1)
    controller.abort()
    await expect(pending).rejects.toMatchObject({ name: "AbortError" })
    const [record] = await sim.control.waitForRequests(1, { settled: true })
    expect(record?.outcome).toBe("aborted")
  })
})

describe("broken connections", () => {
  it("hangs until the client aborts", async () => {
    sim.control.injectFault({ kind: "hang" })
    const controller = new AbortController()
    const pending = call(sim, GET, { signal: controller.signal })
    await sim.control.waitForRequests(1)
    controller.abort()
    await expect(pending).rejects.toMatchObject({ name: "AbortError" })
    const [record] = await sim.control.waitForRequests(1, { settled: true })
    expect(record).toMatchObject({ outcome: "hung", status: null })
  })

  it("drops the connection without a response: fetch rejects", async () => {
    sim.control.injectFault({ kind: "drop" })
    await expect(call(sim, GET)).rejects.toThrow(TypeError)
    expect(sim.control.requests[0]).toMatchObject({ outcome: "dropped", status: null })
    expect((await call(sim, GET)).status).toBe(200)
    expect(sim.control.requestCount()).toBe(2)
  })
})

describe("bodies a JSON client cannot trust", () => {
  it("sends an HTML 502 gateway page", async () => {
    sim.control.injectFault({ kind: "non-json" })
    const response = await call(sim, LIST)
    expect(response.status).toBe(502)
    expect(response.headers.get("content-type")).toBe("text/html; charset=utf-8")
    await expect(response.json()).rejects.toThrow(SyntaxError)
  })

  it("sends an HTML page with status 200", async () => {
    sim.control.injectFault({ kind: "non-json", status: 200 })
    const response = await call(sim, LIST)
    expect(response.status).toBe(200)
    expect(await response.text()).toContain("<html")
  })

  it("cuts a valid answer in the middle, with a clean end of body", async () => {
    const full = await (await call(sim, GET)).text()
    sim.control.injectFault({ kind: "truncated", fraction: 0.5 })
    const response = await call(sim, GET)
    expect(response.status).toBe(200)
    expect(response.headers.get("content-type")).toBe("application/json")
    const cut = await response.text()
    expect(cut).toBe(full.slice(0, Math.floor(full.length / 2)))
    expect(() => JSON.parse(cut)).toThrow(SyntaxError)
  })

  it("adds unknown fields, nested objects included, to the list, jobs, documents and errors", async () => {
    sim.control.injectFault({ kind: "extra-fields", times: 2 })
    const list = (await callJson(sim, LIST)).body
    expect(list.metadata).toEqual({
      region: "eu-west-1",
      pipeline: { version: 3, stages: ["parse", "chunk", "embed"] }
    })
    expect(list.data[0]).toMatchObject({
      id: "job_abc123",
      sim_trace_id: expect.any(String),
      metadata: expect.any(Object)
    })
    const job = (await callJson(sim, `${LIST}/job_def456`)).body
    expect(job.document_details[0].metadata.pipeline.version).toBe(3)
    const failedDocument = job.document_details.find((d: any) => d.status === "failed")
    expect(failedDocument.error).toMatchObject({
      code: "document_encrypted",
      sim_trace_id: expect.any(String)
    })
  })

  it("accepts custom extra fields", async () => {
    sim.control.injectFault({ kind: "extra-fields", fields: { priority: { level: "high" } }, route: "get" })
    const job = (await callJson(sim, GET)).body
    expect(job.priority).toEqual({ level: "high" })
    expect(job.document_details[1].priority).toEqual({ level: "high" })
  })

  it("reports unknown job and document statuses", async () => {
    sim.control.injectFault({ kind: "unknown-status", times: 2 })
    const job = (await callJson(sim, GET)).body
    expect(job.status).toBe("paused")
    expect(new Set(job.document_details.map((d: any) => d.status))).toEqual(new Set(["skipped"]))
    const list = (await callJson(sim, LIST)).body
    expect(list.data.map((j: any) => j.status)).toEqual(["paused", "paused"])
  })

  it("leaves error answers alone: body-changing faults apply to successful answers", async () => {
    sim.control.injectFault({ kind: "extra-fields" })
    const { status, body } = await callJson(sim, `${LIST}/job_missing`)
    expect(status).toBe(404)
    expect(Object.keys(body.error)).toEqual(["message", "type", "param", "code"])
  })
})

describe("a service that echoes the key (for canary tests)", () => {
  const echoed = (key: string) => ` [echo: ${key} | Authorization: Bearer ${key}]`

  it("echo-key: every string field of the list, the jobs, the documents and the errors carries the key", async () => {
    sim.control.setScenario("failing")
    sim.control.advanceToTerminal("kb_failing", "job_failing")
    sim.control.injectFault({ kind: "echo-key", route: "get" })
    const { body } = await callJson(sim, "/knowledge-bases/kb_failing/ingestion-jobs/job_failing")
    const strings: Array<[string, string]> = []
    const walk = (value: unknown, path: string) => {
      if (typeof value === "string") strings.push([path, value])
      else if (typeof value === "object" && value !== null)
        for (const [key, item] of Object.entries(value)) walk(item, `${path}.${key}`)
    }
    walk(body, "job")
    expect(strings.length).toBeGreaterThan(40)
    for (const [path, value] of strings) {
      if (path === "job.object") expect(value).toBe("ingestion_job")
      else expect(value.endsWith(echoed(sim.apiKey)), path).toBe(true)
    }
    expect(body.error.message).toContain(sim.apiKey)
    expect(body.error.code).toContain(sim.apiKey)
    expect(body.document_details[0].document_name).toContain(sim.apiKey)
  })

  it("echo-key with a status: the error body's message, type, code and param carry the key", async () => {
    sim.control.injectFault({ kind: "echo-key", status: 401 })
    const { status, body } = await callJson(sim, LIST)
    expect(status).toBe(401)
    for (const field of ["message", "type", "code", "param"]) expect(body.error[field]).toContain(sim.apiKey)
    expect(() => sim.control.injectFault({ kind: "echo-key", status: 200 })).toThrow(RangeError)
  })
})

describe("redirects", () => {
  it("answers 302 to the same URL with redirected=1, so a client that follows shows up in the log", async () => {
    sim.control.injectFault({ kind: "redirect" })
    const response = await call(sim, GET, { redirect: "manual" })
    expect(response.status).toBe(302)
    const location = new URL(response.headers.get("location") ?? "")
    expect(`${location.origin}${location.pathname}`).toBe(`${sim.baseUrl}${GET}`)
    expect(location.searchParams.get("redirected")).toBe("1")
    expect(sim.control.requestCount()).toBe(1)
  })

  it("to another place, with another status", async () => {
    sim.control.injectFault({ kind: "redirect", status: 308, location: "https://elsewhere.example/v1" })
    const response = await call(sim, GET, { redirect: "manual" })
    expect([response.status, response.headers.get("location")]).toEqual([308, "https://elsewhere.example/v1"])
    expect(() => sim.control.injectFault({ kind: "redirect", status: 200 as 301 })).toThrow(RangeError)
  })
})

describe("huge bodies", () => {
  /** What a body streamed by the simulator may have sent before the client's abort reached it. */
  const SENT_AT_MOST = 64 * 1024 * 1024
  beforeEach(() => sim.control.setScenario("docs"))

  it("pads the normal answer to exactly `bytes`, chunked without Content-Length, and it decodes to that answer", async () => {
    const plain = (await callJson(sim, GET)).body
    expect((await call(sim, GET)).headers.get("content-length")).toBe(String(JSON.stringify(plain).length))
    sim.control.injectFault({ kind: "huge-body", bytes: 300_000, chunkBytes: 1_000 })
    const response = await call(sim, GET)
    expect(response.status).toBe(200)
    expect(response.headers.get("content-length")).toBeNull()
    expect(response.headers.get("content-type")).toBe("application/json")
    const text = await response.text()
    expect(text.length).toBe(300_000)
    const { padding, ...answer } = JSON.parse(text)
    expect(answer).toEqual(plain)
    expect(padding.every((entry: string) => /^x*$/.test(entry))).toBe(true)
    expect(sim.control.requests.at(-1)).toMatchObject({ outcome: "responded", bodyBytes: 300_000 })
  })

  it("sends the true Content-Length, or the number it is given; streams slowly with intervalMs", async () => {
    sim.control.injectFault({
      kind: "huge-body",
      bytes: 5_000,
      chunkBytes: 1_000,
      contentLength: true,
      intervalMs: 2
    })
    const exact = await call(sim, LIST)
    expect(exact.headers.get("content-length")).toBe("5000")
    expect(JSON.parse(await exact.text()).object).toBe("list")
    sim.control.injectFault({ kind: "huge-body", contentLength: 10 * 1024 ** 3 })
    const controller = new AbortController()
    const lying = await call(sim, LIST, { signal: controller.signal })
    expect(lying.headers.get("content-length")).toBe(String(10 * 1024 ** 3))
    controller.abort()
    await sim.control.waitForRequests(1, { filter: { outcome: "aborted" } })
  })

  it("a client that stops reading: `aborted`, with the bytes sent so far, never the 4 GiB", async () => {
    sim.control.injectFault({ kind: "huge-body", route: "get" })
    const response = await call(sim, GET)
    const reader = response.body!.getReader()
    let read = 0
    while (read < 1024 * 1024) {
      const chunk = await reader.read()
      if (chunk.done) return expect.fail(`the body ended after ${read} bytes`)
      read += chunk.value.length
    }
    await reader.cancel()
    const [record] = await sim.control.waitForRequests(1, { filter: { outcome: "aborted" } })
    expect(record?.bodyBytes).toBeGreaterThanOrEqual(read)
    expect(record?.bodyBytes).toBeLessThan(SENT_AT_MOST)
  })

  it("with `status`, pads that error's body; a `bytes` below the answer's size pads nothing", async () => {
    sim.control.injectFault({ kind: "huge-body", status: 503, bytes: 10_000 })
    const failed = await callJson(sim, LIST)
    expect(failed.status).toBe(503)
    expect(failed.body.error).toMatchObject({ type: "api_error", code: "service_unavailable" })
    sim.control.injectFault({ kind: "huge-body", bytes: 0 })
    const { padding, ...answer } = (await callJson(sim, GET)).body
    expect(padding).toStrictEqual([""])
    expect(answer.id).toBe("job_abc123")
  })

  it.each([
    { bytes: -1 },
    { bytes: 1.5 },
    { chunkBytes: 0 },
    { intervalMs: Number.POSITIVE_INFINITY },
    { contentLength: -1 },
    { status: 200 }
  ])("rejects %o with a RangeError", (options) => {
    expect(() => sim.control.injectFault({ kind: "huge-body", ...options })).toThrow(RangeError)
  })
})
