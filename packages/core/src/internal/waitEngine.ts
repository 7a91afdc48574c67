import * as Clock from "effect/Clock"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as FiberId from "effect/FiberId"
import type * as Schedule from "effect/Schedule"
import * as ScheduleDecision from "effect/ScheduleDecision"
import * as ScheduleIntervals from "effect/ScheduleIntervals"
import type * as Scope from "effect/Scope"
import { type IngestionError, InvalidInput, type NotFound } from "../IngestionError.js"
import * as IngestionJob from "../IngestionJob.js"
import { IngestionJobs, type RequestOptions, type RetryInfo } from "../IngestionJobs.js"
import * as PollSchedule from "../PollSchedule.js"
import type * as WaitEngine from "../WaitEngine.js"
import { timedOut, type WaitTimeout } from "../WaitError.js"
import { countFailure, countResponse, countRetry, type MutableObserved } from "./observed.js"
import * as validate from "./validate.js"

export const DEFAULT_TIMEOUT = Duration.minutes(30)
const PAGE_SIZE = 100
const STATUSES_SWEPT = ["queued", "processing"] as const
/**
 * GETs of one round in flight at once (GET mode, and a sweep's follow-ups). Jobs that end together
 * (a sweep misses them all) would otherwise be fetched one after the other, each wait's end late
 * by the round trips of those before it.
 */
const GET_CONCURRENCY = 8
/** After a round that learned nothing (transient failure), a due wait waits at least this. */
const MIN_RETRY_INTERVAL_MS = 1000

/** One registered wait: plain data, no fiber and no timer of its own. */
interface Wait {
  readonly jobId: string
  readonly startedAt: number
  readonly deadline: number
  readonly schedule: Schedule.Schedule<unknown, IngestionJob.IngestionJob>
  readonly listener: WaitEngine.Listener
  readonly observed: MutableObserved
  scheduleState: unknown
  nextPollAt: number
  lastIntervalMs: number
  lastJob: IngestionJob.IngestionJob | undefined
  ended: boolean
}

/** The loop of one knowledge base and the waits it serves, by job. */
interface Loop {
  readonly knowledgeBaseId: string
  readonly jobs: Map<string, Set<Wait>>
  size: number
  /** No request before this (a 429's `Retry-After`). */
  pausedUntil: number
  /**
   * When the loop will look at its waits next: a new wait wakes it only if it wants a poll
   * sooner. While a round is in flight (Infinity) nothing wakes it: the round's end does, so a
   * thousand registrations do not cost a thousand scans.
   */
  nextLook: number
  /** The earliest deadline the loop's timer is set for: a wait with an earlier one wakes it. */
  nextDeadline: number
  /** What a sweep cost last time (requests); a round of fewer due jobs GETs them instead. */
  sweepCost: number
  wake: Deferred.Deferred<void>
}

const isKnowledgeBaseGone = (error: NotFound): boolean =>
  error.param === "kb_id" || error.code === "knowledge_base_not_found"

/** A listener is user code: whatever it throws stays out of the loop. */
const call = <A>(f: ((a: A) => void) | undefined, a: A) => {
  if (f === undefined) return
  try {
    f(a)
  } catch {
    // A listener's failure is its own.
  }
}

const newWake = () => Deferred.unsafeMake<void>(FiberId.none)

export const make = (
  options: WaitEngine.EngineOptions = {}
): Effect.Effect<WaitEngine.WaitEngine["Type"], never, IngestionJobs | Scope.Scope> =>
  Effect.gen(function* () {
    const client = yield* IngestionJobs
    const scope = yield* Effect.scope
    const loops = new Map<string, Loop>()
    const onRound = options.onRound
    const gate = options.gate

    // --- Ending waits ---------------------------------------------------------------------

    const detach = (loop: Loop, wait: Wait) => {
      if (wait.ended) return false
      wait.ended = true
      const waits = loop.jobs.get(wait.jobId)
      if (waits !== undefined) {
        waits.delete(wait)
        if (waits.size === 0) loop.jobs.delete(wait.jobId)
      }
      loop.size--
      if (loop.size === 0) Deferred.unsafeDone(loop.wake, Exit.void)
      return true
    }

    const end = (loop: Loop, wait: Wait, exit: WaitEngine.WaitExit) => {
      if (detach(loop, wait)) call(wait.listener.onExit, exit)
    }

    const timeOut = (loop: Loop, wait: Wait, now: number, reason: "deadline" | "schedule") =>
      end(
        loop,
        wait,
        Exit.fail(
          timedOut({
            lastJob: wait.lastJob ?? null,
            elapsedMs: now - wait.startedAt,
            observed: wait.observed,
            reason
          }) as WaitTimeout
        )
      )

    const failJob = (loop: Loop, jobId: string, error: IngestionError) => {
      const waits = loop.jobs.get(jobId)
      if (waits === undefined) return
      for (const wait of [...waits]) {
        countFailure(wait.observed, error)
        end(loop, wait, Exit.fail(error))
      }
    }

    const failAll = (loop: Loop, error: IngestionError) => {
      for (const jobId of [...loop.jobs.keys()]) failJob(loop, jobId, error)
    }

    /** Ends every wait whose deadline has passed; returns the earliest deadline still ahead. */
    const expire = (loop: Loop, now: number): number => {
      let earliest = Number.POSITIVE_INFINITY
      for (const waits of [...loop.jobs.values()]) {
        for (const wait of [...waits]) {
          if (wait.deadline <= now) timeOut(loop, wait, now, "deadline")
          else if (wait.deadline < earliest) earliest = wait.deadline
        }
      }
      return earliest
    }

    // --- Delivering what a round learned ---------------------------------------------------

    /** The waits of a job that still want to hear, and the latest of their deadlines. */
    const audience = (loop: Loop, jobId: string, now: number) => {
      const waits = loop.jobs.get(jobId)
      let deadline = Number.NEGATIVE_INFINITY
      if (waits !== undefined) {
        for (const wait of waits)
          if (wait.deadline > now && wait.deadline > deadline) deadline = wait.deadline
      }
      return { waits, deadline }
    }

    const deliver = (loop: Loop, jobId: string, job: IngestionJob.IngestionJob, at: number) =>
      Effect.gen(function* () {
        const waits = loop.jobs.get(jobId)
        if (waits === undefined) return
        const terminal = IngestionJob.isTerminal(job) && "document_details" in job
        for (const wait of [...waits]) {
          if (wait.ended) continue
          const changed = IngestionJob.differs(wait.lastJob, job)
          wait.lastJob = job
          countResponse(wait.observed, job)
          if (terminal) {
            call(wait.listener.onEvent, {
              _tag: "Polled",
              job,
              at,
              changed,
              stalled: false,
              nextPollAt: null
            })
            end(loop, wait, Exit.succeed(job as IngestionJob.IngestionJobDetail))
            continue
          }
          let stalled = false
          if (wait.nextPollAt <= at) {
            const [state, output, decision] = yield* wait.schedule.step(at, job, wait.scheduleState)
            wait.scheduleState = state
            if (ScheduleDecision.isDone(decision)) {
              call(wait.listener.onEvent, {
                _tag: "Polled",
                job,
                at,
                changed,
                stalled: false,
                nextPollAt: null
              })
              timeOut(loop, wait, at, "schedule")
              continue
            }
            const next = Math.max(at, ScheduleIntervals.start(decision.intervals))
            wait.lastIntervalMs = next - at
            wait.nextPollAt = next
            stalled = PollSchedule.isStalled(output)
          }
          call(wait.listener.onEvent, {
            _tag: "Polled",
            job,
            at,
            changed,
            stalled,
            nextPollAt: wait.nextPollAt
          })
        }
      })

    /** A round learned nothing about these jobs: their due waits try again later. */
    const postpone = (loop: Loop, jobIds: Iterable<string>, error: IngestionError, now: number) => {
      if (error._tag === "RateLimited" && error.retryAfterMs !== undefined) {
        loop.pausedUntil = Math.max(loop.pausedUntil, now + error.retryAfterMs)
      }
      for (const jobId of jobIds) {
        const waits = loop.jobs.get(jobId)
        if (waits === undefined) continue
        for (const wait of waits) {
          countFailure(wait.observed, error)
          if (wait.nextPollAt <= now) {
            wait.nextPollAt = now + Math.max(wait.lastIntervalMs, MIN_RETRY_INTERVAL_MS)
          }
        }
      }
    }

    const retryReporter =
      (loop: Loop, jobIds: () => Iterable<string>, counter: { retries: number }) =>
      (info: RetryInfo): Effect.Effect<void> =>
        Effect.map(Clock.currentTimeMillis, (at) => {
          counter.retries++
          const event: WaitEngine.Retrying = {
            _tag: "Retrying",
            error: info.error,
            attempt: info.attempt,
            delayMs: info.delayMillis,
            at
          }
          for (const jobId of jobIds()) {
            const waits = loop.jobs.get(jobId)
            if (waits === undefined) continue
            for (const wait of waits) {
              countRetry(wait.observed, info.error)
              call(wait.listener.onEvent, event)
            }
          }
        })

    // --- A round --------------------------------------------------------------------------

    /**
     * One GET of one job for all its waits; whatever it answers is delivered or ends them.
     * Skipped (false) when none of its waits is still before its deadline, or while a 429 pauses
     * the knowledge base.
     */
    const fetchJob = (loop: Loop, jobId: string, counter: { requests: number; retries: number }) =>
      Effect.gen(function* () {
        const now = yield* Clock.currentTimeMillis
        // A 429 earlier in this round paused the knowledge base: the rest waits for the next round.
        if (loop.pausedUntil > now) return false
        const { deadline } = audience(loop, jobId, now)
        if (deadline === Number.NEGATIVE_INFINITY) return false
        counter.requests++
        const requestOptions: RequestOptions = {
          deadline,
          onRetry: retryReporter(loop, () => [jobId], counter)
        }
        const result = yield* Effect.either(client.poll(loop.knowledgeBaseId, jobId, requestOptions))
        const at = yield* Clock.currentTimeMillis
        if (result._tag === "Right") {
          yield* deliver(loop, jobId, result.right, at)
          return true
        }
        const error = result.left
        switch (error._tag) {
          case "NotFound":
            if (isKnowledgeBaseGone(error)) failAll(loop, error)
            else failJob(loop, jobId, error)
            break
          case "Unauthorized":
          case "Forbidden":
            failAll(loop, error)
            break
          case "InvalidRequest":
          case "ResponseDecodeError":
          case "InvalidInput":
            failJob(loop, jobId, error)
            break
          default:
            postpone(loop, [jobId], error, at)
        }
        return true
      })

    /** Lists every page of one status; the watched jobs found go into `found`. */
    const listActive = (
      loop: Loop,
      status: (typeof STATUSES_SWEPT)[number],
      found: Map<string, IngestionJob.IngestionJob>,
      counter: { requests: number; retries: number }
    ) =>
      Effect.gen(function* () {
        let after: string | undefined
        let listed = 0
        for (;;) {
          const now = yield* Clock.currentTimeMillis
          let deadline = Number.NEGATIVE_INFINITY
          for (const waits of loop.jobs.values()) {
            for (const wait of waits)
              if (wait.deadline > now && wait.deadline > deadline) deadline = wait.deadline
          }
          if (deadline === Number.NEGATIVE_INFINITY) return undefined
          counter.requests++
          const page = yield* client.list(loop.knowledgeBaseId, {
            status,
            limit: PAGE_SIZE,
            after,
            deadline,
            onRetry: retryReporter(loop, () => loop.jobs.keys(), counter)
          })
          listed += page.data.length
          for (const job of page.data) if (loop.jobs.has(job.id)) found.set(job.id, job)
          const last = page.data[page.data.length - 1]
          if (!page.has_more || last === undefined || last.id === after) return listed
          after = last.id
        }
      })

    const round = (loop: Loop) =>
      Effect.gen(function* () {
        const at = yield* Clock.currentTimeMillis
        const due: Array<string> = []
        for (const [jobId, waits] of loop.jobs) {
          for (const wait of waits) {
            if (wait.nextPollAt <= at) {
              due.push(jobId)
              break
            }
          }
        }
        const watchedJobs = loop.jobs.size
        const counter = { requests: 0, retries: 0 }
        let followUpGets = 0
        let activeQueued: number | undefined
        let activeProcessing: number | undefined
        const mode = due.length <= loop.sweepCost ? "get" : "sweep"
        if (mode === "get") {
          yield* Effect.forEach(due, (jobId) => fetchJob(loop, jobId, counter), {
            concurrency: GET_CONCURRENCY,
            discard: true
          })
        } else {
          const found = new Map<string, IngestionJob.IngestionJob>()
          const swept = yield* Effect.either(
            Effect.gen(function* () {
              const queued = yield* listActive(loop, "queued", found, counter)
              const processing =
                queued === undefined ? undefined : yield* listActive(loop, "processing", found, counter)
              return { queued, processing }
            })
          )
          const now = yield* Clock.currentTimeMillis
          if (swept._tag === "Left") {
            const error = swept.left
            if (error.isTransient || (error._tag === "TransportError" && error.reason === "Deadline")) {
              postpone(loop, [...loop.jobs.keys()], error, now)
            } else {
              failAll(loop, error)
            }
          } else if (swept.right.processing !== undefined) {
            activeQueued = swept.right.queued
            activeProcessing = swept.right.processing
            loop.sweepCost =
              Math.max(1, Math.ceil((activeQueued ?? 0) / PAGE_SIZE)) +
              Math.max(1, Math.ceil(activeProcessing / PAGE_SIZE))
            const missing: Array<string> = []
            for (const jobId of [...loop.jobs.keys()]) {
              const job = found.get(jobId)
              if (job === undefined) missing.push(jobId)
              else yield* deliver(loop, jobId, job, now)
            }
            yield* Effect.forEach(
              missing,
              (jobId) =>
                Effect.map(fetchJob(loop, jobId, counter), (sent) => {
                  if (sent) followUpGets++
                }),
              { concurrency: GET_CONCURRENCY, discard: true }
            )
          }
        }
        call(onRound, {
          knowledgeBaseId: loop.knowledgeBaseId,
          at,
          mode,
          requests: counter.requests,
          retries: counter.retries,
          watchedJobs,
          dueJobs: due.length,
          followUpGets,
          activeQueued,
          activeProcessing
        })
      })

    // --- The loop of a knowledge base -----------------------------------------------------

    const run = (loop: Loop) =>
      Effect.gen(function* () {
        let inFlight: Fiber.RuntimeFiber<void> | undefined
        for (;;) {
          loop.wake = newWake()
          const now = yield* Clock.currentTimeMillis
          const earliestDeadline = expire(loop, now)
          if (loop.size === 0) {
            loops.delete(loop.knowledgeBaseId)
            if (inFlight !== undefined) yield* Fiber.interrupt(inFlight)
            return
          }
          let wakeAt = earliestDeadline
          loop.nextDeadline = earliestDeadline
          loop.nextLook = Number.POSITIVE_INFINITY
          if (inFlight === undefined) {
            let earliestPoll = Number.POSITIVE_INFINITY
            for (const waits of loop.jobs.values()) {
              for (const wait of waits) if (wait.nextPollAt < earliestPoll) earliestPoll = wait.nextPollAt
            }
            const pollAt = Math.max(earliestPoll, loop.pausedUntil)
            if (pollAt <= now) {
              const wake = loop.wake
              inFlight = yield* Effect.fork(
                Effect.ensuring(
                  gate === undefined ? round(loop) : Effect.zipRight(gate(loop.knowledgeBaseId), round(loop)),
                  Effect.sync(() => {
                    inFlight = undefined
                    Deferred.unsafeDone(loop.wake, Exit.void)
                    Deferred.unsafeDone(wake, Exit.void)
                  })
                )
              )
              continue
            }
            wakeAt = Math.min(wakeAt, pollAt)
            loop.nextLook = wakeAt
          }
          yield* Effect.raceFirst(
            Deferred.await(loop.wake),
            Effect.sleep(Duration.millis(Math.max(0, wakeAt - now)))
          )
        }
      })

    // --- Registration ---------------------------------------------------------------------

    const register: WaitEngine.WaitEngine["Type"]["register"] = (
      knowledgeBaseId,
      jobId,
      waitOptions,
      listener
    ) =>
      Effect.gen(function* () {
        const kb = yield* validate.id("knowledgeBaseId", knowledgeBaseId)
        const job = yield* validate.id("jobId", jobId)
        const timeoutMs =
          waitOptions.timeout === undefined
            ? Duration.toMillis(DEFAULT_TIMEOUT)
            : Duration.toMillis(yield* validate.duration("timeout", waitOptions.timeout))
        if (waitOptions.deadline !== undefined && !Number.isFinite(waitOptions.deadline)) {
          return yield* new InvalidInput({
            param: "deadline",
            message: "deadline must be a finite epoch time in ms"
          })
        }
        if (waitOptions.schedule !== undefined && waitOptions.pollInterval !== undefined) {
          return yield* new InvalidInput({
            param: "pollInterval",
            message: "give schedule or pollInterval, not both"
          })
        }
        const schedule =
          waitOptions.pollInterval !== undefined
            ? PollSchedule.fixed(yield* validate.duration("pollInterval", waitOptions.pollInterval))
            : (waitOptions.schedule ?? PollSchedule.defaultSchedule)
        const now = yield* Clock.currentTimeMillis
        const wait: Wait = {
          jobId: job,
          startedAt: now,
          deadline: waitOptions.deadline ?? now + timeoutMs,
          schedule,
          listener,
          observed: { responses: 0, retries: 0, statuses: {}, httpStatuses: {} },
          scheduleState: schedule.initial,
          nextPollAt: now,
          lastIntervalMs: 0,
          lastJob: undefined,
          ended: false
        }
        let loop = loops.get(kb)
        const isNew = loop === undefined
        if (loop === undefined) {
          loop = {
            knowledgeBaseId: kb,
            jobs: new Map(),
            size: 0,
            pausedUntil: 0,
            nextLook: Number.NEGATIVE_INFINITY,
            nextDeadline: Number.NEGATIVE_INFINITY,
            sweepCost: STATUSES_SWEPT.length,
            wake: newWake()
          }
          loops.set(kb, loop)
        }
        const waits = loop.jobs.get(job)
        if (waits === undefined) loop.jobs.set(job, new Set([wait]))
        else waits.add(wait)
        loop.size++
        if (now < loop.nextLook || wait.deadline < loop.nextDeadline)
          Deferred.unsafeDone(loop.wake, Exit.void)
        // Registration may run uninterruptibly (acquireRelease): the loop must not inherit that.
        if (isNew) yield* Effect.forkIn(Effect.interruptible(run(loop)), scope)
        const registered = loop
        return { leave: Effect.sync(() => void detach(registered, wait)) }
      })

    return { register }
  })
