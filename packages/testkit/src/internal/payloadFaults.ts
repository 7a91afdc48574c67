/**
 * Fault injection on the API's own answer: fields the spec does not list, statuses it does not know, the
 * key echoed in every string, a body cut short.
 */
import type { Fault } from "../Fault.js"
import type { WireJob, WireJobList } from "../WireFormat.js"
import { echoOf } from "./faultAnswers.js"
import { DEFAULT_EXTRA_FIELDS } from "./responses.js"

const mapJobs = (
  body: unknown,
  mapJob: (job: Record<string, unknown>) => Record<string, unknown>
): unknown => {
  if (typeof body !== "object" || body === null) return body
  const record = body as Record<string, unknown>
  if (record.object === "list" && Array.isArray(record.data)) {
    return { ...record, data: record.data.map((job) => mapJob(job as Record<string, unknown>)) }
  }
  return record.object === "ingestion_job" ? mapJob(record) : body
}

const withExtraFields = (body: unknown, fields: Readonly<Record<string, unknown>>): unknown => {
  const extend = (value: unknown): unknown =>
    typeof value === "object" && value !== null ? { ...value, ...structuredClone(fields) } : value
  const jobs = mapJobs(body, (job) => {
    const extended = extend({ ...job, error: extend(job.error) }) as Record<string, unknown>
    if (Array.isArray(job.document_details)) {
      extended.document_details = job.document_details.map((detail: Record<string, unknown>) =>
        extend({ ...detail, error: extend(detail.error) })
      )
    }
    return extended
  })
  const list = jobs as Record<string, unknown>
  return list.object === "list" ? extend(list) : jobs
}

const withUnknownStatuses = (
  body: unknown,
  jobStatus: string | null,
  documentStatus: string | null
): unknown =>
  mapJobs(body, (job) => ({
    ...job,
    ...(jobStatus === null ? {} : { status: jobStatus }),
    ...(documentStatus !== null && Array.isArray(job.document_details)
      ? {
          document_details: job.document_details.map((detail: Record<string, unknown>) => ({
            ...detail,
            status: documentStatus
          }))
        }
      : {})
  }))

/** Every string of a JSON answer (but the `object` discriminator) with `echo` appended. */
const withEcho = (value: unknown, echo: string, key?: string): unknown => {
  if (typeof value === "string") return key === "object" ? value : `${value}${echo}`
  if (Array.isArray(value)) return value.map((item) => withEcho(item, echo))
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([name, item]) => [name, withEcho(item, echo, name)]))
  }
  return value
}

/**
 * The API's answer as the fault alters it (`extra-fields`, `unknown-status`, `echo-key`); the answer
 * itself for any other fault or none.
 *
 * @example
 * reshape(job, { kind: "unknown-status" }, token) // job with status "paused", documents "skipped"
 */
export const reshape = (
  body: WireJob | WireJobList,
  fault: Fault | undefined,
  token: string | undefined
): unknown => {
  switch (fault?.kind) {
    case "extra-fields":
      return withExtraFields(body, fault.fields ?? DEFAULT_EXTRA_FIELDS)
    case "unknown-status":
      return withUnknownStatuses(
        body,
        fault.jobStatus === undefined ? "paused" : fault.jobStatus,
        fault.documentStatus === undefined ? "skipped" : fault.documentStatus
      )
    case "echo-key":
      return withEcho(body, echoOf(token))
    default:
      return body
  }
}

/**
 * The fraction of the answer's bytes the `truncated` fault keeps; `undefined` for a whole answer.
 *
 * @example
 * truncation({ kind: "truncated" }) // => 0.5
 */
export const truncation = (fault: Fault | undefined): number | undefined =>
  fault?.kind === "truncated" ? (fault.fraction ?? 0.5) : undefined
