/**
 * The control API over HTTP, on the simulator's own port: under `/_simulator` (outside `/v1`, so a client
 * of the API never reaches it by its base URL) and only with the control token in `x-simulator-token`
 * (never the API key, so a client that follows a redirect there with its key cannot drive it). Mutations
 * are POST or DELETE, which no client of the API sends. Parameters come in the query string; structured
 * ones (a fault, a job) as JSON there, decoded strictly like a scenario file.
 */
import * as Result from "effect/Result"
import type { FetchHandler } from "../FetchHandler.js"
import { matchesFilter, SimulatorDisposed } from "../RequestLog.js"
import type { Simulator, SimulatorControl } from "../Simulator.js"
import {
  controlState,
  injectedJson,
  PREFIX,
  type Query,
  Refused,
  requestFilter,
  TOKEN_HEADER
} from "./controlJson.js"
import { FaultJson, toFault } from "./faultSchema.js"
import { addJob, type JobTarget } from "./scenarioFile.js"
import { JobJson } from "./scenarioSchema.js"
import { decodeStrict, type Refusal } from "./schemaIssues.js"

const json = (status: number, body: unknown, headers: Record<string, string> = {}): Response =>
  new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", "cache-control": "no-store", ...headers }
  })

const failure = (status: number, message: string, field?: string): Response =>
  json(status, { error: { message, ...(field === undefined ? {} : { field }) } })

const numberParam = (query: Query, name: string): number => {
  const text = query.get(name)
  if (text === null) throw new Refused(name, `${name}: missing`)
  const value = Number(text)
  if (text.trim() === "" || !Number.isFinite(value) || value < 0) {
    throw new Refused(name, `${name}: Expected a number >= 0, got ${JSON.stringify(text)}`)
  }
  return value
}

const jsonParam = <A>(
  query: Query,
  name: string,
  decode: (input: unknown, root: ReadonlyArray<PropertyKey>) => Result.Result<A, Refusal>
): A | undefined => {
  const text = query.get(name)
  if (text === null) return undefined
  let input: unknown
  try {
    input = JSON.parse(text)
  } catch (cause) {
    throw new Refused(name, `${name}: not JSON: ${cause instanceof Error ? cause.message : String(cause)}`)
  }
  const decoded = decode(input, [name])
  if (Result.isFailure(decoded)) throw new Refused(decoded.failure.path, decoded.failure.message)
  return decoded.success
}

const decodeFault = decodeStrict(FaultJson)
const decodeJob = decodeStrict(JobJson)

const jobTarget = (control: SimulatorControl): JobTarget => ({
  now: () => control.now(),
  hasDataSource: (kbId, dataSourceId) =>
    control.dataSources(kbId).some((source) => source.id === dataSourceId),
  addDataSource: (kbId, options) => control.addDataSource(kbId, options).job,
  syncDataSource: (kbId, dataSourceId, options) => control.syncDataSource(kbId, dataSourceId, options)
})

const knownKb = (control: SimulatorControl, kbId: string | null): string => {
  if (kbId === null) throw new Refused("kbId", "kbId: missing")
  if (!control.knowledgeBases().includes(kbId)) {
    throw new Refused(
      "kbId",
      `kbId: no knowledge base '${kbId}' (add it: POST ${PREFIX}/knowledge-bases?id=…)`,
      404
    )
  }
  return kbId
}

const addJobRoute = (control: SimulatorControl, query: Query): Response => {
  const kbId = knownKb(control, query.get("kbId"))
  const job = jsonParam(query, "job", decodeJob) ?? {}
  const info = addJob(jobTarget(control), kbId, job)
  const faults = (job.faults ?? []).map((fault) =>
    injectedJson(control.injectFault(toFault(fault, { kbId, jobId: info.id })))
  )
  return json(201, { job: info, faults })
}

/** The log, or the part `filter` selects; with `count`, once that many have arrived (or ended, `settled`). */
const requestsRoute = async (
  control: SimulatorControl,
  query: Query,
  signal: AbortSignal
): Promise<Response> => {
  const filter = requestFilter(query)
  const settled = query.get("settled") === "true"
  if (query.get("count") !== null) {
    const timeoutMs = query.get("timeoutMs") === null ? undefined : numberParam(query, "timeoutMs")
    await control.waitForRequests(numberParam(query, "count"), {
      filter,
      settled,
      signal,
      ...(timeoutMs === undefined ? {} : { timeoutMs })
    })
  }
  const requests = control.requests.filter(
    (record) => matchesFilter(record, filter) && (!settled || record.outcome !== "pending")
  )
  return json(200, { requests })
}

type Route = (control: SimulatorControl, query: Query, request: Request) => Response | Promise<Response>

const ROUTES: Record<string, Partial<Record<string, Route>>> = {
  "": { GET: (control) => json(200, controlState(control)) },
  "/advance": { POST: (control, query) => json(200, { now: control.advance(numberParam(query, "ms")) }) },
  "/time": { POST: (control, query) => json(200, { now: control.setTime(numberParam(query, "epochMs")) }) },
  "/reset": {
    POST: (control) => {
      control.reset()
      return json(200, controlState(control))
    }
  },
  "/knowledge-bases": {
    POST: (control, query) => json(201, { id: control.addKnowledgeBase(query.get("id") ?? undefined) })
  },
  "/jobs": { POST: addJobRoute },
  "/faults": {
    GET: (control) => json(200, { faults: control.faults.map(injectedJson) }),
    POST: (control, query) => {
      const fault = jsonParam(query, "fault", decodeFault)
      if (fault === undefined) throw new Refused("fault", "fault: missing")
      return json(201, injectedJson(control.injectFault(toFault(fault))))
    },
    DELETE: (control) => {
      control.clearFaults()
      return json(200, { faults: [] })
    }
  },
  "/requests": {
    GET: (control, query, request) => requestsRoute(control, query, request.signal),
    DELETE: (control) => {
      control.clearRequests()
      return json(200, { requests: [] })
    }
  }
}

const JOB_PATH = /^\/jobs\/([^/]+)\/([^/]+)$/

/** The route of a control path and method, or the answer when there is none. */
const routeOf = (path: string, method: string): Route | Response => {
  const job = JOB_PATH.exec(path)
  if (job !== null) {
    if (method !== "GET") return failure(405, `${method} is not allowed on ${PREFIX}${path}`)
    return (control) => {
      // Inside the route, so a malformed escape is answered like any refusal.
      const [kbId, jobId] = [decodeURIComponent(job[1]!), decodeURIComponent(job[2]!)]
      const known = knownKb(control, kbId)
      if (!control.jobs(known).some((candidate) => candidate.id === jobId)) {
        throw new Refused("jobId", `jobId: no job '${jobId}' in knowledge base '${known}'`, 404)
      }
      return json(200, control.getJob(known, jobId))
    }
  }
  const methods = ROUTES[path]
  if (methods === undefined)
    return failure(404, `No control endpoint ${PREFIX}${path} (see docs/simulator.md)`)
  const route = methods[method]
  if (route === undefined) {
    const allow = Object.keys(methods).join(", ")
    return json(
      405,
      { error: { message: `${method} is not allowed on ${PREFIX}${path}; use ${allow}` } },
      { allow }
    )
  }
  return route
}

const answer = async (control: SimulatorControl, request: Request, url: URL): Promise<Response> => {
  const route = routeOf(url.pathname.slice(PREFIX.length).replace(/\/$/, ""), request.method)
  if (route instanceof Response) return route
  try {
    return await route(control, url.searchParams, request)
  } catch (cause) {
    if (cause instanceof Refused) return failure(cause.status, cause.message, cause.field)
    if (cause instanceof SimulatorDisposed) return failure(503, cause.message)
    // What the in-process control refuses (an unknown job, a clock moved backwards, a used id) or a wait
    // that ran out: the caller's to fix, with the control's own words.
    const message = cause instanceof Error ? cause.message : String(cause)
    return failure(/^Timed out/.test(message) ? 408 : 400, message)
  }
}

/**
 * `simulator` with the control API served by its handler (see `SimulatorControl.withControl`).
 *
 * @example
 * const served = withControl(Simulator.make({ clock: "manual" }), { token: "ctl_x" })
 */
export const withControl = (simulator: Simulator, options: { readonly token: string }): Simulator => {
  const token = options.token
  if (token.trim() === "" || /\s/.test(token))
    throw new RangeError("The control token must be non-empty, without spaces")
  const handler: FetchHandler = async (request) => {
    const url = new URL(request.url)
    if (url.pathname !== PREFIX && !url.pathname.startsWith(`${PREFIX}/`)) return simulator.handler(request)
    if (request.headers.get(TOKEN_HEADER) !== token) {
      return failure(401, `The control API needs the simulator's control token in '${TOKEN_HEADER}'`)
    }
    return answer(simulator.control, request, url)
  }
  return { handler, control: simulator.control, dispose: () => simulator.dispose() }
}
