import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import type * as HttpClientError from "effect/http/HttpClientError"
import type * as HttpClientRequest from "effect/http/HttpClientRequest"
import type * as HttpClientResponse from "effect/http/HttpClientResponse"
import * as Result from "effect/Result"
import type * as Schema from "effect/Schema"
import * as SchemaIssue from "effect/SchemaIssue"
import * as SchemaParser from "effect/SchemaParser"
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
import * as ResponseBody from "./responseBody.js"
import { type Scrub, scrubJson } from "./scrub.js"

const EXCERPT_LENGTH = 200

/**
 * The parsed, scrubbed JSON of a (scrubbed) body, or `undefined` when it is not JSON.
 *
 * Without a backslash in the text, every string JSON.parse returns (property names included) is
 * the text between two quotes, verbatim: the text was scrubbed, so they are too, and the walk
 * over every string (a copy of the whole value) is skipped. Only an escape (`\u0074ns_…`, `\/`)
 * can make a parsed string differ from the text it came from.
 */
const parseJson = (text: string, scrub: Scrub): { readonly json: unknown } | undefined => {
  try {
    const json: unknown = JSON.parse(text)
    return { json: text.includes("\\") ? scrubJson(json, scrub) : json }
  } catch {
    return undefined
  }
}

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

const decodeErrorBody = SchemaParser.decodeUnknownResult(ApiErrorBody)

/** The text of a decode failure, as `ResponseDecodeError.message` shows it. */
const formatIssue = SchemaIssue.makeFormatterDefault()

/**
 * Whether the platform's client followed a redirect to get this response (`fetch` does by default).
 * The web `Response` is the fetch client's `source`, under the wrappers (`original`) Effect adds.
 */
const followedRedirect = (response: HttpClientResponse.HttpClientResponse): boolean => {
  let current: unknown = response
  for (let depth = 0; depth < 5 && typeof current === "object" && current !== null; depth++) {
    const { source, original } = current as { readonly source?: unknown; readonly original?: unknown }
    if (typeof source === "object" && source !== null) {
      return (source as { readonly redirected?: unknown }).redirected === true
    }
    current = original
  }
  return false
}

/** A redirect the client did not follow (3xx, or a browser's opaque redirect: status 0), or did follow. */
const isRedirect = (response: HttpClientResponse.HttpClientResponse): boolean =>
  (response.status >= 300 && response.status < 400) || response.status === 0 || followedRedirect(response)

/** Where a redirect points, without its query (scrubbed anyway), for the error's message. */
const redirectTarget = (location: string | undefined, base: string, scrub: Scrub): string | undefined => {
  if (location === undefined) return undefined
  try {
    const url = new URL(location, base)
    return scrub(`${url.origin}${url.pathname}`)
  } catch {
    return undefined
  }
}

/**
 * A redirect, never followed: the key is only ever sent to the base URL. Not transient: the same
 * request gets the same answer; the fix is a `baseUrl` that points where the service now is.
 */
const redirectError = (
  response: HttpClientResponse.HttpClientResponse,
  body: string,
  scrub: Scrub
): ResponseDecodeError => {
  const info = requestInfo(response.request)
  const followed = followedRedirect(response)
  const target = followed ? undefined : redirectTarget(response.headers.location, info.url, scrub)
  const answered =
    followed || response.status === 0
      ? "a redirect"
      : `HTTP ${response.status}, a redirect${target ? ` to ${target}` : ""}`
  return new ResponseDecodeError({
    ...info,
    status: response.status,
    message: `The service answered ${answered}: the client does not follow redirects (the API key is sent to the base URL only); set baseUrl to where the API now is`,
    excerpt: body.slice(0, EXCERPT_LENGTH)
  })
}

/** Maps a non-2xx response to its typed error. */
const errorFromStatus = (
  response: HttpClientResponse.HttpClientResponse,
  body: string,
  scrub: Scrub,
  nowMillis: number
): IngestionError => {
  const { status } = response
  const info = requestInfo(response.request)
  const json = parseJson(body, scrub)
  const parsed = json === undefined ? undefined : decodeErrorBody(json.json)
  const api = parsed !== undefined && Result.isSuccess(parsed) ? parsed.success.error : undefined
  const fields = {
    ...info,
    status,
    message: api?.message ?? `HTTP ${status}${STATUS_TEXT[status] ? ` ${STATUS_TEXT[status]}` : ""}`,
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
    excerpt: body.slice(0, EXCERPT_LENGTH)
  })
}

/**
 * A hand-written decoder that accepts exactly what a schema accepts and builds the same value, for
 * the shapes read on every poll (see `fastDecode.ts`): `undefined` means "ask the schema".
 */
export type FastDecoder<A> = (json: unknown) => A | undefined

/**
 * Decodes a 2xx body (already scrubbed) with `fast` when it accepts the value, else with `schema`,
 * or fails with a {@link ResponseDecodeError}.
 */
const decodeBody = <A, I>(
  schema: Schema.Codec<A, I>,
  response: HttpClientResponse.HttpClientResponse,
  body: string,
  scrub: Scrub,
  fast: FastDecoder<A> | undefined
): Result.Result<A, ResponseDecodeError> => {
  const parsed = parseJson(body, scrub)
  if (parsed === undefined) {
    return Result.fail(
      new ResponseDecodeError({
        ...requestInfo(response.request),
        status: response.status,
        message: `The response body is not JSON (content-type ${scrub(response.headers["content-type"] ?? "none")})`,
        excerpt: body.slice(0, EXCERPT_LENGTH)
      })
    )
  }
  if (fast !== undefined) {
    const decoded = fast(parsed.json)
    if (decoded !== undefined) return Result.succeed(decoded)
  }
  return SchemaParser.decodeUnknownResult(schema)(parsed.json).pipe(
    Result.mapError(
      (issue) =>
        new ResponseDecodeError({
          ...requestInfo(response.request),
          status: response.status,
          message: `The response is not the documented shape: ${scrub(formatIssue(issue))}`,
          excerpt: body.slice(0, EXCERPT_LENGTH)
        })
    )
  )
}

/** A 2xx body over the limit: a {@link ResponseDecodeError} (`TooLarge`), not transient. */
const tooLargeError = (
  response: HttpClientResponse.HttpClientResponse,
  body: ResponseBody.TooLarge,
  scrub: Scrub,
  max: number
): ResponseDecodeError =>
  new ResponseDecodeError({
    ...requestInfo(response.request),
    status: response.status,
    reason: "TooLarge",
    message:
      body.declared === undefined
        ? `The response body is larger than maxResponseBytes (${max} bytes): cut off after ${body.received} bytes, its connection closed`
        : `The response body is larger than maxResponseBytes (${max} bytes): its Content-Length is ${body.declared}; not read, its connection closed`,
    excerpt: scrub(body.head).slice(0, EXCERPT_LENGTH)
  })

/**
 * Reads the response (its body up to `maxBytes`: `responseBody.ts`) and turns it into the decoded
 * value or a typed error. Reading the body is part of the request: a connection dropped mid-body is a
 * transport failure. A 2xx body over the limit is a {@link ResponseDecodeError} (`TooLarge`); any
 * other status is its own error, from the status alone (a redirect's excerpt from the body's start).
 *
 * The one place where the server's text enters the library: the body is scrubbed of the key and of
 * any `Bearer …` token before it is parsed, and every string of the parsed JSON again (a key written
 * with JSON escapes), so no job, document, error, event, snapshot or log built from it can hold them.
 * A redirect is never followed: it is a {@link ResponseDecodeError} saying so.
 */
export const handle = <A, I>(
  schema: Schema.Codec<A, I>,
  scrub: Scrub,
  maxBytes: number,
  fast?: FastDecoder<A>
): ((response: HttpClientResponse.HttpClientResponse) => Effect.Effect<A, IngestionError>) => {
  return (response) =>
    Effect.flatMap(
      Effect.mapError(ResponseBody.read(response, maxBytes), (error) => transportError(error)),
      (read) => {
        const ok = response.status >= 200 && response.status < 300
        if (typeof read !== "string" && ok && !isRedirect(response)) {
          return Effect.fail(tooLargeError(response, read, scrub, maxBytes))
        }
        const body = scrub(typeof read === "string" ? read : read.head)
        if (isRedirect(response)) return Effect.fail(redirectError(response, body, scrub))
        if (ok) return Effect.fromResult(decodeBody(schema, response, body, scrub, fast))
        // An error body over the limit is not read: the status tells the error, without the API's fields.
        const text = typeof read === "string" ? body : ""
        return Effect.flatMap(Clock.currentTimeMillis, (now) =>
          Effect.fail(errorFromStatus(response, text, scrub, now))
        )
      }
    )
}

/**
 * A failure of the platform client, without the request (its headers hold the key). Whatever its
 * reason, no complete response was read: a `TransportError` (`Network`), transient.
 *
 * - `TransportError`: the request got no response (refused, reset, DNS, aborted).
 * - `DecodeError`: the body could not be read to its end (a connection dropped mid-body).
 * - `EmptyBodyError`, `StatusCodeError`: not raised on this path (the body is read as text, and a
 *   status is ours to classify: see {@link handle}); a client of the caller's that raises them has
 *   failed to give a response all the same.
 * - `InvalidUrlError`, `EncodeError`: not raised for our requests (a validated base URL, a GET
 *   without a body); likewise.
 */
export const transportError = (error: HttpClientError.HttpClientError): TransportError => {
  const cause = error.reason.cause instanceof Error ? error.reason.cause : undefined
  const detail = cause
    ? `${cause.message}${cause.cause instanceof Error ? `: ${cause.cause.message}` : ""}`
    : ""
  const code = systemCode(cause)
  return new TransportError({
    ...requestInfo(error.request),
    reason: "Network",
    ...(code === undefined ? {} : { code }),
    message: `The request failed before a complete response arrived${detail ? ` (${detail})` : ""}`
  })
}

/** `ECONNREFUSED`, `ENOTFOUND`, `UND_ERR_SOCKET`, ...: the shape of a system error's `code`. */
const SYSTEM_CODE = /^E[A-Z0-9_]+$|^UND_ERR_[A-Z0-9_]+$/

/**
 * The system's code of a failure without a response, from the error the platform raised or the
 * errors it wraps: undici raises `Error { code: "ECONNREFUSED" }`, Node's fetch a `TypeError("fetch
 * failed")` whose `cause` has it (an `AggregateError` of one error per address for a host with
 * several). Browsers and Deno give none ("Failed to fetch"): `undefined`.
 */
export const systemCode = (error: unknown): string | undefined => {
  let current = error
  for (let depth = 0; depth < 4 && typeof current === "object" && current !== null; depth++) {
    const { code, cause, errors } = current as { code?: unknown; cause?: unknown; errors?: unknown }
    if (typeof code === "string" && SYSTEM_CODE.test(code)) return code
    current = cause ?? (Array.isArray(errors) ? errors[0] : undefined)
  }
  return undefined
}
