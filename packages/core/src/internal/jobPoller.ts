/**
 * The machine's default `poller` actor: one wait registered with a `WaitEngine`, what the engine
 * hears turned into the machine's events.
 */
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import type * as EffectContext from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import type * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import { type EventObject, fromCallback } from "xstate"
import * as IngestionJob from "../IngestionJob.js"
import type { PollerEvent, PollerInput, PollerLogic, RetriedErrorData } from "../JobMachine.js"
import {
  type Listener,
  type Registration,
  WaitEngine,
  type WaitEvent,
  type WaitExit,
  type WaitOptions
} from "../WaitEngine.js"
import { causeData, encodeClientError } from "./jobMachine.js"

/**
 * Where the poller registers its wait: an engine in services (a `Context`) the caller owns, or on
 * a runtime built from a Layer, shared by every running actor of the machine (so they share one
 * loop per knowledge base) and disposed when the last of them stops.
 */
export interface EngineRuntime {
  readonly acquire: () => <A, E>(effect: Effect.Effect<A, E, WaitEngine>) => Fiber.Fiber<A, unknown>
  readonly release: () => void
}

export const onContext = (context: EffectContext.Context<WaitEngine>): EngineRuntime => {
  const runFork = Effect.runForkWith(context)
  return {
    acquire: () => (effect) => runFork(effect),
    release: () => {}
  }
}

export const onLayer = <E>(layer: Layer.Layer<WaitEngine, E>): EngineRuntime => {
  let shared: ManagedRuntime.ManagedRuntime<WaitEngine, E> | undefined
  let users = 0
  return {
    acquire: () => {
      users++
      if (shared === undefined) shared = ManagedRuntime.make(layer)
      const runtime = shared
      return (effect) => runtime.runFork(effect)
    },
    release: () => {
      if (--users > 0 || shared === undefined) return
      const runtime = shared
      shared = undefined
      Effect.runFork(runtime.disposeEffect)
    }
  }
}

/**
 * One poller's run, and the engine's listener of its wait: one object literal, whose callbacks
 * (and the actor's stop) close over it alone. Per wait the machine keeps this, two XState actors
 * and their system; nothing of Effect's (the engine's services are the machine's, shared).
 */
interface PollerRun extends Listener {
  readonly send: (event: PollerEvent) => void
  stopped: boolean
  /** The engine has said how the wait ended: it holds the wait no more, there is nothing to leave. */
  ended: boolean
  /** The Effect clock's times: the terminal job and a timeout are stamped with them. */
  lastAt: number
  registeredAt: number
  /** Kept only until registered: a fiber that has ended holds its refs, its exit and more. */
  registering: Fiber.Fiber<Registration, unknown> | undefined
  registration: Registration | undefined
}

/** What the engine tells the wait while it runs, as the machine's events. */
const onPollerEvent = (run: PollerRun, event: WaitEvent): void => {
  run.lastAt = event.at
  if (event._tag === "Polled") {
    // The terminal poll is sent by onExit, with the job's document_details.
    if (event.nextPollAt !== null || !IngestionJob.isTerminal(event.job)) {
      run.send({
        type: "POLLED",
        job: event.job,
        at: event.at,
        changed: event.changed,
        stalled: event.stalled,
        nextPollAt: event.nextPollAt
      })
    }
  } else {
    run.send({
      type: "RETRYING",
      error: encodeClientError(event.error) as RetriedErrorData,
      attempt: event.attempt,
      delayMs: event.delayMs,
      at: event.at
    })
  }
}

/** How the wait ended, as the machine's event. */
const onPollerExit = (run: PollerRun, exit: WaitExit): void => {
  run.ended = true
  if (Exit.isSuccess(exit)) {
    run.send({
      type: "POLLED",
      job: exit.value,
      at: run.lastAt,
      changed: true,
      stalled: false,
      nextPollAt: null
    })
    return
  }
  const failure = Cause.findErrorOption(exit.cause)
  const error = failure._tag === "Some" ? failure.value : undefined
  if (error?._tag === "WaitTimeout") {
    run.send({
      type: "TIMED_OUT",
      lastJob: error.lastJob,
      elapsedMs: error.elapsedMs,
      observed: error.observed,
      reason: error.reason,
      message: error.message,
      lastFailure:
        error.lastFailure === undefined
          ? undefined
          : (encodeClientError(error.lastFailure) as RetriedErrorData),
      at: run.registeredAt + error.elapsedMs
    })
  } else {
    run.send({ type: "ERRORED", error: causeData(exit.cause) })
  }
}

/** Registers the run's wait with the engine; the fiber is let go once it has registered. */
const startPoller = (
  run: PollerRun,
  runFork: ReturnType<EngineRuntime["acquire"]>,
  options: WaitOptions,
  input: PollerInput
): void => {
  const registering = runFork(
    Effect.flatMap(Effect.zip(WaitEngine, Clock.currentTimeMillis), ([engine, now]) => {
      run.registeredAt = now
      run.lastAt = now
      return engine.register(
        input.knowledgeBaseId,
        input.jobId,
        { schedule: options.schedule, deadline: input.deadline },
        run
      )
    })
  )
  run.registering = registering
  registering.addObserver((exit) => {
    run.registering = undefined
    if (Exit.isSuccess(exit)) {
      run.registration = exit.value
      if (run.stopped) Effect.runFork(exit.value.leave)
    } else if (!run.stopped && !Cause.hasInterruptsOnly(exit.cause)) {
      // Not registered: an invalid ID, or a Layer that could not be built (configuration).
      run.send({ type: "ERRORED", error: causeData(exit.cause) })
    }
  })
}

/** Stops a poller: leaves the engine (unless the wait ended), then lets the engine's runtime go. */
const stopPoller = (run: PollerRun, engineRuntime: EngineRuntime): void => {
  run.stopped = true
  // Most actors stop because their wait ended: no fiber to leave an engine that let them go.
  if (run.ended) {
    engineRuntime.release()
    return
  }
  const release = Effect.sync(engineRuntime.release)
  if (run.registration !== undefined) Effect.runFork(Effect.andThen(run.registration.leave, release))
  else if (run.registering !== undefined)
    Effect.runFork(Effect.andThen(Fiber.interrupt(run.registering), release))
  else Effect.runFork(release)
}

/**
 * The poller actor: registers one wait with the engine and turns what it hears into the
 * machine's events, sent straight to the actor (no queue, no stream); stopping the actor leaves
 * the engine.
 */
export const pollerLogic = (engineRuntime: EngineRuntime, options: WaitOptions): PollerLogic =>
  fromCallback<EventObject, PollerInput>(({ input, sendBack }) => {
    const run: PollerRun = {
      send: sendBack,
      stopped: false,
      ended: false,
      lastAt: 0,
      registeredAt: 0,
      registering: undefined,
      registration: undefined,
      onEvent: (event) => onPollerEvent(run, event),
      onExit: (exit) => onPollerExit(run, exit)
    }
    startPoller(run, engineRuntime.acquire(), options, input)
    return () => stopPoller(run, engineRuntime)
  })
