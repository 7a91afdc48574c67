/**
 * A response's body as text, never more than `maxResponseBytes` of it: a `Content-Length` over the
 * limit is refused before a byte is read; any other body is counted as it arrives and cut off as
 * soon as it passes the limit (its stream cancelled), so a body of 4 GB costs the limit in memory,
 * not 4 GB. The caller aborts the request of a body it did not read to its end (`request.ts`: a
 * failed attempt closes its Scope). Runtime-neutral: `HttpClientResponse`'s `text` and `stream`, and a
 * fetch response's own web stream (`HttpClientResponse.toWeb`); no `node:*`.
 */
import * as Effect from "effect/Effect"
import * as HttpClientError from "effect/http/HttpClientError"
import * as HttpClientResponse from "effect/http/HttpClientResponse"
import * as Stream from "effect/Stream"

/**
 * The default `maxResponseBytes`, 8 MiB. The largest answer the spec bounds, a list page of 100 jobs
 * (no `document_details`), is 27 KB (55 KB if every job failed with a 200-character message); a job's
 * `document_details` has one entry per document, unbounded (116 bytes for the spec's completed one, 210
 * to 350 with an error), so 8 MiB holds one job of some 72,000 completed documents or 24,000 failed
 * ones, or, were a list page to carry them, 100 jobs of 700 documents each.
 */
export const DEFAULT_MAX_RESPONSE_BYTES = 8 * 1024 * 1024

/** A body over the limit: what is known of it, for the error. */
export interface TooLarge {
  readonly _tag: "TooLarge"
  /** The `Content-Length` that was over the limit (nothing read), or `undefined` for a body cut off. */
  readonly declared: number | undefined
  /** Bytes received before the body was cut off (the one chunk that passed the limit included). */
  readonly received: number
  /** The start of what was received, decoded (not scrubbed yet): the error's excerpt comes from it. */
  readonly head: string
}

/** What a read gives: the whole body as text, or what is known of a body over the limit. */
export type Body = string | TooLarge

const decoder = new TextDecoder()
const MORE = Effect.succeed(true)
const STOP = Effect.succeed(false)

/**
 * The bytes of a cut-off body decoded for its excerpt: enough for 200 characters and for a key that
 * starts among them to be whole, so that scrubbing masks it (a key cut at the end would not be).
 */
const HEAD_BYTES = 4096

/** The body's `Content-Length`, when it has a valid one. */
const contentLength = (response: HttpClientResponse.HttpClientResponse): number | undefined => {
  const header = response.headers["content-length"]
  if (header === undefined) return undefined
  const trimmed = header.trim()
  return /^\d{1,16}$/.test(trimmed) ? Number(trimmed) : undefined
}

/** Whether the platform's client may have decompressed the body: `Content-Length` does not bound it then. */
const isEncoded = (response: HttpClientResponse.HttpClientResponse): boolean => {
  const encoding = response.headers["content-encoding"]
  return encoding !== undefined && encoding.trim().toLowerCase() !== "identity"
}

/** A fetch response without a body (`null`, a redirect's) is an empty one, as `text` reads it. */
const emptyIfNone = (
  error: HttpClientError.HttpClientError
): Effect.Effect<Body, HttpClientError.HttpClientError> =>
  error.reason._tag === "EmptyBodyError" ? Effect.succeed("") : Effect.fail(error)

/** The chunks of a body as one text (one chunk, the usual case, is decoded as it is). */
const decode = (chunks: ReadonlyArray<Uint8Array>, size: number): string => {
  if (chunks.length === 1) return decoder.decode(chunks[0])
  const bytes = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) {
    bytes.set(chunk, offset)
    offset += chunk.length
  }
  return decoder.decode(bytes)
}

/** The first {@link HEAD_BYTES} of the chunks kept and of the one that passed the limit, decoded. */
const headOf = (chunks: ReadonlyArray<Uint8Array>, over: Uint8Array): string => {
  const bytes = new Uint8Array(HEAD_BYTES)
  let filled = 0
  for (let index = 0; index <= chunks.length && filled < HEAD_BYTES; index++) {
    const chunk = chunks[index] ?? over
    const taken = Math.min(chunk.length, HEAD_BYTES - filled)
    bytes.set(chunk.subarray(0, taken), filled)
    filled += taken
  }
  return decoder.decode(bytes.subarray(0, filled))
}

const tooLarge = (chunks: ReadonlyArray<Uint8Array>, over: Uint8Array, received: number): TooLarge => ({
  _tag: "TooLarge",
  declared: undefined,
  received,
  head: headOf(chunks, over)
})

const decodeError = (response: HttpClientResponse.HttpClientResponse, cause: unknown) =>
  new HttpClientError.HttpClientError({
    reason: new HttpClientError.DecodeError({ request: response.request, response, cause })
  })

const ignore = () => {}

/**
 * A fetch response's body, read from its web `ReadableStream` chunk by chunk and cancelled once it
 * passes `max` bytes: as cheap as `Response.text()` (an Effect `Stream` over the same reader costs some
 * 30 µs more per response). Always counted, whatever its `Content-Length`: `fetch` decompresses, and a
 * browser hides `Content-Encoding` from a cross-origin reader the API did not expose it to.
 */
const countedWeb = (
  response: HttpClientResponse.HttpClientResponse,
  web: Response,
  max: number
): Effect.Effect<Body, HttpClientError.HttpClientError> => {
  const stream = web.body
  if (stream === null) return Effect.succeed("")
  return Effect.callback<Body, HttpClientError.HttpClientError>((resume) => {
    const reader = stream.getReader()
    const chunks: Array<Uint8Array> = []
    let size = 0
    const failed = (cause: unknown) => resume(Effect.fail(decodeError(response, cause)))
    const step = (result: ReadableStreamReadResult<Uint8Array>): void => {
      if (result.done) {
        resume(Effect.succeed(size === 0 ? "" : decode(chunks, size)))
        return
      }
      size += result.value.length
      if (size > max) {
        reader.cancel().catch(ignore)
        resume(Effect.succeed(tooLarge(chunks, result.value, size)))
        return
      }
      chunks.push(result.value)
      reader.read().then(step, failed)
    }
    reader.read().then(step, failed)
    // Interrupted (a timeout, an abort): the request's Scope aborts the fetch; the read stops with it.
    return Effect.sync(() => reader.cancel().catch(ignore))
  })
}

/** The body read chunk by chunk, and cut off (its stream ended: cancelled) once it passes `max` bytes. */
const counted = (
  response: HttpClientResponse.HttpClientResponse,
  max: number
): Effect.Effect<Body, HttpClientError.HttpClientError> =>
  Effect.suspend(() => {
    const chunks: Array<Uint8Array> = []
    let size = 0
    let over: Uint8Array | undefined
    const keep = (chunk: Uint8Array): Effect.Effect<boolean> => {
      size += chunk.length
      if (size > max) {
        over = chunk
        return STOP
      }
      chunks.push(chunk)
      return MORE
    }
    return Effect.catch(
      Effect.map(Stream.runForEachWhile(response.stream, keep), (): Body => {
        return over === undefined ? (size === 0 ? "" : decode(chunks, size)) : tooLarge(chunks, over, size)
      }),
      emptyIfNone
    )
  })

/**
 * The body of `response` as text, or {@link TooLarge} when it has more than `max` bytes. A fetch
 * response is counted as it arrives from its web stream; any other whose `Content-Length` is within the
 * limit (and that the platform did not decompress) is read whole at once, HTTP's framing stopping it at
 * that length (the cheapest read, undici's on Node); any other is counted as it arrives.
 */
export const read = (
  response: HttpClientResponse.HttpClientResponse,
  max: number
): Effect.Effect<Body, HttpClientError.HttpClientError> => {
  const declared = contentLength(response)
  if (declared !== undefined && declared > max) {
    return Effect.succeed({ _tag: "TooLarge", declared, received: 0, head: "" })
  }
  // Our requests are scoped (`HttpClient.withScope`): handing the web body over changes nothing else.
  const web = HttpClientResponse.toWeb(response)
  if (web._tag === "Some") return countedWeb(response, web.value, max)
  return declared !== undefined && !isEncoded(response) ? response.text : counted(response, max)
}
