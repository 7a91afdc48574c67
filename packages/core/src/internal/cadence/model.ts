/**
 * What the cadence learns of one knowledge base: its last ended jobs (at most `CAPACITY` of each
 * kind: a fixed size, however many jobs end), the laws fitted to them (`fit.ts`), and a watch for a
 * change of pace: a job far slower (or faster) than the law, then another, and another, tell a
 * knowledge base that changed (a CUSUM of the jobs' deviations), and the jobs from before the change
 * are forgotten at once instead of being outvoted one by one.
 */
import type { Polled } from "../polled.js"
import {
  type Completed,
  fitDocuments,
  fitFailing,
  fitQueue,
  perDocument,
  predicted,
  queuePredicted,
  queueValue
} from "./fit.js"
import type { Law, LogNormal } from "./law.js"

/** The most jobs of each kind kept: the model's size never grows past it. */
export const CAPACITY = 32
/** Completed jobs before the law is used (before, today's rules). */
export const MIN_COMPLETED = 8
/** Ids of the last jobs learned, so that a job read twice is learned once. */
const REMEMBERED_IDS = 64
/**
 * New jobs after which the law is fitted again: every few while it is young, fewer once it holds
 * `CAPACITY` jobs (a change of pace refits it at once). A fit costs tens of microseconds.
 */
const REFIT_YOUNG = 4
const REFIT_SETTLED = 16

/** A deviation further than this counts as only this far (in standard deviations). */
const CAPPED_Z = 2.5
/** The CUSUM's allowance and threshold, in standard deviations: it ignores drifts under half of one. */
const ALLOWANCE = 0.5
const THRESHOLD = 7
/** A completed job with more failed documents than this share is not learned from (see `learn`). */
const FAILED_DOCUMENTS_SHARE = 0.1
/**
 * Jobs kept when the pace changed: those since the change was first seen, at least 2 and at most 5
 * (the watch may have started on a few jobs from before): fewer than `MIN_COMPLETED`, so the law's
 * median moves to them while its spreads stay, until enough new jobs are known to fit it anew.
 */
const KEPT_AFTER_CHANGE = [2, 5] as const

/** A watch for a change of pace, one way or the other: the CUSUM of the jobs' deviations. */
class Drift {
  private up = 0
  private down = 0
  private upRun = 0
  private downRun = 0

  /**
   * One more job, `z` standard deviations from what the law predicted. A change: the jobs since it
   * began (returned; 0: none).
   */
  see(deviation: number): number {
    const z = Math.max(-CAPPED_Z, Math.min(CAPPED_Z, deviation))
    this.up = Math.max(0, this.up + z - ALLOWANCE)
    this.down = Math.max(0, this.down - z - ALLOWANCE)
    this.upRun = this.up > 0 ? this.upRun + 1 : 0
    this.downRun = this.down > 0 ? this.downRun + 1 : 0
    const run = this.up > THRESHOLD ? this.upRun : this.down > THRESHOLD ? this.downRun : 0
    if (run > 0) this.reset()
    return run
  }

  reset(): void {
    this.up = 0
    this.down = 0
    this.upRun = 0
    this.downRun = 0
  }
}

/** Keeps the last `CAPACITY` items of `items` (oldest first). */
const push = <A>(items: Array<A>, item: A): void => {
  items.push(item)
  if (items.length > CAPACITY) items.shift()
}

/**
 * The count of documents of an ended job: its `document_details`, or the count a poll made of them
 * (`Polled.documents`), else its counters (a completed job's documents have all ended).
 */
const documentsOf = (job: Polled): number | undefined => {
  if ("document_details" in job && Array.isArray(job.document_details)) return job.document_details.length
  if (job.documents !== undefined) return job.documents.total
  return job.status === "completed" ? job.documents_processed + job.documents_failed : undefined
}

/** One knowledge base's model. */
export class Model {
  /** Completed jobs: their count of documents and processing time (oldest first). */
  readonly completed: Array<Completed> = []
  /** Times queued, in whole seconds (oldest first). */
  readonly queued: Array<number> = []
  /** Whether each of the last ended jobs failed as a whole (oldest first). */
  readonly failed: Array<boolean> = []
  private readonly ids: Array<string> = []
  private nextId = 0
  private readonly processingDrift = new Drift()
  private readonly queueDrift = new Drift()
  private fitted: Law | undefined
  /** Jobs learned since the law was fitted. */
  private stale = 0
  /** Jobs learned in all. */
  private total = 0
  /** The jobs changed otherwise than by one more (a change of pace, an import): fit before use. */
  private dirty = false
  /** Bumped whenever the law changes: what was derived from the last one is out of date. */
  version = 0

  /** Whether `jobId` was learned already (the last `REMEMBERED_IDS` jobs); remembers it if not. */
  private seen(jobId: string): boolean {
    if (this.ids.includes(jobId)) return true
    if (this.ids.length < REMEMBERED_IDS) this.ids.push(jobId)
    else this.ids[this.nextId] = jobId
    this.nextId = (this.nextId + 1) % REMEMBERED_IDS
    return false
  }

  /** Learns an ended job (`completed` or `failed`, `completed_at` set); a job read again is ignored. */
  learn(job: Polled): void {
    if (this.seen(job.id)) return
    push(this.failed, job.status === "failed")
    if (job.started_at !== null) this.learnQueue(Math.max(0, job.started_at - job.created_at))
    const documents = documentsOf(job)
    if (job.status === "completed" && job.started_at !== null && documents !== undefined && documents > 0) {
      // A failed document is rejected sooner or later than a processed one takes: a job of many
      // failed documents says little of the others' pace (and would read as a change of pace).
      if (job.documents_failed <= FAILED_DOCUMENTS_SHARE * documents) {
        const seconds = Math.max(0, (job.completed_at ?? job.started_at) - job.started_at)
        this.learnCompleted({ documents, seconds })
      }
    }
    this.counted()
  }

  /** One more job learned: the law is fitted again when it is due. */
  private counted(): void {
    this.stale++
    this.total++
    const every = this.total < CAPACITY ? REFIT_YOUNG : REFIT_SETTLED
    if (
      this.dirty ||
      this.stale >= every ||
      (this.fitted === undefined && this.completed.length >= MIN_COMPLETED)
    )
      this.refit()
  }

  private learnCompleted(job: Completed): void {
    const law = this.fitted
    if (law !== undefined) {
      const { mean, variance } = predicted(law, job)
      const run = this.processingDrift.see((perDocument(job) - mean) / Math.sqrt(variance))
      if (run > 0) this.forget(this.completed, run - 1)
    }
    push(this.completed, job)
  }

  private learnQueue(seconds: number): void {
    const law = this.fitted
    if (law !== undefined) {
      const { mean, variance } = queuePredicted(law.queue, seconds)
      const run = this.queueDrift.see((queueValue(seconds) - mean) / Math.sqrt(variance))
      if (run > 0) this.forget(this.queued, run - 1)
    }
    push(this.queued, seconds)
  }

  /** The pace changed: keeps only the last `kept` items of `items` (the jobs since), and refits. */
  private forget<A>(items: Array<A>, kept: number): void {
    const [least, most] = KEPT_AFTER_CHANGE
    items.splice(0, Math.max(0, items.length - Math.min(most - 1, Math.max(least - 1, kept))))
    this.dirty = true
  }

  /** Takes jobs learned elsewhere (an import), oldest first, as if learned in that order. */
  restore(
    completed: ReadonlyArray<Completed>,
    queued: ReadonlyArray<number>,
    failed: ReadonlyArray<boolean>
  ): void {
    for (const job of completed) push(this.completed, { documents: job.documents, seconds: job.seconds })
    for (const seconds of queued) push(this.queued, seconds)
    for (const outcome of failed) push(this.failed, outcome)
    this.total += completed.length
    this.dirty = true
  }

  /**
   * The law of the jobs learned, or undefined while fewer than `MIN_COMPLETED` completed. The
   * schedules take it as last fitted (at most `REFIT_SETTLED` jobs old: a wait registered after each
   * job that ends would otherwise cost a fit each); `latest`, fitted to every job learned.
   */
  law(latest = false): Law | undefined {
    if (this.dirty || (latest && this.stale > 0)) this.refit()
    return this.fitted
  }

  private refit(): void {
    this.stale = 0
    this.dirty = false
    this.version++
    const previous = this.fitted
    if (this.completed.length === 0 || (previous === undefined && this.completed.length < MIN_COMPLETED)) {
      this.fitted = undefined
      return
    }
    const jobs = this.completed.length
    // After a change of pace, fewer jobs than needed: the spreads stay, the medians move.
    const documents =
      jobs >= MIN_COMPLETED || previous === undefined
        ? fitDocuments(this.completed)
        : { document: shifted(previous, this.completed), jobSigma: previous.jobSigma }
    const queue: LogNormal =
      this.queued.length >= MIN_COMPLETED || previous === undefined
        ? fitQueue(this.queued.length > 0 ? this.queued : [0])
        : {
            mu: this.queued.length > 0 ? fitQueue(this.queued).mu : previous.queue.mu,
            sigma: previous.queue.sigma
          }
    this.fitted = {
      queue,
      document: documents.document,
      jobSigma: documents.jobSigma,
      failing: fitFailing(this.failed.filter(Boolean).length, this.failed.length)
    }
  }
}

/**
 * The law's document median moved to where these few jobs put it (the median of their deviations
 * from it: one odd job among them moves it little), its spreads kept.
 */
const shifted = (law: Law, jobs: ReadonlyArray<Completed>): LogNormal => {
  const deviations = jobs.map((job) => perDocument(job) - predicted(law, job).mean).sort((a, b) => a - b)
  const middle = deviations.length >> 1
  const median =
    deviations.length % 2 === 1 ? deviations[middle]! : (deviations[middle - 1]! + deviations[middle]!) / 2
  return { mu: law.document.mu + median, sigma: law.document.sigma }
}
