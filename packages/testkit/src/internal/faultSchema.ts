/**
 * Faults as JSON (a scenario file's, the control API's): the `Fault` shapes with `times: "always"` for
 * `Infinity`, which JSON cannot say, and the conversions both ways.
 */
import * as Schema from "effect/Schema"
import type { Fault, FaultKind } from "../Fault.js"

/** A finite number >= 0 (milliseconds, seconds, a fraction's numerator). */
export const NonNegative = Schema.Number.check(Schema.isFinite(), Schema.isGreaterThanOrEqualTo(0))
/** A whole number >= 0. */
export const Count = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))
/** An id as the simulator takes them: a non-empty string. */
export const Id = Schema.NonEmptyString

const ErrorStatus = Schema.Int.check(Schema.isBetween({ minimum: 400, maximum: 599 }))
const HttpStatus = Schema.Int.check(Schema.isBetween({ minimum: 200, maximum: 599 }))
const Times = Schema.Union([Schema.Int.check(Schema.isGreaterThanOrEqualTo(1)), Schema.Literal("always")])
const RetryAfterFormat = Schema.Literals(["seconds", "http-date", "none"])
const ApiErrorFields = Schema.Struct({
  message: Schema.optionalKey(Schema.String),
  type: Schema.optionalKey(Schema.String),
  param: Schema.optionalKey(Schema.NullOr(Schema.String)),
  code: Schema.optionalKey(Schema.NullOr(Schema.String))
})

const KINDS: ReadonlyArray<FaultKind> = [
  "rate-limit",
  "server-error",
  "http-error",
  "latency",
  "hang",
  "drop",
  "non-json",
  "truncated",
  "extra-fields",
  "unknown-status",
  "echo-key",
  "redirect",
  "huge-body"
]

/** When a fault applies: a job's faults (in a scenario file) take only these; the job gives the rest. */
const jobTarget = {
  times: Schema.optionalKey(Times),
  skip: Schema.optionalKey(Count)
}

const requestTarget = {
  ...jobTarget,
  route: Schema.optionalKey(Schema.Literals(["list", "get", "any"])),
  kbId: Schema.optionalKey(Id),
  jobId: Schema.optionalKey(Id)
}

const faultOf = <const Target extends Schema.Struct.Fields>(target: Target) =>
  Schema.Union([
    Schema.Struct({
      kind: Schema.Literal("rate-limit"),
      retryAfter: Schema.optionalKey(NonNegative),
      retryAfterFormat: Schema.optionalKey(RetryAfterFormat),
      ...target
    }),
    Schema.Struct({
      kind: Schema.Literal("server-error"),
      status: Schema.optionalKey(Schema.Literals([500, 502, 503, 504])),
      retryAfter: Schema.optionalKey(NonNegative),
      retryAfterFormat: Schema.optionalKey(RetryAfterFormat),
      ...target
    }),
    Schema.Struct({
      kind: Schema.Literal("http-error"),
      status: HttpStatus,
      error: Schema.optionalKey(ApiErrorFields),
      ...target
    }),
    Schema.Struct({
      kind: Schema.Literal("latency"),
      ms: NonNegative,
      clock: Schema.optionalKey(Schema.Literals(["real", "engine"])),
      ...target
    }),
    Schema.Struct({ kind: Schema.Literal("hang"), ...target }),
    Schema.Struct({ kind: Schema.Literal("drop"), ...target }),
    Schema.Struct({
      kind: Schema.Literal("non-json"),
      status: Schema.optionalKey(HttpStatus),
      body: Schema.optionalKey(Schema.String),
      contentType: Schema.optionalKey(Schema.String),
      ...target
    }),
    Schema.Struct({
      kind: Schema.Literal("truncated"),
      fraction: Schema.optionalKey(
        Schema.Number.check(Schema.isBetween({ minimum: 0, maximum: 1, exclusiveMaximum: true }))
      ),
      ...target
    }),
    Schema.Struct({
      kind: Schema.Literal("extra-fields"),
      fields: Schema.optionalKey(Schema.Record(Schema.String, Schema.Unknown)),
      ...target
    }),
    Schema.Struct({
      kind: Schema.Literal("unknown-status"),
      jobStatus: Schema.optionalKey(Schema.NullOr(Schema.String)),
      documentStatus: Schema.optionalKey(Schema.NullOr(Schema.String)),
      ...target
    }),
    Schema.Struct({ kind: Schema.Literal("echo-key"), status: Schema.optionalKey(ErrorStatus), ...target }),
    Schema.Struct({
      kind: Schema.Literal("redirect"),
      status: Schema.optionalKey(Schema.Literals([301, 302, 303, 307, 308])),
      location: Schema.optionalKey(Schema.String),
      ...target
    }),
    Schema.Struct({
      kind: Schema.Literal("huge-body"),
      bytes: Schema.optionalKey(Count),
      contentLength: Schema.optionalKey(Schema.Union([Schema.Boolean, Count])),
      chunkBytes: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThanOrEqualTo(1))),
      intervalMs: Schema.optionalKey(NonNegative),
      status: Schema.optionalKey(ErrorStatus),
      ...target
    })
    // Without it, an unknown kind is reported as every member's shape at once.
  ]).annotate({ expected: `a fault whose "kind" is one of ${KINDS.map((kind) => `"${kind}"`).join(", ")}` })

/**
 * A fault in JSON: any request's, optionally for one route, knowledge base or job.
 *
 * @example
 * Schema.decodeUnknownSync(FaultJson)({ kind: "rate-limit", retryAfter: 2, times: "always" })
 */
export const FaultJson = faultOf(requestTarget)
export type FaultJson = typeof FaultJson.Type

/**
 * A fault in JSON under a job of a scenario file: the job is its target.
 *
 * @example
 * Schema.decodeUnknownSync(JobFaultJson)({ kind: "server-error", status: 503, skip: 1 })
 */
export const JobFaultJson = faultOf(jobTarget)
export type JobFaultJson = typeof JobFaultJson.Type

/**
 * The `Fault` a JSON fault stands for (`times: "always"` is `Infinity`), aimed at `target` if given.
 *
 * @example
 * toFault({ kind: "drop", times: "always" }) // => { kind: "drop", times: Infinity }
 */
export const toFault = (
  json: FaultJson | JobFaultJson,
  target?: { readonly kbId: string; readonly jobId: string }
): Fault => {
  const { times, ...rest } = json
  // The schema mirrors `Fault` member by member; only `times` differs.
  return {
    ...rest,
    ...(times === undefined ? {} : { times: times === "always" ? Number.POSITIVE_INFINITY : times }),
    ...(target === undefined ? {} : { kbId: target.kbId, jobId: target.jobId, route: "get" as const })
  } as Fault
}

/**
 * A fault as JSON (`Infinity` times as `"always"`), for the control API.
 *
 * @example
 * toJson({ kind: "drop", times: Infinity }) // => { kind: "drop", times: "always" }
 */
export const toJson = (fault: Fault): Record<string, unknown> => ({
  ...fault,
  ...(fault.times === Number.POSITIVE_INFINITY ? { times: "always" } : {})
})
