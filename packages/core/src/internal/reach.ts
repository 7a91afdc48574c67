/**
 * Whether a client has reached the service: until its first response (a status line, whatever the
 * status), every attempt that ends without one counts, and the attempt that makes `unreachableAfter`
 * of them fails with `Unreachable` instead of a `TransportError`: a wrong `baseUrl`, a port nothing
 * listens on or a host that does not resolve ends the calls and waits in seconds, where retries and
 * polls would go on to a deadline half an hour away. After the first response nothing counts any
 * more: a service that answered once and then fails is an outage, ridden out as before.
 *
 * Also the debug lines of `log` for each attempt.
 */
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as HttpClientRequest from "effect/http/HttpClientRequest"
import type * as HttpClientResponse from "effect/http/HttpClientResponse"
import * as UrlParams from "effect/http/UrlParams"
import { type IngestionError, summarize, type TransportError, Unreachable } from "../IngestionError.js"
import type { Scrub } from "./scrub.js"

/** One client's state (mutable: the requests of a client share it). */
export interface Reach {
  /** The service has answered at least once. */
  answered: boolean
  /** Attempts that ended without a response, while it never answered. */
  silent: number
  /** How many make it `Unreachable` (`Infinity`: never). */
  readonly after: number
  readonly base: URL
}

export const make = (after: number, base: URL): Reach => ({ answered: false, silent: 0, after, base })

/** What an attempt's answer tells of the request, for the debug line: its status. */
export interface Seen {
  status: number
}

/** `handle`, noting first that the service answered (and the status, for `seen`). */
export const answered =
  <A>(
    reach: Reach,
    handle: (response: HttpClientResponse.HttpClientResponse) => Effect.Effect<A, IngestionError>,
    seen: Seen | undefined
  ) =>
  (response: HttpClientResponse.HttpClientResponse): Effect.Effect<A, IngestionError> => {
    reach.answered = true
    if (seen !== undefined) seen.status = response.status
    return handle(response)
  }

const unreachable = (reach: Reach, error: TransportError, reason: "Network" | "Timeout") =>
  new Unreachable({
    method: error.method,
    url: error.url,
    reason,
    ...(error.code === undefined ? {} : { code: error.code }),
    attempts: reach.silent,
    message: `The service did not answer ${reach.silent} attempts (the last: ${summarize(error)}): check that it runs at ${reach.base.href} and that this is the right base URL`
  })

/** An attempt's failure, counted while the service never answered: the last one allowed is `Unreachable`. */
const counting =
  (reach: Reach) =>
  (error: IngestionError): IngestionError => {
    // A response (any status) was an answer; a deadline of the caller's says nothing of the service.
    if (reach.answered || error._tag !== "TransportError" || error.reason === "Deadline") return error
    reach.silent++
    return reach.silent >= reach.after ? unreachable(reach, error, error.reason) : error
  }

/** An attempt whose failure without a response counts (see the module). */
export const counted = <A>(reach: Reach, attempt: Effect.Effect<A, IngestionError>) =>
  Effect.mapError(attempt, counting(reach))

/**
 * An attempt told to `log` as it ends: `GET <url> → 200 in 12 ms`, or what it failed with
 * (`ECONNREFUSED 127.0.0.1:9`, `HTTP 503 service_unavailable`). The URL holds no key; `scrub` all the same.
 */
export const logged = <A>(
  attempt: Effect.Effect<A, IngestionError>,
  request: HttpClientRequest.HttpClientRequest,
  scrub: Scrub,
  log: (line: string) => void,
  seen: Seen | undefined
): Effect.Effect<A, IngestionError> =>
  Effect.flatMap(Clock.currentTimeMillis, (start) =>
    Effect.onExit(attempt, (exit) =>
      Effect.map(Clock.currentTimeMillis, (end) => {
        if (Exit.hasInterrupts(exit)) return
        const query = UrlParams.toString(request.urlParams)
        const target = `${request.method} ${request.url}${query === "" ? "" : `?${query}`}`
        const error = Exit.isFailure(exit) ? Cause.findErrorOption(exit.cause) : undefined
        const outcome =
          error === undefined
            ? String(seen?.status ?? "answered")
            : error._tag === "Some"
              ? summarize(error.value)
              : "failed"
        log(scrub(`${target} → ${outcome} in ${end - start} ms`))
      })
    )
  )
