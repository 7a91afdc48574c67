/**
 * The lifecycle of an ingestion job as an XState machine, driven by Effect polling.
 *
 * The machine is what you look at in Stately, persist, and compose into your own machines: its
 * states say what the job is doing (`queued`, `processing`, ...) and what the watcher is doing
 * (`polling`, `retrying`, `rateLimited`, `stalled`), its context holds the latest job and
 * absolute times, and its output is the typed outcome. Effect owns time and I/O: the invoked
 * `poller` actor runs `Poller.events` on an Effect runtime and sends one event per poll, retry
 * or failure; stopping the actor interrupts the fiber, which aborts the request in flight. The
 * machine owns no timers, so a persisted snapshot restores faithfully: the deadline is an
 * absolute time, and the restarted poller waits only for what is left of it.
 *
 * - {@link ingestionJobMachine}: ready to run, configured from `TENSORAS_API_KEY` /
 *   `TENSORAS_BASE_URL`;
 * - {@link make} / {@link fromLayer}: the same machine on your own runtime or Layer;
 * - {@link run}: the machine as an `Effect`, like `Poller.waitFor`.
 *
 * @since 0.1.0
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Runtime from "effect/Runtime"
import type * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import type * as Stream from "effect/Stream"
import {
  type Actor,
  type ActorOptions,
  assign,
  createActor,
  type ErrorActorEvent,
  type SnapshotFrom,
  setup
} from "xstate"
import { IngestionError } from "./IngestionError.js"
import * as IngestionJob from "./IngestionJob.js"
import * as IngestionJobs from "./IngestionJobs.js"
import * as internal from "./internal/jobMachinePoller.js"
import * as validate from "./internal/validate.js"
import * as Poller from "./Poller.js"
import { IngestionJobFailed, type Observed, type WaitError, WaitTimeout } from "./WaitError.js"

/**
 * What the machine is started with. Plain data, and no key: the client comes from the runtime.
 *
 * @example
 * ```ts
 * import { JobMachine } from "@tensoras/ingestion"
 *
 * const input: JobMachine.Input = { knowledgeBaseId: "kb_abc123", jobId: "job_def456", timeoutMs: 15 * 60_000 }
 * ```
 * @since 0.1.0
 */
export interface Input {
  readonly knowledgeBaseId: string
  readonly jobId: string
  /** How long to wait at most, from the start. Default 30 minutes. */
  readonly timeoutMs?: number | undefined
  /** An absolute deadline (epoch ms); wins over `timeoutMs`. */
  readonly deadline?: number | undefined
}

/**
 * One of the library's errors as plain data (`Schema.encode` of `IngestionError`), or a `Defect`:
 * a failure that is not one of them (a bug). Serialisable, so it can live in a snapshot.
 *
 * @example
 * ```ts
 * import { JobMachine } from "@tensoras/ingestion"
 *
 * const describe = (error: JobMachine.ErrorData) => (error._tag === "NotFound" ? "no such job" : error.message)
 * ```
 * @since 0.1.0
 */
export type ErrorData = internal.ErrorData

/**
 * A failure that is not one of the library's errors.
 *
 * @example
 * ```ts
 * import { JobMachine } from "@tensoras/ingestion"
 *
 * const isBug = (error: JobMachine.ErrorData): error is JobMachine.Defect => error._tag === "Defect"
 * ```
 * @since 0.1.0
 */
export type Defect = internal.Defect

/**
 * The transient errors a retry reports, as plain data.
 *
 * @example
 * ```ts
 * import { JobMachine } from "@tensoras/ingestion"
 *
 * const waitFor = (error: JobMachine.RetriedErrorData) =>
 *   error._tag === "RateLimited" ? `rate limited (Retry-After ${error.retryAfterMs ?? "?"} ms)` : error._tag
 * ```
 * @since 0.1.0
 */
export type RetriedErrorData = internal.RetriedErrorData

/**
 * The machine's context: the job's IDs, absolute times (epoch ms, the runtime's clock), the
 * latest job, counters, and the last error. Plain JSON data.
 *
 * @example
 * ```ts
 * import { JobMachine } from "@tensoras/ingestion"
 *
 * const remainingMs = (context: JobMachine.Context, now: number) => Math.max(0, context.deadline - now)
 * ```
 * @since 0.1.0
 */
export interface Context {
  readonly knowledgeBaseId: string
  readonly jobId: string
  /** When the wait started. */
  readonly startedAt: number
  /** When the wait gives up. */
  readonly deadline: number
  /** The latest job seen, `null` before the first answer. */
  readonly job: IngestionJob.IngestionJobDetail | null
  /** Answers received. */
  readonly polls: number
  /** Transient failures retried, in total. */
  readonly retries: number
  readonly lastPolledAt: number | null
  /** When the next request is due (the next poll, or the retry); `null` once settled. */
  readonly nextPollAt: number | null
  /** The last error seen: a retried one while the wait goes on, the final one once errored. */
  readonly lastError: ErrorData | null
  /** The outcome, once settled (also the machine's output). */
  readonly outcome: Output | null
}

/**
 * The poller answered: the job as it is now. `stalled` comes from the poll schedule
 * (`PollSchedule.progressive`); `nextPollAt` is `null` when the job is terminal.
 *
 * @example
 * ```ts
 * import { JobMachine } from "@tensoras/ingestion"
 *
 * const isProgress = (event: JobMachine.PolledEvent) => event.changed && !event.stalled
 * ```
 * @since 0.1.0
 */
export type PolledEvent = internal.PolledEvent

/**
 * A request failed transiently; the client retries it after `delayMs`.
 *
 * @example
 * ```ts
 * import { JobMachine } from "@tensoras/ingestion"
 *
 * const line = (event: JobMachine.RetryingEvent) => `retry ${event.attempt} in ${event.delayMs} ms after ${event.error._tag}`
 * ```
 * @since 0.1.0
 */
export type RetryingEvent = internal.RetryingEvent

/**
 * The deadline passed before the job was terminal.
 *
 * @example
 * ```ts
 * import { JobMachine } from "@tensoras/ingestion"
 *
 * const line = (event: JobMachine.TimedOutEvent) => `${event.message} (${event.observed.responses} responses)`
 * ```
 * @since 0.1.0
 */
export type TimedOutEvent = internal.TimedOutEvent

/**
 * The wait cannot go on: a terminal client error (`NotFound`, `Unauthorized`, ...), a transient
 * one whose retries ran out, missing configuration, or a defect.
 *
 * @example
 * ```ts
 * import { JobMachine } from "@tensoras/ingestion"
 *
 * const event: JobMachine.ErroredEvent = { type: "ERRORED", error: { _tag: "Defect", message: "boom" } }
 * ```
 * @since 0.1.0
 */
export type ErroredEvent = internal.ErroredEvent

/**
 * Stop waiting. Polling stops at once and the request in flight is aborted.
 *
 * @example
 * ```ts
 * import { JobMachine } from "@tensoras/ingestion"
 * import { createActor } from "xstate"
 *
 * const actor = createActor(JobMachine.ingestionJobMachine, { input: { knowledgeBaseId: "kb_abc123", jobId: "job_def456" } })
 * actor.start()
 * actor.send({ type: "CANCEL" } satisfies JobMachine.CancelEvent)
 * ```
 * @since 0.1.0
 */
export interface CancelEvent {
  readonly type: "CANCEL"
}

/**
 * The events the poller sends.
 *
 * @example
 * ```ts
 * import { JobMachine } from "@tensoras/ingestion"
 *
 * const describe = (event: JobMachine.PollerEvent): string => event.type
 * ```
 * @since 0.1.0
 */
export type PollerEvent = internal.PollerEvent

/**
 * What the `poller` actor is invoked with. The deadline is absolute, so a poller restarted from
 * a persisted snapshot waits only for what is left.
 *
 * @example
 * ```ts
 * import { JobMachine } from "@tensoras/ingestion"
 *
 * const input: JobMachine.PollerInput = { knowledgeBaseId: "kb_abc123", jobId: "job_def456", deadline: Date.now() + 60_000 }
 * ```
 * @since 0.1.0
 */
export type PollerInput = internal.PollerInput

/**
 * The logic of the `poller` actor: replace it with `machine.provide({ actors: { poller } })`,
 * e.g. by a scripted `fromCallback` in tests. It must send {@link PollerEvent}s.
 *
 * @example
 * ```ts
 * import { JobMachine } from "@tensoras/ingestion"
 * import { type EventObject, fromCallback } from "xstate"
 *
 * const silent: JobMachine.PollerLogic = fromCallback<EventObject, JobMachine.PollerInput>(({ input }) => {
 *   console.log(`would poll ${input.jobId} until ${new Date(input.deadline).toISOString()}`)
 * })
 * const machine = JobMachine.ingestionJobMachine.provide({ actors: { poller: silent } })
 * ```
 * @since 0.1.0
 */
export type PollerLogic = internal.PollerLogic

/**
 * Every event the machine accepts.
 *
 * @example
 * ```ts
 * import { JobMachine } from "@tensoras/ingestion"
 *
 * const cancel: JobMachine.Event = { type: "CANCEL" }
 * ```
 * @since 0.1.0
 */
export type Event = PollerEvent | CancelEvent

/**
 * The job completed. `job.partial` says whether some documents failed (`failedDocuments`).
 *
 * @example
 * ```ts
 * import { JobMachine } from "@tensoras/ingestion"
 *
 * const failedNames = (output: JobMachine.Completed) =>
 *   output.job.partial ? output.job.failedDocuments.map((d) => d.document_name) : []
 * ```
 * @since 0.1.0
 */
export interface Completed {
  readonly _tag: "Completed"
  readonly job: Poller.CompletedJob
}

/**
 * The job failed as a whole; `error` is the job's own.
 *
 * @example
 * ```ts
 * import { JobMachine } from "@tensoras/ingestion"
 *
 * const why = (output: JobMachine.Failed) => output.error?.code ?? output.error?.message ?? "no error given"
 * ```
 * @since 0.1.0
 */
export interface Failed {
  readonly _tag: "Failed"
  readonly job: IngestionJob.IngestionJobDetail
  readonly error: IngestionJob.JobError | null
}

/**
 * The deadline passed first. `elapsedMs` counts from the start of the wait (across restores);
 * `observed` counts what the poller saw since it last started (a restored actor restarts it).
 *
 * @example
 * ```ts
 * import { JobMachine } from "@tensoras/ingestion"
 *
 * const late = (output: JobMachine.TimedOut) => `still ${output.lastJob?.status ?? "unseen"} after ${output.elapsedMs} ms`
 * ```
 * @since 0.1.0
 */
export interface TimedOut {
  readonly _tag: "TimedOut"
  readonly lastJob: IngestionJob.IngestionJobDetail | null
  readonly elapsedMs: number
  readonly observed: Observed
  readonly message: string
}

/**
 * The wait was cancelled with {@link CancelEvent}.
 *
 * @example
 * ```ts
 * import { JobMachine } from "@tensoras/ingestion"
 *
 * const lastSeen = (output: JobMachine.Cancelled) => output.lastJob?.documents_processed ?? 0
 * ```
 * @since 0.1.0
 */
export interface Cancelled {
  readonly _tag: "Cancelled"
  readonly lastJob: IngestionJob.IngestionJobDetail | null
}

/**
 * The wait could not go on (see {@link ErroredEvent}).
 *
 * @example
 * ```ts
 * import { JobMachine } from "@tensoras/ingestion"
 *
 * const notFound = (output: JobMachine.Errored) => output.error._tag === "NotFound"
 * ```
 * @since 0.1.0
 */
export interface Errored {
  readonly _tag: "Errored"
  readonly error: ErrorData
}

/**
 * The machine's output: how the wait ended.
 *
 * @example
 * ```ts
 * import { JobMachine } from "@tensoras/ingestion"
 *
 * const summary = (output: JobMachine.Output): string => {
 *   switch (output._tag) {
 *     case "Completed": return `${output.job.chunks_created} chunks${output.job.partial ? " (some documents failed)" : ""}`
 *     case "Failed": return `failed: ${output.error?.message ?? "no error given"}`
 *     case "TimedOut": return output.message
 *     case "Cancelled": return "cancelled"
 *     case "Errored": return `${output.error._tag}: ${output.error.message}`
 *   }
 * }
 * ```
 * @since 0.1.0
 */
export type Output = Completed | Failed | TimedOut | Cancelled | Errored

/**
 * Options of {@link make} and {@link fromLayer}.
 *
 * @example
 * ```ts
 * import { JobMachine, PollSchedule } from "@tensoras/ingestion"
 *
 * const options: JobMachine.MakeOptions = { schedule: PollSchedule.fixed("5 seconds") }
 * ```
 * @since 0.1.0
 */
export interface MakeOptions {
  /** The poll cadence. Default `PollSchedule.defaultSchedule`. */
  readonly schedule?: Schedule.Schedule<unknown, IngestionJob.IngestionJobDetail> | undefined
}

const DEFAULT_TIMEOUT_MS = 30 * 60 * 1000

const isPolledWith = (event: Event, status: IngestionJob.KnownJobStatus): event is PolledEvent =>
  event.type === "POLLED" && event.job.status === status

const isRunningPoll = (event: Event): event is PolledEvent =>
  event.type === "POLLED" && !IngestionJob.isTerminal(event.job)

/** How the wait ended, from the event that ended it. Total, so the output never lies about its type. */
const outcomeOf = (context: Context, event: Event | ErrorActorEvent): Output => {
  switch (event.type) {
    case "POLLED": {
      const { job } = event
      return Exit.match(Effect.runSyncExit(Poller.outcome(job)), {
        onSuccess: (completed): Output => ({ _tag: "Completed", job: completed }),
        onFailure: (): Output => ({ _tag: "Failed", job, error: job.error })
      })
    }
    case "TIMED_OUT":
      // Elapsed since the wait started, across restores; `observed` counts this poller's run only.
      return {
        _tag: "TimedOut",
        lastJob: event.lastJob ?? context.job,
        elapsedMs: event.at - context.startedAt,
        observed: event.observed,
        message: event.message
      }
    case "CANCEL":
      return { _tag: "Cancelled", lastJob: context.job }
    case "ERRORED":
      return { _tag: "Errored", error: event.error }
    default:
      // The poller actor itself threw (`xstate.error.actor.poller`).
      return { _tag: "Errored", error: internal.errorData(event.error) }
  }
}

/** The machine, given how to read the clock and the poller to invoke. */
const define = (now: () => number, poller: internal.PollerLogic) =>
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
          ? { job: event.job, polls: context.polls + 1, lastPolledAt: event.at, nextPollAt: event.nextPollAt }
          : {}
      ),
      recordRetry: assign(({ context, event }) =>
        event.type === "RETRYING"
          ? { retries: context.retries + 1, lastError: event.error, nextPollAt: event.at + event.delayMs }
          : {}
      ),
      recordTimeout: assign(({ context, event }) =>
        event.type === "TIMED_OUT" ? { job: event.lastJob ?? context.job } : {}
      ),
      recordError: assign(({ event }) => (event.type === "ERRORED" ? { lastError: event.error } : {})),
      settle: assign(({ context, event }) => ({
        outcome: outcomeOf(context, event),
        nextPollAt: null
      }))
    }
  }).createMachine({
    id: "ingestionJob",
    description: "Waits for one ingestion job to end, and says how it ended.",
    context: ({ input }) => {
      const startedAt = now()
      return {
        knowledgeBaseId: input.knowledgeBaseId,
        jobId: input.jobId,
        startedAt,
        deadline: input.deadline ?? startedAt + (input.timeoutMs ?? DEFAULT_TIMEOUT_MS),
        job: null,
        polls: 0,
        retries: 0,
        lastPolledAt: null,
        nextPollAt: startedAt,
        lastError: null,
        outcome: null
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
        states: {
          job: {
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
          },
          watcher: {
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
          }
        }
      },
      completed: { type: "final", description: "The job completed.", entry: "settle" },
      failed: { type: "final", description: "The job failed.", entry: "settle" },
      timedOut: { type: "final", description: "The deadline passed first.", entry: "settle" },
      cancelled: {
        type: "final",
        description: "Cancelled; the request in flight was aborted.",
        entry: "settle"
      },
      errored: {
        type: "final",
        description: "A client error, missing configuration or a defect.",
        entry: "settle"
      }
    },
    output: ({ context }) =>
      context.outcome ?? {
        _tag: "Errored",
        error: { _tag: "Defect", message: "The machine ended unsettled" }
      }
  })

/**
 * The type of the machine ({@link ingestionJobMachine}, {@link make}, {@link fromLayer}).
 *
 * @example
 * ```ts
 * import { JobMachine } from "@tensoras/ingestion"
 * import { fromCallback } from "xstate"
 *
 * const quiet: JobMachine.IngestionJobMachine = JobMachine.ingestionJobMachine.provide({
 *   actors: { poller: fromCallback(() => {}) }
 * })
 * ```
 * @since 0.1.0
 */
export type IngestionJobMachine = ReturnType<typeof define>

/**
 * A running (or restored) job machine.
 *
 * @example
 * ```ts
 * import { JobMachine } from "@tensoras/ingestion"
 * import { createActor } from "xstate"
 *
 * const actor: JobMachine.JobActor = createActor(JobMachine.ingestionJobMachine, {
 *   input: { knowledgeBaseId: "kb_abc123", jobId: "job_def456" }
 * })
 * ```
 * @since 0.1.0
 */
export type JobActor = Actor<IngestionJobMachine>

/**
 * A snapshot of the machine.
 *
 * @example
 * ```ts
 * import { JobMachine } from "@tensoras/ingestion"
 *
 * const progress = (snapshot: JobMachine.Snapshot) =>
 *   snapshot.matches({ watching: { job: "processing" } }) ? snapshot.context.job?.documents_processed : undefined
 * ```
 * @since 0.1.0
 */
export type Snapshot = SnapshotFrom<IngestionJobMachine>

/**
 * The machine on an Effect runtime that provides the client: the poller runs there, and times
 * (`startedAt`, `deadline`) are read from its `Clock`, so a `TestClock` drives it in tests.
 *
 * @example
 * ```ts
 * import { IngestionJobs, JobMachine, PollSchedule } from "@tensoras/ingestion"
 * import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
 * import * as Layer from "effect/Layer"
 * import * as ManagedRuntime from "effect/ManagedRuntime"
 * import * as Redacted from "effect/Redacted"
 * import { createActor } from "xstate"
 *
 * const live = IngestionJobs.layer({ apiKey: Redacted.make("tns_your_key_here") }).pipe(Layer.provide(FetchHttpClient.layer))
 * const runtime = await ManagedRuntime.make(live).runtime()
 * const machine = JobMachine.make(runtime, { schedule: PollSchedule.progressive() })
 * const actor = createActor(machine, { input: { knowledgeBaseId: "kb_abc123", jobId: "job_def456" } }).start()
 * ```
 * @since 0.1.0
 */
export const make = (
  runtime: Runtime.Runtime<IngestionJobs.IngestionJobs>,
  options: MakeOptions = {}
): IngestionJobMachine =>
  define(
    () => Runtime.runSync(runtime)(Clock.currentTimeMillis),
    internal.pollerLogic(internal.launchOn(runtime), internal.coreEvents(options.schedule))
  )

/**
 * The machine on a Layer of the client: each poller builds its own runtime from the Layer and
 * disposes of it when it stops. A Layer that fails to build (missing configuration) ends the
 * wait `Errored` with its error (a `ConfigError` becomes `InvalidInput` with `param: "config"`).
 *
 * @example
 * ```ts
 * import { IngestionJobs, JobMachine } from "@tensoras/ingestion"
 * import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
 * import * as Layer from "effect/Layer"
 * import * as Redacted from "effect/Redacted"
 *
 * const machine = JobMachine.fromLayer(
 *   IngestionJobs.layer({ apiKey: Redacted.make("tns_your_key_here"), baseUrl: "http://127.0.0.1:4010/v1" }).pipe(
 *     Layer.provide(FetchHttpClient.layer)
 *   )
 * )
 * ```
 * @since 0.1.0
 */
export const fromLayer = <E>(
  layer: Layer.Layer<IngestionJobs.IngestionJobs, E>,
  options: MakeOptions = {}
): IngestionJobMachine =>
  define(Date.now, internal.pollerLogic(internal.launchWith(layer), internal.coreEvents(options.schedule)))

/**
 * The machine on a polling of your own: `events` gives the poll events of one wait (the
 * poller's input carries the IDs and the absolute deadline), run on a runtime built from
 * `layer` for each poller. Adapters use it to drive the same machine with their own polling
 * (the browser's pauses while the page is hidden).
 *
 * @example
 * ```ts
 * import { IngestionJobs, JobMachine, Poller, PollSchedule } from "@tensoras/ingestion"
 * import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
 * import * as Layer from "effect/Layer"
 *
 * const machine = JobMachine.fromEvents(
 *   IngestionJobs.layerConfig().pipe(Layer.provide(FetchHttpClient.layer)),
 *   (input) => Poller.events(input.knowledgeBaseId, input.jobId, { deadline: input.deadline, schedule: PollSchedule.fixed() })
 * )
 * ```
 * @since 0.1.0
 */
export const fromEvents = <R, E>(
  layer: Layer.Layer<R, E>,
  events: (input: PollerInput) => Stream.Stream<Poller.PollEvent, IngestionError | WaitTimeout, R>
): IngestionJobMachine => define(Date.now, internal.pollerLogic(internal.launchWith(layer), events))

/**
 * The machine, ready to run: the client comes from `TENSORAS_API_KEY` and `TENSORAS_BASE_URL`
 * (`IngestionJobs.layerConfig()` over `fetch`). Without a key it ends `Errored` with
 * `InvalidInput` (`param: "config"`). Open it in Stately as is; compose it with `invoke`.
 *
 * @example
 * ```ts
 * import { JobMachine } from "@tensoras/ingestion"
 * import { createActor, toPromise } from "xstate"
 *
 * const actor = createActor(JobMachine.ingestionJobMachine, {
 *   input: { knowledgeBaseId: "kb_abc123", jobId: "job_def456", timeoutMs: 10 * 60_000 }
 * })
 * actor.subscribe((snapshot) => console.log(snapshot.value, snapshot.context.job?.status))
 * actor.start()
 * const output = await toPromise(actor) // JobMachine.Output
 * ```
 * @since 0.1.0
 */
export const ingestionJobMachine: IngestionJobMachine = fromLayer(
  IngestionJobs.layerConfig().pipe(Layer.provide(FetchHttpClient.layer))
)

/**
 * Options of {@link run} and {@link start}: the poll schedule, a timeout or an absolute deadline,
 * and an inspection observer.
 *
 * @example
 * ```ts
 * import { JobMachine, PollSchedule } from "@tensoras/ingestion"
 *
 * const options: JobMachine.RunOptions = { timeout: "15 minutes", schedule: PollSchedule.progressive() }
 * ```
 * @since 0.1.0
 */
export interface RunOptions extends Poller.WaitOptions {
  /** An inspection observer for the actor (e.g. `@statelyai/inspect`'s `inspector.inspect`). */
  readonly inspect?: ActorOptions<IngestionJobMachine>["inspect"] | undefined
}

const toInput = (
  knowledgeBaseId: string,
  jobId: string,
  options: RunOptions
): Effect.Effect<Input, IngestionError> =>
  options.timeout === undefined
    ? Effect.succeed({ knowledgeBaseId, jobId, deadline: options.deadline })
    : Effect.map(validate.duration("timeout", options.timeout), (timeout) => ({
        knowledgeBaseId,
        jobId,
        timeoutMs: Duration.toMillis(timeout),
        deadline: options.deadline
      }))

/**
 * Starts the machine in the current `Scope`, on the current runtime: the actor stops when the
 * scope closes. Use it to watch snapshots while you wait; {@link result} waits for the end.
 *
 * @example
 * ```ts
 * import { JobMachine } from "@tensoras/ingestion"
 * import * as Effect from "effect/Effect"
 *
 * const program = Effect.scoped(
 *   Effect.gen(function* () {
 *     const actor = yield* JobMachine.start("kb_abc123", "job_def456", { timeout: "10 minutes" })
 *     actor.subscribe((snapshot) => console.log(snapshot.value))
 *     return yield* JobMachine.result(actor)
 *   })
 * )
 * ```
 * @since 0.1.0
 */
export const start = (
  knowledgeBaseId: string,
  jobId: string,
  options: RunOptions = {}
): Effect.Effect<JobActor, IngestionError, IngestionJobs.IngestionJobs | Scope.Scope> =>
  Effect.gen(function* () {
    const input = yield* toInput(knowledgeBaseId, jobId, options)
    const machine = make(yield* Effect.runtime<IngestionJobs.IngestionJobs>(), { schedule: options.schedule })
    return yield* Effect.acquireRelease(
      Effect.sync(() =>
        createActor(
          machine,
          options.inspect === undefined ? { input } : { input, inspect: options.inspect }
        ).start()
      ),
      (actor) => Effect.sync(() => actor.stop())
    )
  })

const decodeClientError = Schema.decodeUnknownSync(IngestionError)

/**
 * An output as an `Effect`, like `Poller.waitFor`'s: the completed job, or the typed error
 * (`IngestionJobFailed`, `WaitTimeout`, the client's error). `Cancelled` is an interruption; a
 * `Defect` dies.
 *
 * @example
 * ```ts
 * import { JobMachine } from "@tensoras/ingestion"
 * import * as Effect from "effect/Effect"
 *
 * declare const output: JobMachine.Output
 * const chunks = JobMachine.fromOutput(output).pipe(Effect.map((job) => job.chunks_created))
 * ```
 * @since 0.1.0
 */
export const fromOutput = (output: Output): Effect.Effect<Poller.CompletedJob, WaitError> => {
  switch (output._tag) {
    case "Completed":
      return Effect.succeed(output.job)
    case "Failed":
      return Effect.fail(
        new IngestionJobFailed({
          job: output.job,
          message: output.error?.message ?? `Ingestion job '${output.job.id}' failed`
        })
      )
    case "TimedOut":
      return Effect.fail(
        new WaitTimeout({
          lastJob: output.lastJob,
          elapsedMs: output.elapsedMs,
          observed: output.observed,
          message: output.message
        })
      )
    case "Cancelled":
      return Effect.interrupt
    case "Errored":
      return output.error._tag === "Defect"
        ? Effect.dieMessage(output.error.message)
        : Effect.fail(decodeClientError(output.error))
  }
}

/**
 * Waits for an actor's output. An actor stopped before it settled is an interruption; one that
 * crashed dies with its error. Interrupting the wait only unsubscribes.
 *
 * @example
 * ```ts
 * import { JobMachine } from "@tensoras/ingestion"
 * import { createActor } from "xstate"
 *
 * const actor = createActor(JobMachine.ingestionJobMachine, { input: { knowledgeBaseId: "kb_abc123", jobId: "job_def456" } })
 * const output = JobMachine.output(actor.start()) // Effect<JobMachine.Output>
 * ```
 * @since 0.1.0
 */
export const output = (actor: JobActor): Effect.Effect<Output> =>
  Effect.async<Output>((resume) => {
    const settled = (): boolean => {
      const snapshot = actor.getSnapshot()
      switch (snapshot.status) {
        case "done":
          resume(Effect.succeed(snapshot.output))
          return true
        case "error":
          resume(Effect.die(snapshot.error))
          return true
        case "stopped":
          resume(Effect.interrupt)
          return true
        default:
          return false
      }
    }
    if (settled()) return
    const subscription = actor.subscribe({ complete: settled, error: settled })
    return Effect.sync(() => subscription.unsubscribe())
  })

/**
 * Waits for an actor to settle, as an `Effect` of the completed job (see {@link fromOutput}).
 *
 * @example
 * ```ts
 * import { JobMachine } from "@tensoras/ingestion"
 * import * as Effect from "effect/Effect"
 *
 * declare const actor: JobMachine.JobActor
 * const job = JobMachine.result(actor).pipe(Effect.catchTag("WaitTimeout", () => Effect.succeed(null)))
 * ```
 * @since 0.1.0
 */
export const result = (actor: JobActor): Effect.Effect<Poller.CompletedJob, WaitError> =>
  Effect.flatMap(output(actor), fromOutput)

/**
 * The machine as an `Effect`, like `Poller.waitFor`: starts an actor, resolves with the
 * completed job, fails with the typed `WaitError` (failed, timed out, errored), and stops the
 * actor (aborting the request in flight) when interrupted.
 *
 * @example
 * ```ts
 * import { IngestionJobs, JobMachine } from "@tensoras/ingestion"
 * import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
 * import * as Effect from "effect/Effect"
 * import * as Layer from "effect/Layer"
 *
 * const program = JobMachine.run("kb_abc123", "job_def456", { timeout: "15 minutes" }).pipe(
 *   Effect.map((job) => `${job.chunks_created} chunks`),
 *   Effect.catchTag("IngestionJobFailed", (e) => Effect.succeed(`failed: ${e.message}`))
 * )
 *
 * program.pipe(
 *   Effect.provide(IngestionJobs.layerConfig().pipe(Layer.provide(FetchHttpClient.layer))),
 *   Effect.runPromise
 * )
 * ```
 * @since 0.1.0
 */
export const run = (
  knowledgeBaseId: string,
  jobId: string,
  options?: RunOptions
): Effect.Effect<Poller.CompletedJob, WaitError, IngestionJobs.IngestionJobs> =>
  Effect.scoped(Effect.flatMap(start(knowledgeBaseId, jobId, options), result))
