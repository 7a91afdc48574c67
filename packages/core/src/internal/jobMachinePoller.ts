import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as ConfigError from "effect/ConfigError"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as FiberId from "effect/FiberId"
import type * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Runtime from "effect/Runtime"
import type * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import { type CallbackActorLogic, type EventObject, fromCallback } from "xstate"
import { IngestionError, InvalidInput, isIngestionError } from "../IngestionError.js"
import type { IngestionJobDetail } from "../IngestionJob.js"
import type { IngestionJobs } from "../IngestionJobs.js"
import * as Poller from "../Poller.js"
import type { Observed, WaitTimeout } from "../WaitError.js"

/** A client error as plain data: what `Schema.encode(IngestionError)` gives. */
export type ClientErrorData = typeof IngestionError.Encoded

/** A failure that is not one of the library's errors (a bug, or an actor that threw). */
export interface Defect {
  readonly _tag: "Defect"
  readonly message: string
}

export type ErrorData = ClientErrorData | Defect

export type RetriedErrorData = Extract<
  ClientErrorData,
  { readonly _tag: "RateLimited" | "ServerError" | "TransportError" }
>

export interface PolledEvent {
  readonly type: "POLLED"
  readonly job: IngestionJobDetail
  readonly at: number
  readonly changed: boolean
  readonly stalled: boolean
  readonly nextPollAt: number | null
}

export interface RetryingEvent {
  readonly type: "RETRYING"
  readonly error: RetriedErrorData
  readonly attempt: number
  readonly delayMs: number
  readonly at: number
}

export interface TimedOutEvent {
  readonly type: "TIMED_OUT"
  readonly lastJob: IngestionJobDetail | null
  readonly elapsedMs: number
  readonly observed: Observed
  readonly message: string
  /** When the poller gave up (epoch ms, Effect clock). */
  readonly at: number
}

export interface ErroredEvent {
  readonly type: "ERRORED"
  readonly error: ErrorData
}

export type PollerEvent = PolledEvent | RetryingEvent | TimedOutEvent | ErroredEvent

/** What the poller actor is invoked with: plain data, so a persisted snapshot can restart it. */
export interface PollerInput {
  readonly knowledgeBaseId: string
  readonly jobId: string
  /** Absolute (epoch ms): a poller restarted from a snapshot waits only for what is left. */
  readonly deadline: number
}

export type PollerLogic = CallbackActorLogic<EventObject, PollerInput>

const encodeClientError = Schema.encodeSync(IngestionError)

/** Any failure as plain, serialisable data: the library's errors encoded, anything else a `Defect`. */
export const errorData = (error: unknown): ErrorData => {
  if (isIngestionError(error)) return encodeClientError(error)
  // A missing or malformed TENSORAS_* variable: the input of the wait was not acceptable.
  if (ConfigError.isConfigError(error)) {
    return encodeClientError(new InvalidInput({ param: "config", message: String(error) }))
  }
  return { _tag: "Defect", message: error instanceof Error ? error.message : String(error) }
}

const causeData = (cause: Cause.Cause<unknown>): ErrorData => {
  const failure = Cause.failureOption(cause)
  return errorData(failure._tag === "Some" ? failure.value : Cause.squash(cause))
}

const toEvent = (event: Poller.PollEvent): PollerEvent =>
  event._tag === "Polled"
    ? {
        type: "POLLED",
        job: event.job,
        at: event.at,
        changed: event.changed,
        stalled: event.stalled,
        nextPollAt: event.nextPollAt
      }
    : {
        type: "RETRYING",
        error: encodeClientError(event.error) as RetriedErrorData,
        attempt: event.attempt,
        delayMs: event.delayMs,
        at: event.at
      }

const failureEvent = (error: IngestionError | WaitTimeout, at: number): PollerEvent =>
  error._tag === "WaitTimeout"
    ? {
        type: "TIMED_OUT",
        lastJob: error.lastJob,
        elapsedMs: error.elapsedMs,
        observed: error.observed,
        message: error.message,
        at
      }
    : { type: "ERRORED", error: errorData(error) }

/**
 * Runs an effect somewhere, reports how it ended, and returns how to stop it. The two ways: on a
 * `Runtime` the caller owns, or on a runtime built from a Layer for this one poller (and disposed
 * with it).
 */
export type Launch<R> = (
  effect: Effect.Effect<void, never, R>,
  onExit: (exit: Exit.Exit<void, unknown>) => void
) => () => void

export const launchOn =
  <R>(runtime: Runtime.Runtime<R>): Launch<R> =>
  (effect, onExit) => {
    const fiber = Runtime.runFork(runtime)(effect)
    fiber.addObserver(onExit)
    // Interruption runs the fiber's finalizers: the platform's HttpClient aborts the request in flight.
    return () => fiber.unsafeInterruptAsFork(FiberId.none)
  }

export const launchWith =
  <R, E>(layer: Layer.Layer<R, E>): Launch<R> =>
  (effect, onExit) => {
    const runtime = ManagedRuntime.make(layer)
    const fiber = runtime.runFork(effect)
    fiber.addObserver(onExit)
    return () => {
      Effect.runFork(Effect.zipRight(Fiber.interrupt(fiber), runtime.disposeEffect))
    }
  }

/** The poll events of one wait, for the poller's input. */
export type EventsOf<R> = (
  input: PollerInput
) => Stream.Stream<Poller.PollEvent, IngestionError | WaitTimeout, R>

/** Core's own polling, on the caller's schedule. */
export const coreEvents =
  (schedule: Schedule.Schedule<unknown, IngestionJobDetail> | undefined): EventsOf<IngestionJobs> =>
  (input) =>
    Poller.events(input.knowledgeBaseId, input.jobId, { deadline: input.deadline, schedule })

/**
 * The poller actor: a stream of poll events on an Effect runtime, each element and failure sent to
 * the machine as a typed event; stopping the actor interrupts the fiber.
 */
export const pollerLogic = <R>(launch: Launch<R>, eventsOf: EventsOf<R>): PollerLogic =>
  fromCallback<EventObject, PollerInput>(({ input, sendBack }) => {
    const send = (event: PollerEvent) => sendBack(event)
    const program = eventsOf(input).pipe(
      Stream.runForEach((event) => Effect.sync(() => send(toEvent(event)))),
      Effect.catchAll((error) =>
        Effect.flatMap(Clock.currentTimeMillis, (at) => Effect.sync(() => send(failureEvent(error, at))))
      )
    )
    return launch(program, (exit) => {
      // Interrupted means stopped by the machine: nobody is listening any more.
      if (Exit.isFailure(exit) && !Cause.isInterruptedOnly(exit.cause)) {
        send({ type: "ERRORED", error: causeData(exit.cause) })
      }
    })
  })
