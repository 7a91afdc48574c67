/**
 * The jobs of a knowledge base that were queued or processing when a call began (`Wait.activeJobs`,
 * and the start of `Wait.waitForActive`), read without the race of "list, then wait".
 *
 * Lists filtered by status lose the jobs that end while they are read: a job on page 3 of
 * `status=processing` that completes while pages 1 and 2 are read is on no page. So the call reads
 * the unfiltered list, in creation order, and keeps each job that is still running, or that ended
 * at or after the second the call began (`completed_at`): it was running then. Jobs created after
 * that second are left out, unless `includeNew`.
 *
 * The unfiltered list holds the whole history of the knowledge base; the call reads only the part
 * that can hold a job running now. Three one-job reads first: the oldest job processing, the oldest
 * queued, the oldest processing again. A job older than the three was, at the second read, not
 * queued, and at the third, not processing: it had ended, and jobs never go back. The scan starts
 * there, and, without `includeNew`, stops at the first job created after the call began (the list
 * is in creation order). Cost: three requests, then one per 100 jobs created since the oldest job
 * still running.
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as IngestionJob from "../IngestionJob.js"
import type { ListOptions } from "../IngestionJobs.js"

/** One page of the list, as the caller reads it (with its retries, deadline, ...). */
export type ReadPage<E> = (options: ListOptions) => Effect.Effect<IngestionJob.IngestionJobList, E>

/** What a scan found. */
export interface Scan {
  /** The jobs kept, in creation order, as the list showed them. */
  readonly jobs: ReadonlyArray<IngestionJob.IngestionJob>
  /** The newest job the scan read: where a look for jobs created later starts. */
  readonly cursor: string | undefined
  /** The second the call began (Unix seconds, Effect's clock). */
  readonly since: number
}

export interface ScanOptions {
  /** Keep the jobs created after the call began too. */
  readonly includeNew: boolean
}

const PAGE = 100

// The probe: the order is what makes "older than all three" mean "ended" (see above).
const PROBE = ["processing", "queued", "processing"] as const

/** Whether a job created at or before `since` was running at `since`, by what the list says of it now. */
const wasRunning = (job: IngestionJob.IngestionJob, since: number): boolean =>
  !IngestionJob.isTerminal(job) || (job.completed_at !== null && job.completed_at >= since)

/** See the module's description: the jobs running when the call began (`since`: its second). */
export const scan = <E>(read: ReadPage<E>, options: ScanOptions): Effect.Effect<Scan, E> =>
  Effect.gen(function* () {
    const since = Math.floor((yield* Clock.currentTimeMillis) / 1_000)
    const isNew = (job: IngestionJob.IngestionJob) => job.created_at > since
    const firsts: Array<IngestionJob.IngestionJob> = []
    for (const status of PROBE) {
      const [first] = (yield* read({ status, limit: 1 })).data
      if (first !== undefined && !firsts.some((job) => job.id === first.id)) firsts.push(first)
    }
    const kept = new Map<string, IngestionJob.IngestionJob>()
    const seen = new Set<string>()
    // The probe saw these running: kept whatever the clock says, unless new.
    for (const job of firsts) if (options.includeNew || !isNew(job)) kept.set(job.id, job)
    /** The jobs after `from`, page by page, until `stop` says so or the list ends: `from` and their IDs, in list order. */
    const readFrom = (from: string, stop: (job: IngestionJob.IngestionJob) => boolean) =>
      Effect.gen(function* () {
        const ids = [from]
        seen.add(from)
        let next: string | undefined = from
        while (next !== undefined) {
          const page: IngestionJob.IngestionJobList = yield* read({ after: next, limit: PAGE })
          next = page.has_more ? page.data.at(-1)?.id : undefined
          for (const job of page.data) {
            if (stop(job)) return ids
            seen.add(job.id)
            ids.push(job.id)
            if (isNew(job) ? options.includeNew : kept.has(job.id) || wasRunning(job, since)) {
              kept.set(job.id, job)
            }
          }
        }
        return ids
      })
    const byAge = [...firsts].sort((a, b) => a.created_at - b.created_at)
    const oldest = byAge[0]
    if (oldest === undefined) return { jobs: [], cursor: undefined, since }
    const main = yield* readFrom(oldest.id, (job) => !options.includeNew && isNew(job))
    // Jobs created in the same second may come in either order: a job of the probe the scan did not
    // meet is older than `oldest`; the jobs between the two are read too, up to one already read.
    const older: Array<string> = []
    for (const job of byAge) {
      if (seen.has(job.id) || job.created_at !== oldest.created_at) continue
      if (!options.includeNew && isNew(job)) continue
      older.push(...(yield* readFrom(job.id, (next) => seen.has(next.id))))
    }
    const jobs = [...older, ...main].flatMap((id) => {
      const job = kept.get(id)
      return job === undefined ? [] : [job]
    })
    const cursor = main.at(-1)
    return { jobs, cursor, since }
  })
