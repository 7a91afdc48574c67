/**
 * The typed errors of the ingestion-jobs client, one tagged class per way a call can fail.
 *
 * Each API error carries the HTTP status and the API's own `type`, `code`, `param` and
 * `message` when the service sent them, the request's method and URL (never its headers), and
 * `isTransient`: whether it is worth retrying. The client retries transient errors by itself
 * (see `RetrySchedule`); what reaches you is either terminal or a transient error whose retries
 * ran out. The classes are `Error`s: `instanceof` works, and `_tag` tells them apart.
 *
 * @since 0.1.0
 */
import * as Predicate from "effect/Predicate"
import * as Schema from "effect/Schema"
import { JobError } from "./IngestionJob.js"

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

const RequestFields = {
  /** The HTTP method of the request that failed. */
  method: Schema.String,
  /** The URL of the request that failed (the API key is a header, never part of it). */
  url: Schema.String
}

const ApiFields = {
  ...RequestFields,
  /** The HTTP status code of the response. */
  status: Schema.Number,
  /** The API's error `type`, e.g. `not_found_error`, when the body had one. */
  type: Schema.optionalKey(Schema.String),
  /** The API's error `code`, e.g. `ingestion_job_not_found`, when the body had one. */
  code: Schema.optionalKey(Schema.String),
  /** The request parameter the error is about, e.g. `job_id`, when the body named one. */
  param: Schema.optionalKey(Schema.String),
  message: Schema.String
}

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
  ApiFields
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
  ApiFields
) {
  get isTransient(): boolean {
    return false
  }
}

/**
 * 404: the knowledge base or the job does not exist (`code` e.g. `ingestion_job_not_found`).
 *
 * @example
 * ```ts
 * import { IngestionError } from "@tensoras/ingestion"
 *
 * declare const e: IngestionError.IngestionError
 * if (e._tag === "NotFound" && e.code === "ingestion_job_not_found") console.error("no such job")
 * ```
 * @category errors
 * @since 0.1.0
 */
export class NotFound extends Schema.TaggedError<NotFound>("@tensoras/ingestion/NotFound")(
  "NotFound",
  ApiFields
) {
  get isTransient(): boolean {
    return false
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
  ApiFields
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
    ...ApiFields,
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
    ...ApiFields,
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
    ...RequestFields,
    reason: Schema.Literals(["Network", "Timeout", "Deadline"]),
    message: Schema.String
  }
) {
  get isTransient(): boolean {
    return this.reason !== "Deadline"
  }
}

/**
 * The response was not JSON, or not the documented shape. `excerpt` holds the start of the
 * body (with the API key, should the service echo it, masked).
 *
 * @example
 * ```ts
 * import { IngestionError } from "@tensoras/ingestion"
 *
 * declare const e: IngestionError.IngestionError
 * if (e._tag === "ResponseDecodeError") console.error(e.message, e.excerpt)
 * ```
 * @category errors
 * @since 0.1.0
 */
export class ResponseDecodeError extends Schema.TaggedError<ResponseDecodeError>(
  "@tensoras/ingestion/ResponseDecodeError"
)("ResponseDecodeError", {
  ...RequestFields,
  status: Schema.Number,
  message: Schema.String,
  /** The first characters of the body that could not be decoded. */
  excerpt: Schema.String
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
 * const describe = (e: IngestionError.IngestionError): string => {
 *   switch (e._tag) {
 *     case "InvalidInput": return `bad ${e.param}`
 *     case "NotFound": return e.code ?? "not found"
 *     default: return e.message
 *   }
 * }
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
  ResponseDecodeError
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
 * try {
 *   // ...
 * } catch (e) {
 *   if (IngestionError.isIngestionError(e)) console.error(e._tag, e.message)
 * }
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
