/**
 * Registrations: a wait as the engine holds it (plain data: no fiber, no timer, no closure of its
 * own but its schedule's step), and the waits of one knowledge base, kept by job (with what the
 * round in progress learned of that job), by next poll and by deadline.
 */
import type * as Duration from "effect/Duration"
import type * as Exit from "effect/Exit"
import type * as Fiber from "effect/Fiber"
import type * as Pull from "effect/Pull"
import type * as IngestionJob from "../../IngestionJob.js"
import type * as WaitEngine from "../../WaitEngine.js"
import type { TransientFailure } from "../../WaitError.js"
import * as Heap from "../heap.js"
import * as Observed from "../observed.js"

/**
 * A wait's schedule, started (`Schedule.toStep`): each call steps it with the job of a poll, and
 * gives its output and the delay until the next poll, or ends (`Cause.Done`). Stateful: one per wait.
 */
export type ScheduleStep = (
  now: number,
  input: IngestionJob.IngestionJob
) => Pull.Pull<[unknown, Duration.Duration], unknown, unknown>

/** What a schedule's step gave, once it is a value: `[output, delay]`, or its end (or its failure). */
export type StepExit = Exit.Exit<[unknown, Duration.Duration], unknown>

/**
 * One registered wait. Its knowledge base's {@link Waits} find it by job, by next poll and by
 * deadline.
 */
export interface Wait {
  readonly jobId: string
  readonly startedAt: number
  readonly deadline: number
  readonly step: ScheduleStep
  readonly listener: WaitEngine.Listener
  readonly observed: Observed.MutableObserved
  nextPollAt: number
  lastIntervalMs: number
  lastJob: IngestionJob.IngestionJob | undefined
  /** The last transient failure of a request that served it (a `WaitTimeout` names it). */
  lastFailure: TransientFailure | undefined
  /**
   * A request of its job (in flight, or queued in a round) will serve its poll: meanwhile it is out
   * of the poll order (`nextPollAt` is Infinity), so no other round polls the job again.
   */
  polling: boolean
  ended: boolean
  /** Registration order (ties between due waits are served in it). */
  readonly seq: number
  /** Its job's entry in `Waits.byJob`, once added. */
  watched: Watched | undefined
  /** Its position in `Waits.polls` / `Waits.deadlines` (-1: not in it), kept by the heaps. */
  pollSlot: number
  deadlineSlot: number
}

/** A round's time budget is never under this (see `Waits.roundBudget`). */
const MIN_ROUND_BUDGET_MS = 100

/** A wait registered at `startedAt`: its first poll is due at once. */
export const makeWait = (
  jobId: string,
  startedAt: number,
  deadline: number,
  step: ScheduleStep,
  listener: WaitEngine.Listener,
  seq: number
): Wait => ({
  jobId,
  startedAt,
  deadline,
  step,
  listener,
  observed: Observed.make(),
  nextPollAt: startedAt,
  lastIntervalMs: 0,
  lastJob: undefined,
  lastFailure: undefined,
  polling: false,
  ended: false,
  seq,
  watched: undefined,
  pollSlot: -1,
  deadlineSlot: -1
})

/** A listener is user code: whatever it throws stays out of the loop. */
export const call = <A>(f: ((a: A) => void) | undefined, a: A): void => {
  if (f === undefined) return
  try {
    f(a)
  } catch {
    // A listener's failure is its own.
  }
}

// The two orders a knowledge base keeps its waits in. A wake-up reads the top of each (O(1)), and a
// change of a wait's next poll re-orders that one wait (O(log n)): no scan of every wait per wake-up.
const nextPollOf = (wait: Wait) => wait.nextPollAt
const pollSlotOf = (wait: Wait) => wait.pollSlot
const setPollSlot = (wait: Wait, slot: number) => {
  wait.pollSlot = slot
}
const deadlineOf = (wait: Wait) => wait.deadline
const deadlineSlotOf = (wait: Wait) => wait.deadlineSlot
const setDeadlineSlot = (wait: Wait, slot: number) => {
  wait.deadlineSlot = slot
}

/**
 * A watched job: its waits (usually one: an array, not a Set), and what the round in progress
 * learned of it, stamped with the number of that round (`Waits.rounds`). A sweep of 10,000 jobs
 * looks each listed job up once, here, instead of in a map per thing it learns (found, fetched,
 * on which page): maps of thousands of entries built anew every round.
 */
export class Watched {
  readonly waits: Array<Wait> = []
  /** The round that counted it among its due or soon-due jobs. */
  countedIn = 0
  /** The sweep that listed it (`listed`: the job as listed). */
  listedIn = 0
  listed: IngestionJob.IngestionJob | undefined = undefined
  /**
   * The job as the last sweep that listed it handed it over: a later sweep that lists it the same
   * (every field) hands this one over again, and the copy just read dies young (see `listActive`).
   */
  known: IngestionJob.IngestionJob | undefined = undefined
  /** The sweep that sent its GET before the end of its lists. */
  fetchedIn = 0
  /** The processing page it was on (`page`) in sweep `pagedIn` (-1: none yet). */
  pagedIn = -1
  page = 0
  /** A GET of it is queued or in flight (see `Waits.claim`): no other round requests it meanwhile. */
  busy = false
  /** That GET's fiber once it runs: interrupted when the job's last wait leaves. */
  request: Fiber.Fiber<unknown, unknown> | undefined = undefined

  constructor(
    readonly jobId: string,
    /** The rounds started before it was watched: it is watched since round `since + 1`. */
    readonly since: number
  ) {}
}

/** The waits of one knowledge base. */
export class Waits {
  /** The watched jobs, by ID. */
  readonly byJob = new Map<string, Watched>()
  /** Rounds started so far: the number of each (from 1) stamps what it learns on `Watched`. */
  rounds = 0
  /** Every wait, earliest next poll first. */
  readonly polls: Heap.Heap<Wait> = Heap.make(nextPollOf, pollSlotOf, setPollSlot)
  /** Every wait, earliest deadline first. */
  readonly deadlines: Heap.Heap<Wait> = Heap.make(deadlineOf, deadlineSlotOf, setDeadlineSlot)
  size = 0
  /**
   * The latest deadline any wait registered with (never lowered when one leaves): how long a
   * sweep's requests may run. A wait that left early only makes it generous; every remaining wait
   * still ends at its own deadline (the loop expires it), and the last one leaving stops the round.
   */
  latestDeadline = Number.NEGATIVE_INFINITY
  /** Half the longest interval any of its waits' schedules chose (never lowered): see `deliver`. */
  maxHalfInterval = 0
  /**
   * A round's time budget: the shortest interval any of its waits' schedules chose (never raised;
   * 1 s to start with, 100 ms at the least). A round still waiting on a request past it lets the
   * next round start (see `Loop.look`): a slow request delays no other job's poll by more than this.
   */
  roundBudget = 1000

  add(wait: Wait): void {
    let watched = this.byJob.get(wait.jobId)
    if (watched === undefined) {
      watched = new Watched(wait.jobId, this.rounds)
      this.byJob.set(wait.jobId, watched)
    }
    watched.waits.push(wait)
    wait.watched = watched
    // Its job's GET is on its way: that answer is its first poll.
    if (watched.busy) {
      wait.polling = true
      wait.nextPollAt = Number.POSITIVE_INFINITY
    }
    this.polls.push(wait)
    this.deadlines.push(wait)
    if (wait.deadline > this.latestDeadline) this.latestDeadline = wait.deadline
    this.size++
  }

  /** Takes a wait out and marks it ended (nothing reaches it any more); false if it was already. */
  remove(wait: Wait): boolean {
    if (wait.ended) return false
    wait.ended = true
    const watched = wait.watched
    if (watched !== undefined) {
      const waits = watched.waits
      const index = waits.indexOf(wait)
      if (index >= 0) waits.splice(index, 1)
      if (waits.length === 0) {
        if (this.byJob.get(wait.jobId) === watched) this.byJob.delete(wait.jobId)
        // No wait needs the job's request any more: it stops (its connection closes) at once.
        watched.request?.interruptUnsafe()
      }
    }
    this.polls.remove(wait)
    this.deadlines.remove(wait)
    this.size--
    return true
  }

  /** Sets when a wait polls next, and re-orders it among the others. */
  setNextPoll(wait: Wait, at: number): void {
    wait.polling = false
    wait.nextPollAt = at
    if (!wait.ended) this.polls.update(wait)
  }

  /**
   * A GET of `watched`'s job is to serve its waits whose poll is due at `at` (with `early`, a
   * sweep's: or due within half their interval, see `deliver`): the job is busy, and those waits
   * wait for its answer, out of the poll order.
   */
  claim(watched: Watched, at: number, early: boolean): void {
    watched.busy = true
    for (const wait of watched.waits) {
      if (!wait.polling && wait.nextPollAt <= (early ? at + wait.lastIntervalMs / 2 : at))
        this.joinRequest(wait)
    }
  }

  /** A wait whose poll falls due while its job's GET is on its way: that GET serves it. */
  joinRequest(wait: Wait): void {
    wait.polling = true
    wait.nextPollAt = Number.POSITIVE_INFINITY
    if (!wait.ended) this.polls.update(wait)
  }

  /**
   * The job's GET ended (`watched.busy` was cleared when it answered): a wait it did not serve (it
   * was skipped, or interrupted) polls again at `now`.
   */
  release(watched: Watched, now: number): void {
    watched.busy = false
    watched.request = undefined
    for (const wait of watched.waits) if (wait.polling) this.setNextPoll(wait, now)
  }

  /** A wait's schedule chose its next poll, `next`, at `at` (the interval it chose is remembered). */
  reschedule(wait: Wait, at: number, next: number): void {
    const interval = next - at
    wait.lastIntervalMs = interval
    if (interval / 2 > this.maxHalfInterval) this.maxHalfInterval = interval / 2
    if (interval < this.roundBudget) this.roundBudget = Math.max(MIN_ROUND_BUDGET_MS, interval)
    this.setNextPoll(wait, next)
  }

  /** When the earliest poll is due (Infinity: none). */
  earliestPoll(): number {
    return this.polls.peek()?.nextPollAt ?? Number.POSITIVE_INFINITY
  }
}
