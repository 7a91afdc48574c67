import * as Cause from "effect/Cause"
import * as Config from "effect/Config"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import { assign, type ErrorActorEvent, setup } from "xstate"
import { IngestionError, InvalidInput, isIngestionError } from "../IngestionError.js"
import * as IngestionJob from "../IngestionJob.js"
import type { Context, ErrorData, Event, Input, Output, PolledEvent, PollerLogic } from "../JobMachine.js"
import { isTerminalClientError, type TerminalClientError } from "../WaitError.js"
import { deadlineAt, outcomeResult } from "./waitRules.js"

export const encodeClientError = Schema.encodeSync(IngestionError)

/**
 * Any failure as plain, serialisable data: the errors a wait ends with encoded, anything else (a
 * transient error included: a wait polls through those, so one here is a bug) a `Defect`.
 */
export const errorData = (error: unknown): ErrorData => {
  if (isIngestionError(error) && isTerminalClientError(error)) {
    return encodeClientError(error) as typeof TerminalClientError.Encoded
  }
  // A missing or malformed TENSORAS_* variable: the input of the wait was not acceptable.
  if (error instanceof Config.ConfigError) {
    return encodeClientError(new InvalidInput({ param: "config", message: error.message })) as ErrorData
  }
  return { _tag: "Defect", message: error instanceof Error ? error.message : String(error) }
}

/** A failure's cause as plain data: its error if it has one, else what it squashes to. */
export const causeData = (cause: Cause.Cause<unknown>): ErrorData => {
  const failure = Cause.findErrorOption(cause)
  return errorData(failure._tag === "Some" ? failure.value : Cause.squash(cause))
}

const isPolledWith = (event: Event, status: IngestionJob.KnownJobStatus): event is PolledEvent =>
  event.type === "POLLED" && event.job.status === status

const isRunningPoll = (event: Event): event is PolledEvent =>
  event.type === "POLLED" && !IngestionJob.isTerminal(event.job)

/**
 * The job as the context keeps it: its status and counters, without `document_details`. Only the
 * terminal job has them, and they go to the output, so a snapshot (persisted, or in an inspection
 * event) holds the document list once.
 */
const summary = (job: IngestionJob.IngestionJob): IngestionJob.IngestionJob => {
  if (!("document_details" in job)) return job
  const { document_details: _documents, ...rest } = job as IngestionJob.IngestionJobDetail
  return rest
}

/** How the wait ended, from the event that ended it. Total, so the output never lies about its type. */
const outcomeOf = (context: Context, event: Event | ErrorActorEvent): Output => {
  switch (event.type) {
    case "POLLED": {
      const { job } = event
      return Result.match(outcomeResult(job as IngestionJob.IngestionJobDetail), {
        onSuccess: (completed): Output => ({ _tag: "Completed", job: completed }),
        onFailure: (failed): Output => ({ _tag: "Failed", job: failed.job, error: failed.job.error })
      })
    }
    case "TIMED_OUT":
      // Elapsed since the wait started, across restores; `observed` counts this poller's run only.
      return {
        _tag: "TimedOut",
        lastJob: event.lastJob ?? context.job,
        elapsedMs: event.at - context.startedAt,
        observed: event.observed,
        reason: event.reason,
        message: event.message,
        ...(event.lastFailure === undefined ? {} : { lastFailure: event.lastFailure })
      }
    case "CANCEL":
      return { _tag: "Cancelled", lastJob: context.job }
    case "ERRORED":
      return { _tag: "Errored", error: event.error }
    default:
      // The poller actor itself threw (`xstate.error.actor.poller`).
      return { _tag: "Errored", error: errorData(event.error) }
  }
}

/** The machine's types, its poller, and its named guards and actions. */
const machineSetup = (poller: PollerLogic) =>
  setup({
    types: {
      context: {} as Context,
      events: {} as Event,
      input: {} as Input,
      output: {} as Output
    },
    actors: { poller },
    guards: {
      jobCompleted: ({ event }) => isPolledWith(event, "completed"),
      jobFailed: ({ event }) => isPolledWith(event, "failed"),
      jobQueued: ({ event }) => isPolledWith(event, "queued"),
      jobProcessing: ({ event }) => isPolledWith(event, "processing"),
      jobUnrecognised: ({ event }) =>
        event.type === "POLLED" && !IngestionJob.isKnownStatus(event.job.status),
      pollStalled: ({ event }) => isRunningPoll(event) && event.stalled,
      pollMoving: ({ event }) => isRunningPoll(event) && !event.stalled,
      rateLimited: ({ event }) => event.type === "RETRYING" && event.error._tag === "RateLimited"
    },
    actions: {
      recordPoll: assign(({ context, event }) =>
        event.type === "POLLED"
          ? {
              job: summary(event.job),
              polls: context.polls + 1,
              lastPolledAt: event.at,
              nextPollAt: event.nextPollAt
            }
          : {}
      ),
      recordRetry: assign(({ context, event }) =>
        event.type === "RETRYING"
          ? { retries: context.retries + 1, lastError: event.error, nextPollAt: event.at + event.delayMs }
          : {}
      ),
      recordTimeout: assign(({ context, event }) =>
        event.type === "TIMED_OUT"
          ? { job: event.lastJob === null ? context.job : summary(event.lastJob) }
          : {}
      ),
      recordError: assign(({ event }) => (event.type === "ERRORED" ? { lastError: event.error } : {})),
      settle: assign({ nextPollAt: null })
    }
  })

/** The `watching` state's region of the job's status. */
const jobRegion = {
  description: "The job's status, as last reported.",
  initial: "unseen",
  on: {
    POLLED: [
      { guard: "jobQueued", target: ".queued" },
      { guard: "jobProcessing", target: ".processing" },
      { guard: "jobUnrecognised", target: ".unrecognised" }
    ]
  },
  states: {
    unseen: { description: "No answer yet." },
    queued: { description: "Created, waiting to be picked up." },
    processing: { description: "Documents are being chunked, embedded and indexed." },
    unrecognised: {
      description: "A status this library does not know (e.g. `paused`): the wait goes on."
    }
  }
} as const

/** The `watching` state's region of what the watcher does. */
const watcherRegion = {
  description: "What the watcher is doing.",
  initial: "starting",
  on: {
    POLLED: [
      { guard: "pollStalled", target: ".stalled", actions: "recordPoll" },
      { guard: "pollMoving", target: ".polling", actions: "recordPoll" }
    ],
    RETRYING: [
      { guard: "rateLimited", target: ".rateLimited", actions: "recordRetry" },
      { target: ".retrying", actions: "recordRetry" }
    ]
  },
  states: {
    starting: { description: "The first request is on its way." },
    polling: { description: "Answered; the next poll is due at `nextPollAt`." },
    stalled: { description: "Nothing has moved for a while (per the schedule); polling goes on." },
    retrying: {
      description: "A request failed transiently (5xx, network, timeout); retry at `nextPollAt`."
    },
    rateLimited: {
      description: "429: retry when the service said (`Retry-After`), at `nextPollAt`."
    }
  }
} as const

/**
 * A final state: its output is the outcome, from the event that ended the wait (XState hands a final
 * state's output to the machine's). The outcome lives there only: not in the context as well, so a
 * snapshot holds the ended job's documents once.
 */
const settled = (description: string) =>
  ({
    type: "final",
    description,
    entry: "settle",
    output: ({ context, event }: { readonly context: Context; readonly event: Event | ErrorActorEvent }) =>
      outcomeOf(context, event)
  }) as const

/** The machine, given how to read the clock and the poller to invoke. */
export const define = (now: () => number, poller: PollerLogic) =>
  machineSetup(poller).createMachine({
    id: "ingestionJob",
    description: "Waits for one ingestion job to end, and says how it ended.",
    context: ({ input }) => {
      const startedAt = now()
      return {
        knowledgeBaseId: input.knowledgeBaseId,
        jobId: input.jobId,
        startedAt,
        deadline: deadlineAt(startedAt, input.timeoutMs, input.deadline),
        job: null,
        polls: 0,
        retries: 0,
        lastPolledAt: null,
        nextPollAt: startedAt,
        lastError: null
      }
    },
    initial: "watching",
    states: {
      watching: {
        description: "The poller runs: one event per answer, retry or failure.",
        type: "parallel",
        invoke: {
          id: "poller",
          src: "poller",
          input: ({ context }) => ({
            knowledgeBaseId: context.knowledgeBaseId,
            jobId: context.jobId,
            deadline: context.deadline
          }),
          onError: { target: "errored" }
        },
        on: {
          POLLED: [
            { guard: "jobCompleted", target: "completed", actions: "recordPoll" },
            { guard: "jobFailed", target: "failed", actions: "recordPoll" }
          ],
          TIMED_OUT: { target: "timedOut", actions: "recordTimeout" },
          ERRORED: { target: "errored", actions: "recordError" },
          CANCEL: { target: "cancelled" }
        },
        states: { job: jobRegion, watcher: watcherRegion }
      },
      completed: settled("The job completed."),
      failed: settled("The job failed."),
      timedOut: settled("The deadline passed first."),
      cancelled: settled("Cancelled; the request in flight was aborted."),
      errored: settled("A client error, missing configuration or a defect.")
    },
    // The final state's output (`settled`): every final state has one, and it is an `Output`.
    output: ({ event }) => event.output as Output
  })
