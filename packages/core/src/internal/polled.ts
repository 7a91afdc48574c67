/**
 * What a poll of one job reads: the job, and how many of its documents have ended. The client
 * produces it (`IngestionJobs`' `poll`, decoded by `documentCount.ts` and `fastDecode.ts`) and the
 * poll cadences consume it (`PollSchedule`, which names these types publicly): the one thing the
 * two share, so neither imports the other. Types only: nothing here runs.
 */
import type { IngestionJob } from "../IngestionJob.js"

/** How many of a job's documents have ended (any status but `queued` and `processing`), out of how many. */
export interface DocumentCount {
  readonly ended: number
  readonly total: number
}

/** The job of a poll and, when that poll was a GET of the job, the count of its ended documents. */
export type Polled = IngestionJob & { readonly documents?: DocumentCount }
