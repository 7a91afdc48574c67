/**
 * An `HttpClient` on undici's `Dispatcher.request`, not on undici's `fetch`: no WHATWG `Request`,
 * `Response`, `Headers` or web stream per request, about half the client CPU of a poll.
 * After `@effect/platform-node`'s undici client in `NodeHttpClient.ts` (MIT), without that package.
 *
 * What the fetch path did, kept: a redirect is answered, never followed (`Dispatcher.request`
 * does not follow one); the request's `AbortSignal` stops the request and its body at once; no
 * timeout of undici's own (the caller's `Effect` timeouts decide). A body is read to its end, or
 * destroyed by the abort: the socket goes back to the pool, or is closed.
 */
import { Readable } from "node:stream"
import type { ReadableStream as NodeWebReadableStream } from "node:stream/web"
import * as Effect from "effect/Effect"
import * as Cookies from "effect/http/Cookies"
import * as Headers from "effect/http/Headers"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientError from "effect/http/HttpClientError"
import type * as HttpClientRequest from "effect/http/HttpClientRequest"
import * as HttpClientResponse from "effect/http/HttpClientResponse"
import * as HttpIncomingMessage from "effect/http/HttpIncomingMessage"
import * as UrlParams from "effect/http/UrlParams"
import * as Inspectable from "effect/Inspectable"
import * as Option from "effect/Option"
import { pipeArguments } from "effect/Pipeable"
import type * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import type * as Socket from "effect/socket/Socket"
import type * as Undici from "undici"

type RequestBody = Exclude<Undici.Dispatcher.RequestOptions["body"], undefined>

interface Outgoing {
  readonly body: RequestBody
  /** The request's headers, with the `content-type` a form's encoding chose. */
  readonly headers: Headers.Headers
}

/**
 * The body undici sends for a request body: a stream becomes a Node `Readable`; a form is
 * encoded as `fetch` would (multipart, its boundary in `content-type`), since `Dispatcher.request`
 * takes no `FormData`.
 */
const outgoing = (request: HttpClientRequest.HttpClientRequest): Effect.Effect<Outgoing> => {
  const { body, headers } = request
  switch (body._tag) {
    case "Empty":
      return Effect.succeed({ body: null, headers })
    case "Uint8Array":
      return Effect.succeed({ body: body.body, headers })
    case "Raw":
      return Effect.succeed({ body: body.body as RequestBody, headers })
    case "FormData": {
      const encoded = new Response(body.formData)
      const contentType = encoded.headers.get("content-type")
      return Effect.succeed({
        body: Readable.fromWeb(encoded.body as NodeWebReadableStream<Uint8Array>),
        headers: contentType === null ? headers : Headers.set(headers, "content-type", contentType)
      })
    }
    case "Stream":
      return Effect.map(Stream.toAsyncIterableEffect(body.stream), (iterable) => ({
        body: Readable.from(iterable, { objectMode: false }),
        headers
      }))
  }
}

const transportError = (
  request: HttpClientRequest.HttpClientRequest,
  cause: unknown,
  description?: string
): HttpClientError.HttpClientError =>
  new HttpClientError.HttpClientError({
    reason: new HttpClientError.TransportError(
      description === undefined ? { request, cause } : { request, cause, description }
    )
  })

/** Sends one request through `dispatcher`; the response holds the unread body. */
const send = (
  dispatcher: Undici.Dispatcher,
  request: HttpClientRequest.HttpClientRequest,
  url: URL,
  signal: AbortSignal,
  body: RequestBody,
  headers: Headers.Headers
): Effect.Effect<HttpClientResponse.HttpClientResponse, HttpClientError.HttpClientError> =>
  Effect.callback((resume) => {
    let sent: Promise<Undici.Dispatcher.ResponseData>
    try {
      sent = dispatcher.request({
        origin: url.origin,
        // The fragment is not sent (fetch drops it too).
        path: url.pathname + url.search,
        method: request.method,
        headers,
        body,
        signal,
        // Timeouts are the caller's (`Effect` timeouts, the client's `requestTimeout`): 0 turns
        // undici's own (300 s each by default) off.
        headersTimeout: 0,
        bodyTimeout: 0
      })
    } catch (cause) {
      return resume(Effect.fail(transportError(request, cause)))
    }
    sent.then(
      (data) => resume(Effect.succeed(new UndiciResponse(request, data, url.href.split("#")[0] ?? url.href))),
      (cause) => resume(Effect.fail(transportError(request, cause)))
    )
  })

/** One request through `dispatcher`, as the `HttpClient`s below send it. */
const execute = (
  dispatcher: Undici.Dispatcher,
  request: HttpClientRequest.HttpClientRequest,
  url: URL,
  signal: AbortSignal
): Effect.Effect<HttpClientResponse.HttpClientResponse, HttpClientError.HttpClientError> => {
  if (request.headers.upgrade !== undefined) {
    return Effect.fail(
      transportError(request, undefined, "undici's Dispatcher.request cannot send an HTTP upgrade request")
    )
  }
  return request.body._tag === "Empty"
    ? send(dispatcher, request, url, signal, null, request.headers)
    : Effect.flatMap(outgoing(request), ({ body, headers }) =>
        send(dispatcher, request, url, signal, body, headers)
      )
}

/** Why a dispatcher without `request` is refused (see {@link requestable}). */
export const NOT_UNDICI =
  "@tensoras/ingestion-node sends through undici's Dispatcher.request, and this dispatcher has no `request`: " +
  'on Bun, whose `import "undici"` gives a module of its own, use @tensoras/ingestion-bun instead'

/**
 * `dispatcher`, once it is known to have `request`. Bun answers `import "undici"` with a module of its
 * own whose `Agent` has none: every request would fail as if the network did, be retried, and end in
 * `Unreachable` ("check that it runs at …") however healthy the service. Refused at once instead, with
 * the reason (a defect: the program runs the Node adapter where it cannot work).
 */
export const requestable = (dispatcher: Undici.Dispatcher): Undici.Dispatcher => {
  if (typeof (dispatcher as Partial<Undici.Dispatcher>).request !== "function")
    throw new TypeError(NOT_UNDICI)
  return dispatcher
}

/**
 * The `HttpClient` on `dispatcher`. Interrupting a request, or closing the `Scope` of
 * `HttpClient.withScope`, aborts it through the client's `AbortSignal`, body included. An HTTP
 * upgrade is not sent (`Dispatcher.request` cannot hand a connection over): a `TransportError`.
 * Throws (`NOT_UNDICI`) on a dispatcher without `request` (Bun's `undici`).
 */
export const make = (dispatcher: Undici.Dispatcher): HttpClient.HttpClient => {
  requestable(dispatcher)
  return HttpClient.make((request, url, signal) => execute(dispatcher, request, url, signal))
}

/**
 * The `HttpClient` of {@link make} on a dispatcher made by `acquire` at the first request, once
 * (concurrent first requests share it): a client that can be created before undici is loaded.
 */
export const makeDeferred = (acquire: () => Promise<Undici.Dispatcher>): HttpClient.HttpClient => {
  let dispatcher: Undici.Dispatcher | undefined
  let acquiring: Promise<Undici.Dispatcher> | undefined
  const ready = Effect.promise(() => {
    acquiring ??= acquire().then((made) => (dispatcher = made))
    return acquiring
  })
  return HttpClient.make((request, url, signal) =>
    dispatcher === undefined
      ? Effect.flatMap(ready, (made) => execute(made, request, url, signal))
      : execute(dispatcher, request, url, signal)
  )
}

/** A body left unread and then aborted errors: without a listener that error would be thrown. */
const ignoreError = (_: unknown) => {}

/** One decoder for every body (`decode` keeps no state between calls without `stream`). */
const utf8 = new TextDecoder()

/** The prototype of Effect's `Headers`, for a response's headers built without `fromInput`'s copy per name. */
const HEADERS: object = Object.getPrototypeOf(Headers.empty)

/**
 * A response's headers as `Headers.fromInput` makes them of undici's record (the same names and values:
 * a repeated header's array joined with ", ", a `__proto__` header dropped, as `fromInput`'s assignment
 * of a string to it does), in one pass without `Object.entries`' array of pairs.
 */
const headersOf = (record: Record<string, string | Array<string> | undefined>): Headers.Headers => {
  const out: Record<string, string> = Object.create(HEADERS)
  for (const name in record) {
    if (!Object.hasOwn(record, name)) continue
    const value = record[name]
    if (value === undefined) continue
    const key = name.toLowerCase()
    if (key !== "__proto__") out[key] = Array.isArray(value) ? value.join(", ") : value
  }
  return out as Headers.Headers
}

class UndiciResponse extends Inspectable.Class implements HttpClientResponse.HttpClientResponse {
  readonly [HttpIncomingMessage.TypeId]: typeof HttpIncomingMessage.TypeId
  readonly [HttpClientResponse.TypeId]: typeof HttpClientResponse.TypeId
  private cachedHeaders: Headers.Headers | undefined
  private cachedCookies: Cookies.Cookies | undefined
  private bytesPromise: Promise<ArrayBuffer> | undefined
  private textPromise: Promise<string> | undefined
  private formDataPromise: Promise<FormData> | undefined

  constructor(
    readonly request: HttpClientRequest.HttpClientRequest,
    readonly source: Undici.Dispatcher.ResponseData,
    /** The URL requested, without its fragment (`Dispatcher.request` follows no redirect). */
    readonly url: string
  ) {
    super()
    this[HttpIncomingMessage.TypeId] = HttpIncomingMessage.TypeId
    this[HttpClientResponse.TypeId] = HttpClientResponse.TypeId
    source.body.on("error", ignoreError)
  }

  get status(): number {
    return this.source.statusCode
  }

  get headers(): Headers.Headers {
    this.cachedHeaders ??= headersOf(this.source.headers)
    return this.cachedHeaders
  }

  get cookies(): Cookies.Cookies {
    if (this.cachedCookies === undefined) {
      const header = this.source.headers["set-cookie"]
      this.cachedCookies =
        header === undefined
          ? Cookies.empty
          : Cookies.fromSetCookie(Array.isArray(header) ? header : [header])
    }
    return this.cachedCookies
  }

  get remoteAddress(): Option.Option<string> {
    return Option.none()
  }

  private decodeError(cause: unknown): HttpClientError.HttpClientError {
    return new HttpClientError.HttpClientError({
      reason: new HttpClientError.DecodeError({ request: this.request, response: this, cause })
    })
  }

  /** Reads the body with `read`, once: every later call gets the same result. */
  private once<A>(read: () => Promise<A>): Effect.Effect<A, HttpClientError.HttpClientError> {
    return Effect.tryPromise({ try: read, catch: (cause) => this.decodeError(cause) })
  }

  /** The whole body, read once: the text, the JSON, the form and the URL parameters are made from it. */
  private bytes(): Promise<ArrayBuffer> {
    this.bytesPromise ??= this.source.body.arrayBuffer()
    return this.bytesPromise
  }

  get arrayBuffer(): Effect.Effect<ArrayBuffer, HttpClientError.HttpClientError> {
    return this.once(() => this.bytes())
  }

  get text(): Effect.Effect<string, HttpClientError.HttpClientError> {
    return this.once(() => {
      this.textPromise ??= this.bytes().then((bytes) => utf8.decode(bytes))
      return this.textPromise
    })
  }

  get json(): Effect.Effect<Schema.Json, HttpClientError.HttpClientError> {
    return Effect.flatMap(this.text, (text) =>
      Effect.try({
        try: () => (text === "" ? null : (JSON.parse(text) as Schema.Json)),
        catch: (cause) => this.decodeError(cause)
      })
    )
  }

  get formData(): Effect.Effect<FormData, HttpClientError.HttpClientError> {
    return this.once(() => {
      // undici's `Dispatcher.request` body has no `formData()`: the WHATWG parser reads the bytes.
      this.formDataPromise ??= this.bytes().then((bytes) =>
        new Response(bytes, { headers: this.headers }).formData()
      )
      return this.formDataPromise
    })
  }

  get urlParamsBody(): Effect.Effect<UrlParams.UrlParams, HttpClientError.HttpClientError> {
    return Effect.flatMap(this.text, (text) =>
      Effect.try({
        try: () => UrlParams.fromInput(new URLSearchParams(text)),
        catch: (cause) => this.decodeError(cause)
      })
    )
  }

  get stream(): Stream.Stream<Uint8Array, HttpClientError.HttpClientError> {
    return Stream.fromAsyncIterable(this.source.body as AsyncIterable<Uint8Array>, (cause) =>
      this.decodeError(cause)
    )
  }

  get upgrade(): Effect.Effect<Socket.Socket, HttpClientError.HttpClientError> {
    return Effect.fail(
      new HttpClientError.HttpClientError({
        reason: new HttpClientError.StatusCodeError({
          request: this.request,
          response: this,
          description: "undici's Dispatcher.request cannot hand over the connection of an HTTP upgrade"
        })
      })
    )
  }

  toJSON(): unknown {
    return HttpIncomingMessage.inspect(this, {
      _id: "HttpClientResponse",
      request: this.request.toJSON(),
      status: this.status
    })
  }

  pipe() {
    // biome-ignore lint/complexity/noArguments: Pipeable's own implementation takes `arguments`.
    return pipeArguments(this, arguments)
  }
}
