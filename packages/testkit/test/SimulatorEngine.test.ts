import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest"
import { NodeSimulator, SimulatorClock, SimulatorEngine } from "../src/index.js"
import { callJson, EPOCH_MS, EPOCH_S } from "./helpers.js"

let sim: NodeSimulator.RunningSimulator
beforeAll(async () => {
  sim = await NodeSimulator.start({ scenario: "empty", clock: "manual", epochMs: EPOCH_MS })
})
afterAll(() => sim.close())
beforeEach(() => sim.control.reset())

const getJob = async (jobId: string) =>
  (await callJson(sim, `/knowledge-bases/kb_empty/ingestion-jobs/${jobId}`)).body

describe("a job's lifecycle on the manual clock", () => {
  it("goes queued → processing (counters growing per document) → completed", async () => {
    const { dataSource, job } = sim.control.addDataSource("kb_empty", {
      id: "ds_life",
      jobId: "job_life",
      queuedMs: 2_000,
      documents: [
        { name: "a.md", chunks: 3, durationMs: 1_000 },
        { name: "b.pdf", durationMs: 1_000, fail: "The PDF is password-protected" },
        { name: "c.html", chunks: 5, durationMs: 1_000 }
      ]
    })
    expect(dataSource.documents.map((d) => d.id)).toEqual(["doc_001", "doc_002", "doc_003"])
    expect(job).toMatchObject({
      createdAt: EPOCH_MS,
      startedAt: EPOCH_MS + 2_000,
      terminalAt: EPOCH_MS + 5_000
    })

    expect(await getJob("job_life")).toMatchObject({
      status: "queued",
      data_source_id: "ds_life",
      documents_processed: 0,
      documents_failed: 0,
      chunks_created: 0,
      created_at: EPOCH_S,
      started_at: null,
      completed_at: null,
      error: null
    })

    sim.control.advance(2_000)
    const started = await getJob("job_life")
    expect(started).toMatchObject({ status: "processing", started_at: EPOCH_S + 2, documents_processed: 0 })
    expect(started.document_details.map((d: any) => d.status)).toEqual(["processing", "queued", "queued"])

    sim.control.advance(1_000)
    expect(await getJob("job_life")).toMatchObject({
      status: "processing",
      documents_processed: 1,
      documents_failed: 0,
      chunks_created: 3
    })

    sim.control.advance(1_000)
    const afterFailure = await getJob("job_life")
    expect(afterFailure).toMatchObject({ status: "processing", documents_processed: 1, documents_failed: 1 })
    expect(afterFailure.document_details[1]).toEqual({
      document_id: "doc_002",
      document_name: "b.pdf",
      status: "failed",
      chunks_created: 0,
      error: {
        message: "The PDF is password-protected",
        type: "ingestion_error",
        code: "document_processing_failed"
      }
    })

    sim.control.advance(1_000)
    expect(await getJob("job_life")).toMatchObject({
      status: "completed",
      documents_processed: 2,
      documents_failed: 1,
      chunks_created: 8,
      completed_at: EPOCH_S + 5,
      error: null
    })
  })

  it("fails as a whole mid-processing, leaving unprocessed documents queued", async () => {
    sim.control.addDataSource("kb_empty", {
      jobId: "job_boom",
      queuedMs: 1_000,
      documents: [
        { name: "a.md", durationMs: 1_000 },
        { name: "b.md", durationMs: 1_000 },
        { name: "c.md", durationMs: 1_000 }
      ],
      failure: { afterMs: 2_500, error: { message: "Index write failed", code: "index_write_failed" } }
    })
    sim.control.advance(2_499)
    expect((await getJob("job_boom")).status).toBe("processing")
    sim.control.advance(1)
    const failed = await getJob("job_boom")
    expect(failed).toMatchObject({
      status: "failed",
      documents_processed: 1,
      started_at: EPOCH_S + 1,
      completed_at: EPOCH_S + 2,
      error: { message: "Index write failed", type: "ingestion_error", code: "index_write_failed" }
    })
    expect(failed.document_details.map((d: any) => d.status)).toEqual(["completed", "queued", "queued"])
    sim.control.advance(60_000)
    expect(await getJob("job_boom")).toEqual(failed)
  })

  it("can go straight from queued to failed", async () => {
    const { job } = sim.control.addDataSource("kb_empty", {
      jobId: "job_rejected",
      queuedMs: 10_000,
      failure: { afterMs: 3_000 }
    })
    expect(job).toMatchObject({ startedAt: null, terminalAt: EPOCH_MS + 3_000, outcome: "failed" })
    sim.control.advance(2_999)
    expect((await getJob("job_rejected")).status).toBe("queued")
    sim.control.advance(1)
    expect(await getJob("job_rejected")).toMatchObject({
      status: "failed",
      started_at: null,
      completed_at: EPOCH_S + 3,
      documents_processed: 0,
      error: { message: "Ingestion failed", type: "ingestion_error", code: "ingestion_failed" }
    })
  })

  it("creates a new job on every sync; re-synced documents keep their ids", () => {
    const { dataSource } = sim.control.addDataSource("kb_empty", {
      id: "ds_sync",
      documents: [{ name: "a.md" }, { name: "b.md" }]
    })
    sim.control.advance(10_000)
    const sync = sim.control.syncDataSource("kb_empty", "ds_sync", {
      documents: [{ name: "b.md" }, { name: "new.md" }]
    })
    expect(sync.dataSourceId).toBe(dataSource.id)
    expect(sync.documents.map((d) => [d.id, d.name])).toEqual([
      ["doc_002", "b.md"],
      ["doc_003", "new.md"]
    ])
    expect(sim.control.jobs("kb_empty").map((job) => job.createdAt)).toEqual([EPOCH_MS, EPOCH_MS + 10_000])
  })

  it("generates realistic documents when none are given, reproducibly", () => {
    const first = sim.control.addDataSource("kb_empty").dataSource.documents
    sim.control.reset()
    const again = sim.control.addDataSource("kb_empty").dataSource.documents
    expect(again).toEqual(first)
    expect(first.length).toBeGreaterThanOrEqual(8)
  })

  it("refuses jobs created in the future and duplicate ids", () => {
    expect(() => sim.control.addDataSource("kb_empty", { createdAt: EPOCH_MS + 1 })).toThrow(RangeError)
    sim.control.addDataSource("kb_empty", { id: "ds_dup" })
    expect(() => sim.control.addDataSource("kb_empty", { id: "ds_dup" })).toThrow(/already used/)
  })

  it("orders back-dated jobs by creation time, whatever the order they were added in", () => {
    sim.control.addDataSource("kb_empty", { jobId: "job_new" })
    sim.control.addDataSource("kb_empty", { jobId: "job_old", createdAt: EPOCH_MS - 60_000 })
    expect(sim.control.jobs("kb_empty").map((job) => job.id)).toEqual(["job_old", "job_new"])
  })
})

describe("a job that vanishes", () => {
  it("answers 404 to its GET and leaves every list once removed", async () => {
    sim.control.addDataSource("kb_empty", { jobId: "job_gone", queuedMs: 60_000 })
    sim.control.addDataSource("kb_empty", { jobId: "job_kept", queuedMs: 60_000 })
    expect(sim.control.removeJob("kb_empty", "job_gone")).toBe(true)
    expect(sim.control.removeJob("kb_empty", "job_gone")).toBe(false)
    const gone = await callJson(sim, "/knowledge-bases/kb_empty/ingestion-jobs/job_gone")
    expect(gone.status).toBe(404)
    expect(gone.body.error).toMatchObject({ param: "job_id", code: "ingestion_job_not_found" })
    const queued = await callJson(sim, "/knowledge-bases/kb_empty/ingestion-jobs?status=queued")
    expect(queued.body.data.map((job: { id: string }) => job.id)).toEqual(["job_kept"])
  })
})

describe("SimulatorEngine.SimulatorEngine on its own (runtime-neutral)", () => {
  it("computes state from the clock alone: the same instant always gives the same job", () => {
    const clock = SimulatorClock.make({ mode: "manual", epochMs: EPOCH_MS })
    const engine = SimulatorEngine.make(clock)
    const kb = engine.addKnowledgeBase()
    expect(kb).toMatch(/^kb_[0-9a-f]{10}$/)
    const { job } = engine.addDataSource(kb, { documents: [{ name: "x.md", chunks: 2, durationMs: 300 }] })
    expect(job.id).toMatch(/^job_[0-9a-f]{12}$/)
    clock.advance(1_100)
    const snapshot = engine.getJob(kb, job.id)
    expect(engine.getJob(kb, job.id)).toEqual(snapshot)
    expect(snapshot).toMatchObject({ status: "processing", chunks_created: 0 })
    clock.advance(200)
    expect(engine.getJob(kb, job.id)).toMatchObject({ status: "completed", chunks_created: 2 })
  })
})
