/**
 * Schemas of the objects the ingestion-jobs API returns, and helpers to read them.
 *
 * A decoded job keeps the API's own shape: the same snake_case field names and the same
 * Unix-seconds timestamps that the API documentation shows, so what you read there is what
 * you get here, and a job is plain JSON data (it can be persisted, logged, sent to a worker or
 * another tab as is). Decoding checks every documented field, drops unknown extra fields, and
 * turns a status this library does not know into an explicit {@link UnknownStatus} that keeps
 * the raw string instead of failing.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import * as SchemaTransformation from "effect/SchemaTransformation"

/**
 * A status string the service sent that this version of the library does not know.
 *
 * New statuses are a normal way for an API to evolve; instead of failing to decode, the
 * value is kept here so callers can log it, and waits treat it as "not finished yet".
 *
 * @example
 * ```ts
 * import { IngestionJob } from "@tensoras/ingestion"
 *
 * const status: IngestionJob.JobStatus = { _tag: "UnknownStatus", raw: "paused" }
 * console.log(IngestionJob.statusText(status)) // "paused"
 * ```
 * @category models
 * @since 0.1.0
 */
export interface UnknownStatus {
  readonly _tag: "UnknownStatus"
  readonly raw: string
}

/**
 * The statuses of a job that has not ended, in the order a job goes through them: `queued`, then
 * `processing`. The wait engine's active-set sweep lists them in this order.
 *
 * @example
 * ```ts
 * import { IngestionJob } from "@tensoras/ingestion"
 *
 * IngestionJob.ACTIVE_STATUSES // ["queued", "processing"]
 * ```
 * @category constants
 * @since 1.0.0
 */
export const ACTIVE_STATUSES = ["queued", "processing"] as const

/**
 * A status of a job that has not ended: one of {@link ACTIVE_STATUSES}.
 *
 * @category models
 * @since 1.0.0
 */
export type ActiveJobStatus = (typeof ACTIVE_STATUSES)[number]

/**
 * The statuses a job ends with: `completed` (some documents may have failed) or `failed`.
 *
 * @example
 * ```ts
 * import { IngestionJob } from "@tensoras/ingestion"
 *
 * IngestionJob.TERMINAL_STATUSES // ["completed", "failed"]
 * ```
 * @category constants
 * @since 1.0.0
 */
export const TERMINAL_STATUSES = ["completed", "failed"] as const

/**
 * A status a job ends with: one of {@link TERMINAL_STATUSES}.
 *
 * @category models
 * @since 1.0.0
 */
export type TerminalJobStatus = (typeof TERMINAL_STATUSES)[number]

/**
 * The four documented job statuses: {@link ACTIVE_STATUSES}, then {@link TERMINAL_STATUSES}.
 * {@link KnownJobStatus} is their schema.
 *
 * @example
 * ```ts
 * import { IngestionJob } from "@tensoras/ingestion"
 *
 * IngestionJob.KNOWN_STATUSES // ["queued", "processing", "completed", "failed"]
 * ```
 * @category constants
 * @since 1.0.0
 */
export const KNOWN_STATUSES = [...ACTIVE_STATUSES, ...TERMINAL_STATUSES] as const

const knownStatuses: ReadonlyArray<string> = KNOWN_STATUSES

// An unknown status never holds a known word: that keeps decode and encode inverse of each other.
const UnknownStatusType: Schema.Codec<UnknownStatus> = Schema.Struct({
  _tag: Schema.Literal("UnknownStatus"),
  raw: Schema.String.check(
    Schema.makeFilter((raw: string) => !knownStatuses.includes(raw), {
      expected: "a status that is not a known one"
    })
  )
})

/**
 * Any string, decoded to an {@link UnknownStatus}; encodes back to the raw string.
 *
 * @example
 * ```ts
 * import { IngestionJob } from "@tensoras/ingestion"
 * import * as Schema from "effect/Schema"
 *
 * Schema.decodeUnknownSync(IngestionJob.UnknownStatusFromString)("paused")
 * // { _tag: "UnknownStatus", raw: "paused" }
 * ```
 * @category schemas
 * @since 0.1.0
 */
export const UnknownStatusFromString: Schema.Codec<UnknownStatus, string> = Schema.String.pipe(
  Schema.decodeTo(
    UnknownStatusType,
    SchemaTransformation.transform({
      decode: (raw: string): UnknownStatus => ({ _tag: "UnknownStatus", raw }),
      encode: (status: UnknownStatus): string => status.raw
    })
  )
)

/**
 * The four documented job statuses.
 *
 * @example
 * ```ts
 * import { IngestionJob } from "@tensoras/ingestion"
 * import * as Schema from "effect/Schema"
 *
 * Schema.is(IngestionJob.KnownJobStatus)("queued") // true
 * ```
 * @category schemas
 * @since 0.1.0
 */
export const KnownJobStatus = Schema.Literals(KNOWN_STATUSES)

/**
 * One of the four documented job statuses.
 *
 * @category models
 * @since 0.1.0
 */
export type KnownJobStatus = typeof KnownJobStatus.Type

/**
 * A job status: one of the documented four, or an {@link UnknownStatus}.
 *
 * @example
 * ```ts
 * import { IngestionJob } from "@tensoras/ingestion"
 * import * as Schema from "effect/Schema"
 *
 * const decode = Schema.decodeUnknownSync(IngestionJob.JobStatus)
 * decode("processing") // "processing"
 * decode("paused") // { _tag: "UnknownStatus", raw: "paused" }
 * ```
 * @category schemas
 * @since 0.1.0
 */
export const JobStatus: Schema.Codec<KnownJobStatus | UnknownStatus, string> = Schema.Union([
  KnownJobStatus,
  UnknownStatusFromString
])

/**
 * @category models
 * @since 0.1.0
 */
export type JobStatus = KnownJobStatus | UnknownStatus

/**
 * The document statuses this library knows. Only `completed` is documented; the service
 * reports a failed document with another status and an `error`, and documents still in
 * flight with the job's own words.
 *
 * @example
 * ```ts
 * import { IngestionJob } from "@tensoras/ingestion"
 * import * as Schema from "effect/Schema"
 *
 * Schema.is(IngestionJob.KnownDocumentStatus)("failed") // true
 * ```
 * @category schemas
 * @since 0.1.0
 */
export const KnownDocumentStatus = Schema.Literals(["queued", "processing", "completed", "failed"])

/**
 * @category models
 * @since 0.1.0
 */
export type KnownDocumentStatus = typeof KnownDocumentStatus.Type

/**
 * A document status: a known one, or an {@link UnknownStatus}.
 *
 * @example
 * ```ts
 * import { IngestionJob } from "@tensoras/ingestion"
 * import * as Schema from "effect/Schema"
 *
 * Schema.decodeUnknownSync(IngestionJob.DocumentStatus)("skipped")
 * // { _tag: "UnknownStatus", raw: "skipped" }
 * ```
 * @category schemas
 * @since 0.1.0
 */
export const DocumentStatus: Schema.Codec<KnownDocumentStatus | UnknownStatus, string> = Schema.Union([
  KnownDocumentStatus,
  UnknownStatusFromString
])

/**
 * @category models
 * @since 0.1.0
 */
export type DocumentStatus = KnownDocumentStatus | UnknownStatus

const NonNegativeInt = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))

/**
 * A Unix time in whole seconds, as the API sends it. Use {@link toDate} to get a `Date`.
 *
 * @example
 * ```ts
 * import { IngestionJob } from "@tensoras/ingestion"
 * import * as Schema from "effect/Schema"
 *
 * Schema.decodeUnknownSync(IngestionJob.UnixSeconds)(1709123456) // 1709123456
 * ```
 * @category schemas
 * @since 0.1.0
 */
export const UnixSeconds = NonNegativeInt.annotate({ identifier: "UnixSeconds" })

/**
 * The error object of a failed job or document. The API documents only `message` for sure;
 * `type`, `code` and `param` are kept when the service sends them.
 *
 * @example
 * ```ts
 * import { IngestionJob } from "@tensoras/ingestion"
 * import * as Schema from "effect/Schema"
 *
 * Schema.decodeUnknownSync(IngestionJob.JobError)({ message: "Embedding quota exceeded", code: "quota_exceeded" })
 * ```
 * @category schemas
 * @since 0.1.0
 */
export const JobError = Schema.Struct({
  message: Schema.String,
  type: Schema.optionalKey(Schema.NullOr(Schema.String)),
  code: Schema.optionalKey(Schema.NullOr(Schema.String)),
  param: Schema.optionalKey(Schema.NullOr(Schema.String))
}).annotate({ identifier: "JobError" })

/**
 * @category models
 * @since 0.1.0
 */
export interface JobError extends Schema.Schema.Type<typeof JobError> {}

/**
 * One document of a job, as the single-job endpoint reports it in `document_details`.
 *
 * @example
 * ```ts
 * import { IngestionJob } from "@tensoras/ingestion"
 * import * as Schema from "effect/Schema"
 *
 * Schema.decodeUnknownSync(IngestionJob.DocumentDetail)({
 *   document_id: "doc_001", document_name: "product-guide.pdf",
 *   status: "completed", chunks_created: 32, error: null
 * })
 * ```
 * @category schemas
 * @since 0.1.0
 */
export const DocumentDetail = Schema.Struct({
  document_id: Schema.String,
  document_name: Schema.String,
  status: DocumentStatus,
  chunks_created: NonNegativeInt,
  error: Schema.NullOr(JobError)
}).annotate({ identifier: "DocumentDetail" })

/**
 * @category models
 * @since 0.1.0
 */
export interface DocumentDetail extends Schema.Schema.Type<typeof DocumentDetail> {}

/**
 * The wire (JSON) form of a {@link DocumentDetail}.
 *
 * @category models
 * @since 0.1.0
 */
export interface DocumentDetailEncoded extends Schema.Codec.Encoded<typeof DocumentDetail> {}

/**
 * An ingestion job, as the list endpoint reports it.
 *
 * @example
 * ```ts
 * import { IngestionJob } from "@tensoras/ingestion"
 * import * as Schema from "effect/Schema"
 *
 * const job = Schema.decodeUnknownSync(IngestionJob.IngestionJob)({
 *   id: "job_def456", object: "ingestion_job", knowledge_base_id: "kb_abc123",
 *   data_source_id: "ds_xyz789", status: "processing",
 *   documents_processed: 8, documents_failed: 1, chunks_created: 245,
 *   started_at: 1709125000, completed_at: null, created_at: 1709124990, error: null
 * })
 * console.log(`${job.id}: ${IngestionJob.statusText(job.status)}`)
 * ```
 * @category schemas
 * @since 0.1.0
 */
export const IngestionJob = Schema.Struct({
  id: Schema.String,
  object: Schema.Literal("ingestion_job"),
  knowledge_base_id: Schema.String,
  data_source_id: Schema.String,
  status: JobStatus,
  documents_processed: NonNegativeInt,
  documents_failed: NonNegativeInt,
  chunks_created: NonNegativeInt,
  started_at: Schema.NullOr(UnixSeconds),
  completed_at: Schema.NullOr(UnixSeconds),
  created_at: UnixSeconds,
  error: Schema.NullOr(JobError)
}).annotate({ identifier: "IngestionJob" })

/**
 * @category models
 * @since 0.1.0
 */
export interface IngestionJob extends Schema.Schema.Type<typeof IngestionJob> {}

/**
 * The wire (JSON) form of an {@link IngestionJob}.
 *
 * @category models
 * @since 0.1.0
 */
export interface IngestionJobEncoded extends Schema.Codec.Encoded<typeof IngestionJob> {}

/**
 * An ingestion job with its `document_details`, as the single-job endpoint reports it.
 *
 * @example
 * ```ts
 * import { IngestionJob } from "@tensoras/ingestion"
 *
 * const lines = (job: IngestionJob.IngestionJobDetail) =>
 *   job.document_details.map((d) => `[${d.error === null ? "OK" : "FAIL"}] ${d.document_name}: ${d.chunks_created} chunks`)
 * ```
 * @category schemas
 * @since 0.1.0
 */
export const IngestionJobDetail = Schema.Struct({
  ...IngestionJob.fields,
  document_details: Schema.Array(DocumentDetail)
}).annotate({ identifier: "IngestionJobDetail" })

/**
 * @category models
 * @since 0.1.0
 */
export interface IngestionJobDetail extends Schema.Schema.Type<typeof IngestionJobDetail> {}

/**
 * The wire (JSON) form of an {@link IngestionJobDetail}.
 *
 * @category models
 * @since 0.1.0
 */
export interface IngestionJobDetailEncoded extends Schema.Codec.Encoded<typeof IngestionJobDetail> {}

/**
 * One page of the list endpoint.
 *
 * @example
 * ```ts
 * import { IngestionJob } from "@tensoras/ingestion"
 * import * as Schema from "effect/Schema"
 *
 * const page = Schema.decodeUnknownSync(IngestionJob.IngestionJobList)({ object: "list", data: [], has_more: false })
 * ```
 * @category schemas
 * @since 0.1.0
 */
export const IngestionJobList = Schema.Struct({
  object: Schema.Literal("list"),
  data: Schema.Array(IngestionJob),
  has_more: Schema.Boolean
}).annotate({ identifier: "IngestionJobList" })

/**
 * @category models
 * @since 0.1.0
 */
export interface IngestionJobList extends Schema.Schema.Type<typeof IngestionJobList> {}

/**
 * The wire (JSON) form of an {@link IngestionJobList}.
 *
 * @category models
 * @since 0.1.0
 */
export interface IngestionJobListEncoded extends Schema.Codec.Encoded<typeof IngestionJobList> {}

/**
 * Whether a status is one of the documented four (narrows away {@link UnknownStatus}).
 *
 * @example
 * ```ts
 * import { IngestionJob } from "@tensoras/ingestion"
 *
 * IngestionJob.isKnownStatus("completed") // true
 * IngestionJob.isKnownStatus({ _tag: "UnknownStatus", raw: "paused" }) // false
 * ```
 * @category guards
 * @since 0.1.0
 */
export const isKnownStatus = <S extends string>(status: S | UnknownStatus): status is S =>
  typeof status === "string"

/**
 * The status as the service spelled it, known or not.
 *
 * @example
 * ```ts
 * import { IngestionJob } from "@tensoras/ingestion"
 *
 * IngestionJob.statusText("queued") // "queued"
 * IngestionJob.statusText({ _tag: "UnknownStatus", raw: "paused" }) // "paused"
 * ```
 * @category getters
 * @since 0.1.0
 */
export const statusText = (status: JobStatus | DocumentStatus): string =>
  typeof status === "string" ? status : status.raw

/**
 * Whether a job has reached one of its {@link TERMINAL_STATUSES}, `completed` or `failed`.
 *
 * @example
 * ```ts
 * import { IngestionJob } from "@tensoras/ingestion"
 *
 * declare const job: IngestionJob.IngestionJob
 * if (IngestionJob.isTerminal(job)) console.log("done:", job.status)
 * ```
 * @category predicates
 * @since 0.1.0
 */
export const isTerminal = <J extends { readonly status: JobStatus }>(
  job: J
): job is J & { readonly status: TerminalJobStatus } => job.status === "completed" || job.status === "failed"

/**
 * Whether a job's status or one of its counters differs between two snapshots (always true
 * when there is no previous one): what "the job changed" means for watchers and schedules.
 *
 * @example
 * ```ts
 * import { IngestionJob } from "@tensoras/ingestion"
 *
 * declare const before: IngestionJob.IngestionJob
 * declare const after: IngestionJob.IngestionJob
 * if (IngestionJob.differs(before, after)) console.log("progress")
 * ```
 * @category predicates
 * @since 0.1.0
 */
export const differs = (previous: IngestionJob | undefined, job: IngestionJob): boolean =>
  previous === undefined ||
  statusText(previous.status) !== statusText(job.status) ||
  previous.documents_processed !== job.documents_processed ||
  previous.documents_failed !== job.documents_failed ||
  previous.chunks_created !== job.chunks_created

/**
 * Whether a document was ingested: its status is `completed` and it carries no error.
 *
 * @example
 * ```ts
 * import { IngestionJob } from "@tensoras/ingestion"
 *
 * declare const job: IngestionJob.IngestionJobDetail
 * const failed = job.document_details.filter((d) => !IngestionJob.isDocumentIngested(d))
 * ```
 * @category predicates
 * @since 0.1.0
 */
export const isDocumentIngested = (document: DocumentDetail): boolean =>
  document.status === "completed" && document.error === null

/**
 * A Unix time in seconds, as a `Date`; `null` stays `null`.
 *
 * @example
 * ```ts
 * import { IngestionJob } from "@tensoras/ingestion"
 *
 * IngestionJob.toDate(1709123456)?.toISOString() // "2024-02-28T12:30:56.000Z"
 * ```
 * @category getters
 * @since 0.1.0
 */
export const toDate: {
  (seconds: number): Date
  (seconds: number | null): Date | null
} = ((seconds: number | null) => (seconds === null ? null : new Date(seconds * 1000))) as any
