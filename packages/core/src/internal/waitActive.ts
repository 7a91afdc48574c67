/**
 * `Wait.activeJobs` and `Wait.waitForActive`: the jobs running when the call began (`activeJobs.ts`
 * reads them), each then waited for on the engine; with `includeNew`, the jobs created later too,
 * found by reading the list after the newest job seen, until none is running.
 */
import * as Clock from "effect/Clock"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Result from "effect/Result"
import type * as Scope from "effect/Scope"
import { type IngestionError, summarize } from "../IngestionError.js"
import type * as IngestionJob from "../IngestionJob.js"
import * as IngestionJobs from "../IngestionJobs.js"
import type { ActiveJobsOptions, ActiveOptions, JobEnded, JobUpdate, RetryListener } from "../Wait.js"
import { WaitEngine, type WaitOptions } from "../WaitEngine.js"
import {
  isTerminalClientError,
  type TerminalClientError,
  type TransientFailure,
  WaitTimeout
} from "../WaitError.js"
import { type ReadPage, scan } from "./activeJobs.js"
import * as observed from "./observed.js"
import * as validate from "./validate.js"
import { jobListener } from "./wait.js"
import { deadlineAt, waitSettings } from "./waitRules.js"

/** How often `includeNew` looks for jobs created since, unless `pollInterval` says. */
const DISCOVERY_INTERVAL_MS = 5_000

/** The pause before a page is asked again once the client's own retries gave up: 1 s, doubling to 30 s. */
const pauseMs = (times: number) => Math.min(30_000, 1_000 * 2 ** times)

/** The engine's retry event, from a call's. */
const retrying = (error: TransientFailure, attempt: number, delayMs: number) =>
  Effect.map(Clock.currentTimeMillis, (at) => ({ _tag: "Retrying" as const, error, attempt, delayMs, at }))

/**
 * A page reader for a wait: a transient failure (once the client's retries gave up) is asked again
 * until the deadline, which ends it with `WaitTimeout`; what a retry cannot mend fails at once.
 */
const pageReader = (
  service: IngestionJobs.IngestionJobs["Service"],
  knowledgeBaseId: string,
  startedAt: number,
  deadline: number,
  onRetry: RetryListener["onRetry"]
): ReadPage<TerminalClientError | WaitTimeout> => {
  const seen = observed.make()
  let lastFailure: TransientFailure | undefined
  const tell = (error: TransientFailure, attempt: number, delayMs: number) =>
    Effect.flatMap(retrying(error, attempt, delayMs), (event) =>
      Effect.sync(() => {
        observed.countRetry(seen, error)
        lastFailure = error
        onRetry?.(event)
      })
    )
  const timedOut = Effect.flatMap(Clock.currentTimeMillis, (now) =>
    Effect.fail(
      new WaitTimeout({
        lastJob: null,
        elapsedMs: now - startedAt,
        observed: observed.toObserved(seen),
        ...(lastFailure === undefined ? {} : { lastFailure }),
        message: `The active jobs of ${knowledgeBaseId} were not all listed by the deadline${
          lastFailure === undefined ? "" : `; last failure: ${summarize(lastFailure)}`
        }`
      })
    )
  )
  return (list) => {
    let attempt = 0
    let pauses = 0
    const once: Effect.Effect<IngestionJob.IngestionJobList, TerminalClientError | WaitTimeout> =
      Effect.catch(
        Effect.tap(
          service.list(knowledgeBaseId, {
            ...list,
            deadline,
            onRetry: (info) => tell(info.error, ++attempt, info.delayMillis)
          }),
          () => Effect.sync(() => void seen.responses++)
        ),
        (error: IngestionError) => {
          if (error._tag === "TransportError" && error.reason === "Deadline") return timedOut
          if (isTerminalClientError(error)) return Effect.fail(error)
          return Effect.flatMap(Clock.currentTimeMillis, (now) => {
            if (now >= deadline) return timedOut
            const delay = Math.min(pauseMs(pauses++), deadline - now)
            return Effect.andThen(tell(error, ++attempt, delay), Effect.andThen(Effect.sleep(delay), once))
          })
        }
      )
    return once
  }
}

/** The waits of one call: registered as their jobs are found, each result in the order found. */
const waitsOf = (
  engine: WaitEngine["Service"],
  knowledgeBaseId: string,
  options: WaitOptions,
  onUpdate: ((update: JobUpdate) => void) | undefined,
  onRetry: RetryListener["onRetry"]
) => {
  const entries: Array<{ readonly jobId: string; ended: JobEnded | undefined }> = []
  const ids = new Set<string>()
  let pending = 0
  let idle = Deferred.makeUnsafe<void>()
  Deferred.doneUnsafe(idle, Exit.void)
  const settle = (entry: (typeof entries)[number], result: JobEnded["result"]) => {
    entry.ended = { _tag: "Ended", jobId: entry.jobId, result }
    if (--pending === 0) Deferred.doneUnsafe(idle, Exit.void)
  }
  /** Registers the wait of a job not yet waited for: true when it is new. */
  const add = (jobId: string): Effect.Effect<boolean, never, Scope.Scope> =>
    Effect.suspend(() => {
      if (ids.has(jobId)) return Effect.succeed(false)
      ids.add(jobId)
      const entry: (typeof entries)[number] = { jobId, ended: undefined }
      entries.push(entry)
      if (pending++ === 0) idle = Deferred.makeUnsafe<void>()
      return Effect.acquireRelease(
        engine.register(
          knowledgeBaseId,
          jobId,
          options,
          jobListener(jobId, onUpdate, onRetry, (result) => settle(entry, result))
        ),
        (registration) => registration.leave
      ).pipe(
        // An ID the service listed that is not one (`InvalidInput`): that job's result, not the call's.
        Effect.catch((error) =>
          Effect.sync(() => {
            onUpdate?.({ _tag: "Ended", jobId, result: Result.fail(error) })
            settle(entry, Result.fail(error))
          })
        ),
        Effect.as(true)
      )
    })
  return {
    add,
    pending: () => pending,
    idle: Effect.suspend(() => Deferred.await(idle)),
    results: (): ReadonlyArray<JobEnded> =>
      entries.flatMap((entry) => (entry.ended === undefined ? [] : [entry.ended]))
  }
}

/** The jobs of the list after `cursor` (all created after the call began), or, with no cursor yet, those running now. */
const newJobs = <E>(read: ReadPage<E>, cursor: string | undefined) =>
  Effect.gen(function* () {
    const jobs: Array<IngestionJob.IngestionJob> = []
    const pages = cursor === undefined ? ([{ status: "queued" }, { status: "processing" }] as const) : [{}]
    for (const filter of pages) {
      let after = cursor
      let more = true
      while (more) {
        const page: IngestionJob.IngestionJobList = yield* read({ ...filter, after, limit: 100 })
        jobs.push(...page.data)
        after = page.data.at(-1)?.id ?? after
        more = page.has_more
      }
    }
    const newest =
      cursor === undefined ? [...jobs].sort((a, b) => a.created_at - b.created_at).at(-1) : jobs.at(-1)
    return { jobs, cursor: newest?.id ?? cursor }
  })

/** See `Wait.activeJobs`. */
export const activeJobs = (
  knowledgeBaseId: string,
  options: ActiveJobsOptions = {}
): Effect.Effect<ReadonlyArray<IngestionJob.IngestionJob>, IngestionError, IngestionJobs.IngestionJobs> =>
  Effect.gen(function* () {
    yield* validate.id("knowledgeBaseId", knowledgeBaseId)
    const service = yield* IngestionJobs.IngestionJobs
    const onRetry = options.onRetry
    const read: ReadPage<IngestionError> = (list) =>
      service.list(knowledgeBaseId, {
        ...list,
        onRetry:
          onRetry === undefined
            ? undefined
            : (info) => Effect.map(retrying(info.error, info.attempt, info.delayMillis), onRetry)
      })
    const found = yield* scan(read, { includeNew: options.includeNew === true })
    return found.jobs
  })

/** See `Wait.waitForActive`. */
export const waitForActive = (
  knowledgeBaseId: string,
  options: ActiveOptions = {}
): Effect.Effect<
  ReadonlyArray<JobEnded>,
  TerminalClientError | WaitTimeout,
  WaitEngine | IngestionJobs.IngestionJobs
> =>
  Effect.gen(function* () {
    yield* validate.id("knowledgeBaseId", knowledgeBaseId)
    const settings = yield* waitSettings(options)
    const every =
      options.pollInterval === undefined
        ? DISCOVERY_INTERVAL_MS
        : Duration.toMillis(yield* validate.duration("pollInterval", options.pollInterval))
    const service = yield* IngestionJobs.IngestionJobs
    const engine = yield* WaitEngine
    const startedAt = yield* Clock.currentTimeMillis
    // One deadline for the listing and every wait: the call's.
    const deadline = deadlineAt(startedAt, settings.timeoutMs, settings.deadline)
    const read = pageReader(service, knowledgeBaseId, startedAt, deadline, options.onRetry)
    const includeNew = options.includeNew === true
    return yield* Effect.scoped(
      Effect.gen(function* () {
        const waits = waitsOf(
          engine,
          knowledgeBaseId,
          { ...options, deadline },
          options.onUpdate,
          options.onRetry
        )
        const found = yield* scan(read, { includeNew })
        for (const job of found.jobs) yield* waits.add(job.id)
        let cursor = found.cursor
        while (includeNew) {
          // Wakes at the interval, or once every wait has ended: the call may be done.
          const now = yield* Clock.currentTimeMillis
          if (now >= deadline) break
          yield* Effect.raceFirst(waits.idle, Effect.sleep(Math.min(every, deadline - now)))
          if ((yield* Clock.currentTimeMillis) >= deadline) break
          // A look that the deadline cuts short ends the looking, not the call: the waits have their results.
          const next = yield* Effect.catchTag(newJobs(read, cursor), "WaitTimeout", () =>
            Effect.succeed(undefined)
          )
          if (next === undefined) break
          cursor = next.cursor
          let added = 0
          for (const job of next.jobs) if (yield* waits.add(job.id)) added++
          if (added === 0 && waits.pending() === 0) break
        }
        yield* waits.idle
        return waits.results()
      })
    )
  })
