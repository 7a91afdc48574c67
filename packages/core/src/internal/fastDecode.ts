/**
 * Hand-written decoders of the shapes a wait reads on every poll: a job without its documents
 * (`IngestionJob`), a list page (`IngestionJobList`), a running job's GET, and a job with its
 * documents (`IngestionJobDetail`: every wait's last answer, and every GET of a job a sweep saw
 * end). They validate exactly what the schemas of `IngestionJob` validate and build the same
 * values, at a fraction of the cost (a list page of 100 jobs is read on every sweep).
 *
 * The schemas stay the one source of truth: each decoder returns `undefined` for anything it does
 * not accept, and the caller then decodes with the schema, which produces the value or the
 * `ResponseDecodeError` with its message. So a decoder here can only be wrong by accepting what
 * the schema rejects, or by building a different value: test/internal/fastDecode.test.ts checks,
 * on random valid and invalid inputs, that both agree.
 */
import * as IngestionJob from "../IngestionJob.js"
import { countOf } from "./documentCount.js"
import type { Polled } from "./polled.js"

const KNOWN_STATUSES: ReadonlySet<string> = new Set(IngestionJob.KNOWN_STATUSES)

type Json = Record<string, unknown>

const isObject = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value)

/** `Schema.Int.pipe(Schema.nonNegative())`. */
const isCount = (value: unknown): value is number =>
  typeof value === "number" && Number.isSafeInteger(value) && value >= 0

const isString = (value: unknown): value is string => typeof value === "string"

/** `Schema.optionalKey(Schema.NullOr(Schema.String))`: absent, null or a string. */
const isOptionalText = (object: Json, key: string): boolean => {
  if (!(key in object)) return true
  const value = object[key]
  return value === null || typeof value === "string"
}

/** `JobError`, or `undefined` when the value is not one. */
const jobError = (value: Json): IngestionJob.JobError | undefined => {
  if (
    !isString(value.message) ||
    !isOptionalText(value, "type") ||
    !isOptionalText(value, "code") ||
    !isOptionalText(value, "param")
  )
    return undefined
  const out: { message: string; type?: string | null; code?: string | null; param?: string | null } = {
    message: value.message
  }
  if ("type" in value) out.type = value.type as string | null
  if ("code" in value) out.code = value.code as string | null
  if ("param" in value) out.param = value.param as string | null
  return out
}

/** A job's or a document's `error`: `null`, a `JobError`, or `undefined` when it is neither. */
const errorField = (error: unknown): IngestionJob.JobError | null | undefined =>
  error === null ? null : isObject(error) ? jobError(error) : undefined

/** A job's or a document's status: a known one as is, any other kept raw (the schemas' `UnknownStatus`). */
const statusField = <S extends string>(status: string): S | IngestionJob.UnknownStatus =>
  KNOWN_STATUSES.has(status) ? (status as S) : { _tag: "UnknownStatus", raw: status }

/**
 * An `IngestionJob` (the fields it lists; any other field, `document_details` included, is left
 * out, as the schema does), or `undefined` when `value` is not one.
 */
export const job = (value: unknown): IngestionJob.IngestionJob | undefined => {
  if (!isObject(value)) return undefined
  const {
    id,
    object,
    knowledge_base_id,
    data_source_id,
    status,
    documents_processed,
    documents_failed,
    chunks_created,
    started_at,
    completed_at,
    created_at,
    error
  } = value
  if (
    !isString(id) ||
    object !== "ingestion_job" ||
    !isString(knowledge_base_id) ||
    !isString(data_source_id) ||
    !isString(status) ||
    !isCount(documents_processed) ||
    !isCount(documents_failed) ||
    !isCount(chunks_created) ||
    (started_at !== null && !isCount(started_at)) ||
    (completed_at !== null && !isCount(completed_at)) ||
    !isCount(created_at)
  )
    return undefined
  const decodedError = errorField(error)
  if (decodedError === undefined) return undefined
  return {
    id,
    object,
    knowledge_base_id,
    data_source_id,
    status: statusField<IngestionJob.KnownJobStatus>(status),
    documents_processed,
    documents_failed,
    chunks_created,
    started_at,
    completed_at,
    created_at,
    error: decodedError
  }
}

/** A `DocumentDetail`, or `undefined` when `value` is not one. */
const documentDetail = (value: unknown): IngestionJob.DocumentDetail | undefined => {
  if (!isObject(value)) return undefined
  const { document_id, document_name, status, chunks_created, error } = value
  if (!isString(document_id) || !isString(document_name) || !isString(status) || !isCount(chunks_created))
    return undefined
  const decodedError = errorField(error)
  if (decodedError === undefined) return undefined
  return {
    document_id,
    document_name,
    status: statusField<IngestionJob.KnownDocumentStatus>(status),
    chunks_created,
    error: decodedError
  }
}

/**
 * An `IngestionJobDetail` (the job and its `document_details`), or `undefined` when `value` is not
 * one. (The known statuses of a document are a job's: `KNOWN_STATUSES` serves both.)
 */
export const jobDetail = (value: unknown): IngestionJob.IngestionJobDetail | undefined => {
  if (!isObject(value)) return undefined
  const details = value.document_details
  if (!Array.isArray(details)) return undefined
  const decoded = job(value)
  if (decoded === undefined) return undefined
  const documents = new Array<IngestionJob.DocumentDetail>(details.length)
  for (let index = 0; index < details.length; index++) {
    const document = documentDetail(details[index])
    if (document === undefined) return undefined
    documents[index] = document
  }
  return { ...decoded, document_details: documents }
}

/** An `IngestionJobList`, or `undefined` when `value` is not one. */
export const list = (value: unknown): IngestionJob.IngestionJobList | undefined => {
  if (!isObject(value)) return undefined
  const { object, data, has_more } = value
  if (object !== "list" || !Array.isArray(data) || typeof has_more !== "boolean") return undefined
  const jobs = new Array<IngestionJob.IngestionJob>(data.length)
  for (let index = 0; index < data.length; index++) {
    const decoded = job(data[index])
    if (decoded === undefined) return undefined
    jobs[index] = decoded
  }
  return { object, data: jobs, has_more }
}

/**
 * A poll's answer: a `completed` or `failed` job in full ({@link jobDetail}: the poll's schema tries
 * that first), any other as {@link runningJob} reads it. `undefined` for what either leaves to the
 * schema.
 */
export const polledJob = (value: unknown): Polled | EndedJob | undefined => {
  if (!isObject(value)) return undefined
  const status = value.status
  return status === "completed" || status === "failed"
    ? (jobDetail(value) as EndedJob | undefined)
    : runningJob(value)
}

/** A job in full that has ended (`IngestionJobs.TerminalJob`). */
type EndedJob = IngestionJob.IngestionJobDetail & { readonly status: IngestionJob.TerminalJobStatus }

/**
 * A poll's answer while the job runs: the job, with the count of its ended documents when its
 * `document_details` are a list of statuses (`PollSchedule.Polled`, as `documentCount.ts`'s schema
 * reads it; the details themselves are not decoded). `undefined` for a `completed` or `failed` job
 * (the caller decodes it in full, documents included, with the schema) and for anything that is
 * not a job.
 */
export const runningJob = (value: unknown): Polled | undefined => {
  if (!isObject(value)) return undefined
  const status = value.status
  if (status === "completed" || status === "failed") return undefined
  const decoded = job(value)
  if (decoded === undefined || !("document_details" in value)) return decoded
  const documents = countOf(value.document_details)
  return documents === undefined ? decoded : { ...decoded, documents }
}
