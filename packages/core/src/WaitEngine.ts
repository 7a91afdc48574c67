/**
 * The wait engine: one service that holds every wait of a process and runs **one polling loop
 * per knowledge base**, however many waits watch it.
 *
 * A wait is a registration (a job, a deadline, a schedule, a listener), not a fiber of its own.
 * Each round, the loop of a knowledge base learns the state of the jobs whose waits are due in
 * the cheaper of two ways: a GET per due job when few are due, or the **active-set sweep** (list
 * `status=queued`, then `status=processing`, every page of 100) when many are. A watched job
 * missing from both lists has ended, has a status this library does not know, or is gone: one
 * GET tells which, and fetches a terminal job's `document_details` once for all its waits.
 *
 * Requests per round ≤ min(W, max(1, ⌈Aq/100⌉) + max(1, ⌈Ap/100⌉)) + one GET per job that turned
 * terminal (or whose status is not one the library knows), for W due jobs and Aq/Ap active jobs
 * of the knowledge base: never more than polling each job on its own.
 *
 * Each wait keeps its own schedule and deadline; the loop wakes when the earliest of them wants
 * a poll or a deadline passes (one timer per knowledge base, none per wait). The clock is read
 * before every request, so no request is sent for a wait whose deadline has passed. A 429 pauses
 * the knowledge base's loop (its `Retry-After` honoured once, for all its waits); a 401/403, or a
 * 404 of the knowledge base, fails all its waits; a 404 of one job fails that job's waits. A
 * transient failure (429, 5xx, network) that outlasts the client's retries does not fail a wait:
 * the wait polls again on its schedule until its deadline.
 *
 * The loops live in the engine's `Scope`: the last wait leaving a knowledge base stops its loop,
 * and closing the scope stops them all.
 *
 * @since 0.1.0
 */

import * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import type { Cadence } from "./Cadence.js"
import type { InvalidInput, RateLimited, ServerError, TransportError } from "./IngestionError.js"
import type * as IngestionJob from "./IngestionJob.js"
import type { IngestionJobs } from "./IngestionJobs.js"
import * as internalObserved from "./internal/observed.js"
import * as internal from "./internal/waitEngine/engine.js"
import * as rules from "./internal/waitRules.js"
import type * as PollSchedule from "./PollSchedule.js"
import type { Observed, TerminalClientError, WaitTimeout } from "./WaitError.js"

/**
 * How long a wait waits when neither `timeout` nor `deadline` is given: 30 minutes.
 *
 * @example
 * ```ts
 * import { WaitEngine } from "@tensoras/ingestion"
 * import * as Duration from "effect/Duration"
 *
 * Duration.toMinutes(WaitEngine.DEFAULT_TIMEOUT) // 30
 * ```
 * @category constants
 * @since 0.1.0
 */
export const DEFAULT_TIMEOUT: Duration.Duration = rules.DEFAULT_TIMEOUT

/**
 * The deadline (epoch ms) of a wait that starts at `startedAt` with these options: `deadline` when
 * given (a resumed wait keeps its first deadline), else `startedAt` plus `timeout` (default
 * {@link DEFAULT_TIMEOUT}). The engine gives each wait this deadline; an adapter that keeps
 * deadlines of its own (a relay, a durable store, a command line) computes them with it, so that
 * they agree. `timeout` must be a valid duration (`register` checks it; this throws on garbage).
 *
 * @example
 * ```ts
 * import { WaitEngine } from "@tensoras/ingestion"
 *
 * const startedAt = Date.UTC(2026, 0, 1)
 * WaitEngine.deadlineOf({ timeout: "15 minutes" }, startedAt) // startedAt + 900_000
 * WaitEngine.deadlineOf({}, startedAt) // startedAt + 30 minutes
 * WaitEngine.deadlineOf({ timeout: "15 minutes", deadline: startedAt + 5_000 }, startedAt) // startedAt + 5_000
 * ```
 * @category utils
 * @since 1.0.0
 */
export const deadlineOf: (options: Pick<WaitOptions, "timeout" | "deadline">, startedAt: number) => number =
  rules.deadlineOf

/**
 * Options of a wait, the same for every Effect wait (`Wait.waitFor`, `Wait.watch`, ...). Effect
 * waits take `Duration` inputs; the Promise API takes the same options as `…Ms` numbers.
 *
 * @category models
 * @since 0.1.0
 */
export interface WaitOptions {
  /** The poll cadence. Default `PollSchedule.defaultSchedule`. The first poll is immediate. */
  readonly schedule?: PollSchedule.PollSchedule | undefined
  /** Shorthand for `schedule: PollSchedule.fixed(pollInterval)`; not with `schedule`. */
  readonly pollInterval?: Duration.Input | undefined
  /** How long to wait at most, from registration. Default {@link DEFAULT_TIMEOUT} (30 minutes). */
  readonly timeout?: Duration.Input | undefined
  /** An absolute deadline (epoch ms, Effect clock); wins over `timeout`. Resumed waits use it. */
  readonly deadline?: number | undefined
}

/**
 * A poll answered: the job as it is now. `job` has `document_details` only when it is terminal;
 * when the poll was a GET of the running job, it has `documents: { ended, total }` instead, the
 * progress counted from them (a progress bar's "8 / 15 documents"; a sweep's lists carry none).
 *
 * @category models
 * @since 0.1.0
 */
export interface Polled {
  readonly _tag: "Polled"
  readonly job: PollSchedule.Polled
  /** When the answer was handled (epoch ms, Effect clock). */
  readonly at: number
  /** Whether the status or a counter differs from what this wait saw before (true the first time). */
  readonly changed: boolean
  /** Whether the wait's schedule reports the job as stalled (see `PollSchedule.progressive`). */
  readonly stalled: boolean
  /** When this wait's next poll is due (epoch ms); `null` once the job is terminal. */
  readonly nextPollAt: number | null
}

/**
 * A request for this wait failed transiently and the client retries it after `delayMs`.
 *
 * @category models
 * @since 0.1.0
 */
export interface Retrying {
  readonly _tag: "Retrying"
  readonly error: RateLimited | ServerError | TransportError
  /** 1 for the first retry of a request. */
  readonly attempt: number
  readonly delayMs: number
  readonly at: number
}

/**
 * What a wait hears while it runs.
 *
 * @category models
 * @since 0.1.0
 */
export type WaitEvent = Polled | Retrying

/**
 * How a wait ended: the terminal job (`completed` or `failed`, with `document_details`), or the
 * wait's error (`WaitTimeout`, or one of the client's errors a retry cannot mend:
 * `TerminalClientError`). Never `RateLimited`, `ServerError` or `TransportError`: a wait polls on
 * through those (1.0 named them here).
 *
 * @category models
 * @since 0.1.0
 */
export type WaitExit = Exit.Exit<IngestionJob.IngestionJobDetail, TerminalClientError | WaitTimeout>

/**
 * Who hears a wait. Called synchronously by the engine's loop: keep them short (hand work to
 * a fiber or a queue of your own if it is long). A listener that throws does not disturb
 * the loop or the other waits.
 *
 * @category models
 * @since 0.1.0
 */
export interface Listener {
  /** Every poll answered and every retry, for this wait. */
  readonly onEvent?: ((event: WaitEvent) => void) | undefined
  /** Exactly once, unless the wait left first. */
  readonly onExit: (exit: WaitExit) => void
}

/**
 * A registered wait.
 *
 * @category models
 * @since 0.1.0
 */
export interface Registration {
  /** Leaves: no more events, no `onExit`; the last wait of a knowledge base stops its loop. */
  readonly leave: Effect.Effect<void>
}

/**
 * What one round of a knowledge base's loop did, for tests, benchmarks and dashboards.
 *
 * @category models
 * @since 0.1.0
 */
export interface RoundReport {
  readonly knowledgeBaseId: string
  /** When the round started (epoch ms, Effect clock). */
  readonly at: number
  /** `get`: a GET per due job; `sweep`: the active-set sweep. */
  readonly mode: "get" | "sweep"
  /** Requests sent (first attempts; retries are in `retries`). */
  readonly requests: number
  readonly retries: number
  /** Jobs watched by the knowledge base's waits when the round started. */
  readonly watchedJobs: number
  /**
   * Jobs whose waits the round serves: those due (a `get` round GETs them); a `sweep` also serves,
   * at no extra request, those due within half their interval (their schedules step with it).
   */
  readonly dueJobs: number
  /** GETs of jobs that a sweep did not find (terminal, unknown status, or gone). */
  readonly followUpGets: number
  /**
   * Active jobs the sweep listed (`undefined` for a `get` round, or a list not reached). A sweep
   * never sends more requests than the GETs of the jobs it serves: one that would is cut short,
   * its count then a lower bound (those listed, plus one: the list said it had more), and the
   * jobs it did not see are GET the next round. A list that ended early (a page failed, or every
   * wait left meanwhile) reports a lower bound the same way.
   */
  readonly activeQueued: number | undefined
  readonly activeProcessing: number | undefined
}

/**
 * Options of the engine.
 *
 * @category models
 * @since 0.1.0
 */
export interface EngineOptions {
  /**
   * Called after every round of every loop, however it ended (a round cut short when its loop's
   * last wait ends or leaves, or its scope closes, reports the requests it sent).
   */
  readonly onRound?: ((report: RoundReport) => void) | undefined
  /**
   * Awaited before every round, for the knowledge base about to be polled: a gate. The browser
   * adapter's waits while the page is hidden or offline, so a round due meanwhile runs the
   * moment the page is back. Deadlines still pass while a loop waits at its gate.
   */
  readonly gate?: ((knowledgeBaseId: string) => Effect.Effect<void>) | undefined
  /**
   * What the engine learns of each knowledge base's jobs, and the default cadence it gives the
   * waits that have no `schedule` nor `pollInterval` (see `Cadence`). Give one made from saved JSON
   * (`Cadence.fromJSON`) to start warm, and keep it to save what was learned (`Cadence.toJSON`).
   * Default: a new, empty one per engine.
   *
   * @since 1.1.0
   */
  readonly cadence?: Cadence | undefined
}

/**
 * The engine as a service. Waits (`Wait.waitFor`, the machine, the Promise client) register here.
 *
 * @example
 * ```ts
 * import { IngestionJobs, WaitEngine } from "@tensoras/ingestion"
 * import * as FetchHttpClient from "effect/http/FetchHttpClient"
 * import * as Effect from "effect/Effect"
 * import * as Layer from "effect/Layer"
 *
 * const program = Effect.gen(function* () {
 *   const engine = yield* WaitEngine.WaitEngine
 *   const wait = yield* engine.register("kb_abc123", "job_def456", { timeout: "10 minutes" }, {
 *     onExit: (exit) => console.log(exit._tag === "Success" ? exit.value.status : "failed")
 *   })
 *   yield* wait.leave
 * })
 *
 * const live = WaitEngine.layer().pipe(
 *   Layer.provide(IngestionJobs.layerConfig()),
 *   Layer.provide(FetchHttpClient.layer)
 * )
 * program.pipe(Effect.provide(live), Effect.runPromise)
 * ```
 * @category tags
 * @since 0.1.0
 */
export class WaitEngine extends Context.Service<
  WaitEngine,
  {
    /**
     * Registers a wait. Fails with `InvalidInput` (and sends nothing) when an ID, the timeout or
     * the deadline is not acceptable.
     */
    readonly register: (
      knowledgeBaseId: string,
      jobId: string,
      options: WaitOptions,
      listener: Listener
    ) => Effect.Effect<Registration, InvalidInput>
  }
>()("@tensoras/ingestion/WaitEngine") {}

/**
 * Builds an engine whose loops live in the current `Scope`.
 *
 * @example
 * ```ts
 * import { WaitEngine } from "@tensoras/ingestion"
 * import * as Effect from "effect/Effect"
 *
 * const engine = WaitEngine.make({ onRound: (round) => console.log(round.mode, round.requests) })
 * const scoped = Effect.scoped(Effect.asVoid(engine))
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const make: (
  options?: EngineOptions
) => Effect.Effect<WaitEngine["Service"], never, IngestionJobs | Scope.Scope> = internal.make

/**
 * The engine as a Layer: one per process (or per runtime) is the point.
 *
 * @example
 * ```ts
 * import { IngestionJobs, WaitEngine } from "@tensoras/ingestion"
 * import * as FetchHttpClient from "effect/http/FetchHttpClient"
 * import * as Layer from "effect/Layer"
 *
 * const live = WaitEngine.layer().pipe(Layer.provide(IngestionJobs.layerConfig()), Layer.provide(FetchHttpClient.layer))
 * ```
 * @category layers
 * @since 0.1.0
 */
export const layer = (options?: EngineOptions): Layer.Layer<WaitEngine, never, IngestionJobs> =>
  Layer.effect(WaitEngine, internal.make(options))

/**
 * What a wait observed (`WaitTimeout.observed`) with one more event counted, the way the engine
 * counts the requests of its own waits: a `Polled` is a response (its job status, HTTP 200), a
 * `Retrying` a retry (its HTTP status, or `network` / `timeout` / ...). For an engine that hands
 * its waits the events of another engine (the browser's tabs relay their leader's), so that its
 * timeouts count what the waits heard from there too.
 *
 * @example
 * ```ts
 * import { IngestionJob, WaitEngine, WaitError } from "@tensoras/ingestion"
 * import * as Schema from "effect/Schema"
 *
 * const job = Schema.decodeUnknownSync(IngestionJob.IngestionJob)({
 *   id: "job_def456", object: "ingestion_job", knowledge_base_id: "kb_abc123",
 *   data_source_id: "ds_xyz789", status: "processing",
 *   documents_processed: 1, documents_failed: 0, chunks_created: 12,
 *   started_at: 1709125000, completed_at: null, created_at: 1709124990, error: null
 * })
 * const none: WaitError.Observed = { responses: 0, retries: 0, statuses: {}, httpStatuses: {} }
 * const event: WaitEngine.WaitEvent = { _tag: "Polled", job, at: 0, changed: true, stalled: false, nextPollAt: 2000 }
 * WaitEngine.observe(none, event)
 * // { responses: 1, retries: 0, statuses: { processing: 1 }, httpStatuses: { "200": 1 } }
 * ```
 * @category observing
 * @since 0.1.0
 */
export const observe: (observed: Observed, event: WaitEvent) => Observed = internalObserved.observe

/**
 * Two counts of what a wait observed, added up: a wait fed by two engines (its own, and the
 * events relayed from another) times out with both.
 *
 * @example
 * ```ts
 * import { WaitEngine, WaitError } from "@tensoras/ingestion"
 *
 * const own: WaitError.Observed = { responses: 2, retries: 1, statuses: { queued: 2 }, httpStatuses: { "200": 2, "503": 1 } }
 * const relayed: WaitError.Observed = { responses: 1, retries: 0, statuses: { processing: 1 }, httpStatuses: { "200": 1 } }
 * WaitEngine.combineObserved(own, relayed)
 * // { responses: 3, retries: 1, statuses: { queued: 2, processing: 1 }, httpStatuses: { "200": 3, "503": 1 } }
 * ```
 * @category observing
 * @since 0.1.0
 */
export const combineObserved: (self: Observed, that: Observed) => Observed = internalObserved.combine
