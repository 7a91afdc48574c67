/**
 * Delivery: what a round learned, handed to the waits it serves. A job's state steps the schedules
 * of its due waits (plain code, no Effect per job) and is told to their listeners; a retry is told
 * to the waits its request serves.
 */
import type * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import { identity } from "effect/Function"
import * as Pull from "effect/Pull"
import * as IngestionJob from "../../IngestionJob.js"
import type { RetryInfo } from "../../IngestionJobs.js"
import * as PollSchedule from "../../PollSchedule.js"
import type * as WaitEngine from "../../WaitEngine.js"
import * as Observed from "../observed.js"
import type { Loop } from "./loop.js"
import { asLastFailure, end, timeOut } from "./outcomes.js"
import { call, type StepExit, type Wait, type Watched } from "./registry.js"

/** What a round counts of its requests (see `Round`). */
export interface Tally {
  requests: number
  retries: number
}

/** The latest deadline among the waits of a job that are still before theirs (-Infinity: none). */
export const latestDeadline = (loop: Loop, jobId: string, now: number): number => {
  const watched = loop.waits.byJob.get(jobId)
  let deadline = Number.NEGATIVE_INFINITY
  if (watched !== undefined) {
    for (const wait of watched.waits)
      if (wait.deadline > now && wait.deadline > deadline) deadline = wait.deadline
  }
  return deadline
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
  loop.waits.reschedule(wait, at, next)
  polled(wait, job, at, changed, PollSchedule.isStalled(output), next)
}

/**
 * Hands a job's state to one of its waits (see {@link deliver}); `terminal`: the job ended, with
 * its documents.
 */
const deliverTo = (
  loop: Loop,
  wait: Wait,
  job: IngestionJob.IngestionJob,
  at: number,
  early: boolean,
  terminal: boolean,
  pending: Array<Effect.Effect<void>>
): void => {
  if (wait.ended) return
  const changed = IngestionJob.differs(wait.lastJob, job)
  wait.lastJob = job
  Observed.countResponse(wait.observed, job)
  if (terminal) {
    polled(wait, job, at, changed, false, null)
    end(loop, wait, Exit.succeed(job as IngestionJob.IngestionJobDetail))
    return
  }
  // A wait this request was claimed for (`polling`) steps, as does one whose poll is due.
  if (wait.polling || wait.nextPollAt <= at || (early && wait.nextPollAt <= at + wait.lastIntervalMs / 2)) {
    const step = wait.step(at, job)
    if (Exit.isExit(step)) {
      afterStep(loop, wait, job, at, changed, step as StepExit)
    } else {
      pending.push(Effect.map(Effect.exit(step), (exit) => afterStep(loop, wait, job, at, changed, exit)))
    }
    return
  }
  polled(wait, job, at, changed, false, wait.nextPollAt)
}

/**
 * Hands a job's state to the waits of `watched` (its entry in `Waits.byJob`, if it has one). A wait
 * whose poll is due steps its schedule (this answer is its poll). With `early` (a sweep, which learns
 * every watched job's state for the same requests), so does a wait whose poll was due within half its
 * interval: its poll happened a little early, and its next one falls in step with the others', so
 * the loop's waits converge on one phase and one sweep serves them all, instead of each wait's own
 * phase calling for a round of a few GETs.
 *
 * Plain code, not an Effect per job (a sweep hands over thousands): a schedule step that is
 * already a value (an `Exit`: `Effect.succeed`, `Cause.done`, as the steps of `PollSchedule`'s
 * schedules and of `Schedule.spaced` are) is read at once; any other step goes into `pending`,
 * which the caller runs (all of a sweep's at once) before it delivers anything else to those waits.
 */
export const deliver = (
  loop: Loop,
  watched: Watched | undefined,
  job: IngestionJob.IngestionJob,
  at: number,
  early: boolean,
  pending: Array<Effect.Effect<void>>
): void => {
  if (watched === undefined) return
  const waits = watched.waits
  const terminal = IngestionJob.isTerminal(job) && "document_details" in job
  // Ending a wait takes it out of `waits`: iterate over a copy when there are several.
  if (waits.length === 1) deliverTo(loop, waits[0] as Wait, job, at, early, terminal, pending)
  else for (const wait of [...waits]) deliverTo(loop, wait, job, at, early, terminal, pending)
}

/** Runs the schedule steps `deliver` left, in order. */
export const runSteps = (pending: Array<Effect.Effect<void>>): Effect.Effect<void> =>
  pending.length === 0 ? Effect.void : Effect.forEach(pending, identity, { discard: true })

/** Tells the waits of `jobIds()` that the request serving them is retried. */
export const retryReporter =
  (loop: Loop, jobIds: () => Iterable<string>, tally: Tally) =>
  (info: RetryInfo): Effect.Effect<void> =>
    Effect.map(Clock.currentTimeMillis, (at) => {
      tally.retries++
      const lastFailure = asLastFailure(info.error)
      const event: WaitEngine.Retrying = {
        _tag: "Retrying",
        error: info.error,
        attempt: info.attempt,
        delayMs: info.delayMillis,
        at
      }
      for (const jobId of jobIds()) {
        const watched = loop.waits.byJob.get(jobId)
        if (watched === undefined) continue
        for (const wait of watched.waits) {
          Observed.countRetry(wait.observed, info.error)
          if (lastFailure !== undefined) wait.lastFailure = lastFailure
          call(wait.listener.onEvent, event)
        }
      }
    })
