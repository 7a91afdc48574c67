import { describe, expect, it } from "@effect/vitest"
import { createIngestionJobsClient, IngestionError, IngestionJobs } from "@tensoras/ingestion"
import * as IngestionId from "@tensoras/ingestion/IngestionId"

const EXAMPLES: ReadonlyArray<unknown> = [
  "job_abc123",
  "kb-1.2_x",
  "",
  ".",
  "..",
  "job/x",
  "a\\b",
  "what?",
  "#1",
  "50%",
  "job 1",
  "tab\there",
  "nul\u0000",
  "x".repeat(256),
  "x".repeat(257),
  42,
  null,
  undefined,
  {}
]

describe("IngestionId", () => {
  it("is the rule of IngestionJobs.isValidId", () => {
    expect(IngestionId.isValidId).toBe(IngestionJobs.isValidId)
    for (const value of EXAMPLES) {
      expect(IngestionId.isValidId(value)).toBe(IngestionId.idProblem("jobId", value) === undefined)
    }
  })

  it("says what is wrong in the words of the client's InvalidInput", async () => {
    // Nothing is sent: the ID is refused first (a fetch that is called fails the test).
    const client = createIngestionJobsClient({
      apiKey: "tns_your_key_here",
      baseUrl: "http://127.0.0.1:9/v1",
      fetch: () => Promise.reject(new Error("sent"))
    })
    for (const value of EXAMPLES) {
      const problem = IngestionId.idProblem("jobId", value)
      if (problem === undefined) continue
      const error = await client.get("kb_abc123", value as string).then(
        () => undefined,
        (rejected: unknown) => rejected
      )
      expect(error).toBeInstanceOf(IngestionError.InvalidInput)
      expect(error).toMatchObject({ param: "jobId", message: problem })
    }
    expect(IngestionId.idProblem("knowledgeBaseId", "job/x")).toBe(
      'knowledgeBaseId must not contain "/" (/, \\, ?, #, %, whitespace and control characters are not allowed; got "job/x")'
    )
  })
})
