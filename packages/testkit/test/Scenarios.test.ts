import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest"
import { NodeSimulator, Scenarios } from "../src/index.js"
import { callJson, EPOCH_MS } from "./helpers.js"

describe("scenario 'docs': the API documentation's examples, served exactly", () => {
  let sim: NodeSimulator.RunningSimulator
  beforeAll(async () => {
    sim = await NodeSimulator.start({ scenario: "docs", clock: "manual" })
  })
  afterAll(() => sim.close())
  beforeEach(() => sim.control.reset())

  it("accepts the docs' example key by default", async () => {
    expect(sim.apiKey).toBe("tns_your_key_here")
    const { status } = await callJson(sim, "/knowledge-bases/kb_abc123/ingestion-jobs", {
      key: "tns_your_key_here"
    })
    expect(status).toBe(200)
  })

  it("returns job_abc123 exactly as documented, with its 15 documents adding up to 482 chunks", async () => {
    const { status, body } = await callJson(sim, "/knowledge-bases/kb_abc123/ingestion-jobs/job_abc123")
    expect(status).toBe(200)
    const { document_details: details, ...job } = body
    expect(job).toEqual({
      id: "job_abc123",
      object: "ingestion_job",
      knowledge_base_id: "kb_abc123",
      data_source_id: "ds_xyz789",
      status: "completed",
      documents_processed: 15,
      documents_failed: 0,
      chunks_created: 482,
      started_at: 1709123456,
      completed_at: 1709124056,
      created_at: 1709123450,
      error: null
    })
    expect(details).toHaveLength(15)
    expect(details.slice(0, 2)).toEqual([
      {
        document_id: "doc_001",
        document_name: "product-guide.pdf",
        status: "completed",
        chunks_created: 32,
        error: null
      },
      {
        document_id: "doc_002",
        document_name: "api-reference.md",
        status: "completed",
        chunks_created: 18,
        error: null
      }
    ])
    expect(details.every((d: any) => d.status === "completed" && d.error === null)).toBe(true)
    expect(details.reduce((sum: number, d: any) => sum + d.chunks_created, 0)).toBe(482)
  })

  it("returns job_def456 mid-run with the documented counters at scenario start", async () => {
    const { body } = await callJson(sim, "/knowledge-bases/kb_abc123/ingestion-jobs/job_def456")
    expect(body).toMatchObject({
      status: "processing",
      documents_processed: 8,
      documents_failed: 1,
      chunks_created: 245,
      started_at: 1709125000,
      completed_at: null,
      error: null
    })
    const statuses = body.document_details.map((d: any) => d.status)
    expect(statuses.filter((s: string) => s === "completed")).toHaveLength(8)
    expect(statuses.filter((s: string) => s === "failed")).toHaveLength(1)
    expect(statuses.filter((s: string) => s === "processing")).toHaveLength(1)
    expect(statuses.filter((s: string) => s === "queued")).toHaveLength(10)
    expect(body.document_details[0].document_id).toBe("doc_016")
    expect(body.document_details.find((d: any) => d.status === "failed").error).toEqual({
      message: "The PDF is password-protected",
      type: "ingestion_error",
      code: "document_encrypted"
    })
  })

  it("lists both jobs, oldest first, without document_details", async () => {
    const { body } = await callJson(sim, "/knowledge-bases/kb_abc123/ingestion-jobs")
    expect(body.object).toBe("list")
    expect(body.has_more).toBe(false)
    expect(body.data.map((job: any) => [job.id, job.status])).toEqual([
      ["job_abc123", "completed"],
      ["job_def456", "processing"]
    ])
    expect(body.data.some((job: any) => "document_details" in job)).toBe(false)
  })

  it("keeps job_def456 running with the clock until it completes 44 s after start", async () => {
    const terminalAt = sim.control.jobTerminalAt("kb_abc123", "job_def456")
    expect(terminalAt - sim.control.now()).toBe(44_000)
    sim.control.advance(20_000)
    const midway = sim.control.getJob("kb_abc123", "job_def456")
    expect(midway.status).toBe("processing")
    expect(midway.documents_processed).toBeGreaterThan(8)
    sim.control.advance(24_000)
    expect(sim.control.getJob("kb_abc123", "job_def456")).toMatchObject({
      status: "completed",
      documents_processed: 19,
      documents_failed: 1,
      chunks_created: 542,
      completed_at: 1709125084
    })
  })
})

describe("the other built-in scenarios", () => {
  let sim: NodeSimulator.RunningSimulator
  beforeAll(async () => {
    sim = await NodeSimulator.start({ clock: "manual", epochMs: EPOCH_MS })
  })
  afterAll(() => sim.close())

  it("has the documented names", () => {
    expect(Object.keys(Scenarios.builtIn)).toEqual([
      "docs",
      "empty",
      "paginated",
      "realistic",
      "failing",
      "partial",
      "unknown-status"
    ])
  })

  it("empty: one knowledge base without jobs", async () => {
    sim.control.setScenario("empty")
    const { body } = await callJson(sim, "/knowledge-bases/kb_empty/ingestion-jobs")
    expect(body).toEqual({ object: "list", data: [], has_more: false })
  })

  it("paginated: 250 jobs of every status", () => {
    sim.control.setScenario("paginated")
    const jobs = sim.control.jobs("kb_paginated")
    expect(jobs).toHaveLength(250)
    expect(jobs[0]?.id).toBe("job_page_001")
    const statuses = new Set(jobs.map((job) => sim.control.getJob("kb_paginated", job.id).status))
    expect([...statuses].sort()).toEqual(["completed", "failed", "processing", "queued"])
  })

  it("realistic: a live sync of 40 mixed documents, 3 failing, completing 15.5 s after start", () => {
    sim.control.setScenario("realistic")
    const job = sim.control.getJob("kb_demo", "job_demo_sync")
    expect(job.status).toBe("queued")
    const extensions = new Set(job.document_details?.map((d) => d.document_name.split(".").pop()))
    expect([...extensions].sort()).toEqual(["csv", "docx", "html", "md", "pdf"])
    expect(sim.control.jobTerminalAt("kb_demo", "job_demo_sync") - EPOCH_MS).toBe(15_500)
    const done = sim.control.advanceToTerminal("kb_demo", "job_demo_sync")
    expect(done).toMatchObject({ status: "completed", documents_processed: 37, documents_failed: 3 })
  })

  it("failing: one job fails while processing, another straight from the queue", () => {
    sim.control.setScenario("failing")
    const failing = sim.control.advanceToTerminal("kb_failing", "job_failing")
    expect(failing.status).toBe("failed")
    expect(failing.started_at).not.toBeNull()
    expect(failing.error).toEqual({
      message: "Embedding service unavailable after 3 attempts",
      type: "ingestion_error",
      code: "embedding_service_unavailable"
    })
    const rejected = sim.control.getJob("kb_failing", "job_rejected")
    expect(rejected).toMatchObject({ status: "failed", started_at: null, documents_processed: 0 })
    expect(rejected.error?.code).toBe("data_source_access_denied")
  })

  it("partial: completes with some failed documents", () => {
    sim.control.setScenario("partial")
    const job = sim.control.advanceToTerminal("kb_partial", "job_partial")
    expect(job).toMatchObject({
      status: "completed",
      documents_processed: 20,
      documents_failed: 4,
      error: null
    })
    expect(job.document_details?.filter((d) => d.status === "failed")).toHaveLength(4)
  })

  it("unknown-status: statuses outside the documented four, for jobs and documents", () => {
    sim.control.setScenario("unknown-status")
    expect(sim.control.getJob("kb_unknown", "job_paused").status).toBe("paused")
    expect(sim.control.getJob("kb_unknown", "job_cancelled").status).toBe("cancelled")
    expect(sim.control.getJob("kb_unknown", "job_skipped").document_details?.map((d) => d.status)).toContain(
      "skipped"
    )
    sim.control.advance(5_000)
    expect(sim.control.getJob("kb_unknown", "job_paused").status).toBe("processing")
    expect(sim.control.advanceToTerminal("kb_unknown", "job_paused").status).toBe("completed")
  })
})
