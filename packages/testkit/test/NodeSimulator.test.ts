import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest"
import { NodeSimulator } from "../src/index.js"
import { call, callJson, EPOCH_MS } from "./helpers.js"

let sim: NodeSimulator.RunningSimulator
beforeAll(async () => {
  sim = await NodeSimulator.start({
    scenario: "paginated",
    clock: "manual",
    epochMs: EPOCH_MS,
    apiKey: "tns_test_key"
  })
})
afterAll(() => sim.close())
beforeEach(() => sim.control.setScenario("paginated"))

const LIST = "/knowledge-bases/kb_paginated/ingestion-jobs"

describe("NodeSimulator.start", () => {
  it("serves on loopback with a production-like base URL ending in /v1", () => {
    expect(sim.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/)
  })

  it("generates a tns_sim_ key when none is given", async () => {
    const other = await NodeSimulator.start()
    try {
      expect(other.apiKey).toMatch(/^tns_sim_[0-9a-f]{32}$/)
    } finally {
      await other.close()
    }
  })

  it("accepts the docs' example key in every scenario, unless a key is given", async () => {
    const other = await NodeSimulator.start({ scenario: "failing" })
    try {
      const example = await call(other, "/knowledge-bases/kb_failing/ingestion-jobs", {
        key: "tns_your_key_here"
      })
      expect(example.status).toBe(200)
    } finally {
      await other.close()
    }
    // This one was given tns_test_key: only that key works.
    expect((await call(sim, LIST, { key: "tns_your_key_here" })).status).toBe(401)
  })

  it("closes promptly even while a request hangs; the hanging client sees a network error", async () => {
    const other = await NodeSimulator.start({ scenario: "empty" })
    other.control.injectFault({ kind: "hang" })
    const pending = call(other, "/knowledge-bases/kb_empty/ingestion-jobs")
    await other.control.waitForRequests(1)
    await other.close()
    await expect(pending).rejects.toThrow(TypeError)
    expect(other.control.requests[0]?.outcome).toBe("hung")
  })
})

describe("authentication", () => {
  it("answers 401 without an Authorization header", async () => {
    const { status, body, headers } = await callJson(sim, LIST, { key: null })
    expect(status).toBe(401)
    expect(headers.get("content-type")).toBe("application/json")
    expect(body).toEqual({
      error: {
        message: expect.any(String),
        type: "authentication_error",
        param: null,
        code: "invalid_api_key"
      }
    })
  })

  it("answers 401 to a wrong key without echoing it", async () => {
    const wrong = "tns_wrong_0123456789"
    const response = await call(sim, LIST, { key: wrong })
    const text = await response.text()
    expect(response.status).toBe(401)
    expect(JSON.parse(text).error.code).toBe("invalid_api_key")
    expect(text).not.toContain(wrong)
    expect(text).not.toContain("tns_test_key")
  })

  it("answers 401 to another scheme, and accepts the Bearer scheme in any case", async () => {
    const basic = await fetch(`${sim.baseUrl}${LIST}`, { headers: { authorization: "Basic dXNlcjpwYXNz" } })
    expect(basic.status).toBe(401)
    const lower = await fetch(`${sim.baseUrl}${LIST}`, { headers: { authorization: "bearer tns_test_key" } })
    expect(lower.status).toBe(200)
  })

  it("never echoes a key even when it is sent where ids go", async () => {
    const { status, body } = await callJson(sim, "/knowledge-bases/tns_test_key/ingestion-jobs")
    expect(status).toBe(404)
    expect(JSON.stringify(body)).not.toContain("tns_test_key")
  })
})

describe("errors", () => {
  it("answers an unknown job exactly like the documented example", async () => {
    sim.control.setScenario("empty")
    const { status, body, headers } = await callJson(
      sim,
      "/knowledge-bases/kb_empty/ingestion-jobs/job_abc123"
    )
    expect(status).toBe(404)
    expect(headers.get("content-type")).toBe("application/json")
    expect(body).toEqual({
      error: {
        message: "Ingestion job 'job_abc123' not found",
        type: "not_found_error",
        param: "job_id",
        code: "ingestion_job_not_found"
      }
    })
  })

  it("answers an unknown knowledge base with 404 knowledge_base_not_found on both routes", async () => {
    for (const path of [
      "/knowledge-bases/kb_nope/ingestion-jobs",
      "/knowledge-bases/kb_nope/ingestion-jobs/job_1"
    ]) {
      const { status, body } = await callJson(sim, path)
      expect(status).toBe(404)
      expect(body).toEqual({
        error: {
          message: "Knowledge base 'kb_nope' not found",
          type: "not_found_error",
          param: "kb_id",
          code: "knowledge_base_not_found"
        }
      })
    }
  })

  it("answers unknown paths with 404", async () => {
    for (const path of [
      "/knowledge-bases",
      "/knowledge-bases/kb_paginated/jobs",
      `${LIST}/job_page_001/extra`
    ]) {
      const { status, body } = await callJson(sim, path)
      expect(status).toBe(404)
      expect(body.error).toMatchObject({ type: "not_found_error", code: "unknown_url" })
    }
    const outside = await fetch(
      `${sim.baseUrl.replace(/\/v1$/, "")}/v2/knowledge-bases/kb_paginated/ingestion-jobs`
    )
    expect(outside.status).toBe(404)
  })

  it("answers other methods on a known route with 405 and Allow: GET", async () => {
    for (const method of ["POST", "DELETE", "PUT"]) {
      const { status, body, headers } = await callJson(sim, LIST, { method })
      expect(status).toBe(405)
      expect(headers.get("allow")).toBe("GET")
      expect(body.error).toMatchObject({
        type: "invalid_request_error",
        code: "method_not_allowed",
        param: null
      })
    }
  })

  it("percent-decodes path segments", async () => {
    sim.control.addKnowledgeBase("kb ü/1")
    const { job } = sim.control.addDataSource("kb ü/1", { jobId: "job #1", documents: [{ name: "a.md" }] })
    const kb = encodeURIComponent("kb ü/1")
    const { status, body } = await callJson(
      sim,
      `/knowledge-bases/${kb}/ingestion-jobs/${encodeURIComponent(job.id)}`
    )
    expect(status).toBe(200)
    expect(body).toMatchObject({ id: "job #1", knowledge_base_id: "kb ü/1" })
  })
})

describe("GET /knowledge-bases/{kb_id}/ingestion-jobs", () => {
  it("returns 20 jobs by default, oldest first, with has_more", async () => {
    const { status, body, headers } = await callJson(sim, LIST)
    expect(status).toBe(200)
    expect(headers.get("content-type")).toBe("application/json")
    expect(body.object).toBe("list")
    expect(body.has_more).toBe(true)
    expect(body.data.map((job: any) => job.id)).toEqual(
      Array.from({ length: 20 }, (_, i) => `job_page_${String(i + 1).padStart(3, "0")}`)
    )
  })

  it("returns up to 100 jobs per page", async () => {
    const { body } = await callJson(sim, `${LIST}?limit=100`)
    expect(body.data).toHaveLength(100)
  })

  it.each(["0", "101", "-1", "abc", "1.5", "", "1e2", " 5"])(
    "rejects limit=%j with 400 param 'limit'",
    async (limit) => {
      const { status, body } = await callJson(sim, `${LIST}?limit=${encodeURIComponent(limit)}`)
      expect(status).toBe(400)
      expect(body.error).toMatchObject({ type: "invalid_request_error", param: "limit" })
    }
  )

  it("rejects a repeated parameter", async () => {
    const { status, body } = await callJson(sim, `${LIST}?limit=1&limit=2`)
    expect(status).toBe(400)
    expect(body.error.param).toBe("limit")
  })

  it("walks every page with the `after` cursor until has_more is false", async () => {
    const pages: Array<{ size: number; hasMore: boolean }> = []
    const ids: Array<string> = []
    let after: string | undefined
    do {
      const { body } = await callJson(sim, `${LIST}?limit=100${after === undefined ? "" : `&after=${after}`}`)
      pages.push({ size: body.data.length, hasMore: body.has_more })
      ids.push(...body.data.map((job: any) => job.id))
      after = body.has_more ? body.data.at(-1).id : undefined
    } while (after !== undefined)
    expect(pages).toEqual([
      { size: 100, hasMore: true },
      { size: 100, hasMore: true },
      { size: 50, hasMore: false }
    ])
    expect(ids).toEqual(Array.from({ length: 250 }, (_, i) => `job_page_${String(i + 1).padStart(3, "0")}`))
  })

  it("answers has_more false when the last page is exactly full", async () => {
    const { body } = await callJson(sim, `${LIST}?limit=50&after=job_page_200`)
    expect(body.data).toHaveLength(50)
    expect(body.has_more).toBe(false)
  })

  it("rejects an unknown cursor, or one from another knowledge base, with 400 param 'after'", async () => {
    sim.control.addKnowledgeBase("kb_other")
    const { job } = sim.control.addDataSource("kb_other", { documents: [] })
    for (const after of ["job_missing", job.id]) {
      const { status, body } = await callJson(sim, `${LIST}?after=${after}`)
      expect(status).toBe(400)
      expect(body.error).toMatchObject({ type: "invalid_request_error", param: "after" })
    }
  })

  it("filters by status, and the cursor still works within the filter", async () => {
    const { body } = await callJson(sim, `${LIST}?status=failed&limit=100`)
    expect(body.data.length).toBeGreaterThan(30)
    expect(body.data.every((job: any) => job.status === "failed" && job.error !== null)).toBe(true)
    const first = body.data[0].id
    const next = await callJson(sim, `${LIST}?status=failed&limit=100&after=${first}`)
    expect(next.body.data.map((job: any) => job.id)).toEqual(body.data.slice(1).map((job: any) => job.id))
    const queued = await callJson(sim, `${LIST}?status=queued`)
    expect(queued.body.data.map((job: any) => job.id)).toEqual(["job_page_249", "job_page_250"])
  })

  it("rejects an unknown status with 400 param 'status'", async () => {
    const { status, body } = await callJson(sim, `${LIST}?status=paused`)
    expect(status).toBe(400)
    expect(body.error).toMatchObject({ type: "invalid_request_error", param: "status" })
  })

  it("never includes document_details; the single-job endpoint always does", async () => {
    const list = await callJson(sim, `${LIST}?limit=100`)
    expect(list.body.data.some((job: any) => "document_details" in job)).toBe(false)
    const one = await callJson(sim, `${LIST}/job_page_005`)
    expect(one.body.document_details).toHaveLength(3)
    expect(Object.keys(one.body)).toEqual([
      "id",
      "object",
      "knowledge_base_id",
      "data_source_id",
      "status",
      "documents_processed",
      "documents_failed",
      "chunks_created",
      "started_at",
      "completed_at",
      "created_at",
      "error",
      "document_details"
    ])
  })

  it("ignores unknown query parameters", async () => {
    const { status, body } = await callJson(sim, `${LIST}?limit=2&order=desc`)
    expect(status).toBe(200)
    expect(body.data.map((job: any) => job.id)).toEqual(["job_page_001", "job_page_002"])
  })
})
