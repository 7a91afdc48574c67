import { describe, expect, it } from "@effect/vitest"
import { IngestionJob } from "@tensoras/ingestion"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import * as fc from "fast-check"
import { PolledWithCount } from "../../src/internal/documentCount.js"
import * as fastDecode from "../../src/internal/fastDecode.js"
import { makeScrub, scrubJson } from "../../src/internal/scrub.js"
import * as Arbitraries from "../utils/arbitraries.js"

/**
 * The hand-written decoders a poll uses must agree with the schemas, which stay the source of
 * truth: on every input, either both accept it and build the same value, or the fast one says
 * `undefined` (the client then asks the schema, which reports the error).
 */

const NUM_RUNS = 400

/** Plain JSON, as JSON.parse returns it. */
const json = (value: unknown): unknown => JSON.parse(JSON.stringify(value))

const validJob = Arbitraries.job.map((job) => json(Schema.encodeSync(IngestionJob.IngestionJob)(job)))
const validDetail = Arbitraries.jobDetail.map((job) =>
  json(Schema.encodeSync(IngestionJob.IngestionJobDetail)(job))
)

const FIELDS = [
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
] as const

/** Values a broken or evolving API could put in a field. */
const oddValue = fc.oneof(
  fc.jsonValue(),
  fc.constantFrom(-1, 1.5, 2 ** 53, -0, "", "completed", "queued", "ingestion_job", null, [], {}, true),
  fc.record(
    {
      message: fc.oneof(fc.string(), fc.integer()),
      type: fc.oneof(fc.string(), fc.constant(null), fc.integer())
    },
    { requiredKeys: [] }
  )
)

/** A valid job with one field removed, replaced or added: mostly invalid, sometimes still valid. */
const mutated = (base: fc.Arbitrary<unknown>) =>
  fc
    .tuple(base, fc.constantFrom(...FIELDS, "extra"), fc.boolean(), oddValue)
    .map(([job, key, remove, value]) => {
      const copy = { ...(job as Record<string, unknown>) }
      if (remove) delete copy[key]
      else copy[key] = value
      return copy
    })

const anyJob = fc
  .oneof(validJob, validDetail, mutated(validJob), mutated(validDetail), fc.jsonValue())
  .map(json)

const agree = <A>(
  fast: (value: unknown) => A | undefined,
  schema: Schema.Codec<A, unknown>,
  value: unknown
) => {
  const slow = Schema.decodeUnknownResult(schema)(value)
  const quick = fast(value)
  if (Result.isSuccess(slow)) expect(quick).toStrictEqual(slow.success)
  else expect(quick).toBeUndefined()
}

describe("internal/fastDecode", () => {
  it("job: accepts what the IngestionJob schema accepts, and builds the same value", () => {
    fc.assert(
      fc.property(anyJob, (value) => agree(fastDecode.job, IngestionJob.IngestionJob, value)),
      { numRuns: NUM_RUNS }
    )
  })

  it("job: an unknown status is an UnknownStatus, as the schema decodes it", () => {
    const value = json(
      Schema.encodeSync(IngestionJob.IngestionJob)(fc.sample(Arbitraries.job, { numRuns: 1, seed: 1 })[0]!)
    ) as Record<string, unknown>
    const decoded = fastDecode.job({ ...value, status: "paused" })
    expect(decoded?.status).toStrictEqual({ _tag: "UnknownStatus", raw: "paused" })
    agree(fastDecode.job, IngestionJob.IngestionJob, { ...value, status: "paused" })
  })

  it("list: accepts what the IngestionJobList schema accepts, and builds the same value", () => {
    const page = fc
      .tuple(
        fc.array(fc.oneof({ weight: 4, arbitrary: validJob }, { weight: 1, arbitrary: anyJob }), {
          maxLength: 5
        }),
        fc.boolean()
      )
      .map(([data, has_more]) => ({ object: "list", data, has_more }))
    const anyPage = fc.oneof(
      page,
      fc
        .tuple(page, fc.constantFrom("object", "data", "has_more"), fc.boolean(), oddValue)
        .map(([value, key, remove, odd]) => {
          const copy: Record<string, unknown> = { ...value }
          if (remove) delete copy[key]
          else copy[key] = odd
          return copy
        }),
      fc.jsonValue()
    )
    fc.assert(
      fc.property(anyPage, (value) => agree(fastDecode.list, IngestionJob.IngestionJobList, value)),
      { numRuns: NUM_RUNS }
    )
  })
})

/** The fields of one entry of `document_details`. */
const DOCUMENT_FIELDS = ["document_id", "document_name", "status", "chunks_created", "error"] as const

/** A valid job in full with one field of one of its documents removed, replaced or added. */
const mutatedDocument = fc
  .tuple(validDetail, fc.nat(), fc.constantFrom(...DOCUMENT_FIELDS, "extra"), fc.boolean(), oddValue)
  .map(([job, index, key, remove, value]) => {
    const copy = { ...(job as Record<string, unknown>) }
    const documents = [...(copy.document_details as Array<Record<string, unknown>>)]
    if (documents.length === 0) return copy
    const document = { ...documents[index % documents.length]! }
    if (remove) delete document[key]
    else document[key] = value
    documents[index % documents.length] = document
    copy.document_details = documents
    return copy
  })

// The poll's schema (IngestionJobs): a terminal job in full, else the job with the count of its
// ended documents, else the plain job.
const Terminal = Schema.Struct({
  ...IngestionJob.IngestionJobDetail.fields,
  status: Schema.Literals(["completed", "failed"])
})
const Polled = Schema.Union([Terminal, PolledWithCount, IngestionJob.IngestionJob])

describe("internal/fastDecode", () => {
  it("runningJob: leaves completed and failed jobs to the schema, and reads any other as a poll's schema does", () => {
    const documentStatus = fc.oneof(fc.string(), fc.constantFrom("queued", "processing", "completed"))
    const withDetails = fc
      .tuple(validJob, fc.oneof(fc.array(fc.record({ status: documentStatus })), oddValue))
      .map(([job, details]) => ({ ...(job as object), document_details: details }))
    fc.assert(
      // Through JSON, as a body is: no null-prototype objects (which the schema's union cannot print).
      fc.property(fc.oneof(anyJob, withDetails).map(json), (value) => {
        const status =
          typeof value === "object" && value !== null ? (value as { status?: unknown }).status : undefined
        const running = fastDecode.runningJob(value)
        if (status === "completed" || status === "failed") expect(running).toBeUndefined()
        else agree(fastDecode.runningJob, Polled as never, value)
      }),
      { numRuns: NUM_RUNS }
    )
  })

  it("jobDetail: accepts what the IngestionJobDetail schema accepts, and builds the same value", () => {
    fc.assert(
      fc.property(fc.oneof(anyJob, mutatedDocument).map(json), (value) =>
        agree(fastDecode.jobDetail, IngestionJob.IngestionJobDetail as never, value)
      ),
      { numRuns: NUM_RUNS }
    )
  })

  it("polledJob: reads an answer as a poll's schema does, or leaves it to the schema; an ended job in full", () => {
    const ended = (details: fc.Arbitrary<unknown>) =>
      fc
        .tuple(details, fc.constantFrom("completed", "failed"))
        .map(([job, status]) => json({ ...(job as object), status }))
    fc.assert(
      fc.property(fc.oneof(anyJob, mutatedDocument, ended(mutatedDocument)).map(json), (value) => {
        // `undefined`: the schema decides (a union: an ended job whose documents it cannot read is still
        // a job with a count of them). Anything else is what the schema makes of it.
        const slow = Schema.decodeUnknownResult(Polled as never)(value)
        const quick = fastDecode.polledJob(value)
        if (quick !== undefined) expect(Result.isSuccess(slow) && slow.success).toStrictEqual(quick)
        if (Result.isFailure(slow)) expect(quick).toBeUndefined()
      }),
      { numRuns: NUM_RUNS }
    )
    // A valid ended job is never left to the schema: it is what every wait reads last.
    fc.assert(
      fc.property(ended(validDetail), (value) => agree(fastDecode.polledJob, Polled as never, value)),
      { numRuns: NUM_RUNS }
    )
  })

  it("a body's own __proto__ key stays a property of the scrubbed copy, never its prototype", () => {
    const parsed: unknown = JSON.parse('{"__proto__":[1],"a":"x"}')
    const copy = scrubJson(parsed, makeScrub("tns_canary_fast_decode_9f")) as object
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype)
    expect(Object.getOwnPropertyDescriptor(copy, "__proto__")?.value).toStrictEqual([1])
    expect(copy).toStrictEqual(parsed)
  })

  it("a body without a backslash needs no second scrub: its parsed strings are its text, scrubbed", () => {
    const secret = "tns_canary_fast_decode_9f"
    const scrub = makeScrub(secret)
    const text = fc.oneof(
      fc.string(),
      fc.constant(secret),
      fc.constant(`Bearer ${secret}`),
      fc.constant("Bearer abc")
    )
    const value = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: "small" },
        text,
        fc.integer(),
        fc.array(tie("node"), { maxLength: 3 }),
        fc.dictionary(text, tie("node"), { maxKeys: 3 })
      )
    })).node
    fc.assert(
      fc.property(value, (input) => {
        const body = scrub(JSON.stringify(input))
        fc.pre(!body.includes("\\"))
        const parsed: unknown = JSON.parse(body)
        expect(scrubJson(parsed, scrub)).toStrictEqual(parsed)
      }),
      { numRuns: NUM_RUNS }
    )
  })
})
