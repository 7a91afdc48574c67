import { IngestionError, InvalidInput, isIngestionError } from "@tensoras/ingestion/IngestionError"
import type { IngestionJobs } from "@tensoras/ingestion/IngestionJobs"
import type * as JobMachine from "@tensoras/ingestion/JobMachine"
import type * as Poller from "@tensoras/ingestion/Poller"
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as ConfigError from "effect/ConfigError"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import { type EventObject, fromCallback } from "xstate"
import * as BrowserPoller from "../BrowserPoller.js"
import type { PageSignals } from "../PageSignals.js"

const encodeError = Schema.encodeSync(IngestionError)

const errorData = (error: unknown): JobMachine.ErrorData => {
  if (isIngestionError(error)) return encodeError(error)
  if (ConfigError.isConfigError(error)) {
    return encodeError(new InvalidInput({ param: "config", message: String(error) }))
  }
  return { _tag: "Defect", message: error instanceof Error ? error.message : String(error) }
}

const toEvent = (event: Poller.PollEvent): JobMachine.PollerEvent =>
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
        error: encodeError(event.error) as JobMachine.RetriedErrorData,
        attempt: event.attempt,
        delayMs: event.delayMs,
        at: event.at
      }

/**
 * The machine's `poller` actor on the browser wait: a runtime built from the Layer for this
 * poller (disposed with it), one event per poll, retry or failure, interruption on stop.
 */
export const pollerLogic = <E>(
  layer: Layer.Layer<IngestionJobs | PageSignals, E>,
  options: BrowserPoller.WaitOptions
): JobMachine.PollerLogic =>
  fromCallback<EventObject, JobMachine.PollerInput>(({ input, sendBack }) => {
    const runtime = ManagedRuntime.make(layer)
    const program = BrowserPoller.events(input.knowledgeBaseId, input.jobId, {
      ...options,
      deadline: input.deadline
    }).pipe(
      Stream.runForEach((event) => Effect.sync(() => sendBack(toEvent(event)))),
      Effect.catchAll((error) =>
        Effect.flatMap(Clock.currentTimeMillis, (at) =>
          Effect.sync(() =>
            sendBack(
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
            )
          )
        )
      )
    )
    const fiber = runtime.runFork(program)
    fiber.addObserver((exit) => {
      if (Exit.isFailure(exit) && !Cause.isInterruptedOnly(exit.cause)) {
        const failure = Cause.failureOption(exit.cause)
        sendBack({
          type: "ERRORED",
          error: errorData(failure._tag === "Some" ? failure.value : Cause.squash(exit.cause))
        })
      }
    })
    return () => {
      fiber.unsafeInterruptAsFork(fiber.id())
      void runtime.dispose()
    }
  })
