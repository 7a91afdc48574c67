import * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import {
  ApiErrorBody,
  Forbidden,
  type IngestionError,
  InvalidRequest,
  NotFound,
  RateLimited,
  ResponseDecodeError,
  ServerError,
  TransportError,
  Unauthorized
} from "../IngestionError.js"

const EXCERPT_LENGTH = 200

/** Masks every occurrence of the API key in text that came from the network. */
export type Scrub = (text: string) => string

export const makeScrub =
  (secret: string): Scrub =>
  (text) =>
    secret.length > 0 && text.includes(secret) ? text.split(secret).join("<redacted>") : text

/**
 * The wait a `Retry-After` header asks for: delay-seconds or an HTTP date, measured against the
 * Effect clock (so tests move it with `TestClock`). Unparseable values are ignored.
 */
export const parseRetryAfter = (header: string | undefined, nowMillis: number): number | undefined => {
  if (header === undefined) return undefined
  const trimmed = header.trim()
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000
  const date = Date.parse(trimmed)
  if (Number.isNaN(date)) return undefined
  return Math.max(0, date - nowMillis)
}

interface RequestInfo {
  readonly method: string
  readonly url: string
}

const requestInfo = (request: HttpClientRequest.HttpClientRequest): RequestInfo => ({
  method: request.method,
  url: request.url
})

const STATUS_TEXT: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  408: "Request Timeout",
  422: "Unprocessable Entity",
  429: "Too Many Requests",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout"
}

const decodeErrorBody = Schema.decodeUnknownEither(Schema.parseJson(ApiErrorBody))

/** Maps a non-2xx response to its typed error. */
const errorFromStatus = (
  response: HttpClientResponse.HttpClientResponse,
  body: string,
  scrub: Scrub,
  nowMillis: number
): IngestionError => {
  const { status } = response
  const info = requestInfo(response.request)
  const parsed = decodeErrorBody(body)
  const api = Either.isRight(parsed) ? parsed.right.error : undefined
  const fields = {
    ...info,
    status,
    message: scrub(api?.message ?? `HTTP ${status}${STATUS_TEXT[status] ? ` ${STATUS_TEXT[status]}` : ""}`),
    ...(api?.type != null ? { type: api.type } : {}),
    ...(api?.code != null ? { code: api.code } : {}),
    ...(api?.param != null ? { param: api.param } : {})
  }
  const retryAfterMs = parseRetryAfter(response.headers["retry-after"], nowMillis)
  const retryAfter = retryAfterMs === undefined ? {} : { retryAfterMs }
  switch (status) {
    case 400:
    case 422:
      return new InvalidRequest(fields)
    case 401:
      return new Unauthorized(fields)
    case 403:
      return new Forbidden(fields)
    case 404:
      return new NotFound(fields)
    case 408:
      return new TransportError({ ...info, reason: "Timeout", message: fields.message })
    case 429:
      return new RateLimited({ ...fields, ...retryAfter })
  }
  if (status >= 500) return new ServerError({ ...fields, ...retryAfter })
  if (status >= 400) return new InvalidRequest(fields)
  return new ResponseDecodeError({
    ...info,
    status,
    message: `Unexpected HTTP status ${status}`,
    excerpt: scrub(body.slice(0, EXCERPT_LENGTH))
  })
}

/** Decodes a 2xx body with `schema`, or fails with a {@link ResponseDecodeError}. */
const decodeBody = <A, I>(
  schema: Schema.Schema<A, I>,
  response: HttpClientResponse.HttpClientResponse,
  body: string,
  scrub: Scrub
): Either.Either<A, ResponseDecodeError> => {
  let json: unknown
  try {
    json = JSON.parse(body)
  } catch {
    return Either.left(
      new ResponseDecodeError({
        ...requestInfo(response.request),
        status: response.status,
        message: `The response body is not JSON (content-type ${response.headers["content-type"] ?? "none"})`,
        excerpt: scrub(body.slice(0, EXCERPT_LENGTH))
      })
    )
  }
  return Schema.decodeUnknownEither(schema)(json).pipe(
    Either.mapLeft(
      (error) =>
        new ResponseDecodeError({
          ...requestInfo(response.request),
          status: response.status,
          message: `The response is not the documented shape: ${scrub(ParseResult.TreeFormatter.formatErrorSync(error))}`,
          excerpt: scrub(body.slice(0, EXCERPT_LENGTH))
        })
    )
  )
}

/**
 * Reads the whole response and turns it into the decoded value or a typed error. Reading the
 * body is part of the request: a connection dropped mid-body is a transport failure.
 */
export const handle = <A, I>(
  schema: Schema.Schema<A, I>,
  scrub: Scrub
): ((response: HttpClientResponse.HttpClientResponse) => Effect.Effect<A, IngestionError>) => {
  return (response) =>
    Effect.flatMap(
      Effect.mapError(response.text, (error) => transportError(error)),
      (body) => {
        if (response.status >= 200 && response.status < 300) {
          return decodeBody(schema, response, body, scrub)
        }
        return Effect.flatMap(Clock.currentTimeMillis, (now) =>
          Effect.fail(errorFromStatus(response, body, scrub, now))
        )
      }
    )
}

/** A platform transport or body-read failure, without the request (its headers hold the key). */
export const transportError = (error: HttpClientError.HttpClientError): TransportError => {
  const cause = error.cause instanceof Error ? error.cause : undefined
  const detail = cause
    ? `${cause.message}${cause.cause instanceof Error ? `: ${cause.cause.message}` : ""}`
    : ""
  return new TransportError({
    ...requestInfo(error.request),
    reason: "Network",
    message: `The request failed before a complete response arrived${detail ? ` (${detail})` : ""}`
  })
}

export const isHttpClientError = HttpClientError.isHttpClientError
