/**
 * How waits end (a terminal job, a deadline, a schedule that ended, an error), and what a failed
 * request does to the waits it served: ends them, or has them poll again later.
 */
import * as Exit from "effect/Exit"
import type { IngestionError } from "../../IngestionError.js"
import type * as WaitEngine from "../../WaitEngine.js"
import { type TerminalClientError, type TransientFailure, timedOut } from "../../WaitError.js"
import * as Observed from "../observed.js"
import type { Loop } from "./loop.js"
import { call, type Wait } from "./registry.js"

/** After a round that learned nothing (transient failure), a due wait waits at least this. */
const MIN_RETRY_INTERVAL_MS = 1000

/** Ends a wait (unless it ended or left already): its listener hears how. */
export const end = (loop: Loop, wait: Wait, exit: WaitEngine.WaitExit): void => {
  if (loop.remove(wait)) call(wait.listener.onExit, exit)
}

/** Ends a wait with `WaitTimeout`: its deadline passed, or its schedule ended. */
export const timeOut = (loop: Loop, wait: Wait, now: number, reason: "deadline" | "schedule"): void =>
  end(
    loop,
    wait,
    Exit.fail(
      timedOut({
        lastJob: wait.lastJob ?? null,
        elapsedMs: now - wait.startedAt,
        observed: Observed.toObserved(wait.observed),
        reason,
        lastFailure: wait.lastFailure
      })
    )
  )

/** Ends every wait of a job with an error. */
export const failJob = (loop: Loop, jobId: string, error: TerminalClientError): void => {
  const watched = loop.waits.byJob.get(jobId)
  if (watched === undefined) return
  for (const wait of [...watched.waits]) {
    Observed.countFailure(wait.observed, error)
    end(loop, wait, Exit.fail(error))
  }
}

/** Ends every wait of the knowledge base with an error. */
export const failAll = (loop: Loop, error: TerminalClientError): void => {
  for (const jobId of [...loop.waits.byJob.keys()]) failJob(loop, jobId, error)
}

/** Ends every wait whose deadline has passed; returns the earliest deadline still ahead. */
export const expire = (loop: Loop, now: number): number => {
  for (;;) {
    const first = loop.waits.deadlines.peek()
    if (first === undefined) return Number.POSITIVE_INFINITY
    if (first.deadline > now) return first.deadline
    // Ending it takes it out of the heap.
    timeOut(loop, first, now, "deadline")
  }
}

/**
 * A failure a `WaitTimeout` names as its last (`lastFailure`): a transient one, but not the
 * deadline's own end of a request (which only says the wait's time ran out).
 */
export const asLastFailure = (error: IngestionError): TransientFailure | undefined =>
  concerns(error) !== "transient" || (error._tag === "TransportError" && error.reason === "Deadline")
    ? undefined
    : (error as TransientFailure)

/**
 * A round learned nothing about these jobs (a transient failure that outlasted the client's
 * retries, or a refused sweep): their due waits poll again later, and a 429's `Retry-After` pauses the knowledge base.
 */
export const postpone = (loop: Loop, jobIds: Iterable<string>, error: IngestionError, now: number): void => {
  const lastFailure = asLastFailure(error)
  if (error._tag === "RateLimited" && error.retryAfterMs !== undefined) {
    loop.pausedUntil = Math.max(loop.pausedUntil, now + error.retryAfterMs)
  }
  for (const jobId of jobIds) {
    const watched = loop.waits.byJob.get(jobId)
    // A job whose own GET is on its way (a round's before this one, carried) has it answer.
    if (watched === undefined || watched.busy) continue
    for (const wait of watched.waits) {
      Observed.countFailure(wait.observed, error)
      if (lastFailure !== undefined) wait.lastFailure = lastFailure
      if (wait.polling || wait.nextPollAt <= now) {
        loop.waits.setNextPoll(wait, now + Math.max(wait.lastIntervalMs, MIN_RETRY_INTERVAL_MS))
      }
    }
  }
}

/**
 * Whom a failed request concerns, the same in both modes: `transient` (429, 5xx, transport: the
 * waits poll on), one `job` (its 404, an answer for it that cannot be read, a 400 of its GET), or
 * `all` the waits of the knowledge base (the knowledge base's 404, a URL the API does not serve,
 * the key's 401 / 403, a client that never reached the service).
 */
export const concerns = (error: IngestionError): "transient" | "job" | "all" => {
  switch (error._tag) {
    case "RateLimited":
    case "ServerError":
    case "TransportError":
      return "transient"
    case "NotFound":
      return error.missing === "job" ? "job" : "all"
    case "InvalidRequest":
    case "ResponseDecodeError":
    case "InvalidInput":
      return "job"
    case "Unauthorized":
    case "Forbidden":
    case "Unreachable":
      return "all"
  }
}

/** What a failed GET of one job does to the waits (see {@link concerns}). */
export const getFailed = (loop: Loop, jobId: string, error: IngestionError, at: number): void => {
  if (isTransient(error)) postpone(loop, [jobId], error, at)
  else if (concerns(error) === "all") failAll(loop, error)
  else failJob(loop, jobId, error)
}

const isTransient = (error: IngestionError): error is TransientFailure => concerns(error) === "transient"

/**
 * What a failed sweep does. A transient failure (or the requests' deadline passing) postpones every
 * wait of the knowledge base; what concerns the knowledge base or the key ends them all. A list
 * page that cannot be read (or is refused: a 400) concerns no job in particular: the sweep is taken
 * off for a while, and the jobs are fetched one by one, where each answer concerns its own job.
 */
export const sweepFailed = (loop: Loop, error: IngestionError, now: number): void => {
  if (isTransient(error)) postpone(loop, [...loop.waits.byJob.keys()], error, now)
  else if (concerns(error) === "all") failAll(loop, error)
  else {
    loop.lastSweep.refused()
    postpone(loop, [...loop.waits.byJob.keys()], error, now)
  }
}
