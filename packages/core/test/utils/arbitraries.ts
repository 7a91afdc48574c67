/**
 * fast-check arbitraries of the decoded values of `IngestionJob`'s schemas, written out by hand
 * (Effect 4 has no fast-check bridge: `effect/Arbitrary` is its own property-testing module).
 * Each one generates every value its schema accepts and nothing else: the property tests check
 * that by encoding and decoding what they generate.
 */
import type { IngestionJob } from "@tensoras/ingestion"
import * as fc from "fast-check"

const KNOWN_STATUSES = ["queued", "processing", "completed", "failed"] as const

/** `UnknownStatus`: any string that is not a known status. */
export const unknownStatus: fc.Arbitrary<IngestionJob.UnknownStatus> = fc
  .string()
  .filter((raw) => !(KNOWN_STATUSES as ReadonlyArray<string>).includes(raw))
  .map((raw) => ({ _tag: "UnknownStatus" as const, raw }))

/** `JobStatus` (and `DocumentStatus`: the same words). */
export const status: fc.Arbitrary<IngestionJob.JobStatus> = fc.oneof(
  fc.constantFrom(...KNOWN_STATUSES),
  unknownStatus
)

/** `Schema.Int` from 0 (`NonNegativeInt`, `UnixSeconds`). */
const count = fc.maxSafeNat()

// Objects as JSON.parse and the schemas build them (fast-check 4 may give a null prototype).
const plain = { noNullPrototype: true } as const

const nullOr = <A>(arbitrary: fc.Arbitrary<A>): fc.Arbitrary<A | null> => fc.option(arbitrary, { nil: null })

/** `JobError`: `type`, `code` and `param` absent, null or a string. */
export const jobError: fc.Arbitrary<IngestionJob.JobError> = fc.record(
  {
    message: fc.string(),
    type: nullOr(fc.string()),
    code: nullOr(fc.string()),
    param: nullOr(fc.string())
  },
  { ...plain, requiredKeys: ["message"] }
)

/** `DocumentDetail`. */
export const documentDetail: fc.Arbitrary<IngestionJob.DocumentDetail> = fc.record(
  {
    document_id: fc.string(),
    document_name: fc.string(),
    status,
    chunks_created: count,
    error: nullOr(jobError)
  },
  plain
)

const jobFields = {
  id: fc.string(),
  object: fc.constant("ingestion_job" as const),
  knowledge_base_id: fc.string(),
  data_source_id: fc.string(),
  status,
  documents_processed: count,
  documents_failed: count,
  chunks_created: count,
  started_at: nullOr(count),
  completed_at: nullOr(count),
  created_at: count,
  error: nullOr(jobError)
}

/** `IngestionJob`. */
export const job: fc.Arbitrary<IngestionJob.IngestionJob> = fc.record(jobFields, plain)

/** `IngestionJobDetail`. */
export const jobDetail: fc.Arbitrary<IngestionJob.IngestionJobDetail> = fc.record(
  {
    ...jobFields,
    document_details: fc.array(documentDetail, { maxLength: 5 })
  },
  plain
)
