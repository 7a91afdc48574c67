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
import { fetchJobApart, GET_CONCURRENCY } from "./get.js"
import type { Loop } from "./loop.js"
import { sweepFailed } from "./outcomes.js"
import type { Watched } from "./registry.js"
import { Requests } from "./requests.js"
import type { Round } from "./round.js"

const PAGE_SIZE = 100
const [QUEUED, PROCESSING] = IngestionJob.ACTIVE_STATUSES

const NO_PAGES: ReadonlyArray<ReadonlyArray<string>> = []

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
  /** The round of that sweep (0: none yet): a job's `Watched.page` stamped with it is its page in `pages`. */
  pagedIn = 0
  /** Sweeps refused in a row (see `refused`). */
  private refusals = 0
  /** Rounds left before the next sweep may be tried. */
  private offFor = 0

  /**
   * A list page could not be read, or was refused (a 400): GETs, whose answers each concern one
   * job, serve the next rounds (2, 4, ... up to 64 of them: a list that stays unreadable costs a
   * failed sweep now and then, not one per round).
   */
  refused(): void {
    this.refusals++
    this.offFor = Math.min(2 ** this.refusals, 64)
  }

  /** A sweep read its lists. */
  succeeded(): void {
    this.refusals = 0
  }

  /** Whether a round may sweep (a round that may not counts down the rounds left). */
  allowed(): boolean {
    if (this.offFor === 0) return true
    this.offFor--
    return false
  }
}

/**
 * Whether two jobs as listed are the same in every field (no error, a known status: anything else
 * counts as different). A sweep of 10,000 jobs reads every job anew each interval, and most have not
 * changed: handing over the copy it already holds (a wait keeps its last job until the next sweep)
 * lets the one just parsed die young, instead of 10,000 copies a sweep outliving the young
 * generation and being collected from the old one.
 */
const sameJob = (known: IngestionJob.IngestionJob, job: IngestionJob.IngestionJob): boolean =>
  known.status === job.status &&
  typeof job.status === "string" &&
  known.documents_processed === job.documents_processed &&
  known.documents_failed === job.documents_failed &&
  known.chunks_created === job.chunks_created &&
  known.started_at === job.started_at &&
  known.completed_at === job.completed_at &&
  known.created_at === job.created_at &&
  known.error === null &&
  job.error === null &&
  known.id === job.id &&
  known.knowledge_base_id === job.knowledge_base_id &&
  known.data_source_id === job.data_source_id &&
  known.object === job.object

/** How far a list went: every page (`listed` jobs), or cut short (`cut`: a lower bound of its jobs). */
type Listing = { readonly listed: number } | { readonly cut: number }

/**
 * Lists every page of one status; the watched jobs found are stamped with the round (`listedIn`,
 * `listed`), and those of a processing page read by `departures`. At most `maxPages` pages in the
 * round so far: past them the list is cut (`{ cut: listed + 1 }`, the active jobs known so far,
 * `has_more` saying there is one more at least). `undefined`: no wait is left, or every deadline
 * passed.
 */
const listActive = (
  round: Round,
  status: IngestionJob.ActiveJobStatus,
  maxPages: number,
  departures?: Departures
) =>
  Effect.gen(function* () {
    const { loop, seq } = round
    const watched = loop.waits.byJob
    let after: string | undefined
    let listed = 0
    for (;;) {
      const now = yield* Clock.currentTimeMillis
      const deadline = loop.waits.latestDeadline
      if (loop.waits.size === 0 || deadline <= now) return undefined
      if (after !== undefined && round.pages >= maxPages) return { cut: listed + 1 } as Listing
      // What the round reports if the sweep ends here (a page that fails, every wait gone): a lower
      // bound, as a cut list's, so that its requests still match its count. `settle` sets the count.
      if (status === QUEUED) round.activeQueued = after === undefined ? 0 : listed + 1
      else round.activeProcessing = after === undefined ? 0 : listed + 1
      round.requests++
      round.pages++
      const page = yield* loop.engine.client.list(loop.knowledgeBaseId, {
        status,
        limit: PAGE_SIZE,
        after,
        deadline,
        onRetry: retryReporter(loop, () => watched.keys(), round)
      })
      const data = page.data
      listed += data.length
      for (let index = 0; index < data.length; index++) {
        const job = data[index] as IngestionJob.IngestionJob
        const entry = watched.get(job.id)
        if (entry === undefined) continue
        entry.listedIn = seq
        const known = entry.known
        entry.listed = known !== undefined && sameJob(known, job) ? known : job
        if (departures !== undefined) departures.see(entry)
      }
      if (departures !== undefined) {
        const gone = departures.endPage()
        if (gone.length > 0) {
          yield* followUp(round, departures.followUps, gone)
          // The jobs this page showed gone have waits waiting for their GETs; the pages left, only
          // jobs that end meanwhile. The next page goes out once every GET queued is answered: a
          // sweep that finds 500 jobs gone does not make their waits share the client and the
          // service with its next pages. Not past the round's budget, and not again in this sweep
          // once a GET took that long (one that retries holds no page up for more than that).
          if (departures.patient)
            departures.patient = yield* departures.followUps.drained(loop.waits.roundBudget)
        }
      }
      const last = data[data.length - 1]
      if (!page.has_more || last === undefined || last.id === after) return { listed } as Listing
      after = last.id
    }
  })

/**
 * The watched jobs a sweep's processing pages show to have left the list since the last sweep (see
 * `LastSweep.pages`): their GETs go out at once (`fetchedIn`), not after the last page. Also this
 * sweep's pages, for the next.
 */
class Departures {
  readonly pages: Array<Array<string>> = []
  /** The watched jobs of the page being read. */
  private onPage: Array<string> = []
  /** The furthest page of the last sweep that a job of the page being read was on. */
  private reached = -1
  /** The last sweep's pages up to this one are passed. */
  private passed = 0
  /** The next page waits for the GETs of the jobs a page showed gone (until one takes too long). */
  patient = true

  constructor(
    private readonly loop: Loop,
    private readonly seq: number,
    readonly followUps: Requests
  ) {}

  /** A watched job on the page being read. */
  see(entry: Watched): void {
    this.onPage.push(entry.jobId)
    if (entry.pagedIn === this.loop.lastSweep.pagedIn && entry.page > this.reached) this.reached = entry.page
    entry.pagedIn = this.seq
    entry.page = this.pages.length
  }

  /**
   * The page is read: the watched jobs it shows to have left (their GETs go out: `fetchedIn`), but
   * those whose GET is on its way already (`busy`).
   */
  endPage(): Array<Watched> {
    const watched = this.loop.waits.byJob
    const lastPages = this.loop.lastSweep.pages
    const { seq } = this
    this.pages.push(this.onPage)
    this.onPage = []
    const gone: Array<Watched> = []
    for (; this.passed < this.reached; this.passed++) {
      for (const jobId of lastPages[this.passed] ?? []) {
        const entry = watched.get(jobId)
        if (entry === undefined || entry.listedIn === seq || entry.fetchedIn === seq || entry.busy) continue
        entry.fetchedIn = seq
        gone.push(entry)
      }
    }
    this.reached = -1
    return gone
  }
}

const requestsFor = (jobs: number) => Math.max(1, Math.ceil(jobs / PAGE_SIZE))

/** Queues the GETs of jobs a sweep did not find, once claimed (their due and soon-due waits wait for them). */
const followUp = (round: Round, requests: Requests, entries: ReadonlyArray<Watched>): Effect.Effect<void> => {
  const jobIds: Array<string> = []
  for (const entry of entries) {
    round.loop.waits.claim(entry, round.at, true)
    jobIds.push(entry.jobId)
  }
  return requests.add(jobIds)
}

/**
 * A sweep that read its lists: counts them (what the next sweep would cost), GETs the watched
 * jobs it did not find, and hands every other job to its waits.
 */
const settle = (round: Round, queued: Listing, processing: Listing | undefined, followUps: Requests) =>
  Effect.gen(function* () {
    const { loop, at, seq } = round
    const cut = "cut" in queued || (processing !== undefined && "cut" in processing)
    round.activeQueued = "cut" in queued ? queued.cut : queued.listed
    round.activeProcessing =
      processing === undefined ? undefined : "cut" in processing ? processing.cut : processing.listed
    loop.lastSweep.cost = requestsFor(round.activeQueued) + requestsFor(round.activeProcessing ?? 0)
    const watched = loop.waits.byJob
    // Cut short, a job not found may be in the pages not read: it stays due. Otherwise its GET
    // goes out first, and is on its way while the sweep hands every other job to its waits. A job
    // watched only since the round began may have been listed before it was: its absence tells
    // nothing (it stays due, for the next round; a watchAll of 10,000 jobs registering while the
    // first sweep reads its pages would otherwise GET thousands of jobs that are still queued).
    // A job whose GET is on its way (`busy`: a round before this one's, carried) has it answer.
    if (!cut) {
      const missing: Array<Watched> = []
      for (const entry of watched.values()) {
        if (entry.since < seq && entry.listedIn !== seq && entry.fetchedIn !== seq && !entry.busy) {
          missing.push(entry)
        }
      }
      if (missing.length > 0) {
        yield* followUp(round, followUps, missing)
        yield* Effect.yieldNow
      }
    }
    const pending: Array<Effect.Effect<void>> = []
    // The jobs watched now: a wait that ends leaves the map (a job with none left is not visited),
    // and a job watched since the sweep began was not listed by it.
    for (const entry of watched.values()) {
      const job = entry.listed
      entry.listed = undefined
      // As of the sweep's start: the waits' next polls count from there, so sweeps start one
      // interval apart however long a sweep takes (as a bare loop's polls, plus a round trip).
      if (job !== undefined && entry.listedIn === seq && entry.fetchedIn !== seq && !entry.busy) {
        entry.known = job
        deliver(loop, entry, job, at, true, pending)
      }
    }
    // Every watched job is delivered once per sweep: the steps can all run now, together.
    yield* runSteps(pending)
  })

/** A sweep round. */
export const sweep = (round: Round): Effect.Effect<void> =>
  Effect.gen(function* () {
    const { loop } = round
    // The sweep replaces a GET per served job: it never sends more. The last sweep's size is
    // only an estimate (the active set grows between rounds), so a sweep that would cost more
    // is cut; the jobs it did not see stay due, and the next round GETs them.
    const budget = round.served
    const followUps = new Requests(GET_CONCURRENCY, (jobId) =>
      Effect.map(fetchJobApart(loop, jobId, round, true), (sent) => {
        if (sent) round.followUpGets++
      })
    )
    const departures = new Departures(loop, round.seq, followUps)
    const swept = yield* Effect.result(
      Effect.gen(function* () {
        const queued = yield* listActive(round, QUEUED, budget - 1)
        const processing =
          queued === undefined || "cut" in queued
            ? undefined
            : yield* listActive(round, PROCESSING, budget, departures)
        return { queued, processing }
      })
    )
    if (departures.pages.length > 0) {
      loop.lastSweep.pages = departures.pages
      loop.lastSweep.pagedIn = round.seq
    }
    const now = yield* Clock.currentTimeMillis
    if (Result.isFailure(swept)) {
      sweepFailed(loop, swept.failure, now)
    } else {
      loop.lastSweep.succeeded()
      const { queued, processing } = swept.success
      if (queued !== undefined && (processing !== undefined || "cut" in queued)) {
        yield* settle(round, queued, processing, followUps)
      }
    }
    // Only its follow-up GETs left: the round may now be carried (see `Loop.look`).
    round.detachable = true
    loop.wake()
    yield* followUps.join()
  })
