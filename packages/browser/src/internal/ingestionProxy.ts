/**
 * The same-origin proxy (see `IngestionProxy.makeIngestionProxy`): its settings, then per request the
 * route, the app's checks, and the forwarded request and answer.
 */
import * as IngestionJobs from "@tensoras/ingestion/IngestionJobs"
import * as Redaction from "@tensoras/ingestion/Redaction"
import * as Redacted from "effect/Redacted"
import type { ProxyHandler, ProxyOptions } from "../IngestionProxy.js"

const FORWARDED_QUERY = ["limit", "after", "status"]
const FORWARDED_RESPONSE_HEADERS = ["content-type", "retry-after", "date", "x-request-id"]
const ROUTE = /^\/knowledge-bases\/([^/]+)\/ingestion-jobs(?:\/([^/]+))?$/u

/** The options, checked and resolved once. */
interface Settings {
  readonly options: ProxyOptions
  readonly key: string
  readonly upstream: URL
  readonly upstreamPath: string
  readonly basePath: string
  readonly allow: ProxyOptions["allowKnowledgeBases"]
  readonly fetch: typeof globalThis.fetch
  readonly scrub: (text: string) => string
}

/** What a request reads: a knowledge base's jobs (`jobId` null) or one job. */
interface Target {
  readonly url: URL
  readonly kbId: string
  readonly jobId: string | null
}

const errorResponse = (
  status: number,
  error: { message: string; type: string; code: string; param?: string },
  headers: Record<string, string> = {}
) =>
  new Response(JSON.stringify({ error: { param: null, ...error } }), {
    status,
    headers: { "content-type": "application/json", "cache-control": "no-store", ...headers }
  })

const notFound = () =>
  errorResponse(404, { message: "Not found", type: "not_found_error", code: "route_not_found" })

const unreachable = (message: string) =>
  errorResponse(502, { message, type: "api_error", code: "upstream_unreachable" })

const decode = (segment: string): string | undefined => {
  try {
    const id = decodeURIComponent(segment)
    return IngestionJobs.isValidId(id) ? id : undefined
  } catch {
    return undefined
  }
}

const settingsOf = (options: ProxyOptions): Settings => {
  const key = Redacted.isRedacted(options.apiKey) ? Redacted.value(options.apiKey) : options.apiKey
  if (typeof key !== "string" || key.length === 0 || /\s/u.test(key)) {
    throw new TypeError("makeIngestionProxy: apiKey must be a non-empty string without whitespace")
  }
  const upstream = new URL(options.upstream ?? "https://api.tensoras.ai/v1")
  return {
    options,
    key,
    upstream,
    upstreamPath: upstream.pathname.replace(/\/+$/u, ""),
    basePath: (options.basePath ?? "/api/tensoras/v1").replace(/\/+$/u, ""),
    allow: options.allowKnowledgeBases,
    fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
    scrub: Redaction.makeScrub(key)
  }
}

/** The read the request asks for, or the answer to a request that is not one. */
const route = (settings: Settings, request: Request): Target | Response => {
  const url = new URL(request.url)
  const { basePath } = settings
  const rest = url.pathname.startsWith(`${basePath}/`) ? url.pathname.slice(basePath.length) : undefined
  const match = rest === undefined ? null : ROUTE.exec(rest)
  if (match === null) return notFound()
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
  if (kbId === undefined || jobId === undefined) return notFound()
  return { url, kbId, jobId }
}

/** The app's checks: its auth first, then the knowledge bases it allows. The refusal, if any. */
const refusal = async ({ options, allow }: Settings, request: Request, kbId: string) => {
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
  return undefined
}

/** The API's URL for the read: only the query parameters a list takes. */
const upstreamUrl = (settings: Settings, { url, kbId, jobId }: Target): URL => {
  const target = new URL(settings.upstream)
  target.pathname = `${settings.upstreamPath}/knowledge-bases/${encodeURIComponent(kbId)}/ingestion-jobs${
    jobId === null ? "" : `/${encodeURIComponent(jobId)}`
  }`
  target.search = ""
  if (jobId === null) {
    for (const name of FORWARDED_QUERY) {
      const value = url.searchParams.get(name)
      if (value !== null) target.searchParams.set(name, value)
    }
  }
  return target
}

/** Asks the API with the key alone, and answers with its status, its body and a few headers, scrubbed. */
const forward = async (settings: Settings, request: Request, target: URL): Promise<Response> => {
  let response: Response
  try {
    response = await settings.fetch(target, {
      method: "GET",
      headers: {
        authorization: `Bearer ${settings.key}`,
        accept: "application/json",
        "user-agent": "@tensoras/ingestion-browser proxy"
      },
      signal: request.signal,
      redirect: "manual"
    })
  } catch {
    return unreachable("The ingestion API could not be reached")
  }
  let text: string
  try {
    text = await response.text()
  } catch {
    return unreachable("The ingestion API's answer was cut off")
  }
  const headers = new Headers({ "cache-control": "no-store" })
  for (const name of FORWARDED_RESPONSE_HEADERS) {
    const value = response.headers.get(name)
    if (value !== null) headers.set(name, settings.scrub(value))
  }
  // An opaque redirect (status 0) cannot be answered as such: it is a 502 to the page.
  const status = response.status >= 200 && response.status <= 599 ? response.status : 502
  return new Response(
    request.method === "HEAD" || status === 204 || status === 304 ? null : settings.scrub(text),
    { status, headers }
  )
}

export const makeIngestionProxy = (options: ProxyOptions): ProxyHandler => {
  const settings = settingsOf(options)
  return async (request) => {
    const target = route(settings, request)
    if (target instanceof Response) return target
    if (options.authorize !== undefined || settings.allow !== undefined) {
      const refused = await refusal(settings, request, target.kbId)
      if (refused !== undefined) return refused
    }
    return forward(settings, request, upstreamUrl(settings, target))
  }
}
