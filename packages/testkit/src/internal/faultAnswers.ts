/**
 * Fault injection before the API answers: a latency fault's delay, and the faults that answer in the
 * API's place (hang, drop, rate limit, server and HTTP errors, a key-echoing error, redirect, non-JSON).
 */
import type { Fault } from "../Fault.js"
import type { SimulatorClock } from "../SimulatorClock.js"
import type { Exchange } from "./exchange.js"
import {
  type ApiError,
  errorBody,
  errorForStatus,
  jsonResponse,
  nonJsonPage,
  serverError
} from "./responses.js"

type FaultOf<K extends Fault["kind"]> = Extract<Fault, { readonly kind: K }>

/** Waits `ms` of real time, or less when `signal` aborts. */
export const sleepReal = (ms: number, signal: AbortSignal): Promise<void> =>
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

/**
 * Waits out a latency fault on its clock; ends early when `signal` aborts.
 *
 * @example
 * await delay(clock, { kind: "latency", ms: 200 }, signal)
 */
export const delay = (
  clock: SimulatorClock,
  fault: FaultOf<"latency">,
  signal: AbortSignal
): Promise<void> =>
  fault.clock === "engine" ? clock.sleepUntil(clock.now() + fault.ms, signal) : sleepReal(fault.ms, signal)

/** A `Retry-After` header in the fault's format (delta-seconds must be a whole number). */
const retryAfter = (
  clock: SimulatorClock,
  seconds: number,
  format: string | undefined
): Record<string, string> =>
  format === "none"
    ? {}
    : format === "http-date"
      ? { "retry-after": new Date(clock.now() + seconds * 1000).toUTCString() }
      : { "retry-after": String(Math.ceil(seconds)) }

const rateLimited = (exchange: Exchange, fault: FaultOf<"rate-limit">): Response => {
  const seconds = fault.retryAfter ?? 1
  return exchange.fail(
    {
      ...errorForStatus(429),
      message:
        fault.retryAfterFormat === "none"
          ? "Rate limit reached for requests. Please slow down."
          : `Rate limit reached for requests. Please retry after ${seconds} second${seconds === 1 ? "" : "s"}.`
    },
    retryAfter(exchange.clock, seconds, fault.retryAfterFormat)
  )
}

const httpError = (fault: FaultOf<"http-error">): ApiError => {
  const base = errorForStatus(fault.status)
  return {
    status: fault.status,
    type: fault.error?.type ?? base.type,
    code: fault.error?.code === undefined ? base.code : fault.error.code,
    param: fault.error?.param === undefined ? base.param : fault.error.param,
    message: fault.error?.message ?? base.message
  }
}

/**
 * What a service that echoes the Authorization header would add: the key, bare and as the header.
 *
 * @example
 * echoOf("tns_x") // => " [echo: tns_x | Authorization: Bearer tns_x]"
 */
export const echoOf = (token: string | undefined): string =>
  token === undefined ? " [echo: no key sent]" : ` [echo: ${token} | Authorization: Bearer ${token}]`

/** An error with the key echoed in every field: not through `fail`, which redacts keys. */
const echoedError = (exchange: Exchange, status: number): Response => {
  const base = errorForStatus(status)
  const echo = echoOf(exchange.token)
  return exchange.respond(
    jsonResponse(
      status,
      errorBody({
        status,
        message: `${base.message}${echo}`,
        type: `${base.type}${echo}`,
        code: `${base.code ?? "error"}${echo}`,
        param: `param${echo}`
      }),
      exchange.headers()
    )
  )
}

const redirect = (exchange: Exchange, fault: FaultOf<"redirect">, url: URL): Response => {
  const target = new URL(url)
  target.searchParams.set("redirected", "1")
  return exchange.respond(
    new Response(null, {
      status: fault.status ?? 302,
      headers: { ...exchange.headers(), location: fault.location ?? target.href }
    })
  )
}

const nonJson = (exchange: Exchange, fault: FaultOf<"non-json">): Response => {
  const status = fault.status ?? 502
  return exchange.respond(
    new Response(fault.body ?? nonJsonPage(status), {
      status,
      headers: { ...exchange.headers(), "content-type": fault.contentType ?? "text/html; charset=utf-8" }
    })
  )
}

/**
 * The `hang` fault: no answer until the client or the simulator goes away, then a dropped connection.
 *
 * @example
 * return hang(exchange, AbortSignal.any([request.signal, lifetime]))
 */
export const hang = async (exchange: Exchange, signal: AbortSignal): Promise<Response> => {
  await untilAborted(signal)
  return exchange.drop("hung")
}

/**
 * The answer a fault gives at once in the API's place, before authentication; `undefined` when the
 * request goes on to the API (no fault, one that only alters the API's answer, or `hang`: see {@link hang}).
 *
 * @example
 * const replaced = faultAnswer(exchange, { kind: "drop" }, url) // a dropped connection
 */
export const faultAnswer = (exchange: Exchange, fault: Fault | undefined, url: URL): Response | undefined => {
  switch (fault?.kind) {
    case "drop":
      return exchange.drop("dropped")
    case "rate-limit":
      return rateLimited(exchange, fault)
    case "server-error":
      return exchange.fail(
        serverError(fault.status ?? 500),
        fault.retryAfter === undefined
          ? {}
          : retryAfter(exchange.clock, fault.retryAfter, fault.retryAfterFormat)
      )
    case "http-error":
      return exchange.fail(httpError(fault))
    case "echo-key":
      return fault.status === undefined ? undefined : echoedError(exchange, fault.status)
    case "redirect":
      return redirect(exchange, fault, url)
    case "non-json":
      return nonJson(exchange, fault)
    default:
      return undefined
  }
}
