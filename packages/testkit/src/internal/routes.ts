/**
 * Routing: which route a URL names, the answers for URLs and methods the API does not serve, and the two
 * routes' answers (get a job, list a knowledge base's jobs) once a request is authorized.
 */
import type { ListJobsQuery, SimulatorEngine } from "../SimulatorEngine.js"
import type { WireJob, WireJobList, WireJobStatus } from "../WireFormat.js"
import type { Exchange } from "./exchange.js"
import type { ApiError } from "./responses.js"

/**
 * A URL the API serves: a knowledge base's job list, or one of its jobs.
 *
 * @example
 * const match: Match = { route: "get", kbId: "kb_abc123", jobId: "job_abc123" }
 */
export type Match =
  | { readonly route: "list"; readonly kbId: string; readonly jobId: null }
  | { readonly route: "get"; readonly kbId: string; readonly jobId: string }

const ROUTE = /^\/v1\/knowledge-bases\/([^/]+)\/ingestion-jobs(?:\/([^/]+))?$/
const STATUSES: ReadonlyArray<WireJobStatus> = ["queued", "processing", "completed", "failed"]
const DEFAULT_LIMIT = 20
const MAX_LIMIT = 100

const decode = (segment: string): string | undefined => {
  try {
    return decodeURIComponent(segment)
  } catch {
    return undefined
  }
}

/**
 * The route a path names, with its decoded ids; `undefined` for any other path.
 *
 * @example
 * matchRoute("/v1/knowledge-bases/kb_1/ingestion-jobs")?.route // => "list"
 */
export const matchRoute = (pathname: string): Match | undefined => {
  const found = ROUTE.exec(pathname)
  if (found === null) return undefined
  const kbId = decode(found[1]!)
  if (kbId === undefined) return undefined
  if (found[2] === undefined) return { route: "list", kbId, jobId: null }
  const jobId = decode(found[2])
  return jobId === undefined ? undefined : { route: "get", kbId, jobId }
}

/**
 * A value echoed in an error message, shortened so a hostile query cannot bloat it.
 *
 * @example
 * shorten("x".repeat(100)).length // => 65
 */
export const shorten = (value: string): string => (value.length > 64 ? `${value.slice(0, 64)}…` : value)

/**
 * The 404 for a URL the API does not serve.
 *
 * @example
 * unknownUrl("GET", "/v2").code // => "unknown_url"
 */
export const unknownUrl = (method: string, pathname: string): ApiError => ({
  status: 404,
  type: "not_found_error",
  param: null,
  code: "unknown_url",
  message: `Unknown request URL: ${method} ${shorten(pathname)}`
})

/**
 * The answer to any method but GET: the CORS preflight's 204 for OPTIONS, a 405 otherwise.
 *
 * @example
 * notGet(exchange, "POST", "/v1/knowledge-bases/kb_1/ingestion-jobs").status // => 405
 */
export const notGet = (exchange: Exchange, method: string, pathname: string): Response => {
  if (method === "OPTIONS") {
    return exchange.respond(
      new Response(null, {
        status: 204,
        headers: {
          ...exchange.headers(),
          "access-control-allow-methods": "GET",
          "access-control-allow-headers": "authorization, content-type",
          "access-control-max-age": "600"
        }
      })
    )
  }
  return exchange.fail(
    {
      status: 405,
      type: "invalid_request_error",
      param: null,
      code: "method_not_allowed",
      message: `Method ${method} is not allowed on ${shorten(pathname)}; use GET.`
    },
    { allow: "GET" }
  )
}

/**
 * An authorized request's answer from the engine: the job or the page of jobs, or (already sent through
 * `exchange.fail`) the 404 or 400 the API gives instead.
 *
 * @example
 * const body = answerRoute(engine, exchange, match, url.searchParams)
 * if (body instanceof Response) return body
 */
export const answerRoute = (
  engine: SimulatorEngine,
  exchange: Exchange,
  match: Match,
  params: URLSearchParams
): WireJob | WireJobList | Response => {
  if (!engine.hasKnowledgeBase(match.kbId)) {
    return exchange.fail({
      status: 404,
      type: "not_found_error",
      param: "kb_id",
      code: "knowledge_base_not_found",
      message: `Knowledge base '${shorten(match.kbId)}' not found`
    })
  }
  if (match.route === "get") {
    const job = engine.getJob(match.kbId, match.jobId)
    if (job !== undefined) return job
    return exchange.fail({
      status: 404,
      type: "not_found_error",
      param: "job_id",
      code: "ingestion_job_not_found",
      message: `Ingestion job '${shorten(match.jobId)}' not found`
    })
  }
  const parsed = parseListQuery(params, (after) => engine.hasJob(match.kbId, after))
  if (!parsed.ok) return exchange.fail(parsed.error)
  const page = engine.listJobs(match.kbId, parsed.query)
  return { object: "list", data: page.data, has_more: page.hasMore }
}

type Parsed =
  | { readonly ok: true; readonly query: ListJobsQuery }
  | { readonly ok: false; readonly error: ApiError }

const invalid = (param: string, code: string, message: string): Parsed => ({
  ok: false,
  error: { status: 400, type: "invalid_request_error", param, code, message }
})

const parseListQuery = (params: URLSearchParams, cursorExists: (after: string) => boolean): Parsed => {
  for (const name of ["limit", "after", "status"]) {
    const count = params.getAll(name).length
    if (count > 1)
      return invalid(name, "invalid_parameter", `'${name}' must be given at most once (got ${count}).`)
  }
  const limitText = params.get("limit")
  let limit = DEFAULT_LIMIT
  if (limitText !== null) {
    limit = /^[0-9]{1,9}$/.test(limitText) ? Number(limitText) : Number.NaN
    if (!(limit >= 1 && limit <= MAX_LIMIT)) {
      return invalid(
        "limit",
        "invalid_parameter",
        `Invalid 'limit': expected an integer between 1 and ${MAX_LIMIT}, got '${shorten(limitText)}'.`
      )
    }
  }
  const status = params.get("status")
  if (status !== null && !(STATUSES as ReadonlyArray<string>).includes(status)) {
    return invalid(
      "status",
      "invalid_parameter",
      `Invalid 'status': expected one of ${STATUSES.join(", ")}, got '${shorten(status)}'.`
    )
  }
  const after = params.get("after")
  if (after !== null && !cursorExists(after)) {
    return invalid(
      "after",
      "invalid_cursor",
      `Invalid 'after': no ingestion job '${shorten(after)}' in this knowledge base.`
    )
  }
  return {
    ok: true,
    query: {
      limit,
      ...(after === null ? {} : { after }),
      ...(status === null ? {} : { status: status as WireJobStatus })
    }
  }
}
