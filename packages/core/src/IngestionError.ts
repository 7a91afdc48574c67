/**
 * The typed errors of the ingestion-jobs client, one tagged class per way a call can fail.
 *
 * Each API error carries the HTTP status and the API's own `type`, `code`, `param` and
 * `message` when the service sent them, the request's method and URL (never its headers), and
 * `isTransient`: whether it is worth retrying. The client retries transient errors by itself
 * (see `RetrySchedule`): a call fails with a terminal error, or a transient one once its retries ran
 * out; a wait never ends with a transient one (see `WaitError`). The classes are `Error`s:
 * `instanceof` works, and `_tag` tells them apart.
 *
 * @since 0.1.0
 */
import * as Predicate from "effect/Predicate"
import * as Schema from "effect/Schema"
import { JobError } from "./IngestionJob.js"
import * as internal from "./internal/ingestionError.js"

/**
 * The error body every error response of the API has.
 *
 * @example
 * ```ts
 * import { IngestionError } from "@tensoras/ingestion"
 * import * as Schema from "effect/Schema"
 *
 * Schema.decodeUnknownSync(IngestionError.ApiErrorBody)({
 *   error: { message: "Ingestion job 'job_abc123' not found", type: "not_found_error", param: "job_id", code: "ingestion_job_not_found" }
 * })
 * ```
 * @category schemas
 * @since 0.1.0
 */
export const ApiErrorBody = Schema.Struct({
  // The same object a failed job carries in its `error` field.
  error: JobError
}).annotate({ identifier: "ApiErrorBody" })

/**
 * @category models
 * @since 0.1.0
 */
export interface ApiErrorBody extends Schema.Schema.Type<typeof ApiErrorBody> {}

/**
 * Client-side validation failed before anything was sent: an ID, a limit, a status, a
 * duration, a URL or an option was not acceptable. `param` names the input.
 *
 * @example
 * ```ts
 * import { IngestionError } from "@tensoras/ingestion"
 *
 * const error = new IngestionError.InvalidInput({ param: "limit", message: "limit must be an integer from 1 to 100 (got 500)" })
 * error._tag // "InvalidInput"
 * ```
 * @category errors
 * @since 0.1.0
 */
export class InvalidInput extends Schema.TaggedError<InvalidInput>("@tensoras/ingestion/InvalidInput")(
  "InvalidInput",
  {
    /** The name of the input that was rejected. */
    param: Schema.String,
    message: Schema.String
  }
) {
  /** Never: the same input fails the same way. */
  get isTransient(): boolean {
    return false
  }
}

/**
 * 401: the API key is missing or wrong.
 *
 * @example
 * ```ts
 * import { IngestionError } from "@tensoras/ingestion"
 *
 * const isAuth = (e: IngestionError.IngestionError) => e._tag === "Unauthorized" || e._tag === "Forbidden"
 * ```
 * @category errors
 * @since 0.1.0
 */
export class Unauthorized extends Schema.TaggedError<Unauthorized>("@tensoras/ingestion/Unauthorized")(
  "Unauthorized",
  internal.ApiFields
) {
  get isTransient(): boolean {
    return false
  }
}

/**
 * 403: the API key is valid but may not read this resource.
 *
 * @example
 * ```ts
 * import { IngestionError } from "@tensoras/ingestion"
 *
 * declare const e: IngestionError.IngestionError
 * if (e instanceof IngestionError.Forbidden) console.error(e.code)
 * ```
 * @category errors
 * @since 0.1.0
 */
export class Forbidden extends Schema.TaggedError<Forbidden>("@tensoras/ingestion/Forbidden")(
  "Forbidden",
  internal.ApiFields
) {
  get isTransient(): boolean {
    return false
  }
}

/**
 * 404: the knowledge base or the job does not exist. `missing` says which (`knowledgeBase`, `job`,
 * or `unknown`, e.g. for a `baseUrl` without `/v1`), read from the API's `code` or `param`; derived
 * from them, so an error decoded from JSON (stored by 1.0 too) has it.
 *
 * @example
 * ```ts
 * import { IngestionError } from "@tensoras/ingestion"
 *
 * declare const e: IngestionError.IngestionError
 * if (e._tag === "NotFound") console.error(e.missing === "job" ? "no such job" : "no such knowledge base")
 * ```
 * @category errors
 * @since 0.1.0
 */
export class NotFound extends Schema.TaggedError<NotFound>("@tensoras/ingestion/NotFound")(
  "NotFound",
  internal.ApiFields
) {
  get isTransient(): boolean {
    return false
  }

  /** What is missing; `unknown`: a URL the API does not serve, or no API body. @since 1.1.0 */
  get missing(): "knowledgeBase" | "job" | "unknown" {
    return internal.missing(this)
  }
}

/**
 * 400 or 422: the service rejected a parameter (`param` names it).
 *
 * @example
 * ```ts
 * import { IngestionError } from "@tensoras/ingestion"
 *
 * declare const e: IngestionError.IngestionError
 * if (e._tag === "InvalidRequest") console.error(`bad ${e.param}: ${e.message}`)
 * ```
 * @category errors
 * @since 0.1.0
 */
export class InvalidRequest extends Schema.TaggedError<InvalidRequest>("@tensoras/ingestion/InvalidRequest")(
  "InvalidRequest",
  internal.ApiFields
) {
  get isTransient(): boolean {
    return false
  }
}

/**
 * 429: too many requests. `retryAfterMs` is the wait the `Retry-After` header asked for
 * (seconds or an HTTP date), when there was one.
 *
 * @example
 * ```ts
 * import { IngestionError } from "@tensoras/ingestion"
 *
 * declare const e: IngestionError.IngestionError
 * if (e._tag === "RateLimited") console.error(`retry after ${e.retryAfterMs ?? "?"} ms`)
 * ```
 * @category errors
 * @since 0.1.0
 */
export class RateLimited extends Schema.TaggedError<RateLimited>("@tensoras/ingestion/RateLimited")(
  "RateLimited",
  {
    ...internal.ApiFields,
    /** The wait the `Retry-After` header asked for, in milliseconds. */
    retryAfterMs: Schema.optionalKey(Schema.Number)
  }
) {
  get isTransient(): boolean {
    return true
  }
}

/**
 * 5xx: the service failed. Retried; a `Retry-After` it sent (503 often has one) is honoured.
 *
 * @example
 * ```ts
 * import { IngestionError } from "@tensoras/ingestion"
 *
 * declare const e: IngestionError.IngestionError
 * if (e._tag === "ServerError") console.error(`service error ${e.status}`)
 * ```
 * @category errors
 * @since 0.1.0
 */
export class ServerError extends Schema.TaggedError<ServerError>("@tensoras/ingestion/ServerError")(
  "ServerError",
  {
    ...internal.ApiFields,
    /** The wait the `Retry-After` header asked for, in milliseconds. */
    retryAfterMs: Schema.optionalKey(Schema.Number)
  }
) {
  get isTransient(): boolean {
    return true
  }
}

/**
 * The request did not get a response: the network failed, the connection dropped, or the
 * request timeout passed (`reason`): retried. `Deadline`: the caller's deadline (a wait's) came
 * before the request could be sent or answered: not retried.
 *
 * @example
 * ```ts
 * import { IngestionError } from "@tensoras/ingestion"
 *
 * declare const e: IngestionError.IngestionError
 * if (e._tag === "TransportError" && e.reason === "Timeout") console.error("the service is slow")
 * ```
 * @category errors
 * @since 0.1.0
 */
export class TransportError extends Schema.TaggedError<TransportError>("@tensoras/ingestion/TransportError")(
  "TransportError",
  {
    ...internal.RequestFields,
    reason: Schema.Literals(["Network", "Timeout", "Deadline"]),
    /** The system's error code (e.g. `ECONNREFUSED`), when the platform gave one. @since 1.1.0 */
    code: Schema.optionalKey(Schema.String),
    message: Schema.String
  }
) {
  get isTransient(): boolean {
    return this.reason !== "Deadline"
  }
}

/**
 * The service could not be reached: a client that never had a response (of any status) gave up after
 * `attempts` attempts without one (its `unreachableAfter`, default 6): connections refused, a host
 * that does not resolve, no answer in the request timeout (`reason`, `code`: the last attempt's). Not
 * transient: it ends the call, and waits, at once. Once the service has answered, the client never
 * raises it again: a later outage is retried, and a wait polls on to its deadline.
 *
 * @example
 * ```ts
 * import { IngestionError } from "@tensoras/ingestion"
 *
 * declare const e: IngestionError.IngestionError
 * if (e._tag === "Unreachable") console.error(`${e.code ?? e.reason}: is the service at ${new URL(e.url).origin}?`)
 * ```
 * @category errors
 * @since 1.1.0
 */
export class Unreachable extends Schema.TaggedError<Unreachable>("@tensoras/ingestion/Unreachable")(
  "Unreachable",
  {
    ...internal.RequestFields,
    /** What the last attempt met: no connection or no complete answer, or the request timeout. */
    reason: Schema.Literals(["Network", "Timeout"]),
    /** The system's error code of the last attempt (e.g. `ECONNREFUSED`), when the platform gave one. */
    code: Schema.optionalKey(Schema.String),
    /** Attempts made without a response, the last one included. */
    attempts: Schema.Number,
    message: Schema.String
  }
) {
  get isTransient(): boolean {
    return false
  }
}

/**
 * The response was not JSON, or not the documented shape, or its body was larger than the client's
 * `maxResponseBytes` (`reason: "TooLarge"`: cut off there, its connection closed; not retried, the same
 * request would get the same body). `excerpt` holds the start of the body (the API key, should the
 * service echo it, masked).
 *
 * @example
 * ```ts
 * import { IngestionError } from "@tensoras/ingestion"
 *
 * declare const e: IngestionError.IngestionError
 * if (e._tag === "ResponseDecodeError") console.error(e.reason === "TooLarge" ? "raise maxResponseBytes" : e.excerpt)
 * ```
 * @category errors
 * @since 0.1.0
 */
export class ResponseDecodeError extends Schema.TaggedError<ResponseDecodeError>(
  "@tensoras/ingestion/ResponseDecodeError"
)("ResponseDecodeError", {
  ...internal.RequestFields,
  status: Schema.Number,
  message: Schema.String,
  /** The first characters of the body that could not be decoded. */
  excerpt: Schema.String,
  /** `TooLarge`: a body over `maxResponseBytes`; `Malformed`: any other. @since 1.1.0 */
  reason: internal.DecodeReason
}) {
  get isTransient(): boolean {
    return false
  }
}

/**
 * Every error a client call can fail with, as a schema (to persist or send errors as JSON)
 * and as a type.
 *
 * @example
 * ```ts
 * import { IngestionError } from "@tensoras/ingestion"
 *
 * const describe = (e: IngestionError.IngestionError): string =>
 *   e._tag === "NotFound" ? `no such ${e.missing === "job" ? "job" : "knowledge base"}` : e.message
 * ```
 * @category schemas
 * @since 0.1.0
 */
export const IngestionError = Schema.Union([
  InvalidInput,
  Unauthorized,
  Forbidden,
  NotFound,
  InvalidRequest,
  RateLimited,
  ServerError,
  TransportError,
  ResponseDecodeError,
  Unreachable
])

/**
 * @category models
 * @since 0.1.0
 */
export type IngestionError = typeof IngestionError.Type

const tags: ReadonlySet<string> = /* @__PURE__ */ (() =>
  new Set(IngestionError.members.map((member) => member.fields._tag.schema.literal)))()

/**
 * Whether a value is one of this library's errors.
 *
 * @example
 * ```ts
 * import { IngestionError } from "@tensoras/ingestion"
 *
 * declare const thrown: unknown
 * if (IngestionError.isIngestionError(thrown)) console.error(thrown._tag, thrown.message)
 * ```
 * @category guards
 * @since 0.1.0
 */
export const isIngestionError = (u: unknown): u is IngestionError =>
  u instanceof Error && Predicate.hasProperty(u, "_tag") && tags.has(u._tag as string)

/**
 * Whether an error is worth retrying: 429, 5xx and transport failures.
 *
 * @example
 * ```ts
 * import { IngestionError } from "@tensoras/ingestion"
 *
 * declare const e: IngestionError.IngestionError
 * IngestionError.isTransient(e)
 * ```
 * @category predicates
 * @since 0.1.0
 */
export const isTransient = (error: IngestionError): boolean => error.isTransient

/**
 * What went wrong, in a few words for a progress line or a log: `ECONNREFUSED 127.0.0.1:9`, `no
 * response from api.tensoras.ai in 30s`, `HTTP 429 rate limited`, `HTTP 503 service_unavailable`,
 * `bad limit`. Only the URL's host is shown (the key is never in a URL).
 *
 * @example
 * ```ts
 * import { IngestionError } from "@tensoras/ingestion"
 *
 * declare const e: IngestionError.IngestionError
 * console.error(`${IngestionError.summarize(e)}, giving up`) // "ECONNREFUSED 127.0.0.1:9, giving up"
 * ```
 * @category utils
 * @since 1.1.0
 */
export const summarize: (error: IngestionError) => string = internal.summarize
