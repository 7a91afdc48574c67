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
  /**
   * The HTTP statuses of failed requests (or what kept them from having one), when there was one:
   * a response's 200 is `responses`. (A record keyed `"200"` from the start would be an array
   * element in V8: a backing store of some 300 slots, for each wait.)
   */
  failures: Record<string, number> | undefined
}

export const make = (): MutableObserved => ({ responses: 0, retries: 0, statuses: {}, failures: undefined })

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
}

/** A request that failed: its HTTP status (or what kept it from having one). */
export const countFailure = (observed: MutableObserved, error: IngestionError): void => {
  if (observed.failures === undefined) observed.failures = {}
  increment(observed.failures, httpStatusOf(error))
}

/** A failed request that is retried. */
export const countRetry = (observed: MutableObserved, error: IngestionError): void => {
  observed.retries++
  countFailure(observed, error)
}

/** What a wait observed, as `WaitTimeout.observed` reports it (a copy). */
export const toObserved = (observed: MutableObserved): Observed => {
  const httpStatuses: Record<string, number> = observed.responses > 0 ? { "200": observed.responses } : {}
  const failures = observed.failures
  if (failures !== undefined)
    for (const key in failures) httpStatuses[key] = (httpStatuses[key] ?? 0) + (failures[key] as number)
  return {
    responses: observed.responses,
    retries: observed.retries,
    statuses: { ...observed.statuses },
    httpStatuses
  }
}

const fromObserved = (observed: Observed): MutableObserved => {
  const failures: Record<string, number> = { ...observed.httpStatuses }
  // A 200 that is not a response's (an answer that could not be decoded) is a failure's.
  const failed200 = (failures["200"] ?? 0) - observed.responses
  if (failed200 > 0) failures["200"] = failed200
  else delete failures["200"]
  return {
    responses: observed.responses,
    retries: observed.retries,
    statuses: { ...observed.statuses },
    failures
  }
}

export const observe = (observed: Observed, event: WaitEngine.WaitEvent): Observed => {
  const next = fromObserved(observed)
  if (event._tag === "Polled") countResponse(next, event.job)
  else countRetry(next, event.error)
  return toObserved(next)
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
