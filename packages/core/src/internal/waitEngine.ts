import type * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import type * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import { identity } from "effect/Function"
import * as Pull from "effect/Pull"
import * as Result from "effect/Result"
import * as Schedule from "effect/Schedule"
import * as Scheduler from "effect/Scheduler"
import type * as Scope from "effect/Scope"
import { type IngestionError, InvalidInput, type NotFound } from "../IngestionError.js"
import * as IngestionJob from "../IngestionJob.js"
import { IngestionJobs, type RequestOptions, type RetryInfo } from "../IngestionJobs.js"
import * as PollSchedule from "../PollSchedule.js"
import type * as WaitEngine from "../WaitEngine.js"
import { timedOut, type WaitTimeout } from "../WaitError.js"
import * as Heap from "./heap.js"
import { isLive } from "./liveClock.js"
import * as Observed from "./observed.js"
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

/**
 * A wait's schedule, started (`Schedule.toStep`): each call steps it with the job of a poll, and
 * gives its output and the delay until the next poll, or ends (`Cause.Done`). Stateful: one per wait.
 */
type ScheduleStep = (
  now: number,
  input: IngestionJob.IngestionJob
) => Pull.Pull<[unknown, Duration.Duration], unknown, unknown>

/** What a schedule's step gave, once it is a value: `[output, delay]`, or its end (or its failure). */
type StepExit = Exit.Exit<[unknown, Duration.Duration], unknown>

/**
 * One registered wait: plain data, no fiber and no timer of its own (its schedule's step is its one
 * closure). Its loop finds it by job (`Loop.jobs`), by next poll (`Loop.polls`) and by deadline
 * (`Loop.deadlines`).
 */
interface Wait {
  readonly jobId: string
  readonly startedAt: number
  readonly deadline: number
  readonly step: ScheduleStep
  readonly listener: WaitEngine.Listener
  readonly observed: Observed.MutableObserved
  nextPollAt: number
  lastIntervalMs: number
  lastJob: IngestionJob.IngestionJob | undefined
  ended: boolean
  /** Registration order (ties between due waits are served in it). */
  readonly seq: number
  /** Its position in `Loop.polls` / `Loop.deadlines` (-1: not in it), kept by the heaps. */
  pollSlot: number
  deadlineSlot: number
}

// The two orders a loop keeps its waits in. A wake-up reads the top of each (O(1)), and a change
// of a wait's next poll re-orders that one wait (O(log n)): no scan of every wait per wake-up.
const nextPollOf = (wait: Wait) => wait.nextPollAt
const pollSlotOf = (wait: Wait) => wait.pollSlot
const setPollSlot = (wait: Wait, slot: number) => {
  wait.pollSlot = slot
}
const deadlineOf = (wait: Wait) => wait.deadline
const deadlineSlotOf = (wait: Wait) => wait.deadlineSlot
const setDeadlineSlot = (wait: Wait, slot: number) => {
  wait.deadlineSlot = slot
}
const byNextPoll = (): Heap.Heap<Wait> => Heap.make(nextPollOf, pollSlotOf, setPollSlot)
const byDeadline = (): Heap.Heap<Wait> => Heap.make(deadlineOf, deadlineSlotOf, setDeadlineSlot)

/**
 * What the loops of one engine share. The engine's functions are module functions that reach it
 * through their loop (`loop.engine`), not closures per engine: a Promise client has an engine of
 * its own, and a one-call wait (`waitForIngestionJob`) a client of its own.
 */
interface Engine {
  readonly client: IngestionJobs["Service"]
  /** Runs the loops' looks (`wake`), on the scheduler of the fiber that built the engine. */
  readonly dispatcher: Scheduler.SchedulerDispatcher
  readonly loops: Map<string, Loop>
  /** The scope closed: no loop looks again, and no round starts. */
  closed: boolean
  readonly onRound: WaitEngine.EngineOptions["onRound"]
  readonly gate: WaitEngine.EngineOptions["gate"]
}

/** The loop of one knowledge base and the waits it serves, by job. */
interface Loop {
  readonly engine: Engine
  readonly knowledgeBaseId: string
  /** The waits of each watched job (usually one: an array, not a Set). */
  readonly jobs: Map<string, Array<Wait>>
  /** Every wait, earliest next poll first. */
  readonly polls: Heap.Heap<Wait>
  /** Every wait, earliest deadline first. */
  readonly deadlines: Heap.Heap<Wait>
  /**
   * The latest deadline any wait registered with (never lowered when one leaves): how long a
   * sweep's requests may run. A wait that left early only makes it generous; every remaining wait
   * still ends at its own deadline (the loop expires it), and the last one leaving stops the round.
   */
  latestDeadline: number
  /** Half the longest interval any of its waits' schedules chose (never lowered): see `deliver`. */
  maxHalfInterval: number
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
  /**
   * The watched jobs the last sweep listed as processing, by the page they were on (pages come in
   * creation order: `after` returns the jobs created after the cursor). A job of page r is created
   * before every job of a later page: once this sweep has read a job of a later page, a job of page
   * r it has not seen is no longer processing, and its GET need not wait for the rest of the sweep.
   */
  processingPages: ReadonlyArray<ReadonlyArray<string>>
  /** The page of `processingPages` each of those jobs was on. */
  processingPageOf: ReadonlyMap<string, number>
  /**
   * How the loop runs: no fiber of its own. It looks at its waits (`look`) when a timer fires, a
   * round ends or a wait comes or leaves; only a round is a fiber. The clock and the services are
   * those of the wait that started the loop (its `TestClock`, ...).
   */
  readonly clock: Clock.Clock
  readonly context: Context.Context<never>
  /** On the live clock a plain timer wakes the loop; on any other, a fiber sleeping on that clock. */
  readonly live: boolean
  timer: ReturnType<typeof setTimeout> | undefined
  sleeper: Fiber.Fiber<void> | undefined
  /** The round in flight. */
  inFlight: Fiber.Fiber<void> | undefined
  /** A look is scheduled (several wake-ups before it runs are one look). */
  lookScheduled: boolean
}

const NO_PAGES: ReadonlyArray<ReadonlyArray<string>> = []
const NO_PAGE_OF: ReadonlyMap<string, number> = new Map()

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

/** The longest delay a timer takes (about 24.8 days); a later wake-up is re-armed when it fires. */
const MAX_TIMER_MS = 2 ** 31 - 1

// --- Ending waits ---------------------------------------------------------------------

const detach = (loop: Loop, wait: Wait) => {
  if (wait.ended) return false
  wait.ended = true
  const waits = loop.jobs.get(wait.jobId)
  if (waits !== undefined) {
    const index = waits.indexOf(wait)
    if (index >= 0) waits.splice(index, 1)
    if (waits.length === 0) loop.jobs.delete(wait.jobId)
  }
  loop.polls.remove(wait)
  loop.deadlines.remove(wait)
  loop.size--
  if (loop.size === 0) wake(loop)
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
        observed: Observed.toObserved(wait.observed),
        reason
      }) as WaitTimeout
    )
  )

const failJob = (loop: Loop, jobId: string, error: IngestionError) => {
  const waits = loop.jobs.get(jobId)
  if (waits === undefined) return
  for (const wait of [...waits]) {
    Observed.countFailure(wait.observed, error)
    end(loop, wait, Exit.fail(error))
  }
}

const failAll = (loop: Loop, error: IngestionError) => {
  for (const jobId of [...loop.jobs.keys()]) failJob(loop, jobId, error)
}

/** Ends every wait whose deadline has passed; returns the earliest deadline still ahead. */
const expire = (loop: Loop, now: number): number => {
  for (;;) {
    const first = loop.deadlines.peek()
    if (first === undefined) return Number.POSITIVE_INFINITY
    if (first.deadline > now) return first.deadline
    // Ending it takes it out of the heap (detach).
    timeOut(loop, first, now, "deadline")
  }
}

/** Sets when a wait polls next, and re-orders it among its loop's waits. */
const setNextPoll = (loop: Loop, wait: Wait, at: number) => {
  wait.nextPollAt = at
  if (!wait.ended) loop.polls.update(wait)
}

// --- Delivering what a round learned ---------------------------------------------------

/** The waits of a job that still want to hear, and the latest of their deadlines. */
const audience = (loop: Loop, jobId: string, now: number) => {
  const waits = loop.jobs.get(jobId)
  let deadline = Number.NEGATIVE_INFINITY
  if (waits !== undefined) {
    for (const wait of waits) if (wait.deadline > now && wait.deadline > deadline) deadline = wait.deadline
  }
  return { waits, deadline }
}

/** Tells a wait's listener about an answer (no event is built when nobody listens). */
const polled = (
  wait: Wait,
  job: IngestionJob.IngestionJob,
  at: number,
  changed: boolean,
  stalled: boolean,
  nextPollAt: number | null
) => {
  const onEvent = wait.listener.onEvent
  if (onEvent !== undefined) call(onEvent, { _tag: "Polled", job, at, changed, stalled, nextPollAt })
}

/**
 * What a schedule's step decided for a wait: its next poll, or its end (a schedule that fails, which
 * a `PollSchedule` cannot but a defect can, ends its wait with that failure).
 */
const afterStep = (
  loop: Loop,
  wait: Wait,
  job: IngestionJob.IngestionJob,
  at: number,
  changed: boolean,
  exit: StepExit
) => {
  if (wait.ended) return
  if (exit._tag === "Failure") {
    polled(wait, job, at, changed, false, null)
    if (Pull.isDoneCause(exit.cause)) timeOut(loop, wait, at, "schedule")
    else end(loop, wait, Exit.failCause(exit.cause as Cause.Cause<never>))
    return
  }
  const [output, delay] = exit.value
  const next = at + Math.max(0, Duration.toMillis(delay))
  wait.lastIntervalMs = next - at
  if (wait.lastIntervalMs / 2 > loop.maxHalfInterval) loop.maxHalfInterval = wait.lastIntervalMs / 2
  setNextPoll(loop, wait, next)
  polled(wait, job, at, changed, PollSchedule.isStalled(output), next)
}

/**
 * Hands a job's state to its waits. A wait whose poll is due steps its schedule (this answer is its
 * poll). With `early` (a sweep, which learns every watched job's state for the same requests), so
 * does a wait whose poll was due within half its interval: its poll happened a little early, and
 * its next one falls in step with the others', so the loop's waits converge on one phase and one
 * sweep serves them all, instead of each wait's own phase calling for a round of a few GETs.
 *
 * Plain code, not an Effect per job (a sweep hands over thousands): a schedule step that is
 * already a value (an `Exit`: `Effect.succeed`, `Cause.done`, as the steps of `PollSchedule`'s
 * schedules and of `Schedule.spaced` are) is read at once; any other step goes into `pending`,
 * which the caller runs (all of a sweep's at once) before it delivers anything else to those waits.
 */
const deliver = (
  loop: Loop,
  jobId: string,
  job: IngestionJob.IngestionJob,
  at: number,
  early: boolean,
  pending: Array<Effect.Effect<void>>
): void => {
  const waits = loop.jobs.get(jobId)
  if (waits === undefined) return
  const terminal = IngestionJob.isTerminal(job) && "document_details" in job
  // Ending a wait takes it out of `waits`: iterate over a copy when there are several.
  for (const wait of waits.length === 1 ? [waits[0] as Wait] : [...waits]) {
    if (wait.ended) continue
    const changed = IngestionJob.differs(wait.lastJob, job)
    wait.lastJob = job
    Observed.countResponse(wait.observed, job)
    if (terminal) {
      polled(wait, job, at, changed, false, null)
      end(loop, wait, Exit.succeed(job as IngestionJob.IngestionJobDetail))
      continue
    }
    if (wait.nextPollAt <= at || (early && wait.nextPollAt <= at + wait.lastIntervalMs / 2)) {
      const step = wait.step(at, job)
      if (Exit.isExit(step)) {
        afterStep(loop, wait, job, at, changed, step as StepExit)
      } else {
        pending.push(Effect.map(Effect.exit(step), (exit) => afterStep(loop, wait, job, at, changed, exit)))
      }
      continue
    }
    polled(wait, job, at, changed, false, wait.nextPollAt)
  }
}

/** Runs the schedule steps `deliver` left, in order. */
const runSteps = (pending: Array<Effect.Effect<void>>): Effect.Effect<void> =>
  pending.length === 0 ? Effect.void : Effect.forEach(pending, identity, { discard: true })

/** A round learned nothing about these jobs: their due waits try again later. */
const postpone = (loop: Loop, jobIds: Iterable<string>, error: IngestionError, now: number) => {
  if (error._tag === "RateLimited" && error.retryAfterMs !== undefined) {
    loop.pausedUntil = Math.max(loop.pausedUntil, now + error.retryAfterMs)
  }
  for (const jobId of jobIds) {
    const waits = loop.jobs.get(jobId)
    if (waits === undefined) continue
    for (const wait of waits) {
      Observed.countFailure(wait.observed, error)
      if (wait.nextPollAt <= now) {
        setNextPoll(loop, wait, now + Math.max(wait.lastIntervalMs, MIN_RETRY_INTERVAL_MS))
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
          Observed.countRetry(wait.observed, info.error)
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
const fetchJob = (
  loop: Loop,
  jobId: string,
  counter: { requests: number; retries: number },
  early: boolean
) =>
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
    const result = yield* Effect.result(loop.engine.client.poll(loop.knowledgeBaseId, jobId, requestOptions))
    const at = yield* Clock.currentTimeMillis
    if (Result.isSuccess(result)) {
      const pending: Array<Effect.Effect<void>> = []
      deliver(loop, jobId, result.success, at, early, pending)
      yield* runSteps(pending)
      return true
    }
    const error = result.failure
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

/**
 * Lists every page of one status; the watched jobs found go into `found`. At most `maxRequests`
 * requests in the round so far: past them the list is cut (`{ cut: listed + 1 }`, the active jobs
 * known so far, `has_more` saying there is one more at least).
 */
const listActive = (
  loop: Loop,
  status: (typeof STATUSES_SWEPT)[number],
  found: Map<string, IngestionJob.IngestionJob>,
  counter: { requests: number; retries: number; pages: number },
  maxPages: number,
  onPage?: (page: ReadonlyArray<IngestionJob.IngestionJob>) => Effect.Effect<void>
) =>
  Effect.gen(function* () {
    let after: string | undefined
    let listed = 0
    for (;;) {
      const now = yield* Clock.currentTimeMillis
      const deadline = loop.latestDeadline
      if (loop.size === 0 || deadline <= now) return undefined
      if (after !== undefined && counter.pages >= maxPages) return { cut: listed + 1 }
      counter.requests++
      counter.pages++
      const page = yield* loop.engine.client.list(loop.knowledgeBaseId, {
        status,
        limit: PAGE_SIZE,
        after,
        deadline,
        onRetry: retryReporter(loop, () => loop.jobs.keys(), counter)
      })
      listed += page.data.length
      for (const job of page.data) if (loop.jobs.has(job.id)) found.set(job.id, job)
      if (onPage !== undefined) yield* onPage(page.data)
      const last = page.data[page.data.length - 1]
      if (!page.has_more || last === undefined || last.id === after) return { listed }
      after = last.id
    }
  })

const round = (loop: Loop) =>
  Effect.gen(function* () {
    const at = yield* Clock.currentTimeMillis
    // The due waits are the top of the heap: visiting them costs O(due), not O(watched).
    // Most overdue first; ties in the order the waits registered. Those due within half their
    // interval count too when choosing a sweep, which serves them at no extra request (see deliver).
    const dueWaits: Array<Wait> = []
    const soon = new Set<string>()
    loop.polls.forEachAtMost(at + loop.maxHalfInterval, (wait) => {
      if (wait.nextPollAt <= at) dueWaits.push(wait)
      else if (wait.nextPollAt <= at + wait.lastIntervalMs / 2) soon.add(wait.jobId)
    })
    dueWaits.sort((a, b) => a.nextPollAt - b.nextPollAt || a.seq - b.seq)
    const due = [...new Set(dueWaits.map((wait) => wait.jobId))]
    for (const jobId of due) soon.delete(jobId)
    const watchedJobs = loop.jobs.size
    const counter = { requests: 0, retries: 0, pages: 0 }
    let followUpGets = 0
    let activeQueued: number | undefined
    let activeProcessing: number | undefined
    const mode = due.length + soon.size <= loop.sweepCost ? "get" : "sweep"
    // Reported however the round ends: a round that ends the loop's last waits is interrupted by the
    // loop stopping (see look), after its requests went out.
    const report = Effect.sync(() =>
      call(loop.engine.onRound, {
        knowledgeBaseId: loop.knowledgeBaseId,
        at,
        mode,
        requests: counter.requests,
        retries: counter.retries,
        watchedJobs,
        dueJobs: mode === "get" ? due.length : due.length + soon.size,
        followUpGets,
        activeQueued,
        activeProcessing
      })
    )
    yield* Effect.ensuring(
      Effect.gen(function* () {
        if (mode === "get") {
          // One due job (a single wait's every poll): no concurrent forEach, which forks a fiber.
          if (due.length === 1) yield* fetchJob(loop, due[0] as string, counter, false)
          else
            yield* Effect.forEach(due, (jobId) => fetchJob(loop, jobId, counter, false), {
              concurrency: GET_CONCURRENCY,
              discard: true
            })
        } else {
          const found = new Map<string, IngestionJob.IngestionJob>()
          // The sweep replaces a GET per served job: it never sends more. The last sweep's size is
          // only an estimate (the active set grows between rounds), so a sweep that would cost more
          // is cut; the jobs it did not see stay due, and the next round GETs them.
          const budget = due.length + soon.size
          // Follow-up GETs, whether they go out during the sweep or after it: a queue that at most
          // GET_CONCURRENCY workers drain. (Not a semaphore: each release of Effect's wakes every
          // fiber waiting on it, and a sweep of 10,000 jobs can have hundreds waiting.)
          const queue: Array<string> = []
          let head = 0
          let idle = GET_CONCURRENCY
          const workers: Array<Fiber.Fiber<void>> = []
          const worker: Effect.Effect<void> = Effect.suspend(() => {
            if (head === queue.length) {
              idle++
              return Effect.void
            }
            const jobId = queue[head++] as string
            return Effect.andThen(
              Effect.map(fetchJob(loop, jobId, counter, true), (sent) => {
                if (sent) followUpGets++
              }),
              worker
            )
          })
          const forkWorkers = (count: number): Effect.Effect<void> =>
            count === 0
              ? Effect.void
              : Effect.flatMap(Effect.forkChild(worker), (fiber) => {
                  workers.push(fiber)
                  return forkWorkers(count - 1)
                })
          const followUp = (jobIds: ReadonlyArray<string>) =>
            Effect.suspend(() => {
              for (const jobId of jobIds) queue.push(jobId)
              const start = Math.min(idle, queue.length - head)
              idle -= start
              return forkWorkers(start)
            })
          // A job the last sweep listed as processing and this one has passed without seeing has
          // left the list: its GET goes out at once (see `processingPages`), not after the last page.
          const fetched = new Set<string>()
          const pages: Array<Array<string>> = []
          const pageOf = new Map<string, number>()
          let passed = 0
          const onProcessingPage = (data: ReadonlyArray<IngestionJob.IngestionJob>) =>
            Effect.suspend(() => {
              const watched: Array<string> = []
              let reached = -1
              for (const job of data) {
                if (!loop.jobs.has(job.id)) continue
                watched.push(job.id)
                pageOf.set(job.id, pages.length)
                const before = loop.processingPageOf.get(job.id)
                if (before !== undefined && before > reached) reached = before
              }
              pages.push(watched)
              const gone: Array<string> = []
              for (; passed < reached; passed++) {
                for (const jobId of loop.processingPages[passed] ?? []) {
                  if (found.has(jobId) || fetched.has(jobId) || !loop.jobs.has(jobId)) continue
                  fetched.add(jobId)
                  gone.push(jobId)
                }
              }
              return gone.length === 0 ? Effect.void : followUp(gone)
            })
          const swept = yield* Effect.result(
            Effect.gen(function* () {
              const queued = yield* listActive(loop, "queued", found, counter, budget - 1)
              const processing =
                queued === undefined || "cut" in queued
                  ? undefined
                  : yield* listActive(loop, "processing", found, counter, budget, onProcessingPage)
              return { queued, processing }
            })
          )
          if (pages.length > 0) {
            loop.processingPages = pages
            loop.processingPageOf = pageOf
          }
          const now = yield* Clock.currentTimeMillis
          if (Result.isFailure(swept)) {
            const error = swept.failure
            if (error.isTransient || (error._tag === "TransportError" && error.reason === "Deadline")) {
              postpone(loop, [...loop.jobs.keys()], error, now)
            } else {
              failAll(loop, error)
            }
          } else if (
            swept.success.queued !== undefined &&
            (swept.success.processing !== undefined || "cut" in swept.success.queued)
          ) {
            const { queued, processing } = swept.success
            const cut = "cut" in queued || (processing !== undefined && "cut" in processing)
            activeQueued = "cut" in queued ? queued.cut : queued.listed
            activeProcessing =
              processing === undefined ? undefined : "cut" in processing ? processing.cut : processing.listed
            loop.sweepCost =
              Math.max(1, Math.ceil(activeQueued / PAGE_SIZE)) +
              Math.max(1, Math.ceil((activeProcessing ?? 0) / PAGE_SIZE))
            const jobIds = [...loop.jobs.keys()]
            // Cut short, a job not found may be in the pages not read: it stays due. Otherwise its GET
            // goes out first, and is on its way while the sweep hands every other job to its waits.
            const missing = cut ? [] : jobIds.filter((jobId) => !found.has(jobId) && !fetched.has(jobId))
            if (missing.length > 0) {
              yield* followUp(missing)
              yield* Effect.yieldNow
            }
            const pending: Array<Effect.Effect<void>> = []
            for (const jobId of jobIds) {
              const job = found.get(jobId)
              // As of the sweep's start: the waits' next polls count from there, so sweeps start one
              // interval apart however long a sweep takes (as a bare loop's polls, plus a round trip).
              if (job !== undefined && !fetched.has(jobId)) deliver(loop, jobId, job, at, true, pending)
            }
            // Every watched job is delivered once per sweep: the steps can all run now, together.
            yield* runSteps(pending)
          }
          // A worker ends when the queue is empty; more may have started since: join every one.
          for (let joined = 0; joined < workers.length; joined++)
            yield* Fiber.join(workers[joined] as Fiber.Fiber<void>)
        }
      }),
      report
    )
  })

// --- The loop of a knowledge base -----------------------------------------------------

/** Stops the loop's timer (or sleeping fiber). */
const disarm = (loop: Loop) => {
  if (loop.timer !== undefined) {
    clearTimeout(loop.timer)
    loop.timer = undefined
  }
  if (loop.sleeper !== undefined) {
    loop.sleeper.interruptUnsafe()
    loop.sleeper = undefined
  }
}

/** Wakes the loop `ms` from now: a plain timer on the live clock, a fiber sleeping on any other. */
const arm = (loop: Loop, ms: number) => {
  disarm(loop)
  if (loop.live) {
    loop.timer = setTimeout(onTimer, Math.min(ms, MAX_TIMER_MS), loop)
  } else {
    // The fiber starts at once: the sleep is on the clock when this returns.
    const sleeper = Effect.runForkWith(loop.context)(
      Effect.andThen(
        Effect.sleep(Duration.millis(ms)),
        Effect.sync(() => {
          loop.sleeper = undefined
          look(loop)
        })
      )
    )
    // (A sleep that ended at once has looked already.)
    if (sleeper.pollUnsafe() === undefined) loop.sleeper = sleeper
  }
}

const onTimer = (loop: Loop) => {
  loop.timer = undefined
  look(loop)
}

/**
 * Has the loop look at its waits soon (on the scheduler, as a fiber's wake-up would be): a
 * burst of registrations, or the waits a round ended, cost one look.
 */
const wake = (loop: Loop) => {
  if (loop.lookScheduled || loop.engine.closed) return
  loop.lookScheduled = true
  loop.engine.dispatcher.scheduleTask(() => {
    loop.lookScheduled = false
    look(loop)
  }, 0)
}

const roundOf = (loop: Loop): Effect.Effect<void> =>
  Effect.ensuring(
    loop.engine.gate === undefined
      ? round(loop)
      : Effect.andThen(loop.engine.gate(loop.knowledgeBaseId), round(loop)),
    Effect.sync(() => {
      loop.inFlight = undefined
      wake(loop)
    })
  )

/**
 * One look of the loop at its waits: ends those past their deadline, starts a round when a poll
 * is due (none while one is in flight), and sets its timer for the next deadline or poll. The
 * last wait gone, the loop stops, and with it the round in flight.
 */
const look = (loop: Loop): void => {
  if (loop.engine.closed) return
  const now = loop.clock.currentTimeMillisUnsafe()
  const earliestDeadline = expire(loop, now)
  if (loop.size === 0) {
    disarm(loop)
    if (loop.engine.loops.get(loop.knowledgeBaseId) === loop) loop.engine.loops.delete(loop.knowledgeBaseId)
    if (loop.inFlight !== undefined) loop.inFlight.interruptUnsafe()
    return
  }
  let wakeAt = earliestDeadline
  loop.nextDeadline = earliestDeadline
  loop.nextLook = Number.POSITIVE_INFINITY
  if (loop.inFlight === undefined) {
    const earliestPoll = loop.polls.peek()?.nextPollAt ?? Number.POSITIVE_INFINITY
    const pollAt = Math.max(earliestPoll, loop.pausedUntil)
    if (pollAt <= now) {
      // The round starts at once, and runs until its first request is on its way. (One that ended
      // before this returns has cleared `inFlight` already, and woken the loop.)
      const round = Effect.runForkWith(loop.context)(roundOf(loop))
      if (round.pollUnsafe() === undefined) loop.inFlight = round
    } else {
      wakeAt = Math.min(wakeAt, pollAt)
      loop.nextLook = wakeAt
    }
  }
  arm(loop, Math.max(0, wakeAt - now))
}

/**
 * A registration: its loop and its wait, `leave` built when it is read (most waits end without
 * leaving: an Effect and a closure per wait would wait for nothing).
 */
class Registered implements WaitEngine.Registration {
  constructor(
    private readonly loop: Loop,
    private readonly wait: Wait
  ) {}

  get leave(): Effect.Effect<void> {
    return Effect.sync(() => void detach(this.loop, this.wait))
  }
}

export const make = (
  options: WaitEngine.EngineOptions = {}
): Effect.Effect<WaitEngine.WaitEngine["Service"], never, IngestionJobs | Scope.Scope> =>
  Effect.gen(function* () {
    const engine: Engine = {
      client: yield* IngestionJobs,
      dispatcher: (yield* Scheduler.Scheduler).makeDispatcher(),
      loops: new Map(),
      closed: false,
      onRound: options.onRound,
      gate: options.gate
    }
    const loops = engine.loops
    // Nothing keeps running after the scope closes: every timer stops, every round is interrupted.
    yield* Effect.addFinalizer(() =>
      Effect.suspend(() => {
        engine.closed = true
        const rounds: Array<Fiber.Fiber<void>> = []
        for (const loop of loops.values()) {
          disarm(loop)
          if (loop.inFlight !== undefined) rounds.push(loop.inFlight)
        }
        loops.clear()
        return Fiber.interruptAll(rounds)
      })
    )
    let registrations = 0

    // --- Registration ---------------------------------------------------------------------

    const register: WaitEngine.WaitEngine["Service"]["register"] = (
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
        // Started once per wait: its step is then called with the job of each poll.
        const step: ScheduleStep = yield* Schedule.toStep(schedule)
        const clock = yield* Clock.Clock
        const now = clock.currentTimeMillisUnsafe()
        const wait: Wait = {
          jobId: job,
          startedAt: now,
          deadline: waitOptions.deadline ?? now + timeoutMs,
          step,
          listener,
          observed: Observed.make(),
          nextPollAt: now,
          lastIntervalMs: 0,
          lastJob: undefined,
          ended: false,
          seq: registrations++,
          pollSlot: -1,
          deadlineSlot: -1
        }
        let loop = loops.get(kb)
        const isNew = loop === undefined
        if (loop === undefined) {
          loop = {
            engine,
            knowledgeBaseId: kb,
            jobs: new Map(),
            polls: byNextPoll(),
            deadlines: byDeadline(),
            latestDeadline: Number.NEGATIVE_INFINITY,
            maxHalfInterval: 0,
            size: 0,
            pausedUntil: 0,
            nextLook: Number.NEGATIVE_INFINITY,
            nextDeadline: Number.NEGATIVE_INFINITY,
            sweepCost: STATUSES_SWEPT.length,
            processingPages: NO_PAGES,
            processingPageOf: NO_PAGE_OF,
            clock,
            // (A fiber run with it starts interruptible, even when the registration is not: acquireRelease.)
            context: yield* Effect.context<never>(),
            live: isLive(clock),
            timer: undefined,
            sleeper: undefined,
            inFlight: undefined,
            lookScheduled: false
          }
          loops.set(kb, loop)
        }
        const waits = loop.jobs.get(job)
        if (waits === undefined) loop.jobs.set(job, [wait])
        else waits.push(wait)
        loop.polls.push(wait)
        loop.deadlines.push(wait)
        if (wait.deadline > loop.latestDeadline) loop.latestDeadline = wait.deadline
        loop.size++
        if (isNew || now < loop.nextLook || wait.deadline < loop.nextDeadline) wake(loop)
        return new Registered(loop, wait)
      })

    return { register }
  })
