/**
 * What a wait observed (`WaitTimeout.observed`), counted in one place: by the engine for the polls of
 * its own waits (mutably, on its hot path), and through `WaitEngine.observe` by an engine that
 * relays another's events (the browser's tabs).
 */
import type { IngestionError } from "../IngestionError.js"
import * as IngestionJob from "../IngestionJob.js"
import type * as WaitEngine from "../WaitEngine.js"
import type { Observed } from "../WaitError.js"

export interface MutableObserved {
  responses: number
  retries: number
  statuses: Record<string, number>
  httpStatuses: Record<string, number>
}

const increment = (record: Record<string, number>, key: string) => {
  record[key] = (record[key] ?? 0) + 1
}

/** The HTTP status of a failed request, or `network` / `timeout` / ... when none came. */
const httpStatusOf = (error: IngestionError): string =>
  error._tag === "TransportError"
    ? error.reason.toLowerCase()
    : "status" in error && typeof error.status === "number"
      ? String(error.status)
      : error._tag

/** A response: the job's status, HTTP 200. */
export const countResponse = (observed: MutableObserved, job: IngestionJob.IngestionJob): void => {
  observed.responses++
  increment(observed.statuses, IngestionJob.statusText(job.status))
  increment(observed.httpStatuses, "200")
}

/** A request that failed: its HTTP status (or what kept it from having one). */
export const countFailure = (observed: MutableObserved, error: IngestionError): void =>
  increment(observed.httpStatuses, httpStatusOf(error))

/** A failed request that is retried. */
export const countRetry = (observed: MutableObserved, error: IngestionError): void => {
  observed.retries++
  countFailure(observed, error)
}

const copy = (observed: Observed): MutableObserved => ({
  responses: observed.responses,
  retries: observed.retries,
  statuses: { ...observed.statuses },
  httpStatuses: { ...observed.httpStatuses }
})

export const observe = (observed: Observed, event: WaitEngine.WaitEvent): Observed => {
  const next = copy(observed)
  if (event._tag === "Polled") countResponse(next, event.job)
  else countRetry(next, event.error)
  return next
}

const sum = (a: Readonly<Record<string, number>>, b: Readonly<Record<string, number>>) => {
  const total = { ...a }
  for (const [key, n] of Object.entries(b)) total[key] = (total[key] ?? 0) + n
  return total
}

export const combine = (self: Observed, that: Observed): Observed => ({
  responses: self.responses + that.responses,
  retries: self.retries + that.retries,
  statuses: sum(self.statuses, that.statuses),
  httpStatuses: sum(self.httpStatuses, that.httpStatuses)
})
