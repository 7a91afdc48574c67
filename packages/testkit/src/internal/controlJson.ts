/**
 * The control API's JSON: what it answers (the world's state, an injected fault) and the request filter
 * its query string describes, refused by parameter name when malformed.
 */
import type { InjectedFault } from "../Fault.js"
import type { RequestOutcome, RequestRoute } from "../RequestLog.js"
import type { SimulatorControl } from "../Simulator.js"
import { toJson } from "./faultSchema.js"

/** Where the control API lives on the simulator's origin: outside `/v1`, so no API client reaches it. */
export const PREFIX = "/_simulator"

/** The header that carries the control token. */
export const TOKEN_HEADER = "x-simulator-token"

/** The control API's parameters: its query string. */
export type Query = URLSearchParams

/**
 * A refusal of the caller's input: answered `status` (default 400) with the parameter it names.
 *
 * @example
 * throw new Refused("ms", "ms: missing")
 */
export class Refused extends Error {
  constructor(
    readonly field: string,
    message: string,
    readonly status = 400
  ) {
    super(message)
  }
}

/**
 * An injected fault as JSON: `remaining` is `"always"` for a fault without end.
 *
 * @example
 * injectedJson(control.injectFault({ kind: "drop" })) // => { id: 1, kind: "drop", fault: {...}, remaining: 1, applied: 0 }
 */
export const injectedJson = (injected: InjectedFault) => ({
  id: injected.id,
  kind: injected.fault.kind,
  fault: toJson(injected.fault),
  remaining: injected.remaining === Number.POSITIVE_INFINITY ? ("always" as const) : injected.remaining,
  applied: injected.applied
})

/**
 * The world as the control API shows it: scenario, clock, each knowledge base's jobs with their status
 * now and when they end, the pending faults, and how many requests the log holds.
 *
 * @example
 * const state = controlState(control) // { scenario: "docs", clock: "manual", now: 1709125040000, ... }
 */
export const controlState = (control: SimulatorControl) => ({
  scenario: control.scenario,
  clock: control.clockMode,
  now: control.now(),
  knowledgeBases: control.knowledgeBases().map((id) => ({
    id,
    jobs: control.jobs(id).map((job) => ({
      id: job.id,
      dataSourceId: job.dataSourceId,
      status: control.getJob(id, job.id).status,
      createdAt: job.createdAt,
      terminalAt: job.terminalAt,
      outcome: job.outcome
    }))
  })),
  faults: control.faults.map(injectedJson),
  requests: control.requestCount()
})

const ROUTES: ReadonlyArray<RequestRoute> = ["list", "get", "unknown"]
const OUTCOMES: ReadonlyArray<RequestOutcome> = ["pending", "responded", "hung", "dropped", "aborted"]

const oneOf = <A extends string>(query: Query, name: string, values: ReadonlyArray<A>): A | undefined => {
  const text = query.get(name)
  if (text === null) return undefined
  if (!(values as ReadonlyArray<string>).includes(text)) {
    throw new Refused(name, `${name}: Expected one of ${values.join(", ")}, got ${JSON.stringify(text)}`)
  }
  return text as A
}

const statusOf = (query: Query): number | null | undefined => {
  const text = query.get("status")
  if (text === null) return undefined
  if (text === "none") return null
  if (!/^\d{3}$/.test(text)) {
    throw new Refused("status", `status: Expected an HTTP status or "none", got ${JSON.stringify(text)}`)
  }
  return Number(text)
}

/**
 * The request filter of `route`, `method`, `kbId`, `jobId`, `status` (`none` for no answer), `outcome`
 * and `authorized` in the query string; each one given must match.
 *
 * @example
 * requestFilter(new URLSearchParams("route=get&status=429")) // => { route: "get", status: 429 }
 */
export const requestFilter = (query: Query) => {
  const route = oneOf(query, "route", ROUTES)
  const outcome = oneOf(query, "outcome", OUTCOMES)
  const authorized = oneOf(query, "authorized", ["true", "false"] as const)
  const status = statusOf(query)
  const method = query.get("method")
  const kbId = query.get("kbId")
  const jobId = query.get("jobId")
  return {
    ...(route === undefined ? {} : { route }),
    ...(outcome === undefined ? {} : { outcome }),
    ...(authorized === undefined ? {} : { authorized: authorized === "true" }),
    ...(status === undefined ? {} : { status }),
    ...(method === null ? {} : { method }),
    ...(kbId === null ? {} : { kbId }),
    ...(jobId === null ? {} : { jobId })
  }
}
