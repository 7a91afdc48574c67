import { describe, expect, it } from "@effect/vitest"
import { IngestionJob } from "@tensoras/ingestion"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import * as FastCheck from "fast-check"
import * as Arbitraries from "./utils/arbitraries.js"

// The spec's own example of the single-job endpoint.
const docsJob = {
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
  error: null,
  document_details: [
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
  ]
}

const decodeDetail = Schema.decodeUnknownSync(IngestionJob.IngestionJobDetail)
const encodeDetail = Schema.encodeSync(IngestionJob.IngestionJobDetail)

describe("IngestionJob", () => {
  it("decodes the spec's example job as is: same field names, Unix seconds", () => {
    const job = decodeDetail(docsJob)
    expect(job).toStrictEqual(docsJob)
    expect(IngestionJob.toDate(job.started_at)?.toISOString()).toBe("2024-02-28T12:30:56.000Z")
    expect(IngestionJob.toDate(null)).toBeNull()
    expect(IngestionJob.isTerminal(job)).toBe(true)
  })

  it("drops unknown extra fields, at every level", () => {
    const job = decodeDetail({
      ...docsJob,
      priority: "high",
      document_details: docsJob.document_details.map((d) => ({ ...d, mime_type: "application/pdf" }))
    })
    expect(job).toStrictEqual(docsJob)
  })

  it("keeps an unknown job or document status as an explicit UnknownStatus, and encodes it back", () => {
    const wire = {
      ...docsJob,
      status: "paused",
      document_details: [{ ...docsJob.document_details[0], status: "skipped" }]
    }
    const job = decodeDetail(wire)
    expect(job.status).toStrictEqual({ _tag: "UnknownStatus", raw: "paused" })
    expect(job.document_details[0]?.status).toStrictEqual({ _tag: "UnknownStatus", raw: "skipped" })
    expect(IngestionJob.statusText(job.status)).toBe("paused")
    expect(IngestionJob.isKnownStatus(job.status)).toBe(false)
    expect(IngestionJob.isTerminal(job)).toBe(false)
    expect(encodeDetail(job)).toStrictEqual(wire)
  })

  it("reads what 0.1 wrote (Effect 3), and writes it back byte for byte", () => {
    // `JSON.stringify(Schema.encodeSync(IngestionJobDetail)(job))` on 0.1: an unknown job and
    // document status, a failed document's error with some of its optional keys.
    const written =
      '{"id":"job_abc123","object":"ingestion_job","knowledge_base_id":"kb_abc123","data_source_id":"ds_xyz789",' +
      '"status":"paused","documents_processed":1,"documents_failed":1,"chunks_created":32,"started_at":1709123456,' +
      '"completed_at":null,"created_at":1709123450,"error":null,"document_details":[{"document_id":"doc_001",' +
      '"document_name":"product-guide.pdf","status":"completed","chunks_created":32,"error":null},' +
      '{"document_id":"doc_002","document_name":"scan.pdf","status":"skipped","chunks_created":0,' +
      '"error":{"message":"Unreadable PDF","code":null,"param":"file"}}]}'
    const job = decodeDetail(JSON.parse(written))
    expect(job.status).toStrictEqual({ _tag: "UnknownStatus", raw: "paused" })
    expect(job.document_details[1]?.status).toStrictEqual({ _tag: "UnknownStatus", raw: "skipped" })
    expect(job.document_details[1]?.error).toStrictEqual({
      message: "Unreadable PDF",
      code: null,
      param: "file"
    })
    expect(JSON.stringify(encodeDetail(job))).toBe(written)
    const list = `{"object":"list","data":[${written.replace(/,"document_details":.*\}$/, "}")}],"has_more":true}`
    const page = Schema.decodeUnknownSync(IngestionJob.IngestionJobList)(JSON.parse(list))
    expect(page.data[0]?.status).toStrictEqual({ _tag: "UnknownStatus", raw: "paused" })
    expect(JSON.stringify(Schema.encodeSync(IngestionJob.IngestionJobList)(page))).toBe(list)
  })

  it("rejects what breaks the documented shape", () => {
    const bad = [
      { ...docsJob, documents_processed: -1 },
      { ...docsJob, chunks_created: 1.5 },
      { ...docsJob, created_at: "yesterday" },
      { ...docsJob, object: "job" },
      { ...docsJob, status: 3 },
      { ...docsJob, document_details: undefined }
    ]
    for (const input of bad) {
      expect(Result.isFailure(Schema.decodeUnknownResult(IngestionJob.IngestionJobDetail)(input))).toBe(true)
    }
  })

  it("reads a failed job's error object, and documents that failed", () => {
    const job = decodeDetail({
      ...docsJob,
      status: "failed",
      error: { message: "Embedding quota exceeded", type: "job_error", code: "quota_exceeded" },
      document_details: [
        {
          document_id: "doc_003",
          document_name: "scan.pdf",
          status: "failed",
          chunks_created: 0,
          error: { message: "Unreadable PDF" }
        }
      ]
    })
    expect(job.error?.code).toBe("quota_exceeded")
    expect(job.document_details.map(IngestionJob.isDocumentIngested)).toStrictEqual([false])
  })

  describe("properties", () => {
    const details = Arbitraries.jobDetail
    const known = new Set([...Object.keys(IngestionJob.IngestionJobDetail.fields)])
    const extraFields = FastCheck.dictionary(
      FastCheck.string({ minLength: 1, maxLength: 12 }).filter((k) => !known.has(k) && k !== "__proto__"),
      FastCheck.jsonValue(),
      { maxKeys: 5 }
    )

    it("decode ∘ encode is the identity on decoded jobs", () => {
      FastCheck.assert(
        FastCheck.property(details, (job) => {
          expect(decodeDetail(encodeDetail(job))).toStrictEqual(job)
        }),
        { numRuns: 200 }
      )
    })

    it("arbitrary extra fields never change what decodes", () => {
      FastCheck.assert(
        FastCheck.property(details, extraFields, (job, extra) => {
          const wire = encodeDetail(job)
          const withExtra = JSON.parse(JSON.stringify({ ...extra, ...wire }))
          expect(decodeDetail(withExtra)).toStrictEqual(job)
          expect(encodeDetail(decodeDetail(withExtra))).toStrictEqual(JSON.parse(JSON.stringify(wire)))
        }),
        { numRuns: 200 }
      )
    })

    it("any string is a valid job status", () => {
      FastCheck.assert(
        FastCheck.property(FastCheck.string(), (raw) => {
          const status = Schema.decodeUnknownSync(IngestionJob.JobStatus)(raw)
          expect(IngestionJob.statusText(status)).toBe(raw)
        })
      )
    })
  })
})
