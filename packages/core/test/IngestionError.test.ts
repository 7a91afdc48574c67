import { describe, expect, it } from "@effect/vitest"
import { IngestionError, WaitError } from "@tensoras/ingestion"
import * as Schema from "effect/Schema"

const request = { method: "GET", url: "https://api.tensoras.ai/v1/knowledge-bases/kb_1/ingestion-jobs/job_1" }

const examples: ReadonlyArray<IngestionError.IngestionError> = [
  new IngestionError.InvalidInput({
    param: "limit",
    message: "limit must be an integer from 1 to 100 (got 500)"
  }),
  new IngestionError.Unauthorized({
    ...request,
    status: 401,
    code: "invalid_api_key",
    message: "Invalid API key"
  }),
  new IngestionError.Forbidden({ ...request, status: 403, message: "HTTP 403 Forbidden" }),
  new IngestionError.NotFound({
    ...request,
    status: 404,
    type: "not_found_error",
    code: "ingestion_job_not_found",
    param: "job_id",
    message: "Ingestion job 'job_1' not found"
  }),
  new IngestionError.InvalidRequest({ ...request, status: 400, param: "status", message: "bad status" }),
  new IngestionError.RateLimited({ ...request, status: 429, retryAfterMs: 7000, message: "slow down" }),
  new IngestionError.ServerError({ ...request, status: 503, message: "HTTP 503 Service Unavailable" }),
  new IngestionError.TransportError({
    ...request,
    reason: "Timeout",
    message: "No complete response within 30s"
  }),
  new IngestionError.ResponseDecodeError({ ...request, status: 200, message: "not JSON", excerpt: "<html>" }),
  new IngestionError.Unreachable({
    ...request,
    reason: "Network",
    code: "ECONNREFUSED",
    attempts: 6,
    message: "The service did not answer 6 attempts"
  })
]

describe("IngestionError", () => {
  it("every error is an Error with its _tag, its message, and whether it is worth retrying", () => {
    expect(examples.map((e) => [e._tag, e.isTransient, IngestionError.isTransient(e)])).toStrictEqual([
      ["InvalidInput", false, false],
      ["Unauthorized", false, false],
      ["Forbidden", false, false],
      ["NotFound", false, false],
      ["InvalidRequest", false, false],
      ["RateLimited", true, true],
      ["ServerError", true, true],
      ["TransportError", true, true],
      ["ResponseDecodeError", false, false],
      ["Unreachable", false, false]
    ])
    for (const error of examples) {
      expect(error).toBeInstanceOf(Error)
      expect(error.message.length).toBeGreaterThan(0)
      expect(IngestionError.isIngestionError(error)).toBe(true)
    }
    expect(IngestionError.isIngestionError(new Error("boom"))).toBe(false)
    expect(IngestionError.isIngestionError({ _tag: "NotFound" })).toBe(false)
  })

  it("round-trips through JSON with its schema, and comes back as the same class", () => {
    for (const error of examples) {
      const json = JSON.parse(JSON.stringify(Schema.encodeSync(IngestionError.IngestionError)(error)))
      const back = Schema.decodeUnknownSync(IngestionError.IngestionError)(json)
      expect(back).toBeInstanceOf(error.constructor)
      expect(back).toStrictEqual(error)
    }
  })

  it("reads the errors 0.1 wrote (Effect 3), and writes them back byte for byte", () => {
    // `JSON.stringify(Schema.encodeSync(WaitError.WaitError)(error))` on 0.1, as a cluster's stored
    // outcomes hold them.
    const url = JSON.stringify(request.url)
    const written = [
      `{"_tag":"InvalidInput","param":"limit","message":"limit must be an integer from 1 to 100 (got 500)"}`,
      `{"_tag":"NotFound","method":"GET","url":${url},"status":404,"type":"not_found_error","code":"ingestion_job_not_found","param":"job_id","message":"Ingestion job 'job_1' not found"}`,
      `{"_tag":"RateLimited","method":"GET","url":${url},"status":429,"message":"slow down","retryAfterMs":7000}`,
      `{"_tag":"TransportError","method":"GET","url":${url},"reason":"Timeout","message":"No complete response within 30s"}`,
      `{"_tag":"ResponseDecodeError","method":"GET","url":${url},"status":200,"message":"not JSON","excerpt":"<html>"}`,
      `{"_tag":"IngestionJobFailed","job":{"id":"job_1","object":"ingestion_job","knowledge_base_id":"kb_1","data_source_id":"ds_1","status":"failed","documents_processed":1,"documents_failed":1,"chunks_created":0,"started_at":1709123456,"completed_at":1709124056,"created_at":1709123450,"error":{"message":"Embedding quota exceeded","type":"job_error","code":"quota_exceeded"},"document_details":[{"document_id":"doc_1","document_name":"a.pdf","status":"rejected","chunks_created":0,"error":{"message":"Unreadable PDF"}}]},"message":"Embedding quota exceeded"}`,
      `{"_tag":"WaitTimeout","lastJob":{"id":"job_1","object":"ingestion_job","knowledge_base_id":"kb_1","data_source_id":"ds_1","status":"paused","documents_processed":0,"documents_failed":0,"chunks_created":0,"started_at":null,"completed_at":null,"created_at":1709123450,"error":null},"elapsedMs":60000,"observed":{"responses":3,"retries":1,"statuses":{"paused":3},"httpStatuses":{"200":3,"503":1}},"reason":"schedule","message":"The poll schedule ended before the job finished (last status: paused, 3 responses, 1 retries)"}`
    ]
    const decode = Schema.decodeUnknownSync(WaitError.WaitError)
    const encode = Schema.encodeSync(WaitError.WaitError)
    // A wait never ended with a transient error (0.1 included): those are the client's errors, and
    // WaitError (1.1) no longer lists them. Every line reads with the schema of what it is.
    const decodeClient = Schema.decodeUnknownSync(IngestionError.IngestionError)
    const encodeClient = Schema.encodeSync(IngestionError.IngestionError)
    const isClientOnly = (json: string) => /"_tag":"(RateLimited|TransportError)"/.test(json)
    const errors = written.map((json) => (isClientOnly(json) ? decodeClient : decode)(JSON.parse(json)))
    expect(errors.map((e) => e.constructor)).toStrictEqual([
      IngestionError.InvalidInput,
      IngestionError.NotFound,
      IngestionError.RateLimited,
      IngestionError.TransportError,
      IngestionError.ResponseDecodeError,
      WaitError.IngestionJobFailed,
      WaitError.WaitTimeout
    ])
    expect(
      errors.map((e) =>
        JSON.stringify(
          e._tag === "RateLimited" || e._tag === "TransportError" ? encodeClient(e) : encode(e as never)
        )
      )
    ).toStrictEqual(written)
    for (const json of written.filter(isClientOnly)) expect(() => decode(JSON.parse(json))).toThrow()
    const failed = errors[5] as WaitError.IngestionJobFailed
    expect(failed.job.document_details[0]?.status).toStrictEqual({ _tag: "UnknownStatus", raw: "rejected" })
    const timedOut = errors[6] as WaitError.WaitTimeout
    expect(timedOut.lastJob?.status).toStrictEqual({ _tag: "UnknownStatus", raw: "paused" })
    expect(timedOut.message).toBe(WaitError.timedOut(timedOut).message)
    // A WaitTimeout without a reason reads as a deadline's.
    const noReason = JSON.parse(written[6]!)
    delete noReason.reason
    expect((decode(noReason) as WaitError.WaitTimeout).reason).toBe("deadline")
  })

  it("reads the API's documented error body", () => {
    const body = Schema.decodeUnknownSync(IngestionError.ApiErrorBody)({
      error: {
        message: "Ingestion job 'job_abc123' not found",
        type: "not_found_error",
        param: "job_id",
        code: "ingestion_job_not_found"
      }
    })
    expect(body.error.code).toBe("ingestion_job_not_found")
  })

  it("the wait's errors join the client's in WaitError, also a schema", () => {
    const timeout = new WaitError.WaitTimeout({
      lastJob: null,
      elapsedMs: 1000,
      observed: { responses: 0, retries: 2, statuses: {}, httpStatuses: { "503": 2 } },
      message: "The job was not finished by the deadline"
    })
    const json = JSON.parse(JSON.stringify(Schema.encodeSync(WaitError.WaitError)(timeout)))
    expect(Schema.decodeUnknownSync(WaitError.WaitError)(json)).toBeInstanceOf(WaitError.WaitTimeout)
    expect(timeout.isTransient).toBe(false)
  })
})

describe("IngestionError, 1.1", () => {
  const notFound = (fields: { readonly code?: string; readonly param?: string }) =>
    new IngestionError.NotFound({ ...request, status: 404, message: "not found", ...fields })

  it("NotFound says what is missing, from the API's code or param, also once decoded from JSON", () => {
    expect(notFound({ code: "ingestion_job_not_found", param: "job_id" }).missing).toBe("job")
    expect(notFound({ code: "knowledge_base_not_found", param: "kb_id" }).missing).toBe("knowledgeBase")
    expect(notFound({ param: "job_id" }).missing).toBe("job")
    expect(notFound({ param: "kb_id" }).missing).toBe("knowledgeBase")
    // The code names the resource, the param the input: the code wins.
    expect(notFound({ code: "knowledge_base_not_found", param: "job_id" }).missing).toBe("knowledgeBase")
    expect(notFound({ code: "unknown_url" }).missing).toBe("unknown")
    expect(notFound({}).missing).toBe("unknown")
    // JSON written by 1.0 (no such field): the same answer, derived from what it holds.
    const json = `{"_tag":"NotFound","method":"GET","url":${JSON.stringify(request.url)},"status":404,"code":"ingestion_job_not_found","message":"gone"}`
    const decoded = Schema.decodeUnknownSync(WaitError.WaitError)(JSON.parse(json))
    expect(decoded._tag === "NotFound" && decoded.missing).toBe("job")
    expect(JSON.stringify(Schema.encodeSync(WaitError.WaitError)(decoded))).toBe(json)
  })

  it("TransportError carries the system's code when there is one; 1.0's JSON without it still reads", () => {
    const error = new IngestionError.TransportError({
      ...request,
      reason: "Network",
      code: "ENOTFOUND",
      message: "x"
    })
    const json = JSON.parse(JSON.stringify(Schema.encodeSync(IngestionError.IngestionError)(error)))
    expect(json.code).toBe("ENOTFOUND")
    expect(Schema.decodeUnknownSync(IngestionError.IngestionError)(json)).toStrictEqual(error)
    delete json.code
    const old = Schema.decodeUnknownSync(IngestionError.IngestionError)(json)
    expect(old._tag === "TransportError" && old.code).toBe(undefined)
  })

  it("summarize: a few words, the code and the host, never more of the URL", () => {
    const url = "http://127.0.0.1:9/v1/knowledge-bases/kb_1/ingestion-jobs?status=queued"
    const api = { method: "GET", url, message: "m" }
    const texts = [
      new IngestionError.TransportError({ ...api, reason: "Network", code: "ECONNREFUSED" }),
      new IngestionError.TransportError({ ...api, reason: "Network" }),
      new IngestionError.TransportError({ ...api, reason: "Timeout" }),
      new IngestionError.TransportError({ ...api, reason: "Deadline" }),
      new IngestionError.Unreachable({ ...api, reason: "Network", code: "ENOTFOUND", attempts: 6 }),
      new IngestionError.Unreachable({ ...api, reason: "Timeout", attempts: 6 }),
      new IngestionError.RateLimited({ ...api, status: 429 }),
      new IngestionError.ServerError({ ...api, status: 503, code: "service_unavailable" }),
      new IngestionError.ServerError({ ...api, status: 502 }),
      notFound({ code: "ingestion_job_not_found" }),
      new IngestionError.InvalidInput({ param: "limit", message: "m" }),
      new IngestionError.ResponseDecodeError({ ...api, status: 200, excerpt: "<html>" })
    ].map(IngestionError.summarize)
    expect(texts).toStrictEqual([
      "ECONNREFUSED 127.0.0.1:9",
      "no connection to 127.0.0.1:9",
      "no response from 127.0.0.1:9 in time",
      "the deadline passed",
      "ENOTFOUND 127.0.0.1:9",
      "no response from 127.0.0.1:9 in time",
      "HTTP 429 rate limited",
      "HTTP 503 service_unavailable",
      "HTTP 502",
      "HTTP 404 ingestion_job_not_found",
      "bad limit",
      "an answer that cannot be read (HTTP 200)"
    ])
  })

  it("WaitTimeout carries the last failure as a typed field, in its message, and through JSON", () => {
    const lastFailure = new IngestionError.ServerError({
      ...request,
      status: 503,
      code: "service_unavailable",
      message: "m"
    })
    const seen = {
      lastJob: null,
      elapsedMs: 60_000,
      observed: { responses: 0, retries: 3, statuses: {}, httpStatuses: { "503": 4 } }
    }
    const error = WaitError.timedOut({ ...seen, lastFailure })
    expect(error.lastFailure).toBe(lastFailure)
    expect(error.message).toBe(
      "The job was not finished by the deadline (last status: none seen, 0 responses, 3 retries; last failure: HTTP 503 service_unavailable)"
    )
    const json = JSON.parse(JSON.stringify(Schema.encodeSync(WaitError.WaitError)(error)))
    expect(json.lastFailure).toMatchObject({ _tag: "ServerError", status: 503 })
    const back = Schema.decodeUnknownSync(WaitError.WaitError)(json)
    expect(back).toStrictEqual(error)
    expect(back._tag === "WaitTimeout" && back.lastFailure).toBeInstanceOf(IngestionError.ServerError)
    // None failed: no field, as in 1.0's JSON, and the message as 1.0 wrote it.
    const quiet = WaitError.timedOut(seen)
    expect("lastFailure" in quiet).toBe(false)
    expect(Object.keys(Schema.encodeSync(WaitError.WaitError)(quiet))).not.toContain("lastFailure")
  })

  it("WaitError lists what a wait can end with, and nothing it cannot", () => {
    const tags = WaitError.WaitError.members.map((member) => member.fields._tag.schema.literal)
    expect(tags).toStrictEqual([
      "InvalidInput",
      "Unauthorized",
      "Forbidden",
      "NotFound",
      "InvalidRequest",
      "ResponseDecodeError",
      "Unreachable",
      "IngestionJobFailed",
      "WaitTimeout"
    ])
    expect(examples.filter(WaitError.isTerminalClientError).map((e) => e._tag)).toStrictEqual([
      "InvalidInput",
      "Unauthorized",
      "Forbidden",
      "NotFound",
      "InvalidRequest",
      "ResponseDecodeError",
      "Unreachable"
    ])
  })
})
