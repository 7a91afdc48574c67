/**
 * The scenario file's JSON, as Effect Schemas: knowledge bases, their jobs (timeline, documents, a
 * whole-job failure, a reported status, faults) and the faults of any request. Decoded with excess
 * properties as errors, so a misspelt field is named instead of ignored.
 */
import * as Schema from "effect/Schema"
import { Count, FaultJson, Id, JobFaultJson, NonNegative } from "./faultSchema.js"

/** An error object, in part: the simulator fills in the rest. */
const ErrorFields = Schema.Struct({
  message: Schema.optionalKey(Schema.String),
  type: Schema.optionalKey(Schema.String),
  code: Schema.optionalKey(Schema.String)
})

const DocumentJson = Schema.Struct({
  id: Schema.optionalKey(Id),
  name: Schema.NonEmptyString,
  chunks: Schema.optionalKey(Count),
  durationMs: Schema.optionalKey(NonNegative),
  /** `true`, the reason, or the error object. */
  fail: Schema.optionalKey(Schema.Union([Schema.Boolean, Schema.String, ErrorFields])),
  status: Schema.optionalKey(Schema.NonEmptyString)
})

const GeneratedDocuments = Schema.Struct({
  count: Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 100_000 })),
  failures: Schema.optionalKey(Count),
  seed: Schema.optionalKey(Schema.Int),
  totalDurationMs: Schema.optionalKey(NonNegative),
  meanDurationMs: Schema.optionalKey(NonNegative)
}).check(
  Schema.makeFilter((generated) =>
    generated.totalDurationMs !== undefined && generated.meanDurationMs !== undefined
      ? { path: ["meanDurationMs"], issue: "give totalDurationMs or meanDurationMs, not both" }
      : undefined
  )
)

/**
 * One job: its data source, its timeline (age at the start, time queued, each document, a whole-job
 * failure, a reported status) and the faults of the requests for it.
 *
 * @example
 * Schema.decodeUnknownSync(JobJson)({ id: "job_1", queuedMs: 2_000, documents: { count: 10, failures: 1 } })
 */
export const JobJson = Schema.Struct({
  id: Schema.optionalKey(Id),
  /** The first job of a data source adds it; a later one syncs it. Default: a data source of its own. */
  dataSource: Schema.optionalKey(Id),
  dataSourceName: Schema.optionalKey(Schema.String),
  /** Created this long before the scenario starts (or before the control API adds it). Default 0. */
  ageMs: Schema.optionalKey(NonNegative),
  queuedMs: Schema.optionalKey(NonNegative),
  documents: Schema.optionalKey(Schema.Union([Schema.Array(DocumentJson), GeneratedDocuments])),
  failure: Schema.optionalKey(
    Schema.Struct({
      afterMs: NonNegative,
      error: Schema.optionalKey(Schema.Union([Schema.String, ErrorFields]))
    })
  ),
  reportStatus: Schema.optionalKey(
    Schema.Struct({
      status: Schema.NonEmptyString,
      fromMs: Schema.optionalKey(NonNegative),
      untilMs: Schema.optionalKey(NonNegative)
    })
  ),
  faults: Schema.optionalKey(Schema.Array(JobFaultJson))
})
export type JobJson = typeof JobJson.Type

/** In a file, a job's faults name it before any generated id exists. */
const FileJobJson = JobJson.check(
  Schema.makeFilter((job) =>
    job.faults !== undefined && job.faults.length > 0 && job.id === undefined
      ? { path: ["id"], issue: "a job with faults needs an id" }
      : undefined
  )
)

const KnowledgeBaseJson = Schema.Struct({
  id: Id,
  jobs: Schema.optionalKey(Schema.Array(FileJobJson))
})

/** An instant: epoch milliseconds, or a date `Date.parse` reads (`2025-01-01T00:00:00Z`). */
const Instant = Schema.Union([
  Count,
  Schema.String.check(
    Schema.makeFilter(
      (text) =>
        Number.isFinite(Date.parse(text)) ||
        "Expected epoch milliseconds or a date such as 2025-01-01T00:00:00Z"
    )
  )
])

/**
 * A scenario file.
 *
 * @example
 * Schema.decodeUnknownSync(ScenarioJson)({ name: "one", knowledgeBases: [{ id: "kb_one", jobs: [{}] }] })
 */
export const ScenarioJson = Schema.Struct({
  /** For editors that validate against a JSON Schema; ignored. */
  $schema: Schema.optionalKey(Schema.String),
  name: Schema.optionalKey(Schema.NonEmptyString),
  description: Schema.optionalKey(Schema.String),
  startAt: Schema.optionalKey(Instant),
  knowledgeBases: Schema.Array(KnowledgeBaseJson),
  faults: Schema.optionalKey(Schema.Array(FaultJson))
})
export type ScenarioJson = typeof ScenarioJson.Type
