/**
 * The Effect waits of `Wait`: registrations with the process's `WaitEngine`, their exits read with
 * the wait rules (`waitRules.ts`).
 */
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Queue from "effect/Queue"
import * as Result from "effect/Result"
import * as Stream from "effect/Stream"
import type { InvalidInput } from "../IngestionError.js"
import type * as IngestionJob from "../IngestionJob.js"
import type * as PollSchedule from "../PollSchedule.js"
import type { CompletedJob, JobUpdate, RetryListener, WaitAllOptions } from "../Wait.js"
import { type Listener, WaitEngine, type WaitEvent, type WaitExit, type WaitOptions } from "../WaitEngine.js"
import type { IngestionJobFailed, TerminalClientError, WaitError, WaitTimeout } from "../WaitError.js"
import * as validate from "./validate.js"
import { exitResult, outcomeResult } from "./waitRules.js"

/** See `Wait.isChange`. */
export const isChange = (event: WaitEvent): event is Extract<WaitEvent, { _tag: "Polled" }> =>
  event._tag === "Polled" && (event.changed || event.nextPollAt === null)

/**
 * A listener's `onEvent` for the hooks of a wait: `onUpdate` hears each answer (it picks the changes
 * it tells), `onRetry` each retry; no `onEvent` at all when neither is given.
 */
const onEventOf = (
  onUpdate: ((event: Extract<WaitEvent, { _tag: "Polled" }>) => void) | undefined,
  onRetry: RetryListener["onRetry"]
): Listener["onEvent"] =>
  onUpdate === undefined && onRetry === undefined
    ? undefined
    : (event) => {
        if (event._tag === "Retrying") onRetry?.(event)
        else onUpdate?.(event)
      }

/**
 * The listener of one job of many (`waitForAll`, `watchAll`, `waitForActive`): `emit` hears a
 * `Changed` update each time the job changes (the terminal job included) and its `Ended` update
 * when its wait ends; `ended` is told the result, after `emit`.
 */
export const jobListener = (
  jobId: string,
  emit: ((update: JobUpdate) => void) | undefined,
  onRetry: RetryListener["onRetry"],
  ended: (result: Result.Result<CompletedJob, WaitError>) => void
): Listener => ({
  onEvent: onEventOf(
    emit === undefined
      ? undefined
      : (event) => {
          // The terminal poll is told from `onExit`, with the job's `document_details`.
          if (isChange(event) && event.nextPollAt !== null) emit({ _tag: "Changed", jobId, job: event.job })
        },
    onRetry
  ),
  onExit: (exit) => {
    const result = exitResult(exit)
    if (emit !== undefined) {
      if (Exit.isSuccess(exit)) emit({ _tag: "Changed", jobId, job: exit.value })
      emit({ _tag: "Ended", jobId, result })
    }
    ended(result)
  }
})

/** See `Wait.outcome`: {@link outcomeResult} as an Effect. */
export const outcome = (
  job: IngestionJob.IngestionJobDetail
): Effect.Effect<CompletedJob, IngestionJobFailed> =>
  Result.match(outcomeResult(job), { onFailure: Effect.fail, onSuccess: Effect.succeed })

/** See `Wait.waitFor`. */
export const waitFor = (
  knowledgeBaseId: string,
  jobId: string,
  options: WaitOptions &
    RetryListener & {
      readonly onUpdate?: ((job: IngestionJob.IngestionJob) => void) | undefined
    } = {}
): Effect.Effect<CompletedJob, WaitError, WaitEngine> => {
  const { onUpdate } = options
  const onEvent = onEventOf(
    onUpdate === undefined ? undefined : (event) => isChange(event) && onUpdate(event.job),
    options.onRetry
  )
  // No fiber, Deferred or scope of its own: the caller's fiber waits in `Effect.callback` for the
  // registration's `onExit`, and leaves the engine if it is interrupted first.
  return Effect.flatMap(WaitEngine, (engine) =>
    Effect.uninterruptibleMask((restore) => {
      const settle: { exit: WaitExit | undefined; resume: ((exit: WaitExit) => void) | undefined } = {
        exit: undefined,
        resume: undefined
      }
      return Effect.flatMap(
        engine.register(knowledgeBaseId, jobId, options, {
          onEvent,
          onExit: (exit) => {
            if (settle.resume === undefined) settle.exit = exit
            else settle.resume(exit)
          }
        }),
        (registration) =>
          Effect.onInterrupt(
            restore(
              Effect.callback<IngestionJob.IngestionJobDetail, TerminalClientError | WaitTimeout>(
                (resume) => {
                  if (settle.exit !== undefined) resume(settle.exit)
                  else settle.resume = resume
                }
              )
            ),
            () => registration.leave
          )
      )
    })
  ).pipe(Effect.flatMap(outcome))
}

/** See `Wait.waitForAll`. */
export const waitForAll = (
  knowledgeBaseId: string,
  jobIds: Iterable<string>,
  options: WaitAllOptions = {}
): Effect.Effect<ReadonlyArray<Result.Result<CompletedJob, WaitError>>, InvalidInput, WaitEngine> =>
  Effect.gen(function* () {
    const ids = [...jobIds]
    // All or nothing: one bad ID fails the call before any wait is registered.
    yield* validate.id("knowledgeBaseId", knowledgeBaseId)
    for (const id of ids) yield* validate.id("jobId", id)
    const engine = yield* WaitEngine
    const results = new Array<Result.Result<CompletedJob, WaitError>>(ids.length)
    const all = yield* Deferred.make<void>()
    let left = ids.length
    if (left === 0) return []
    return yield* Effect.acquireUseRelease(
      Effect.forEach(ids, (id, index) =>
        engine.register(
          knowledgeBaseId,
          id,
          options,
          jobListener(id, options.onUpdate, options.onRetry, (result) => {
            results[index] = result
            if (--left === 0) Deferred.doneUnsafe(all, Exit.void)
          })
        )
      ),
      () => Effect.as(Deferred.await(all), results as ReadonlyArray<Result.Result<CompletedJob, WaitError>>),
      (registrations) =>
        Effect.forEach(registrations, (registration) => registration.leave, { discard: true })
    )
  })

/** See `Wait.watch`. */
export const watch = (
  knowledgeBaseId: string,
  jobId: string,
  options: WaitOptions & RetryListener = {}
): Stream.Stream<PollSchedule.Polled, TerminalClientError | WaitTimeout, WaitEngine> =>
  // `callback`: an emission is a synchronous offer to the stream's unbounded queue (the consumer
  // takes what has piled up as one chunk); no fiber per emission.
  Stream.callback<PollSchedule.Polled, TerminalClientError | WaitTimeout, WaitEngine>((queue) =>
    Effect.flatMap(WaitEngine, (engine) =>
      Effect.acquireRelease(
        engine.register(knowledgeBaseId, jobId, options, {
          onEvent: onEventOf((event) => {
            if (isChange(event) && event.nextPollAt !== null) Queue.offerUnsafe(queue, event.job)
          }, options.onRetry),
          onExit: (exit) => {
            if (Exit.isSuccess(exit)) {
              Queue.offerUnsafe(queue, exit.value)
              Queue.endUnsafe(queue)
            } else {
              // A typed error fails the stream with it; a defect (a schedule of one's own that died) dies.
              Queue.failCauseUnsafe(queue, exit.cause)
            }
          }
        }),
        (registration) => registration.leave
      )
    )
  )

/** See `Wait.watchAll`. */
export const watchAll = (
  knowledgeBaseId: string,
  jobIds: Iterable<string>,
  options: WaitOptions & RetryListener = {}
): Stream.Stream<JobUpdate, InvalidInput, WaitEngine> =>
  Stream.callback<JobUpdate, InvalidInput, WaitEngine>((queue) =>
    Effect.gen(function* () {
      const ids = [...jobIds]
      yield* validate.id("knowledgeBaseId", knowledgeBaseId)
      for (const id of ids) yield* validate.id("jobId", id)
      const engine = yield* WaitEngine
      let left = ids.length
      if (left === 0) {
        Queue.endUnsafe(queue)
        return
      }
      yield* Effect.forEach(ids, (jobId) =>
        Effect.acquireRelease(
          engine.register(
            knowledgeBaseId,
            jobId,
            options,
            jobListener(
              jobId,
              (update) => void Queue.offerUnsafe(queue, update),
              options.onRetry,
              () => {
                if (--left === 0) Queue.endUnsafe(queue)
              }
            )
          ),
          (registration) => registration.leave
        )
      )
    })
  )
