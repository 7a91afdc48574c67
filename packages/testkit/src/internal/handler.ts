import type { Fault } from "../Fault.js"
import { droppedConnection, type FetchHandler } from "../FetchHandler.js"
import type { SimulatorClock } from "../SimulatorClock.js"
import type { ListJobsQuery, SimulatorEngine } from "../SimulatorEngine.js"
import type { WireJob, WireJobList, WireJobStatus } from "../WireFormat.js"
import type { FaultQueue } from "./faultQueue.js"
import type { RequestLog } from "./requestLog.js"
import {
  type ApiError,
  baseHeaders,
  DEFAULT_EXTRA_FIELDS,
  errorBody,
  errorForStatus,
  jsonResponse,
  nonJsonPage,
  serverError
} from "./responses.js"

/**
 * What the handler works with; `Simulator.make` wires it.
 *
 * @example
 * const handler = createHandler({ engine, clock, faults, log, apiKeys: () => ["tns_x"], lifetime: new AbortController().signal })
 */
export interface HandlerContext {
  readonly engine: SimulatorEngine
  readonly clock: SimulatorClock
  readonly faults: FaultQueue
  readonly log: RequestLog
  /** The keys accepted right now (they change with the scenario). */
  readonly apiKeys: () => ReadonlyArray<string>
  /** Aborts when the simulator is disposed: hanging and delayed requests end with it. */
  readonly lifetime: AbortSignal
}

type Match =
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

const matchRoute = (pathname: string): Match | undefined => {
  const found = ROUTE.exec(pathname)
  if (found === null) return undefined
  const kbId = decode(found[1]!)
  if (kbId === undefined) return undefined
  if (found[2] === undefined) return { route: "list", kbId, jobId: null }
  const jobId = decode(found[2])
  return jobId === undefined ? undefined : { route: "get", kbId, jobId }
}

const bearerToken = (header: string | null): string | undefined => {
  if (header === null) return undefined
  const found = /^bearer[ \t]+(\S+)[ \t]*$/i.exec(header)
  return found?.[1]
}

/** Echoed values are shortened so a hostile query cannot bloat error messages. */
const echo = (value: string): string => (value.length > 64 ? `${value.slice(0, 64)}…` : value)

const sleepReal = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal.aborted) return resolve()
    const done = () => {
      clearTimeout(timer)
      signal.removeEventListener("abort", done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    signal.addEventListener("abort", done, { once: true })
  })

const untilAborted = (signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal.aborted) return resolve()
    signal.addEventListener("abort", () => resolve(), { once: true })
  })

const mapJobs = (
  body: unknown,
  mapJob: (job: Record<string, unknown>) => Record<string, unknown>
): unknown => {
  if (typeof body !== "object" || body === null) return body
  const record = body as Record<string, unknown>
  if (record.object === "list" && Array.isArray(record.data)) {
    return { ...record, data: record.data.map((job) => mapJob(job as Record<string, unknown>)) }
  }
  return record.object === "ingestion_job" ? mapJob(record) : body
}

const withExtraFields = (body: unknown, fields: Readonly<Record<string, unknown>>): unknown => {
  const extend = (value: unknown): unknown =>
    typeof value === "object" && value !== null ? { ...value, ...structuredClone(fields) } : value
  const jobs = mapJobs(body, (job) => {
    const extended = extend({ ...job, error: extend(job.error) }) as Record<string, unknown>
    if (Array.isArray(job.document_details)) {
      extended.document_details = job.document_details.map((detail: Record<string, unknown>) =>
        extend({ ...detail, error: extend(detail.error) })
      )
    }
    return extended
  })
  const list = jobs as Record<string, unknown>
  return list.object === "list" ? extend(list) : jobs
}

const withUnknownStatuses = (
  body: unknown,
  jobStatus: string | null,
  documentStatus: string | null
): unknown =>
  mapJobs(body, (job) => ({
    ...job,
    ...(jobStatus === null ? {} : { status: jobStatus }),
    ...(documentStatus !== null && Array.isArray(job.document_details)
      ? {
          document_details: job.document_details.map((detail: Record<string, unknown>) => ({
            ...detail,
            status: documentStatus
          }))
        }
      : {})
  }))

/** What a service that echoes the Authorization header would add: the key, bare and as the header. */
const echoOf = (token: string | undefined): string =>
  token === undefined ? " [echo: no key sent]" : ` [echo: ${token} | Authorization: Bearer ${token}]`

/** Every string of a JSON answer (but the `object` discriminator) with `echo` appended. */
const withEcho = (value: unknown, echo: string, key?: string): unknown => {
  if (typeof value === "string") return key === "object" ? value : `${value}${echo}`
  if (Array.isArray(value)) return value.map((item) => withEcho(item, echo))
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([name, item]) => [name, withEcho(item, echo, name)]))
  }
  return value
}

/**
 * The API's Fetch handler: routing, faults, authentication, validation, then the engine's answer.
 *
 * @example
 * const response = await createHandler(context)(new Request("http://sim/v1/knowledge-bases/kb_1/ingestion-jobs"))
 */
export const createHandler = (context: HandlerContext): FetchHandler => {
  const { engine, clock, log } = context

  const redact = (message: string, token: string | undefined): string => {
    let redacted = message
    for (const secret of [...context.apiKeys(), ...(token === undefined ? [] : [token])]) {
      if (secret.length >= 4) redacted = redacted.split(secret).join("***")
    }
    return redacted
  }

  return async (request) => {
    const url = new URL(request.url)
    const match = matchRoute(url.pathname)
    const token = bearerToken(request.headers.get("authorization"))
    const authorized = token !== undefined && context.apiKeys().includes(token)
    const arrivedAt = clock.now()
    const { seq, update: finish } = log.open({
      method: request.method,
      path: url.pathname,
      route: match?.route ?? "unknown",
      kbId: match?.kbId ?? null,
      jobId: match?.jobId ?? null,
      query: Object.fromEntries(url.searchParams),
      at: arrivedAt,
      realAt: Date.now(),
      authorized,
      userAgent: request.headers.get("user-agent")
    })
    const requestId = `req_sim_${String(seq).padStart(6, "0")}`
    const headers = (): Record<string, string> => baseHeaders(clock.now(), requestId)

    const respond = (response: Response): Response => {
      finish({ status: response.status, outcome: "responded" })
      return response
    }
    const fail = (error: ApiError, extra: Record<string, string> = {}): Response =>
      respond(
        jsonResponse(error.status, errorBody({ ...error, message: redact(error.message, token) }), {
          ...headers(),
          ...extra
        })
      )

    try {
      if (match === undefined) {
        return fail({
          status: 404,
          type: "not_found_error",
          param: null,
          code: "unknown_url",
          message: `Unknown request URL: ${request.method} ${echo(url.pathname)}`
        })
      }
      if (request.method === "OPTIONS") {
        return respond(
          new Response(null, {
            status: 204,
            headers: {
              ...headers(),
              "access-control-allow-methods": "GET",
              "access-control-allow-headers": "authorization, content-type",
              "access-control-max-age": "600"
            }
          })
        )
      }
      if (request.method !== "GET") {
        return fail(
          {
            status: 405,
            type: "invalid_request_error",
            param: null,
            code: "method_not_allowed",
            message: `Method ${request.method} is not allowed on ${echo(url.pathname)}; use GET.`
          },
          { allow: "GET" }
        )
      }

      const { latency, effect, applied } = context.faults.take(match)
      finish({ faults: applied })
      const signal = AbortSignal.any([request.signal, context.lifetime])
      if (latency !== undefined && latency.fault.kind === "latency") {
        if (latency.fault.clock === "engine") await clock.sleepUntil(clock.now() + latency.fault.ms, signal)
        else await sleepReal(latency.fault.ms, signal)
        if (signal.aborted) {
          finish({ outcome: "aborted" })
          return droppedConnection()
        }
      }

      const fault: Fault | undefined = effect?.fault
      const retryAfter = (seconds: number, format: string | undefined): Record<string, string> =>
        format === "none"
          ? {}
          : format === "http-date"
            ? { "retry-after": new Date(clock.now() + seconds * 1000).toUTCString() }
            : { "retry-after": String(Math.ceil(seconds)) } // delta-seconds must be a whole number

      switch (fault?.kind) {
        case "hang":
          await untilAborted(signal)
          finish({ outcome: "hung" })
          return droppedConnection()
        case "drop":
          finish({ outcome: "dropped" })
          return droppedConnection()
        case "rate-limit": {
          const seconds = fault.retryAfter ?? 1
          return fail(
            {
              ...errorForStatus(429),
              message:
                fault.retryAfterFormat === "none"
                  ? "Rate limit reached for requests. Please slow down."
                  : `Rate limit reached for requests. Please retry after ${seconds} second${seconds === 1 ? "" : "s"}.`
            },
            retryAfter(seconds, fault.retryAfterFormat)
          )
        }
        case "server-error":
          return fail(
            serverError(fault.status ?? 500),
            fault.retryAfter === undefined ? {} : retryAfter(fault.retryAfter, fault.retryAfterFormat)
          )
        case "http-error": {
          const base = errorForStatus(fault.status)
          return fail({
            status: fault.status,
            type: fault.error?.type ?? base.type,
            code: fault.error?.code === undefined ? base.code : fault.error.code,
            param: fault.error?.param === undefined ? base.param : fault.error.param,
            message: fault.error?.message ?? base.message
          })
        }
        case "echo-key": {
          if (fault.status === undefined) break
          const base = errorForStatus(fault.status)
          const echo = echoOf(token)
          // Not through `fail`: that redacts keys, and this fault is a service that does not.
          return respond(
            jsonResponse(
              fault.status,
              errorBody({
                status: fault.status,
                message: `${base.message}${echo}`,
                type: `${base.type}${echo}`,
                code: `${base.code ?? "error"}${echo}`,
                param: `param${echo}`
              }),
              headers()
            )
          )
        }
        case "redirect": {
          const target = new URL(url)
          target.searchParams.set("redirected", "1")
          return respond(
            new Response(null, {
              status: fault.status ?? 302,
              headers: { ...headers(), location: fault.location ?? target.href }
            })
          )
        }
        case "non-json": {
          const status = fault.status ?? 502
          return respond(
            new Response(fault.body ?? nonJsonPage(status), {
              status,
              headers: { ...headers(), "content-type": fault.contentType ?? "text/html; charset=utf-8" }
            })
          )
        }
        default:
          break
      }

      if (token === undefined || !authorized) {
        return fail({
          status: 401,
          type: "authentication_error",
          param: null,
          code: "invalid_api_key",
          message:
            request.headers.get("authorization") === null
              ? "Missing API key. Send it in the Authorization header as 'Bearer <key>'."
              : token === undefined
                ? "Malformed Authorization header. Expected 'Bearer <key>'."
                : "Invalid API key provided."
        })
      }
      if (!engine.hasKnowledgeBase(match.kbId)) {
        return fail({
          status: 404,
          type: "not_found_error",
          param: "kb_id",
          code: "knowledge_base_not_found",
          message: `Knowledge base '${echo(match.kbId)}' not found`
        })
      }

      let body: WireJob | WireJobList
      if (match.route === "get") {
        const job = engine.getJob(match.kbId, match.jobId)
        if (job === undefined) {
          return fail({
            status: 404,
            type: "not_found_error",
            param: "job_id",
            code: "ingestion_job_not_found",
            message: `Ingestion job '${echo(match.jobId)}' not found`
          })
        }
        body = job
      } else {
        const parsed = parseListQuery(url.searchParams, (after) => engine.hasJob(match.kbId, after))
        if (!parsed.ok) return fail(parsed.error)
        const page = engine.listJobs(match.kbId, parsed.query)
        body = { object: "list", data: page.data, has_more: page.hasMore }
      }

      let payload: unknown = body
      if (fault?.kind === "extra-fields")
        payload = withExtraFields(payload, fault.fields ?? DEFAULT_EXTRA_FIELDS)
      if (fault?.kind === "unknown-status") {
        payload = withUnknownStatuses(
          payload,
          fault.jobStatus === undefined ? "paused" : fault.jobStatus,
          fault.documentStatus === undefined ? "skipped" : fault.documentStatus
        )
      }
      if (fault?.kind === "echo-key") payload = withEcho(payload, echoOf(token))
      const truncateAt = fault?.kind === "truncated" ? (fault.fraction ?? 0.5) : undefined
      return respond(jsonResponse(200, payload, headers(), truncateAt))
    } catch (cause) {
      // A bug in the simulator must surface as a 500 a test can see, not as a hung request.
      console.error("tensoras simulator: internal error", cause)
      return fail({
        status: 500,
        type: "server_error",
        param: null,
        code: "simulator_error",
        message: "The simulator failed to handle this request (see its stderr)."
      })
    }
  }
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
        `Invalid 'limit': expected an integer between 1 and ${MAX_LIMIT}, got '${echo(limitText)}'.`
      )
    }
  }
  const status = params.get("status")
  if (status !== null && !(STATUSES as ReadonlyArray<string>).includes(status)) {
    return invalid(
      "status",
      "invalid_parameter",
      `Invalid 'status': expected one of ${STATUSES.join(", ")}, got '${echo(status)}'.`
    )
  }
  const after = params.get("after")
  if (after !== null && !cursorExists(after)) {
    return invalid(
      "after",
      "invalid_cursor",
      `Invalid 'after': no ingestion job '${echo(after)}' in this knowledge base.`
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
