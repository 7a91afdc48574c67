import { Canary, NodeSimulator } from "@tensoras/ingestion-testkit"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { makeIngestionProxy } from "../src/IngestionProxy.js"

let sim: NodeSimulator.RunningSimulator
beforeAll(async () => {
  sim = await NodeSimulator.start({ scenario: "docs", clock: "manual" })
})
afterAll(() => sim.close())

const base = "https://app.example/api/tensoras/v1"

describe("makeIngestionProxy", () => {
  it("forwards the two read endpoints with the key added and the browser's credentials stripped", async () => {
    const proxy = makeIngestionProxy({ apiKey: sim.apiKey, upstream: sim.baseUrl })
    const browserHeaders = { authorization: "Bearer stolen-or-app-token", cookie: "session=abc" }
    const list = await proxy(
      new Request(`${base}/knowledge-bases/kb_abc123/ingestion-jobs?limit=1&status=completed&evil=1`, {
        headers: browserHeaders
      })
    )
    expect(list.status).toBe(200)
    expect(((await list.json()) as { data: Array<{ id: string }> }).data.map((job) => job.id)).toEqual([
      "job_abc123"
    ])
    const get = await proxy(
      new Request(`${base}/knowledge-bases/kb_abc123/ingestion-jobs/job_abc123`, { headers: browserHeaders })
    )
    expect(get.status).toBe(200)
    expect(((await get.json()) as { chunks_created: number }).chunks_created).toBe(482)
    expect(get.headers.get("set-cookie")).toBeNull()

    const [first, second] = sim.control.requests.slice(-2)
    expect(first?.query).toEqual({ limit: "1", status: "completed" }) // only the documented parameters
    expect(first?.authorized).toBe(true) // the server-side key, not the browser's header
    expect(second?.path).toBe("/v1/knowledge-bases/kb_abc123/ingestion-jobs/job_abc123")
  })

  it("passes the API's errors through with their body", async () => {
    const proxy = makeIngestionProxy({ apiKey: sim.apiKey, upstream: sim.baseUrl })
    const response = await proxy(new Request(`${base}/knowledge-bases/kb_abc123/ingestion-jobs/job_nope`))
    expect(response.status).toBe(404)
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe(
      "ingestion_job_not_found"
    )
  })

  it("forwards nothing else: other paths 404, other methods 405", async () => {
    const calls: string[] = []
    const proxy = makeIngestionProxy({
      apiKey: "tns_secret",
      upstream: sim.baseUrl,
      fetch: (input, init) => {
        calls.push(String(input))
        return fetch(input, init)
      }
    })
    const cases: Array<[string, string, number]> = [
      ["GET", `${base}/knowledge-bases`, 404],
      ["GET", `${base}/knowledge-bases/kb_abc123`, 404],
      ["GET", `${base}/knowledge-bases/kb_abc123/data-sources`, 404],
      ["GET", `${base}/knowledge-bases/kb_abc123/ingestion-jobs/job_abc123/extra`, 404],
      ["GET", `${base}/knowledge-bases/..%2F..%2Fadmin/ingestion-jobs`, 404],
      ["GET", `${base}/knowledge-bases/%2e%2e/ingestion-jobs`, 404],
      ["GET", "https://app.example/other/knowledge-bases/kb_abc123/ingestion-jobs", 404],
      ["POST", `${base}/knowledge-bases/kb_abc123/ingestion-jobs`, 405],
      ["DELETE", `${base}/knowledge-bases/kb_abc123/ingestion-jobs/job_abc123`, 405],
      ["PUT", `${base}/knowledge-bases/kb_abc123/ingestion-jobs/job_abc123`, 405]
    ]
    for (const [method, url, status] of cases) {
      const response = await proxy(new Request(url, { method }))
      expect([method, url, response.status]).toEqual([method, url, status])
      expect(((await response.json()) as { error: { type: string } }).error.type).toBeTypeOf("string")
    }
    expect(calls).toEqual([])
  })

  it("restricts knowledge bases (403 with the API's error body) and runs the app's own auth first", async () => {
    const proxy = makeIngestionProxy({
      apiKey: sim.apiKey,
      upstream: sim.baseUrl,
      allowKnowledgeBases: ["kb_abc123"],
      authorize: (request) => request.headers.get("x-app-session") === "ok"
    })
    const denied = await proxy(
      new Request(`${base}/knowledge-bases/kb_other/ingestion-jobs`, { headers: { "x-app-session": "ok" } })
    )
    expect(denied.status).toBe(403)
    expect(await denied.json()).toEqual({
      error: {
        message: "Knowledge base 'kb_other' is not reachable through this proxy",
        type: "permission_error",
        code: "knowledge_base_not_allowed",
        param: "kb_id"
      }
    })
    const anonymous = await proxy(new Request(`${base}/knowledge-bases/kb_abc123/ingestion-jobs`))
    expect(anonymous.status).toBe(401)
    const allowed = await proxy(
      new Request(`${base}/knowledge-bases/kb_abc123/ingestion-jobs`, { headers: { "x-app-session": "ok" } })
    )
    expect(allowed.status).toBe(200)
  })

  it("never puts the key in a response", async () => {
    const proxy = makeIngestionProxy({ apiKey: "tns_wrong_key", upstream: sim.baseUrl })
    const response = await proxy(new Request(`${base}/knowledge-bases/kb_abc123/ingestion-jobs`))
    expect(response.status).toBe(401)
    const text = await response.text()
    expect(text).not.toContain("tns_wrong_key")
    expect([...response.headers.values()].join(" ")).not.toContain("tns_wrong_key")
  })

  it("scrubs the key from what it forwards: a job and an error body that echo it", async () => {
    const proxy = makeIngestionProxy({ apiKey: sim.apiKey, upstream: sim.baseUrl })
    sim.control.injectFault({ kind: "echo-key", route: "get" })
    const get = await proxy(new Request(`${base}/knowledge-bases/kb_abc123/ingestion-jobs/job_def456`))
    const text = await get.text()
    expect(get.status).toBe(200)
    expect(JSON.parse(text).document_details[0].document_name).toMatch(
      / \[echo: <redacted> \| Authorization: Bearer <redacted>\]$/
    )
    sim.control.injectFault({ kind: "echo-key", status: 500 })
    const error = await proxy(new Request(`${base}/knowledge-bases/kb_abc123/ingestion-jobs`))
    const errorText = await error.text()
    expect(error.status).toBe(500)
    expect(JSON.parse(errorText).error.message).toContain("<redacted>")
    expect(Canary.leaks(sim.apiKey, text, errorText)).toEqual([])
  })

  it("does not follow a redirect, nor forward its Location", async () => {
    const proxy = makeIngestionProxy({ apiKey: sim.apiKey, upstream: sim.baseUrl })
    sim.control.clearRequests()
    sim.control.injectFault({ kind: "redirect" })
    const response = await proxy(new Request(`${base}/knowledge-bases/kb_abc123/ingestion-jobs`))
    expect([response.status, response.headers.get("location")]).toEqual([302, null])
    expect(sim.control.requestCount()).toBe(1)
  })
})
