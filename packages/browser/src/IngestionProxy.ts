/**
 * A same-origin proxy for the page: a Fetch-API handler (`Request` in, `Response` out) that
 * forwards only the two read endpoints of the API, adds the key server-side, and can restrict
 * which knowledge bases the page may read. It uses only `fetch`, `Request`, `Response` and
 * `URL`: mount it in Node, Deno, Bun, a Service Worker or any Fetch-style router.
 *
 * @since 0.1.0
 */
import type * as Redacted from "effect/Redacted"
import * as internal from "./internal/ingestionProxy.js"

/**
 * Options of {@link makeIngestionProxy}.
 *
 * @category models
 * @since 0.1.0
 */
export interface ProxyOptions {
  /** The API key. It never leaves the server. */
  readonly apiKey: string | Redacted.Redacted<string>
  /** The API's base URL. Default `https://api.tensoras.ai/v1`. */
  readonly upstream?: string | URL | undefined
  /** Where the proxy is mounted: the page's `baseUrl`. Default `/api/tensoras/v1`. */
  readonly basePath?: string | undefined
  /**
   * The knowledge bases the page may read: a list, or a function of the ID and the request (your
   * own auth). Anything else is answered 403 with the API's error body. Default: all.
   */
  readonly allowKnowledgeBases?:
    | ReadonlyArray<string>
    | ((knowledgeBaseId: string, request: Request) => boolean | Promise<boolean>)
    | undefined
  /**
   * Your app's auth, run before anything is forwarded: `true` lets the request through, `false`
   * answers 401, a `Response` is sent as is. Read cookies or a header of your choice here.
   */
  readonly authorize?: ((request: Request) => boolean | Response | Promise<boolean | Response>) | undefined
  /** The `fetch` used to reach the API. Default `globalThis.fetch`. */
  readonly fetch?: typeof globalThis.fetch | undefined
}

/**
 * A Fetch-API handler.
 *
 * @category models
 * @since 0.1.0
 */
export type ProxyHandler = (request: Request) => Promise<Response>

/**
 * Makes the proxy. Only `GET` (and `HEAD`) of `{basePath}/knowledge-bases/{kb}/ingestion-jobs` and
 * `{basePath}/knowledge-bases/{kb}/ingestion-jobs/{job}` are forwarded, with only the `limit`,
 * `after` and `status` query parameters; other paths get 404, other methods 405. The browser's
 * headers (its `Authorization`, its cookies) are never forwarded: the upstream request carries
 * only the key, `Accept` and the proxy's `User-Agent`. The API's status, body, `Content-Type` and
 * `Retry-After` come back; its other headers (cookies included) do not. The body is scrubbed first
 * (`Redaction.makeScrub`): a service that echoes the `Authorization` header cannot hand the key to the
 * page. A redirect is not followed; its status comes back without its `Location`.
 *
 * @example
 * ```ts
 * import { makeIngestionProxy } from "@tensoras/ingestion-browser/IngestionProxy"
 *
 * const proxy = makeIngestionProxy({
 *   apiKey: process.env.TENSORAS_API_KEY ?? "",
 *   allowKnowledgeBases: ["kb_abc123"],
 *   authorize: (request) => request.headers.get("cookie")?.includes("session=") === true
 * })
 * // Deno.serve(proxy), or in any Fetch-style router: app.get("/api/tensoras/v1/*", (c) => proxy(c.req.raw))
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const makeIngestionProxy: (options: ProxyOptions) => ProxyHandler = internal.makeIngestionProxy
