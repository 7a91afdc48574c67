/**
 * The lifecycle of an ingestion job as an XState machine, driven by the wait engine.
 *
 * The machine is what you look at in Stately, persist, and compose into your own machines: its
 * states say what the job is doing (`queued`, `processing`, ...) and what the watcher is doing
 * (`polling`, `retrying`, `rateLimited`, `stalled`), its context holds the latest job and
 * absolute times, and its output is the typed outcome. Effect owns time and I/O: the invoked
 * `poller` actor registers one wait with the process's `WaitEngine` and sends one event per
 * answer, retry or end; stopping the actor leaves the engine. Many machines on one runtime share
 * one polling loop per knowledge base. The machine owns no timers, so a persisted snapshot
 * restores faithfully: the deadline is an absolute time, and the restarted poller waits only for
 * what is left of it.
 *
 * Its own entry point (`@tensoras/ingestion/JobMachine`), so that the Promise and Effect waits
 * never load XState. `JobActor` runs it from Effect.
 *
 * - {@link ingestionJobMachine}: ready to run, configured from `TENSORAS_API_KEY` /
 *   `TENSORAS_BASE_URL`;
 * - {@link make} / {@link fromLayer}: the same machine on your own services (a `Context`) or Layer.
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as ConfigProvider from "effect/ConfigProvider"
import type * as EffectContext from "effect/Context"
import * as Effect from "effect/Effect"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import * as Layer from "effect/Layer"
import type { Actor, CallbackActorLogic, DoneActorEvent, EventObject, SnapshotFrom } from "xstate"
import type { IngestionError } from "./IngestionError.js"
import type * as IngestionJob from "./IngestionJob.js"
import * as IngestionJobs from "./IngestionJobs.js"
import * as internal from "./internal/jobMachine.js"
import * as poller from "./internal/jobPoller.js"
import type * as PollSchedule from "./PollSchedule.js"
import type { CompletedJob } from "./Wait.js"
import * as WaitEngine from "./WaitEngine.js"
import type { Observed, TerminalClientError } from "./WaitError.js"

/**
 * What the machine is started with. Plain data, and no key: the client comes from the runtime.
 *
 * @example
 * ```ts
 * import * as JobMachine from "@tensoras/ingestion/JobMachine"
 *
 * const input: JobMachine.Input = { knowledgeBaseId: "kb_abc123", jobId: "job_def456", timeoutMs: 15 * 60_000 }
 * ```
 * @category models
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
 * One of the library's errors a wait ends with as plain data (`Schema.encode` of
 * `WaitError.TerminalClientError`: never a transient one, which a wait polls through), or a
 * `Defect`: a failure that is not one of them (a bug). Serialisable, so it can live in a snapshot.
 *
 * @example
 * ```ts
 * import * as JobMachine from "@tensoras/ingestion/JobMachine"
 *
 * const describe = (error: JobMachine.ErrorData) => (error._tag === "NotFound" ? "no such job" : error.message)
 * ```
 * @category models
 * @since 0.1.0
 */
export type ErrorData = typeof TerminalClientError.Encoded | Defect

/**
 * A failure that is not one of the library's errors.
 *
 * @example
 * ```ts
 * import * as JobMachine from "@tensoras/ingestion/JobMachine"
 *
 * const isBug = (error: JobMachine.ErrorData): error is JobMachine.Defect => error._tag === "Defect"
 * ```
 * @category models
 * @since 0.1.0
 */
export interface Defect {
  readonly _tag: "Defect"
  readonly message: string
}

/**
 * The transient errors a retry reports, as plain data.
 *
 * @example
 * ```ts
 * import * as JobMachine from "@tensoras/ingestion/JobMachine"
 *
 * const waitFor = (error: JobMachine.RetriedErrorData) =>
 *   error._tag === "RateLimited" ? `rate limited (Retry-After ${error.retryAfterMs ?? "?"} ms)` : error._tag
 * ```
 * @category models
 * @since 0.1.0
 */
export type RetriedErrorData = Extract<
  typeof IngestionError.Encoded,
  { readonly _tag: "RateLimited" | "ServerError" | "TransportError" }
>

/**
 * The machine's context: the job's IDs, absolute times (epoch ms, the runtime's clock), the
 * latest job, counters, and the last error. Plain JSON data.
 *
 * @example
 * ```ts
 * import * as JobMachine from "@tensoras/ingestion/JobMachine"
 *
 * const remainingMs = (context: JobMachine.Context, now: number) => Math.max(0, context.deadline - now)
 * ```
 * @category models
 * @since 0.1.0
 */
export interface Context {
  readonly knowledgeBaseId: string
  readonly jobId: string
  /** When the wait started. */
  readonly startedAt: number
  /** When the wait gives up. */
  readonly deadline: number
  /**
   * The latest job seen, `null` before the first answer: its status and counters, without
   * `document_details` (since 1.1.0). The ended job, documents and all, is the output's: a snapshot
   * holds its document list once.
   */
  readonly job: IngestionJob.IngestionJob | null
  /** Answers received. */
  readonly polls: number
  /** Transient failures retried, in total. */
  readonly retries: number
  readonly lastPolledAt: number | null
  /** When the next request is due (the next poll, or the retry); `null` once settled. */
  readonly nextPollAt: number | null
  /** The last error seen: a retried one while the wait goes on, the final one once errored. */
  readonly lastError: ErrorData | RetriedErrorData | null
}

/**
 * The poller answered: the job as it is now. `stalled` comes from the poll schedule
 * (`PollSchedule.progressive`); `nextPollAt` is `null` when the job is terminal.
 *
 * @example
 * ```ts
 * import * as JobMachine from "@tensoras/ingestion/JobMachine"
 *
 * const isProgress = (event: JobMachine.PolledEvent) => event.changed && !event.stalled
 * ```
 * @category models
 * @since 0.1.0
 */
export interface PolledEvent {
  readonly type: "POLLED"
  /** The job as it is now; with `document_details` once it is terminal. */
  readonly job: IngestionJob.IngestionJob
  readonly at: number
  readonly changed: boolean
  readonly stalled: boolean
  readonly nextPollAt: number | null
}

/**
 * A request failed transiently; the client retries it after `delayMs`.
 *
 * @example
 * ```ts
 * import * as JobMachine from "@tensoras/ingestion/JobMachine"
 *
 * const line = (event: JobMachine.RetryingEvent) => `retry ${event.attempt} in ${event.delayMs} ms after ${event.error._tag}`
 * ```
 * @category models
 * @since 0.1.0
 */
export interface RetryingEvent {
  readonly type: "RETRYING"
  readonly error: RetriedErrorData
  readonly attempt: number
  readonly delayMs: number
  readonly at: number
}

/**
 * The deadline passed before the job was terminal.
 *
 * @example
 * ```ts
 * import * as JobMachine from "@tensoras/ingestion/JobMachine"
 *
 * const line = (event: JobMachine.TimedOutEvent) => `${event.message} (${event.observed.responses} responses)`
 * ```
 * @category models
 * @since 0.1.0
 */
export interface TimedOutEvent {
  readonly type: "TIMED_OUT"
  readonly lastJob: IngestionJob.IngestionJob | null
  readonly elapsedMs: number
  readonly observed: Observed
  /** `deadline`, or `schedule` when the wait's own poll schedule ended first. */
  readonly reason: "deadline" | "schedule"
  readonly message: string
  /** The last failed request's error, if one failed (`WaitTimeout.lastFailure`). @since 1.1.0 */
  readonly lastFailure?: RetriedErrorData | undefined
  /** When the poller gave up (epoch ms, Effect clock). */
  readonly at: number
}

/**
 * The wait cannot go on: a terminal client error (`NotFound`, `Unauthorized`, ...), a transient
 * one whose retries ran out, missing configuration, or a defect.
 *
 * @example
 * ```ts
 * import * as JobMachine from "@tensoras/ingestion/JobMachine"
 *
 * const event: JobMachine.ErroredEvent = { type: "ERRORED", error: { _tag: "Defect", message: "boom" } }
 * ```
 * @category models
 * @since 0.1.0
 */
export interface ErroredEvent {
  readonly type: "ERRORED"
  readonly error: ErrorData
}

/**
 * Stop waiting. Polling stops at once and the request in flight is aborted.
 *
 * @example
 * ```ts
 * import * as JobMachine from "@tensoras/ingestion/JobMachine"
 * import { createActor } from "xstate"
 *
 * const actor = createActor(JobMachine.ingestionJobMachine, { input: { knowledgeBaseId: "kb_abc123", jobId: "job_def456" } })
 * actor.start()
 * actor.send({ type: "CANCEL" } satisfies JobMachine.CancelEvent)
 * ```
 * @category models
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
 * import * as JobMachine from "@tensoras/ingestion/JobMachine"
 *
 * const describe = (event: JobMachine.PollerEvent): string => event.type
 * ```
 * @category models
 * @since 0.1.0
 */
export type PollerEvent = PolledEvent | RetryingEvent | TimedOutEvent | ErroredEvent

/**
 * What the `poller` actor is invoked with. The deadline is absolute, so a poller restarted from
 * a persisted snapshot waits only for what is left.
 *
 * @example
 * ```ts
 * import * as JobMachine from "@tensoras/ingestion/JobMachine"
 *
 * const input: JobMachine.PollerInput = { knowledgeBaseId: "kb_abc123", jobId: "job_def456", deadline: Date.now() + 60_000 }
 * ```
 * @category models
 * @since 0.1.0
 */
export interface PollerInput {
  readonly knowledgeBaseId: string
  readonly jobId: string
  /** Absolute (epoch ms): a poller restarted from a snapshot waits only for what is left. */
  readonly deadline: number
}

/**
 * The logic of the `poller` actor: replace it with `machine.provide({ actors: { poller } })`,
 * e.g. by a scripted `fromCallback` in tests. It must send {@link PollerEvent}s.
 *
 * @example
 * ```ts
 * import * as JobMachine from "@tensoras/ingestion/JobMachine"
 * import { type EventObject, fromCallback } from "xstate"
 *
 * const silent: JobMachine.PollerLogic = fromCallback<EventObject, JobMachine.PollerInput>(({ input }) => {
 *   console.log(`would poll ${input.jobId} until ${new Date(input.deadline).toISOString()}`)
 * })
 * const machine = JobMachine.ingestionJobMachine.provide({ actors: { poller: silent } })
 * ```
 * @category models
 * @since 0.1.0
 */
export type PollerLogic = CallbackActorLogic<EventObject, PollerInput>

/**
 * Every event the machine accepts.
 *
 * @example
 * ```ts
 * import * as JobMachine from "@tensoras/ingestion/JobMachine"
 *
 * const cancel: JobMachine.Event = { type: "CANCEL" }
 * ```
 * @category models
 * @since 0.1.0
 */
export type Event = PollerEvent | CancelEvent

/**
 * The job completed. `job.partial` says whether some documents failed (`failedDocuments`).
 *
 * @example
 * ```ts
 * import * as JobMachine from "@tensoras/ingestion/JobMachine"
 *
 * const failedNames = (output: JobMachine.Completed) =>
 *   output.job.partial ? output.job.failedDocuments.map((d) => d.document_name) : []
 * ```
 * @category models
 * @since 0.1.0
 */
export interface Completed {
  readonly _tag: "Completed"
  readonly job: CompletedJob
}

/**
 * The job failed as a whole; `error` is the job's own.
 *
 * @example
 * ```ts
 * import * as JobMachine from "@tensoras/ingestion/JobMachine"
 *
 * const why = (output: JobMachine.Failed) => output.error?.code ?? output.error?.message ?? "no error given"
 * ```
 * @category models
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
 * import * as JobMachine from "@tensoras/ingestion/JobMachine"
 *
 * const late = (output: JobMachine.TimedOut) => `still ${output.lastJob?.status ?? "unseen"} after ${output.elapsedMs} ms`
 * ```
 * @category models
 * @since 0.1.0
 */
export interface TimedOut {
  readonly _tag: "TimedOut"
  readonly lastJob: IngestionJob.IngestionJob | null
  readonly elapsedMs: number
  readonly observed: Observed
  readonly reason: "deadline" | "schedule"
  readonly message: string
  /** The last failed request's error, if one failed (`WaitTimeout.lastFailure`). @since 1.1.0 */
  readonly lastFailure?: RetriedErrorData | undefined
}

/**
 * The wait was cancelled with {@link CancelEvent}.
 *
 * @example
 * ```ts
 * import * as JobMachine from "@tensoras/ingestion/JobMachine"
 *
 * const lastSeen = (output: JobMachine.Cancelled) => output.lastJob?.documents_processed ?? 0
 * ```
 * @category models
 * @since 0.1.0
 */
export interface Cancelled {
  readonly _tag: "Cancelled"
  readonly lastJob: IngestionJob.IngestionJob | null
}

/**
 * The wait could not go on (see {@link ErroredEvent}).
 *
 * @example
 * ```ts
 * import * as JobMachine from "@tensoras/ingestion/JobMachine"
 *
 * const notFound = (output: JobMachine.Errored) => output.error._tag === "NotFound"
 * ```
 * @category models
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
 * import * as JobMachine from "@tensoras/ingestion/JobMachine"
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
 * @category models
 * @since 0.1.0
 */
export type Output = Completed | Failed | TimedOut | Cancelled | Errored

/**
 * The event a parent machine receives when the job machine it invoked with `id` ends: XState's
 * `DoneActorEvent` (`xstate.done.actor.<id>`) with this machine's {@link Output}. XState gives a
 * named guard or action of `setup` only the events declared in `types.events`, not the done events
 * of the actors it invokes: declare this one there and they read `event.output` typed, no cast.
 *
 * @example
 * ```ts
 * import * as JobMachine from "@tensoras/ingestion/JobMachine"
 * import { setup } from "xstate"
 *
 * // Invoke it with `id: "ingestion"` and `onDone: [{ guard: "completed", target: ... }, ...]`.
 * const parent = setup({
 *   types: { events: {} as JobMachine.DoneEvent<"ingestion"> | { type: "CANCEL" } },
 *   actors: { ingestion: JobMachine.ingestionJobMachine },
 *   guards: {
 *     completed: ({ event }) => event.type === "xstate.done.actor.ingestion" && event.output._tag === "Completed"
 *   }
 * })
 * ```
 * @category models
 * @since 1.1.0
 */
export type DoneEvent<Id extends string = string> = DoneActorEvent<Output, Id>

/**
 * Options of {@link make} and {@link fromLayer}.
 *
 * @example
 * ```ts
 * import { PollSchedule } from "@tensoras/ingestion"
 * import * as JobMachine from "@tensoras/ingestion/JobMachine"
 *
 * const options: JobMachine.MakeOptions = { schedule: PollSchedule.fixed("5 seconds") }
 * ```
 * @category models
 * @since 0.1.0
 */
export interface MakeOptions {
  /** The poll cadence. Default `PollSchedule.defaultSchedule`. */
  readonly schedule?: PollSchedule.PollSchedule | undefined
}

/**
 * The type of the machine ({@link ingestionJobMachine}, {@link make}, {@link fromLayer}).
 *
 * @example
 * ```ts
 * import * as JobMachine from "@tensoras/ingestion/JobMachine"
 * import { fromCallback } from "xstate"
 *
 * const quiet: JobMachine.IngestionJobMachine = JobMachine.ingestionJobMachine.provide({
 *   actors: { poller: fromCallback(() => {}) }
 * })
 * ```
 * @category models
 * @since 0.1.0
 */
export type IngestionJobMachine = ReturnType<typeof internal.define>

/**
 * A running (or restored) job machine.
 *
 * @example
 * ```ts
 * import * as JobMachine from "@tensoras/ingestion/JobMachine"
 * import { createActor } from "xstate"
 *
 * const actor: JobMachine.JobActor = createActor(JobMachine.ingestionJobMachine, {
 *   input: { knowledgeBaseId: "kb_abc123", jobId: "job_def456" }
 * })
 * ```
 * @category models
 * @since 0.1.0
 */
export type JobActor = Actor<IngestionJobMachine>

/**
 * A snapshot of the machine.
 *
 * @example
 * ```ts
 * import * as JobMachine from "@tensoras/ingestion/JobMachine"
 *
 * const progress = (snapshot: JobMachine.Snapshot) =>
 *   snapshot.matches({ watching: { job: "processing" } }) ? snapshot.context.job?.documents_processed : undefined
 * ```
 * @category models
 * @since 0.1.0
 */
export type Snapshot = SnapshotFrom<IngestionJobMachine>

/**
 * The machine on the services of an Effect program (a `Context` that holds the `WaitEngine`,
 * e.g. `yield* Effect.context<WaitEngine>()` or `await managedRuntime.context()`): the poller
 * registers there (sharing the engine's loops with every other wait on it), runs its fibers with
 * those services, and times (`startedAt`, `deadline`) are read from their `Clock`, so a
 * `TestClock` drives it in tests.
 *
 * @example
 * ```ts
 * import { IngestionJobs, PollSchedule, WaitEngine } from "@tensoras/ingestion"
 * import * as JobMachine from "@tensoras/ingestion/JobMachine"
 * import * as FetchHttpClient from "effect/http/FetchHttpClient"
 * import * as Layer from "effect/Layer"
 * import * as ManagedRuntime from "effect/ManagedRuntime"
 * import * as Redacted from "effect/Redacted"
 * import { createActor } from "xstate"
 *
 * const live = WaitEngine.layer().pipe(
 *   Layer.provide(IngestionJobs.layer({ apiKey: Redacted.make("tns_your_key_here") })),
 *   Layer.provide(FetchHttpClient.layer)
 * )
 * const context = await ManagedRuntime.make(live).context()
 * const machine = JobMachine.make(context, { schedule: PollSchedule.progressive() })
 * const actor = createActor(machine, { input: { knowledgeBaseId: "kb_abc123", jobId: "job_def456" } }).start()
 * ```
 *
 * From inside an Effect, capture the services you run on:
 *
 * ```ts
 * import { WaitEngine } from "@tensoras/ingestion"
 * import * as JobMachine from "@tensoras/ingestion/JobMachine"
 * import * as Effect from "effect/Effect"
 *
 * const machine = Effect.map(Effect.context<WaitEngine.WaitEngine>(), (context) => JobMachine.make(context))
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const make = (
  context: EffectContext.Context<WaitEngine.WaitEngine>,
  options: MakeOptions = {}
): IngestionJobMachine =>
  internal.define(
    () => Effect.runSyncWith(context)(Clock.currentTimeMillis),
    poller.pollerLogic(poller.onContext(context), options)
  )

/**
 * The machine on a Layer of the client: the first actor builds a runtime from the Layer with one
 * `WaitEngine`, and every actor of this machine shares it (one loop per knowledge base); the
 * runtime lives as long as the machine. A Layer that fails to build (missing configuration) ends the
 * wait `Errored` with its error (a `ConfigError` becomes `InvalidInput` with `param: "config"`).
 *
 * @example
 * ```ts
 * import { IngestionJobs } from "@tensoras/ingestion"
 * import * as JobMachine from "@tensoras/ingestion/JobMachine"
 * import * as FetchHttpClient from "effect/http/FetchHttpClient"
 * import * as Layer from "effect/Layer"
 * import * as Redacted from "effect/Redacted"
 *
 * const machine = JobMachine.fromLayer(
 *   IngestionJobs.layer({ apiKey: Redacted.make("tns_your_key_here"), baseUrl: "http://127.0.0.1:4010/v1" }).pipe(
 *     Layer.provide(FetchHttpClient.layer)
 *   )
 * )
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const fromLayer = <E>(
  layer: Layer.Layer<IngestionJobs.IngestionJobs, E>,
  options: MakeOptions = {}
): IngestionJobMachine =>
  internal.define(
    Date.now,
    poller.pollerLogic(poller.onLayer(WaitEngine.layer().pipe(Layer.provide(layer))), options)
  )

/**
 * The machine, ready to run: the client comes from `TENSORAS_API_KEY` and `TENSORAS_BASE_URL`
 * (`IngestionJobs.layerConfig()` over `fetch`), read from the environment when the first of its
 * running actors starts (its runtime is built then, see {@link fromLayer}). Without a key it ends
 * `Errored` with `InvalidInput` (`param: "config"`). Open it in Stately as is; compose it with
 * `invoke`.
 *
 * @example
 * ```ts
 * import * as JobMachine from "@tensoras/ingestion/JobMachine"
 * import { createActor, toPromise } from "xstate"
 *
 * const actor = createActor(JobMachine.ingestionJobMachine, {
 *   input: { knowledgeBaseId: "kb_abc123", jobId: "job_def456", timeoutMs: 10 * 60_000 }
 * })
 * actor.subscribe((snapshot) => console.log(snapshot.value, snapshot.context.job?.status))
 * actor.start()
 * const output = await toPromise(actor) // JobMachine.Output
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const ingestionJobMachine: IngestionJobMachine = /* @__PURE__ */ (() =>
  fromLayer(
    IngestionJobs.layerConfig().pipe(
      Layer.provide(FetchHttpClient.layer),
      // Effect's default provider reads the environment once per process; this one reads it each
      // time the machine's runtime is built, so a key set (or unset) since is seen.
      Layer.provide(ConfigProvider.layer(Effect.sync(() => ConfigProvider.fromEnv())))
    )
  ))()
