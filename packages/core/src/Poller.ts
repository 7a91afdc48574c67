/**
 * Waiting for an ingestion job: polling driven by a `Schedule`, with a deadline, typed outcomes
 * and the client's retries made visible.
 *
 * - {@link events}: everything a watcher sees, poll by poll (the machine runs on it);
 * - {@link watch}: a `Stream` of the job each time it changes, ending with the terminal job;
 * - {@link waitFor}: an `Effect` of the completed job, failing with a typed `WaitError`.
 *
 * Time is Effect's: delays are `Schedule` steps and the deadline is measured with `Clock`, so
 * tests drive both with `TestClock`. Interrupting a wait aborts the request in flight.
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Queue from "effect/Queue"
import type * as Schedule from "effect/Schedule"
import * as ScheduleDecision from "effect/ScheduleDecision"
import * as ScheduleIntervals from "effect/ScheduleIntervals"
import * as Stream from "effect/Stream"
import * as Take from "effect/Take"
import {
  type IngestionError,
  InvalidInput,
  type RateLimited,
  type ServerError,
  type TransportError
} from "./IngestionError.js"
import * as IngestionJob from "./IngestionJob.js"
import { IngestionJobs } from "./IngestionJobs.js"
import { currentRetryObserver, type RetryInfo } from "./internal/retryObserver.js"
import * as validate from "./internal/validate.js"
import * as PollSchedule from "./PollSchedule.js"
import {
  IngestionJobFailed,
  type Observed,
  timedOut as timeoutError,
  type WaitError,
  type WaitTimeout
} from "./WaitError.js"

/**
 * Options of a wait.
 *
 * @since 0.1.0
 */
export interface WaitOptions {
  /** The poll cadence. Default {@link PollSchedule.defaultSchedule}. The first poll is immediate. */
  readonly schedule?: Schedule.Schedule<unknown, IngestionJob.IngestionJobDetail> | undefined
  /** How long to wait at most, from the start. Default 30 minutes. */
  readonly timeout?: Duration.DurationInput | undefined
  /** An absolute deadline (epoch milliseconds); wins over `timeout`. Resumed waits use it. */
  readonly deadline?: number | undefined
}

/**
 * A poll answered: the job as it is now.
 *
 * @since 0.1.0
 */
export interface Polled {
  readonly _tag: "Polled"
  readonly job: IngestionJob.IngestionJobDetail
  /** When the answer was handled (epoch ms, Effect clock). */
  readonly at: number
  /** Whether the status or a counter differs from the previous poll (true for the first). */
  readonly changed: boolean
  /** Whether the schedule reports the job as stalled (see `PollSchedule.progressive`). */
  readonly stalled: boolean
  /** When the next poll is due (epoch ms); `null` once the job is terminal. */
  readonly nextPollAt: number | null
}

/**
 * A request failed transiently and the client will retry it after `delayMs`.
 *
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
 * What a watcher sees.
 *
 * @since 0.1.0
 */
export type PollEvent = Polled | Retrying

/**
 * A completed job, as a wait returns it: the job (with `document_details`), plus whether some
 * documents failed, and which. `partial: true` is a success you should not read as "everything
 * was ingested".
 *
 * @since 0.1.0
 */
export type CompletedJob = IngestionJob.IngestionJobDetail & { readonly status: "completed" } & (
    | { readonly partial: false }
    | { readonly partial: true; readonly failedDocuments: ReadonlyArray<IngestionJob.DocumentDetail> }
  )

const DEFAULT_TIMEOUT = Duration.minutes(30)

const httpStatusOf = (error: RetryInfo["error"]): string =>
  error._tag === "TransportError" ? error.reason.toLowerCase() : String(error.status)

const increment = (record: Record<string, number>, key: string) => {
  record[key] = (record[key] ?? 0) + 1
}

/**
 * The polling itself: emits every poll and retry through `emit`, and returns the terminal job.
 * `events` streams what it emits; `waitFor` runs it without a stream in between.
 */
const run = (
  knowledgeBaseId: string,
  jobId: string,
  options: WaitOptions,
  emit: (event: PollEvent) => Effect.Effect<unknown>
): Effect.Effect<IngestionJob.IngestionJobDetail, IngestionError | WaitTimeout, IngestionJobs> =>
  Effect.gen(function* () {
    yield* validate.id("knowledgeBaseId", knowledgeBaseId)
    yield* validate.id("jobId", jobId)
    const timeout =
      options.timeout === undefined ? DEFAULT_TIMEOUT : yield* validate.duration("timeout", options.timeout)
    if (options.deadline !== undefined && !Number.isFinite(options.deadline)) {
      return yield* new InvalidInput({
        param: "deadline",
        message: "deadline must be a finite epoch time in ms"
      })
    }
    const jobs = yield* IngestionJobs
    const schedule = options.schedule ?? PollSchedule.defaultSchedule
    const startedAt = yield* Clock.currentTimeMillis
    const deadline = options.deadline ?? startedAt + Duration.toMillis(timeout)

    const observed: { -readonly [K in keyof Observed]: Observed[K] } = {
      responses: 0,
      retries: 0,
      statuses: {},
      httpStatuses: {}
    }
    let lastJob: IngestionJob.IngestionJobDetail | undefined

    const onRetry = (info: RetryInfo) =>
      Effect.flatMap(Clock.currentTimeMillis, (at) => {
        observed.retries++
        increment(observed.httpStatuses, httpStatusOf(info.error))
        return emit({
          _tag: "Retrying",
          error: info.error,
          attempt: info.attempt,
          delayMs: info.delayMillis,
          at
        })
      })
    const get = jobs.get(knowledgeBaseId, jobId).pipe(Effect.locally(currentRetryObserver, onRetry))

    const timedOut = (now: number) =>
      Effect.fail(timeoutError({ lastJob: lastJob ?? null, elapsedMs: now - startedAt, observed }))

    const poll = Effect.gen(function* () {
      let state = schedule.initial
      for (;;) {
        const job = yield* get
        const at = yield* Clock.currentTimeMillis
        observed.responses++
        increment(observed.statuses, IngestionJob.statusText(job.status))
        increment(observed.httpStatuses, "200")
        const changed = IngestionJob.differs(lastJob, job)
        lastJob = job
        if (IngestionJob.isTerminal(job)) {
          yield* emit({ _tag: "Polled", job, at, changed, stalled: false, nextPollAt: null })
          return job
        }
        const [next, output, decision] = yield* schedule.step(at, job, state)
        state = next
        if (ScheduleDecision.isDone(decision)) {
          // The caller's schedule gave up before the job finished: that is a timeout of its own.
          return yield* timedOut(at)
        }
        const nextPollAt = ScheduleIntervals.start(decision.intervals)
        yield* emit({ _tag: "Polled", job, at, changed, stalled: PollSchedule.isStalled(output), nextPollAt })
        yield* Effect.sleep(Duration.millis(Math.max(0, nextPollAt - at)))
      }
    })

    const deadlinePassed = Effect.flatMap(Clock.currentTimeMillis, (now) =>
      Effect.zipRight(Effect.sleep(Duration.millis(Math.max(0, deadline - now))), Clock.currentTimeMillis)
    ).pipe(
      Effect.flatMap((now) =>
        // A terminal job already seen wins over a deadline that fires in the same instant.
        lastJob !== undefined && IngestionJob.isTerminal(lastJob) ? Effect.succeed(lastJob) : timedOut(now)
      )
    )

    return yield* Effect.raceFirst(poll, deadlinePassed)
  })

/**
 * Every poll and every retry of a wait, as a `Stream`. The first poll is immediate; the stream
 * ends after the job's terminal poll (`completed` or `failed`, with `document_details`), and
 * fails with `WaitTimeout` when the deadline passes first, or with the client's error when it is
 * terminal (`NotFound`, `Unauthorized`, ...) or its retries ran out. A status this library does
 * not know keeps the wait going on the schedule. A terminal job already seen always wins over
 * the deadline.
 *
 * @example
 * ```ts
 * import { Poller } from "@tensoras/ingestion"
 * import * as Console from "effect/Console"
 * import * as Stream from "effect/Stream"
 *
 * const log = Poller.events("kb_abc123", "job_def456").pipe(
 *   Stream.runForEach((event) =>
 *     event._tag === "Polled"
 *       ? Console.log(`${event.job.status}: ${event.job.documents_processed} docs`)
 *       : Console.log(`retrying in ${event.delayMs} ms after ${event.error._tag}`)
 *   )
 * )
 * ```
 * @since 0.1.0
 */
export const events = (
  knowledgeBaseId: string,
  jobId: string,
  options: WaitOptions = {}
): Stream.Stream<PollEvent, IngestionError | WaitTimeout, IngestionJobs> =>
  Stream.unwrapScoped(
    Effect.gen(function* () {
      const queue = yield* Queue.unbounded<Take.Take<PollEvent, IngestionError | WaitTimeout>>()
      yield* run(knowledgeBaseId, jobId, options, (event) => Queue.offer(queue, Take.of(event))).pipe(
        Effect.matchCauseEffect({
          onSuccess: () => Queue.offer(queue, Take.end),
          onFailure: (cause) => Queue.offer(queue, Take.failCause(cause))
        }),
        Effect.forkScoped
      )
      return Stream.fromQueue(queue).pipe(Stream.flattenTake)
    })
  )

/**
 * The job each time its status or a counter changes, ending with the terminal job (which has
 * `document_details`). Fails like {@link events}.
 *
 * @example
 * ```ts
 * import { Poller } from "@tensoras/ingestion"
 * import * as Console from "effect/Console"
 * import * as Stream from "effect/Stream"
 *
 * const progress = Poller.watch("kb_abc123", "job_def456", { timeout: "10 minutes" }).pipe(
 *   Stream.runForEach((job) => Console.log(`${job.status}: ${job.chunks_created} chunks`))
 * )
 * ```
 * @since 0.1.0
 */
export const watch = (
  knowledgeBaseId: string,
  jobId: string,
  options?: WaitOptions
): Stream.Stream<IngestionJob.IngestionJobDetail, IngestionError | WaitTimeout, IngestionJobs> =>
  changes(events(knowledgeBaseId, jobId, options))

/**
 * The jobs of a stream of poll events each time they changed, the terminal job included: what
 * {@link watch} is made of, for event streams of your own (an adapter's, say).
 *
 * @example
 * ```ts
 * import { Poller } from "@tensoras/ingestion"
 *
 * const jobs = Poller.changes(Poller.events("kb_abc123", "job_def456"))
 * ```
 * @since 0.1.0
 */
export const changes = <E, R>(
  self: Stream.Stream<PollEvent, E, R>
): Stream.Stream<IngestionJob.IngestionJobDetail, E, R> =>
  Stream.filterMap(self, (event) => (isChange(event) ? Option.some(event.job) : Option.none()))

/**
 * Whether an event shows the job changed: a poll whose status or counters moved, or the
 * terminal poll.
 *
 * @example
 * ```ts
 * import { Poller } from "@tensoras/ingestion"
 * import * as Stream from "effect/Stream"
 *
 * const changed = Poller.events("kb_abc123", "job_def456").pipe(Stream.filter(Poller.isChange))
 * ```
 * @since 0.1.0
 */
export const isChange = (event: PollEvent): event is Polled =>
  event._tag === "Polled" && (event.changed || event.nextPollAt === null)

/**
 * Runs a stream of poll events to its terminal job and gives its {@link outcome}: what
 * {@link waitFor} is made of, for event streams of your own.
 *
 * @example
 * ```ts
 * import { Poller } from "@tensoras/ingestion"
 *
 * const job = Poller.settle(Poller.events("kb_abc123", "job_def456"))
 * ```
 * @since 0.1.0
 */
export const settle = <E, R>(
  self: Stream.Stream<PollEvent, E, R>
): Effect.Effect<CompletedJob, E | IngestionJobFailed, R> =>
  Stream.runLast(self).pipe(
    Effect.flatMap((last) =>
      last._tag === "Some" && last.value._tag === "Polled"
        ? outcome(last.value.job)
        : Effect.dieMessage("a wait's event stream ended without a terminal job")
    )
  )

/**
 * The outcome of a terminal job: the completed job, or `IngestionJobFailed`.
 *
 * @example
 * ```ts
 * import { Poller } from "@tensoras/ingestion"
 * import * as Effect from "effect/Effect"
 *
 * declare const job: import("@tensoras/ingestion").IngestionJob.IngestionJobDetail
 * const outcome = Poller.outcome(job) // Effect<CompletedJob, IngestionJobFailed>
 * ```
 * @since 0.1.0
 */
export const outcome = (
  job: IngestionJob.IngestionJobDetail
): Effect.Effect<CompletedJob, IngestionJobFailed> => {
  if (job.status === "failed") {
    return Effect.fail(
      new IngestionJobFailed({ job, message: job.error?.message ?? `Ingestion job '${job.id}' failed` })
    )
  }
  const failedDocuments = job.document_details.filter(
    (document) => !IngestionJob.isDocumentIngested(document)
  )
  const completed = { ...job, status: "completed" as const }
  return Effect.succeed(
    failedDocuments.length > 0 || job.documents_failed > 0
      ? { ...completed, partial: true, failedDocuments }
      : { ...completed, partial: false }
  )
}

/**
 * Waits until the job is terminal: succeeds with the completed job (with `document_details`;
 * `partial: true` when some documents failed), fails with `IngestionJobFailed` (the final job and
 * its `error`), `WaitTimeout` (the last job seen and what was observed), or the client's error.
 *
 * @example
 * ```ts
 * import { IngestionJobs, Poller } from "@tensoras/ingestion"
 * import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
 * import * as Effect from "effect/Effect"
 * import * as Layer from "effect/Layer"
 *
 * const program = Poller.waitFor("kb_abc123", "job_def456", { timeout: "15 minutes" }).pipe(
 *   Effect.map((job) => (job.partial ? `${job.failedDocuments.length} documents failed` : "all ingested")),
 *   Effect.catchTags({
 *     IngestionJobFailed: (e) => Effect.succeed(`failed: ${e.message}`),
 *     WaitTimeout: (e) => Effect.succeed(`still ${e.lastJob?.status} after ${e.elapsedMs} ms`)
 *   })
 * )
 *
 * program.pipe(
 *   Effect.provide(IngestionJobs.layerConfig().pipe(Layer.provide(FetchHttpClient.layer))),
 *   Effect.runPromise
 * )
 * ```
 * @since 0.1.0
 */
export const waitFor = (
  knowledgeBaseId: string,
  jobId: string,
  options?: WaitOptions
): Effect.Effect<CompletedJob, WaitError, IngestionJobs> =>
  Effect.flatMap(
    run(knowledgeBaseId, jobId, options ?? {}, () => Effect.void),
    outcome
  )

/**
 * Like {@link waitFor}, calling `onUpdate` with the job each time it changed (the terminal job
 * included), without a stream in between: what the Promise API's `onUpdate` runs on.
 *
 * @example
 * ```ts
 * import { Poller } from "@tensoras/ingestion"
 * import * as Effect from "effect/Effect"
 *
 * const job = Poller.waitForWith("kb_abc123", "job_def456", {}, (job) =>
 *   Effect.log(`${job.status}: ${job.documents_processed} docs`)
 * )
 * ```
 * @since 0.1.0
 */
export const waitForWith = (
  knowledgeBaseId: string,
  jobId: string,
  options: WaitOptions,
  onUpdate: (job: IngestionJob.IngestionJobDetail) => Effect.Effect<unknown>
): Effect.Effect<CompletedJob, WaitError, IngestionJobs> =>
  Effect.flatMap(
    run(knowledgeBaseId, jobId, options, (event) => (isChange(event) ? onUpdate(event.job) : Effect.void)),
    outcome
  )
