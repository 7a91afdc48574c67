/**
 * A same-origin proxy for the page: a Fetch-API handler (`Request` in, `Response` out) that
 * forwards only the two read endpoints of the API, adds the key server-side, and can restrict
 * which knowledge bases the page may read. It uses only `fetch`, `Request`, `Response` and
 * `URL`: mount it in Node, Deno, Bun, a Service Worker or any Fetch-style router.
 *
 * @since 0.1.0
 */
import * as IngestionJobs from "@tensoras/ingestion/IngestionJobs"
import * as Redaction from "@tensoras/ingestion/Redaction"
import * as Redacted from "effect/Redacted"

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

const errorResponse = (
  status: number,
  error: { message: string; type: string; code: string; param?: string },
  headers: Record<string, string> = {}
) =>
  new Response(JSON.stringify({ error: { param: null, ...error } }), {
    status,
    headers: { "content-type": "application/json", "cache-control": "no-store", ...headers }
  })

const decode = (segment: string): string | undefined => {
  try {
    const id = decodeURIComponent(segment)
    return IngestionJobs.isValidId(id) ? id : undefined
  } catch {
    return undefined
  }
}

const FORWARDED_QUERY = ["limit", "after", "status"]
const FORWARDED_RESPONSE_HEADERS = ["content-type", "retry-after", "date", "x-request-id"]

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
export const makeIngestionProxy = (options: ProxyOptions): ProxyHandler => {
  const key = Redacted.isRedacted(options.apiKey) ? Redacted.value(options.apiKey) : options.apiKey
  if (typeof key !== "string" || key.length === 0 || /\s/u.test(key)) {
    throw new TypeError("makeIngestionProxy: apiKey must be a non-empty string without whitespace")
  }
  const upstream = new URL(options.upstream ?? "https://api.tensoras.ai/v1")
  const upstreamPath = upstream.pathname.replace(/\/+$/u, "")
  const basePath = (options.basePath ?? "/api/tensoras/v1").replace(/\/+$/u, "")
  const doFetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init))
  const allow = options.allowKnowledgeBases
  const scrub = Redaction.makeScrub(key)
  const route = /^\/knowledge-bases\/([^/]+)\/ingestion-jobs(?:\/([^/]+))?$/u

  return async (request) => {
    const url = new URL(request.url)
    const rest = url.pathname.startsWith(`${basePath}/`) ? url.pathname.slice(basePath.length) : undefined
    const match = rest === undefined ? null : route.exec(rest)
    if (match === null) {
      return errorResponse(404, { message: "Not found", type: "not_found_error", code: "route_not_found" })
    }
    if (request.method !== "GET" && request.method !== "HEAD") {
      return errorResponse(
        405,
        {
          message: `Method ${request.method} not allowed: this proxy only reads`,
          type: "invalid_request_error",
          code: "method_not_allowed"
        },
        { allow: "GET, HEAD" }
      )
    }
    const kbId = decode(match[1] ?? "")
    const jobId = match[2] === undefined ? null : decode(match[2])
    if (kbId === undefined || jobId === undefined) {
      return errorResponse(404, { message: "Not found", type: "not_found_error", code: "route_not_found" })
    }
    if (options.authorize !== undefined) {
      const verdict = await options.authorize(request)
      if (verdict instanceof Response) return verdict
      if (verdict !== true) {
        return errorResponse(401, {
          message: "Not signed in",
          type: "authentication_error",
          code: "unauthorized"
        })
      }
    }
    if (allow !== undefined) {
      const allowed = typeof allow === "function" ? await allow(kbId, request) : allow.includes(kbId)
      if (!allowed) {
        return errorResponse(403, {
          message: `Knowledge base '${kbId}' is not reachable through this proxy`,
          type: "permission_error",
          code: "knowledge_base_not_allowed",
          param: "kb_id"
        })
      }
    }
    const target = new URL(upstream)
    target.pathname = `${upstreamPath}/knowledge-bases/${encodeURIComponent(kbId)}/ingestion-jobs${
      jobId === null ? "" : `/${encodeURIComponent(jobId)}`
    }`
    target.search = ""
    if (jobId === null) {
      for (const name of FORWARDED_QUERY) {
        const value = url.searchParams.get(name)
        if (value !== null) target.searchParams.set(name, value)
      }
    }
    let response: Response
    try {
      response = await doFetch(target, {
        method: "GET",
        headers: {
          authorization: `Bearer ${key}`,
          accept: "application/json",
          "user-agent": "@tensoras/ingestion-browser proxy"
        },
        signal: request.signal,
        redirect: "manual"
      })
    } catch {
      return errorResponse(502, {
        message: "The ingestion API could not be reached",
        type: "api_error",
        code: "upstream_unreachable"
      })
    }
    let text: string
    try {
      text = await response.text()
    } catch {
      return errorResponse(502, {
        message: "The ingestion API's answer was cut off",
        type: "api_error",
        code: "upstream_unreachable"
      })
    }
    const headers = new Headers({ "cache-control": "no-store" })
    for (const name of FORWARDED_RESPONSE_HEADERS) {
      const value = response.headers.get(name)
      if (value !== null) headers.set(name, scrub(value))
    }
    // An opaque redirect (status 0) cannot be answered as such: it is a 502 to the page.
    const status = response.status >= 200 && response.status <= 599 ? response.status : 502
    return new Response(request.method === "HEAD" || status === 204 || status === 304 ? null : scrub(text), {
      status,
      headers
    })
  }
}
