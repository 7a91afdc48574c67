/**
 * What the error classes of `IngestionError` share (their request and API fields), what `NotFound`
 * derives from the API's body, why an answer could not be read, and the few words
 * `IngestionError.summarize` gives for an error.
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as SchemaGetter from "effect/SchemaGetter"
import type { IngestionError, NotFound } from "../IngestionError.js"

/** The fields of every error about a request. */
export const RequestFields = {
  /** The HTTP method of the request that failed. */
  method: Schema.String,
  /** The URL of the request that failed (the API key is a header, never part of it). */
  url: Schema.String
}

/** The fields of every error the API answered with. */
export const ApiFields = {
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

const DECODE_REASONS = Schema.Literals(["Malformed", "TooLarge"])
type DecodeReason = typeof DECODE_REASONS.Type

/**
 * Why an answer could not be read (`ResponseDecodeError.reason`): `TooLarge`, a body over the client's
 * `maxResponseBytes`, not read to its end; `Malformed`, any other. `Malformed` is the default of a
 * constructor and is left out of the JSON (which reads back as it): an error is written as 1.0 wrote it,
 * and JSON written by 1.0 reads as it did; only `TooLarge` is written.
 */
export const DecodeReason = Schema.optionalKey(DECODE_REASONS).pipe(
  Schema.decodeTo(DECODE_REASONS, {
    decode: SchemaGetter.transformOptional((reason: Option.Option<DecodeReason>) =>
      Option.orElseSome(reason, () => "Malformed" as const)
    ),
    encode: SchemaGetter.transformOptional((reason: Option.Option<DecodeReason>) =>
      Option.filter(reason, (value) => value !== "Malformed")
    )
  }),
  Schema.withConstructorDefault(Effect.succeed("Malformed" as const))
)

/**
 * What a 404 says is missing, from the API's body (the spec's: `code` `ingestion_job_not_found`,
 * `param` `job_id`; the knowledge base's: `knowledge_base_not_found`, `kb_id`). The code wins: it
 * names the resource, where `param` names the input.
 */
export const missing = (error: Pick<NotFound, "code" | "param">): "knowledgeBase" | "job" | "unknown" => {
  if (error.code === "knowledge_base_not_found") return "knowledgeBase"
  if (error.code === "ingestion_job_not_found") return "job"
  return error.param === "kb_id" ? "knowledgeBase" : error.param === "job_id" ? "job" : "unknown"
}

/** The host (and port) of a URL, or the URL itself when it does not parse. */
const hostOf = (url: string): string => {
  try {
    return new URL(url).host
  } catch {
    return url
  }
}

/** `HTTP 503 service_unavailable`: the status, and the API's code when it sent one. */
const http = (status: number, code: string | undefined) =>
  `HTTP ${status}${code === undefined ? "" : ` ${code}`}`

/** A request without a response: the system's code (`ECONNREFUSED`) when there is one, and the host. */
const noResponse = (reason: string, code: string | undefined, url: string): string =>
  code !== undefined
    ? `${code} ${hostOf(url)}`
    : reason === "Timeout"
      ? `no response from ${hostOf(url)} in time`
      : `no connection to ${hostOf(url)}`

/** See `IngestionError.summarize`. */
export const summarize = (error: IngestionError): string => {
  switch (error._tag) {
    case "TransportError":
      return error.reason === "Deadline"
        ? "the deadline passed"
        : noResponse(error.reason, error.code, error.url)
    case "Unreachable":
      return noResponse(error.reason, error.code, error.url)
    case "RateLimited":
      return `HTTP ${error.status} rate limited`
    case "InvalidInput":
      return `bad ${error.param}`
    case "ResponseDecodeError":
      return error.reason === "TooLarge"
        ? `an answer over the size limit (HTTP ${error.status})`
        : `an answer that cannot be read (HTTP ${error.status})`
    default:
      return http(error.status, error.code)
  }
}
