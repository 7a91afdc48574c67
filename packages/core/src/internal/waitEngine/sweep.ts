/**
 * The active-set sweep: list `status=queued`, then `status=processing`, every page, and hand every
 * watched job found to its waits; a watched job found in neither list has ended (or is gone, or has
 * a status this library does not know): one GET tells which.
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Result from "effect/Result"
import * as IngestionJob from "../../IngestionJob.js"
import { deliver, retryReporter, runSteps } from "./delivery.js"
import { FollowUps } from "./followUps.js"
import { fetchJob, GET_CONCURRENCY } from "./get.js"
import type { Loop } from "./loop.js"
import { sweepFailed } from "./outcomes.js"
import type { Round } from "./round.js"

const PAGE_SIZE = 100
const [QUEUED, PROCESSING] = IngestionJob.ACTIVE_STATUSES

const NO_PAGES: ReadonlyArray<ReadonlyArray<string>> = []
const NO_PAGE_OF: ReadonlyMap<string, number> = new Map()

/** What the last sweep of a loop learned: what the next would cost, and where its jobs were. */
export class LastSweep {
  /** What a sweep cost last time (requests); a round of fewer due jobs GETs them instead. */
  cost: number = IngestionJob.ACTIVE_STATUSES.length
  /**
   * The watched jobs the last sweep listed as processing, by the page they were on (pages come in
   * creation order: `after` returns the jobs created after the cursor). A job of page r is created
   * before every job of a later page: once this sweep has read a job of a later page, a job of page
   * r it has not seen is no longer processing, and its GET need not wait for the rest of the sweep.
   */
  pages: ReadonlyArray<ReadonlyArray<string>> = NO_PAGES
  /** The page of `pages` each of those jobs was on. */
  pageOf: ReadonlyMap<string, number> = NO_PAGE_OF
}

/** How far a list went: every page (`listed` jobs), or cut short (`cut`: a lower bound of its jobs). */
type Listing = { readonly listed: number } | { readonly cut: number }

/**
 * Lists every page of one status; the watched jobs found go into `found`. At most `maxPages`
 * pages in the round so far: past them the list is cut (`{ cut: listed + 1 }`, the active jobs
 * known so far, `has_more` saying there is one more at least). `undefined`: no wait is left, or
 * every deadline passed.
 */
const listActive = (
  round: Round,
  status: IngestionJob.ActiveJobStatus,
  found: Map<string, IngestionJob.IngestionJob>,
  maxPages: number,
  onPage?: (page: ReadonlyArray<IngestionJob.IngestionJob>) => Effect.Effect<void>
) =>
  Effect.gen(function* () {
    const { loop } = round
    const watched = loop.waits.byJob
    let after: string | undefined
    let listed = 0
    for (;;) {
      const now = yield* Clock.currentTimeMillis
      const deadline = loop.waits.latestDeadline
      if (loop.waits.size === 0 || deadline <= now) return undefined
      if (after !== undefined && round.pages >= maxPages) return { cut: listed + 1 } as Listing
      round.requests++
      round.pages++
      const page = yield* loop.engine.client.list(loop.knowledgeBaseId, {
        status,
        limit: PAGE_SIZE,
        after,
        deadline,
        onRetry: retryReporter(loop, () => watched.keys(), round)
      })
      listed += page.data.length
      for (const job of page.data) if (watched.has(job.id)) found.set(job.id, job)
      if (onPage !== undefined) yield* onPage(page.data)
      const last = page.data[page.data.length - 1]
      if (!page.has_more || last === undefined || last.id === after) return { listed } as Listing
      after = last.id
    }
  })

/**
 * The watched jobs a sweep's processing pages show to have left the list since the last sweep (see
 * `LastSweep.pages`): their GETs go out at once, not after the last page. Also this sweep's pages,
 * for the next.
 */
class Departures {
  readonly pages: Array<Array<string>> = []
  readonly pageOf = new Map<string, number>()
  /** The jobs whose GET went out during the sweep. */
  readonly fetched = new Set<string>()
  /** The last sweep's pages up to this one are passed. */
  private passed = 0

  constructor(
    private readonly loop: Loop,
    private readonly found: ReadonlyMap<string, IngestionJob.IngestionJob>
  ) {}

  /** Reads a page of processing jobs: the watched jobs it shows to have left (marked fetched). */
  read(data: ReadonlyArray<IngestionJob.IngestionJob>): Array<string> {
    const watched = this.loop.waits.byJob
    const last = this.loop.lastSweep
    const onPage: Array<string> = []
    let reached = -1
    for (const job of data) {
      if (!watched.has(job.id)) continue
      onPage.push(job.id)
      this.pageOf.set(job.id, this.pages.length)
      const before = last.pageOf.get(job.id)
      if (before !== undefined && before > reached) reached = before
    }
    this.pages.push(onPage)
    const gone: Array<string> = []
    for (; this.passed < reached; this.passed++) {
      for (const jobId of last.pages[this.passed] ?? []) {
        if (this.found.has(jobId) || this.fetched.has(jobId) || !watched.has(jobId)) continue
        this.fetched.add(jobId)
        gone.push(jobId)
      }
    }
    return gone
  }
}

const requestsFor = (jobs: number) => Math.max(1, Math.ceil(jobs / PAGE_SIZE))

/**
 * A sweep that read its lists: counts them (what the next sweep would cost), GETs the watched
 * jobs it did not find, and hands every other job to its waits.
 */
const settle = (
  round: Round,
  queued: Listing,
  processing: Listing | undefined,
  found: ReadonlyMap<string, IngestionJob.IngestionJob>,
  departures: Departures,
  followUps: FollowUps
) =>
  Effect.gen(function* () {
    const { loop, at } = round
    const cut = "cut" in queued || (processing !== undefined && "cut" in processing)
    round.activeQueued = "cut" in queued ? queued.cut : queued.listed
    round.activeProcessing =
      processing === undefined ? undefined : "cut" in processing ? processing.cut : processing.listed
    loop.lastSweep.cost = requestsFor(round.activeQueued) + requestsFor(round.activeProcessing ?? 0)
    const jobIds = [...loop.waits.byJob.keys()]
    const { fetched } = departures
    // Cut short, a job not found may be in the pages not read: it stays due. Otherwise its GET
    // goes out first, and is on its way while the sweep hands every other job to its waits.
    const missing = cut ? [] : jobIds.filter((jobId) => !found.has(jobId) && !fetched.has(jobId))
    if (missing.length > 0) {
      yield* followUps.add(missing)
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
  })

/** A sweep round. */
export const sweep = (round: Round): Effect.Effect<void> =>
  Effect.gen(function* () {
    const { loop } = round
    const found = new Map<string, IngestionJob.IngestionJob>()
    // The sweep replaces a GET per served job: it never sends more. The last sweep's size is
    // only an estimate (the active set grows between rounds), so a sweep that would cost more
    // is cut; the jobs it did not see stay due, and the next round GETs them.
    const budget = round.served
    const followUps = new FollowUps(GET_CONCURRENCY, (jobId) =>
      Effect.map(fetchJob(loop, jobId, round, true), (sent) => {
        if (sent) round.followUpGets++
      })
    )
    const departures = new Departures(loop, found)
    const onProcessingPage = (data: ReadonlyArray<IngestionJob.IngestionJob>) =>
      Effect.suspend(() => {
        const gone = departures.read(data)
        return gone.length === 0 ? Effect.void : followUps.add(gone)
      })
    const swept = yield* Effect.result(
      Effect.gen(function* () {
        const queued = yield* listActive(round, QUEUED, found, budget - 1)
        const processing =
          queued === undefined || "cut" in queued
            ? undefined
            : yield* listActive(round, PROCESSING, found, budget, onProcessingPage)
        return { queued, processing }
      })
    )
    if (departures.pages.length > 0) {
      loop.lastSweep.pages = departures.pages
      loop.lastSweep.pageOf = departures.pageOf
    }
    const now = yield* Clock.currentTimeMillis
    if (Result.isFailure(swept)) {
      sweepFailed(loop, swept.failure, now)
    } else {
      const { queued, processing } = swept.success
      if (queued !== undefined && (processing !== undefined || "cut" in queued)) {
        yield* settle(round, queued, processing, found, departures, followUps)
      }
    }
    yield* followUps.join()
  })
