/**
 * The API's Fetch handler, step by step: log the request, route it, apply its faults, authenticate it,
 * answer from the engine, and write the answer. Each step lives in its own module:
 * `routes.ts` (routing and the two routes), `faultAnswers.ts` and `payloadFaults.ts` (fault injection),
 * `hugeBody.ts` (a body streamed without end), `auth.ts` (authentication) and `exchange.ts` (writing answers and
 * the log record).
 */
import type { FetchHandler } from "../FetchHandler.js"
import type { SimulatorClock } from "../SimulatorClock.js"
import type { SimulatorEngine } from "../SimulatorEngine.js"
import { bearerToken, unauthorized } from "./auth.js"
import { Exchange } from "./exchange.js"
import { delay, faultAnswer, hang } from "./faultAnswers.js"
import type { FaultQueue } from "./faultQueue.js"
import { hugeBody } from "./hugeBody.js"
import { reshape, truncation } from "./payloadFaults.js"
import type { RequestLog } from "./requestLog.js"
import { type ApiError, errorBody, errorForStatus, jsonResponse } from "./responses.js"
import { answerRoute, type Match, matchRoute, notGet, unknownUrl } from "./routes.js"

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

const SIMULATOR_ERROR: ApiError = {
  status: 500,
  type: "server_error",
  param: null,
  code: "simulator_error",
  message: "The simulator failed to handle this request (see its stderr)."
}

/** Opens the request's log record, as it arrived, and the exchange that answers it. */
const open = (context: HandlerContext, request: Request, url: URL, match: Match | undefined): Exchange => {
  const token = bearerToken(request.headers.get("authorization"))
  const authorized = token !== undefined && context.apiKeys().includes(token)
  const arrivedAt = context.clock.now()
  const { seq, update } = context.log.open({
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
  return new Exchange(context.clock, context.apiKeys, seq, token, authorized, update)
}

/** What a delay or a hang waits for: the client going away, or the simulator being disposed. */
const goneAway = (request: Request, context: HandlerContext): AbortSignal =>
  AbortSignal.any([request.signal, context.lifetime])

/** A GET on a route: its faults, authentication, the engine's answer, and that answer as faults alter it. */
const answer = async (
  context: HandlerContext,
  exchange: Exchange,
  request: Request,
  url: URL,
  match: Match
): Promise<Response> => {
  const { latency, effect, applied } = context.faults.take(match)
  exchange.finish({ faults: applied })
  if (latency !== undefined && latency.fault.kind === "latency") {
    const signal = goneAway(request, context)
    await delay(context.clock, latency.fault, signal)
    if (signal.aborted) return exchange.drop("aborted")
  }
  const fault = effect?.fault
  if (fault?.kind === "hang") return hang(exchange, goneAway(request, context))
  if (fault?.kind === "huge-body" && fault.status !== undefined) {
    return hugeBody(exchange, fault, errorBody(errorForStatus(fault.status)), goneAway(request, context))
  }
  const replaced = faultAnswer(exchange, fault, url)
  if (replaced !== undefined) return replaced

  const denied = unauthorized(request.headers, exchange.token, exchange.authorized)
  if (denied !== undefined) return exchange.fail(denied)
  const body = answerRoute(context.engine, exchange, match, url.searchParams)
  if (body instanceof Response) return body
  if (fault?.kind === "huge-body") return hugeBody(exchange, fault, body, goneAway(request, context))
  return exchange.respond(
    jsonResponse(200, reshape(body, fault, exchange.token), exchange.headers(), truncation(fault))
  )
}

/**
 * The API's Fetch handler: routing, faults, authentication, validation, then the engine's answer.
 *
 * @example
 * const response = await createHandler(context)(new Request("http://sim/v1/knowledge-bases/kb_1/ingestion-jobs"))
 */
export const createHandler =
  (context: HandlerContext): FetchHandler =>
  async (request) => {
    const url = new URL(request.url)
    const match = matchRoute(url.pathname)
    const exchange = open(context, request, url, match)
    try {
      if (match === undefined) return exchange.fail(unknownUrl(request.method, url.pathname))
      if (request.method !== "GET") return notGet(exchange, request.method, url.pathname)
      return await answer(context, exchange, request, url, match)
    } catch (cause) {
      // A bug in the simulator must surface as a 500 a test can see, not as a hung request.
      console.error("tensoras simulator: internal error", cause)
      return exchange.fail(SIMULATOR_ERROR)
    }
  }
