/**
 * One request of the client, sent until it has its answer: each attempt limited in time (and by
 * the caller's deadline), traced as the client's `tracing` asks, and retried on the retry policy
 * while it fails transiently. A client that has never had a response gives up with `Unreachable`
 * after `unreachableAfter` attempts without one (`reach.ts`); with `log`, every attempt and retry
 * is told as a line. `ingestionJobs.ts` builds the requests; `response.ts` reads the answers. This
 * is the path every poll takes: it allocates as little as it can.
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Fiber from "effect/Fiber"
import { constTrue } from "effect/Function"
import * as HttpClient from "effect/http/HttpClient"
import type * as HttpClientRequest from "effect/http/HttpClientRequest"
import * as References from "effect/References"
import * as Schedule from "effect/Schedule"
import type * as Schema from "effect/Schema"
import * as Scope from "effect/Scope"
import * as Tracer from "effect/Tracer"
import { type IngestionError, summarize, TransportError } from "../IngestionError.js"
import type { RequestOptions, RetryInfo, Tracing } from "../IngestionJobs.js"
import { startTimer } from "./liveClock.js"
import * as Reach from "./reach.js"
import * as internalResponse from "./response.js"
import type { Scrub } from "./scrub.js"

/** What every request of one client shares: its options, checked once. */
export interface Settings {
  readonly client: HttpClient.HttpClient
  readonly base: URL
  readonly scrub: Scrub
  readonly tracing: Tracing
  readonly timeout: Duration.Duration
  readonly maxRetryAfter: Duration.Duration
  readonly retrySchedule: Schedule.Schedule<unknown, IngestionError>
  /** Attempts without any response after which a client that never had one is `Unreachable`. */
  readonly unreachableAfter: number
  /** Told one line per attempt and per retry (debugging); `undefined`: nothing is built for it. */
  readonly log: ((line: string) => void) | undefined
  /** The most bytes of a body read; a longer one is cut off (`responseBody.ts`). */
  readonly maxResponseBytes: number
}

/** Sends a request until it has its decoded answer, or fails for good. */
export type Send = <A, I>(
  request: HttpClientRequest.HttpClientRequest,
  schema: Schema.Codec<A, I>,
  requestOptions: RequestOptions | undefined,
  fast?: internalResponse.FastDecoder<A>
) => Effect.Effect<A, IngestionError>

/** The modes `tracing` accepts. */
export const TRACING: ReadonlyArray<Tracing> = ["auto", "spans", "propagate", "none"]

/**
 * The span of a request attempt as the client has always made it: named `http.client <METHOD>`,
 * with the request's and the response's headers as attributes (`Authorization` among the names
 * `Headers.CurrentRedactedNames` redacts: `<redacted>`). Effect's own defaults are `<METHOD>` and no
 * header.
 */
const spanName = (request: HttpClientRequest.HttpClientRequest): string => `http.client ${request.method}`
const withSpans: Context.Context<never> = Context.make(HttpClient.SpanNameGenerator, spanName).pipe(
  Context.add(HttpClient.TracerHeaderFilter, constTrue)
)
const withSpansNoPropagation = Context.add(withSpans, HttpClient.TracerPropagationEnabled, false)
const withoutSpans = Context.make(References.TracerEnabled, false)

/** How an attempt runs for the fiber that sends it: with the spans and trace headers asked for. */
type Traced = <A, E>(effect: Effect.Effect<A, E>, fiber: Fiber.Fiber<unknown, unknown>) => Effect.Effect<A, E>

// Module functions, not closures per client: they depend on the mode alone.
const propagating: Traced = (effect) => Effect.provideContext(effect, withSpans)
const propagationOff: Traced = (effect) => Effect.provideContext(effect, withSpansNoPropagation)
const spansOff: Traced = (effect) => Effect.provideContext(effect, withoutSpans)
/** `Tracer.nativeTracer` is Effect's built-in tracer: spans it makes are recorded nowhere. */
const tracedAuto: Traced = (effect, fiber) =>
  fiber.getRef(Tracer.Tracer) === Tracer.nativeTracer
    ? Effect.provideContext(effect, withoutSpans)
    : Effect.provideContext(effect, withSpansNoPropagation)

/**
 * Runs a request attempt with the spans and trace headers `tracing` asks for. The client reads
 * them from context references: they are set for the attempt alone. (`auto` decides by the
 * tracer of the fiber that sends the attempt: {@link limited} hands it over, no fiber read of
 * its own per attempt.)
 */
const tracedWith = (tracing: Tracing): Traced =>
  tracing === "propagate"
    ? propagating
    : tracing === "spans"
      ? propagationOff
      : tracing === "none"
        ? spansOff
        : tracedAuto

/**
 * `Effect.retry(attempt, policy())`, without stepping the policy (and building its state) for an
 * attempt that succeeds or fails for good: a request that is not retried costs no retry machinery.
 */
const retrying = <A>(
  attempt: Effect.Effect<A, IngestionError>,
  policy: () => Schedule.Schedule<unknown, IngestionError>
): Effect.Effect<A, IngestionError> =>
  Effect.catch(attempt, (first) =>
    first.isTransient
      ? Effect.flatMap(Schedule.toStepWithSleep(policy()), (step) => {
          // A step sleeps the delay and succeeds, or fails (with `Cause.Done`) when the policy is done.
          const loop = (error: IngestionError): Effect.Effect<A, IngestionError> =>
            Effect.matchEffect(step(error), {
              onFailure: () => Effect.fail(error),
              onSuccess: () => Effect.catch(attempt, loop)
            })
          return loop(first)
        })
      : Effect.fail(first)
  )

/**
 * The retry policy: the caller's schedule, only for transient errors, never shorter than the
 * `Retry-After` the service asked for (capped at `maxRetryAfter`), and never past the call's
 * deadline (the attempt at the deadline then fails before it is sent).
 */
const retryPolicy = (
  schedule: Schedule.Schedule<unknown, IngestionError>,
  maxRetryAfter: Duration.Duration,
  options: RequestOptions | undefined,
  log: ((line: string) => void) | undefined
): Schedule.Schedule<unknown, IngestionError> => {
  const transient = Schedule.while(schedule, ({ input }) => input.isTransient)
  const told = options?.onRetry
  const onRetry =
    log === undefined
      ? told
      : (info: RetryInfo) => {
          log(
            `retry ${info.attempt} in ${(info.delayMillis / 1000).toFixed(1)} s after ${summarize(info.error)}`
          )
          return told === undefined ? Effect.void : told(info)
        }
  const deadline = options?.deadline
  // `attempt` counts the policy's steps from 1: the first retry of the request is attempt 1.
  return Schedule.modifyDelay(transient, ({ input: error, attempt, duration: delay }) => {
    const asked = "retryAfterMs" in error ? error.retryAfterMs : undefined
    const wanted =
      asked === undefined ? delay : Duration.max(delay, Duration.min(Duration.millis(asked), maxRetryAfter))
    const wait =
      deadline === undefined
        ? Effect.succeed(wanted)
        : Effect.map(Clock.currentTimeMillis, (now) =>
            Duration.min(wanted, Duration.millis(Math.max(0, deadline - now)))
          )
    return onRetry === undefined
      ? wait
      : Effect.tap(wait, (delayed) =>
          onRetry({
            error: error as RetryInfo["error"],
            attempt,
            delayMillis: Duration.toMillis(delayed)
          })
        )
  })
}

/** What limits one attempt: the client's `requestTimeout`, and the caller's deadline when there is one. */
interface Limits {
  readonly timeoutMillis: number
  readonly onTimeout: () => IngestionError
  /** Epoch ms on the fiber's clock, or `undefined`. */
  readonly deadline: number | undefined
  readonly onDeadline: () => IngestionError
}

/**
 * One attempt (response body included) limited to the request timeout, or to the caller's
 * deadline when that comes first, failing with `onTimeout()` or `onDeadline()` after it. The
 * clock is read before every attempt: a timer that fired late (a blocked event loop) cannot send
 * a request past the deadline (the attempt fails at once, unsent), and an attempt never outlives
 * it.
 *
 * No fiber of its own: the request runs in the caller's fiber in a Scope that aborts it (the
 * client's AbortSignal, which fetch, undici and node:http honour, body included) when it closes; a
 * timer closes it after `ms`. The attempt's end cancels the timer, and an interruption (an abort
 * stops everything at once) or a failure (a body cut off at `maxResponseBytes`) closes the Scope. `Effect.timeout` would race two fibers and a sleep per
 * attempt instead: about three times the cost of this, on every poll. The timer is a plain
 * `setTimeout` on the real-time clock, a fiber sleeping on the clock on any other (`TestClock`):
 * see `liveClock.ts`. The path is the same on both.
 */
const limited = <A>(
  attempt: (scope: Scope.Scope, fiber: Fiber.Fiber<unknown, unknown>) => Effect.Effect<A, IngestionError>,
  limits: Limits
): Effect.Effect<A, IngestionError> =>
  Effect.withFiber((fiber) => {
    const { deadline } = limits
    let ms = limits.timeoutMillis
    let onLimit = limits.onTimeout
    if (deadline !== undefined) {
      const now = fiber.getRef(Clock.Clock).currentTimeMillisUnsafe()
      if (now >= deadline) return Effect.fail(limits.onDeadline())
      if (deadline - now < ms) {
        ms = deadline - now
        onLimit = limits.onDeadline
      }
    }
    const scope = Scope.makeUnsafe()
    let fired = false
    const cancel = startTimer(fiber, ms, () => {
      fired = true
      Effect.runFork(Scope.close(scope, Exit.void))
    })
    return attempt(scope, fiber).pipe(
      Effect.mapError((error) => (fired ? onLimit() : error)),
      Effect.onExit((exit) => {
        cancel()
        // Interrupted or failed: abort the request. A body over `maxResponseBytes` was not read to
        // its end (or not at all), and that is the one way to close its connection; a failure whose
        // body was read whole is not changed by it. A success was read to its end: nothing to abort,
        // and an abort would build a DOMException for naught, on every poll.
        return Exit.isFailure(exit) ? Scope.close(scope, exit) : Effect.void
      })
    )
  })

const deadlinePassed = (request: HttpClientRequest.HttpClientRequest, base: URL) =>
  new TransportError({
    method: request.method,
    url: new URL(request.url, base).href,
    reason: "Deadline",
    message: "The caller's deadline passed before a complete response arrived"
  })

const timedOut = (request: HttpClientRequest.HttpClientRequest, base: URL, timeout: Duration.Duration) =>
  new TransportError({
    method: request.method,
    url: new URL(request.url, base).href,
    reason: "Timeout",
    message: `No complete response within ${Duration.format(timeout)}`
  })

/** The client's {@link Send}. */
export const makeSend = (settings: Settings): Send => {
  const { base, scrub, timeout, retrySchedule, maxRetryAfter, log, maxResponseBytes } = settings
  // Whether the service ever answered this client, and how many attempts went without an answer.
  const reach = Reach.make(settings.unreachableAfter, base)
  // The client, its requests aborted when a Scope we own closes (see `limited`).
  const scopedClient = HttpClient.withScope(settings.client)
  const traced = tracedWith(settings.tracing)
  const timeoutMillis = Duration.toMillis(timeout)
  // Built at the first call without a deadline or `onRetry` (the engine's requests always have a
  // deadline: a client that only waits never builds it).
  let defaultPolicy: Schedule.Schedule<unknown, IngestionError> | undefined
  const retry = () => {
    if (defaultPolicy === undefined) defaultPolicy = retryPolicy(retrySchedule, maxRetryAfter, undefined, log)
    return defaultPolicy
  }
  return (request, schema, requestOptions, fast) => {
    // The status of the attempt's answer, for its debug line (only when there is a `log`).
    const seen: Reach.Seen | undefined = log === undefined ? undefined : { status: 0 }
    const decode = internalResponse.handle(schema, scrub, maxResponseBytes, fast)
    // Once the service has answered, a poll's path is as before: nothing more per request.
    const handle = reach.answered && seen === undefined ? decode : Reach.answered(reach, decode, seen)
    const attempt = (scope: Scope.Scope, fiber: Fiber.Fiber<unknown, unknown>) =>
      traced(
        scopedClient
          .execute(request)
          .pipe(
            Effect.provideService(Scope.Scope, scope),
            Effect.mapError(internalResponse.transportError),
            Effect.flatMap(handle)
          ),
        fiber
      )
    const limits: Limits = {
      timeoutMillis,
      onTimeout: () => timedOut(request, base, timeout),
      deadline: requestOptions?.deadline,
      onDeadline: () => deadlinePassed(request, base)
    }
    const policy =
      requestOptions === undefined
        ? retry
        : () => retryPolicy(retrySchedule, maxRetryAfter, requestOptions, log)
    // Until the service has answered once, an attempt without an answer counts towards `Unreachable`.
    const sent = limited(attempt, limits)
    const counted = reach.answered ? sent : Reach.counted(reach, sent)
    return retrying(log === undefined ? counted : Reach.logged(counted, request, scrub, log, seen), policy)
  }
}
