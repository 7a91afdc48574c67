/**
 * How waits end (a terminal job, a deadline, a schedule that ended, an error), and what a failed
 * request does to the waits it served: ends them, or has them poll again later.
 */
import * as Exit from "effect/Exit"
import type { IngestionError, NotFound } from "../../IngestionError.js"
import type * as WaitEngine from "../../WaitEngine.js"
import { timedOut, type WaitTimeout } from "../../WaitError.js"
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
        reason
      }) as WaitTimeout
    )
  )

/** Ends every wait of a job with an error. */
export const failJob = (loop: Loop, jobId: string, error: IngestionError): void => {
  const watched = loop.waits.byJob.get(jobId)
  if (watched === undefined) return
  for (const wait of [...watched.waits]) {
    Observed.countFailure(wait.observed, error)
    end(loop, wait, Exit.fail(error))
  }
}

/** Ends every wait of the knowledge base with an error. */
export const failAll = (loop: Loop, error: IngestionError): void => {
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
 * A round learned nothing about these jobs (a transient failure that outlasted the client's
 * retries): their due waits poll again later, and a 429's `Retry-After` pauses the knowledge base.
 */
export const postpone = (loop: Loop, jobIds: Iterable<string>, error: IngestionError, now: number): void => {
  if (error._tag === "RateLimited" && error.retryAfterMs !== undefined) {
    loop.pausedUntil = Math.max(loop.pausedUntil, now + error.retryAfterMs)
  }
  for (const jobId of jobIds) {
    const watched = loop.waits.byJob.get(jobId)
    if (watched === undefined) continue
    for (const wait of watched.waits) {
      Observed.countFailure(wait.observed, error)
      if (wait.nextPollAt <= now) {
        loop.waits.setNextPoll(wait, now + Math.max(wait.lastIntervalMs, MIN_RETRY_INTERVAL_MS))
      }
    }
  }
}

const isKnowledgeBaseGone = (error: NotFound): boolean =>
  error.param === "kb_id" || error.code === "knowledge_base_not_found"

/**
 * What a failed GET of one job does: a 404 of the job (or an answer that cannot be read) ends that
 * job's waits; a 404 of the knowledge base, a 401 or a 403 ends all its waits; anything else is
 * transient, and postpones the job's waits.
 */
export const getFailed = (loop: Loop, jobId: string, error: IngestionError, at: number): void => {
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
}

/**
 * What a failed sweep does: a transient failure (or the requests' deadline passing) postpones
 * every wait of the knowledge base; any other ends them all.
 */
export const sweepFailed = (loop: Loop, error: IngestionError, now: number): void => {
  if (error.isTransient || (error._tag === "TransportError" && error.reason === "Deadline")) {
    postpone(loop, [...loop.waits.byJob.keys()], error, now)
  } else {
    failAll(loop, error)
  }
}
