/**
 * Registrations: a wait as the engine holds it (plain data: no fiber, no timer, no closure of its
 * own but its schedule's step), and the waits of one knowledge base, kept by job, by next poll
 * and by deadline.
 */
import type * as Duration from "effect/Duration"
import type * as Exit from "effect/Exit"
import type * as Pull from "effect/Pull"
import type * as IngestionJob from "../../IngestionJob.js"
import type * as WaitEngine from "../../WaitEngine.js"
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
  ended: boolean
  /** Registration order (ties between due waits are served in it). */
  readonly seq: number
  /** Its position in `Waits.polls` / `Waits.deadlines` (-1: not in it), kept by the heaps. */
  pollSlot: number
  deadlineSlot: number
}

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
  ended: false,
  seq,
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

/** The waits of one knowledge base. */
export class Waits {
  /** The waits of each watched job (usually one: an array, not a Set). */
  readonly byJob = new Map<string, Array<Wait>>()
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

  add(wait: Wait): void {
    const waits = this.byJob.get(wait.jobId)
    if (waits === undefined) this.byJob.set(wait.jobId, [wait])
    else waits.push(wait)
    this.polls.push(wait)
    this.deadlines.push(wait)
    if (wait.deadline > this.latestDeadline) this.latestDeadline = wait.deadline
    this.size++
  }

  /** Takes a wait out and marks it ended (nothing reaches it any more); false if it was already. */
  remove(wait: Wait): boolean {
    if (wait.ended) return false
    wait.ended = true
    const waits = this.byJob.get(wait.jobId)
    if (waits !== undefined) {
      const index = waits.indexOf(wait)
      if (index >= 0) waits.splice(index, 1)
      if (waits.length === 0) this.byJob.delete(wait.jobId)
    }
    this.polls.remove(wait)
    this.deadlines.remove(wait)
    this.size--
    return true
  }

  /** Sets when a wait polls next, and re-orders it among the others. */
  setNextPoll(wait: Wait, at: number): void {
    wait.nextPollAt = at
    if (!wait.ended) this.polls.update(wait)
  }

  /** A wait's schedule chose its next poll, `next`, at `at` (the interval it chose is remembered). */
  reschedule(wait: Wait, at: number, next: number): void {
    wait.lastIntervalMs = next - at
    if (wait.lastIntervalMs / 2 > this.maxHalfInterval) this.maxHalfInterval = wait.lastIntervalMs / 2
    this.setNextPoll(wait, next)
  }

  /** When the earliest poll is due (Infinity: none). */
  earliestPoll(): number {
    return this.polls.peek()?.nextPollAt ?? Number.POSITIVE_INFINITY
  }
}
