/**
 * How the page sends requests: its `fetch` (the caller's headers added; no `User-Agent`, no trace
 * headers to another origin, no `Authorization` when keyless) and the `HttpClient` that core's
 * client sends its requests with in the page.
 */
import * as Effect from "effect/Effect"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientError from "effect/http/HttpClientError"
import * as HttpClientResponse from "effect/http/HttpClientResponse"
import type * as Layer from "effect/Layer"

export interface FetchOptions {
  readonly headers?: Record<string, string> | (() => Record<string, string>) | undefined
  readonly credentials?: RequestCredentials | undefined
  readonly fetch?: typeof globalThis.fetch | undefined
  readonly keyless?: boolean | undefined
}

const TRACE_HEADERS = ["b3", "traceparent", "tracestate"]

const isSameOrigin = (input: RequestInfo | URL): boolean => {
  if (typeof location === "undefined") return false
  const href = typeof input === "string" ? input : input instanceof URL ? input.href : input.url
  return new URL(href, location.href).origin === location.origin
}

/**
 * The page's `fetch`. The headers are adjusted at the fetch itself, so it applies after every
 * request transformation of core (which adds its key and User-Agent last): browsers send their own
 * User-Agent (setting one only costs a CORS preflight failure), and a keyless request carries no
 * `Authorization` header.
 */
export const pageFetch = (options: FetchOptions): typeof globalThis.fetch => {
  const base = options.fetch ?? ((input, init) => globalThis.fetch(input, init))
  return (input, init) => {
    const headers = new Headers(init?.headers)
    headers.delete("user-agent")
    // Effect's tracing headers would make every cross-origin request fail its CORS preflight.
    if (!isSameOrigin(input)) for (const name of TRACE_HEADERS) headers.delete(name)
    if (options.keyless === true) headers.delete("authorization")
    const extra = typeof options.headers === "function" ? options.headers() : options.headers
    for (const [name, value] of Object.entries(extra ?? {})) headers.set(name, value)
    return base(input, { ...init, headers })
  }
}

/** What every request's `fetch` gets besides its method, headers, body and signal. */
export const requestInit = (options: FetchOptions): RequestInit => ({
  credentials: options.credentials ?? "same-origin",
  // A redirect is answered, not followed: the client turns it into a typed error.
  redirect: "manual"
})

/**
 * The `HttpClient` of `layerClient`: `FetchHttpClient`'s path for a request whose body is not a stream
 * (core's client sends GETs without a body), on {@link pageFetch}. `FetchHttpClient` also streams
 * request bodies, and that machinery (a `Stream` turned into a `ReadableStream`, a `Channel` merge,
 * a `Queue`) is in every bundle that holds it: about 1.5 KB gzipped that a GET never runs.
 * `layerHttpClient` stays `FetchHttpClient`: the client for any request.
 */
export const layer = (options: FetchOptions): Layer.Layer<HttpClient.HttpClient> => {
  const fetch = pageFetch(options)
  const init = requestInit(options)
  const client = HttpClient.make((request, url, signal) => {
    const body = request.body
    if (body._tag === "Stream") {
      return Effect.fail(
        new HttpClientError.HttpClientError({
          reason: new HttpClientError.TransportError({
            request,
            description: "The page's client sends no streamed body"
          })
        })
      )
    }
    return Effect.map(
      Effect.tryPromise({
        try: () =>
          fetch(url, {
            ...init,
            method: request.method,
            headers: request.headers,
            body:
              body._tag === "Empty"
                ? null
                : body._tag === "FormData"
                  ? body.formData
                  : (body.body as BodyInit),
            signal
          }),
        catch: (cause) =>
          new HttpClientError.HttpClientError({
            reason: new HttpClientError.TransportError({ request, cause })
          })
      }),
      (response) => HttpClientResponse.fromWeb(request, response)
    )
  })
  // As `FetchHttpClient.layer`: a request runs with the context the layer was built in beneath its own.
  return HttpClient.layerMergedContext(Effect.succeed(client))
}
