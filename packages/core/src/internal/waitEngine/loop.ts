/**
 * Scheduling: the loop of one knowledge base, and when it looks at its waits. A loop is no fiber:
 * it looks when its timer fires, a round ends or a wait comes or leaves; a look ends the waits past
 * their deadline, starts a round when a poll is due (one at a time), and sets the timer for the
 * next deadline or poll. Only a round is a fiber.
 */
import type * as Clock from "effect/Clock"
import type * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import type * as Fiber from "effect/Fiber"
import type * as Scheduler from "effect/Scheduler"
import type { IngestionJobs } from "../../IngestionJobs.js"
import type * as WaitEngine from "../../WaitEngine.js"
import type { Store } from "../cadence/store.js"
import { Timer } from "../liveClock.js"
import type { WaitSettings } from "../waitRules.js"
import { expire } from "./outcomes.js"
import { type Wait, Waits } from "./registry.js"
import { type Round, runRound } from "./round.js"
import { LastSweep } from "./sweep.js"

/**
 * What the loops of one engine share. The engine's functions are module functions (and methods)
 * that reach it through their loop (`loop.engine`), not closures per engine: a Promise client has
 * an engine of its own, and a one-call wait (`waitForIngestionJob`) a client of its own.
 */
export interface Engine {
  readonly client: IngestionJobs["Service"]
  /** What it learned of each knowledge base's jobs (`EngineOptions.cadence`). */
  readonly cadence: Store
  /** Runs the loops' looks (`wake`), on the scheduler of the fiber that built the engine. */
  readonly dispatcher: Scheduler.SchedulerDispatcher
  readonly loops: Map<string, Loop>
  /** The scope closed: no loop looks again, and no round starts. */
  closed: boolean
  /** Registrations so far (a wait's `seq`). */
  registrations: number
  /** The options checked last, and what they came to (see `register`). */
  lastSettings:
    | {
        readonly schedule: WaitEngine.WaitOptions["schedule"]
        readonly pollInterval: WaitEngine.WaitOptions["pollInterval"]
        readonly timeout: WaitEngine.WaitOptions["timeout"]
        readonly deadline: WaitEngine.WaitOptions["deadline"]
        readonly settings: WaitSettings
      }
    | undefined
  readonly onRound: WaitEngine.EngineOptions["onRound"]
  readonly gate: WaitEngine.EngineOptions["gate"]
}

const look = (loop: Loop) => loop.look()

/**
 * The loop of one knowledge base and its waits. The clock and the services are those of the wait
 * that started it (its `TestClock`, ...).
 */
export class Loop {
  readonly waits = new Waits()
  readonly lastSweep = new LastSweep()
  /** No request before this (a 429's `Retry-After`). */
  pausedUntil = 0
  /**
   * When the loop will look at its waits next: a new wait wakes it only if it wants a poll
   * sooner. While a round is in flight (Infinity) nothing wakes it: the round's end does, so a
   * thousand registrations do not cost a thousand scans.
   */
  private nextLook = Number.NEGATIVE_INFINITY
  /** The earliest deadline the loop's timer is set for: a wait with an earlier one wakes it. */
  private nextDeadline = Number.NEGATIVE_INFINITY
  /** The round in flight (`current`, once it has started: past its gate). */
  private inFlight: Fiber.Fiber<void> | undefined = undefined
  private current: Round | undefined = undefined
  /**
   * Rounds carried: still waiting on requests past their time budget while later rounds run (see
   * `look`). Their jobs are `busy` meanwhile: no other round requests them.
   */
  private readonly carried = new Set<Fiber.Fiber<void>>()
  /** A look is scheduled (several wake-ups before it runs are one look). */
  private lookScheduled = false
  /** Wakes the loop for its next deadline or poll. */
  private readonly timer: Timer<Loop>

  constructor(
    readonly engine: Engine,
    readonly knowledgeBaseId: string,
    readonly clock: Clock.Clock,
    /** (A fiber run with it starts interruptible, even when the registration is not: acquireRelease.) */
    readonly context: Context.Context<never>
  ) {
    this.timer = new Timer<Loop>(clock, context, look, this)
  }

  /** Adds a wait registered at `now` (`first`: the loop's first), waking the loop if it must look sooner. */
  add(wait: Wait, now: number, first: boolean): void {
    this.waits.add(wait)
    if (first || now < this.nextLook || wait.deadline < this.nextDeadline) this.wake()
  }

  /** Takes a wait out (false if it was already); the last one out stops the loop. */
  remove(wait: Wait): boolean {
    if (!this.waits.remove(wait)) return false
    if (this.waits.size === 0) this.wake()
    return true
  }

  /**
   * Has the loop look at its waits soon (on the scheduler, as a fiber's wake-up would be): a
   * burst of registrations, or the waits a round ended, cost one look.
   */
  wake(): void {
    if (this.lookScheduled || this.engine.closed) return
    this.lookScheduled = true
    this.engine.dispatcher.scheduleTask(() => {
      this.lookScheduled = false
      this.look()
    }, 0)
  }

  /**
   * One look at the waits: ends those past their deadline, starts a round when a poll is due
   * (none while one is in flight, unless it is past its budget: it is then carried), and sets the
   * timer for the next deadline, poll or budget's end. The last wait gone, the loop stops, and with
   * it the rounds in flight.
   */
  look(): void {
    if (this.engine.closed) return
    const now = this.clock.currentTimeMillisUnsafe()
    const earliestDeadline = expire(this, now)
    if (this.waits.size === 0) {
      this.stop()
      return
    }
    let wakeAt = earliestDeadline
    this.nextDeadline = earliestDeadline
    this.nextLook = Number.POSITIVE_INFINITY
    const pollAt = Math.max(this.waits.earliestPoll(), this.pausedUntil)
    if (this.inFlight !== undefined) {
      // A round waiting on a slow request holds no poll that falls due past its budget: it is
      // carried (its requests go on), and the next round starts beside it.
      const round = this.current
      if (round === undefined || !round.detachable) {
        // A sweep still reading its lists (or a round at its gate): it wakes the loop when it may
        // be carried.
        this.timer.set(Math.max(0, wakeAt - now))
        return
      }
      // (Each answer of a carried-to-be round wakes the loop: see `fetchJobApart`.)
      const detachAt = Math.max(pollAt, round.at + this.waits.roundBudget)
      if (detachAt > now) {
        this.nextLook = detachAt
        this.timer.set(Math.max(0, Math.min(wakeAt, detachAt) - now))
        return
      }
      this.carried.add(this.inFlight)
      this.inFlight = undefined
      this.current = undefined
    }
    if (pollAt <= now) {
      // The round starts at once, and runs until its first request is on its way. (One that ended
      // before this returns has cleared `inFlight` already, and woken the loop.)
      const round = Effect.runForkWith(this.context)(runRound(this))
      if (round.pollUnsafe() === undefined) {
        this.inFlight = round
        // A poll of a job it does not serve may fall due while it runs: a look then carries it,
        // if it is still in flight past its budget.
        const nextPoll = Math.max(this.waits.earliestPoll(), this.pausedUntil)
        if (nextPoll !== Number.POSITIVE_INFINITY) {
          this.nextLook = Math.max(nextPoll, now + this.waits.roundBudget)
          wakeAt = Math.min(wakeAt, this.nextLook)
        }
      }
    } else {
      wakeAt = Math.min(wakeAt, pollAt)
      this.nextLook = wakeAt
    }
    this.timer.set(Math.max(0, wakeAt - now))
  }

  /** The round in flight has started (it is past its gate). */
  started(round: Round): void {
    this.current = round
  }

  /** A round ended (however it did): the one in flight, or a carried one. */
  roundEnded(fiber: Fiber.Fiber<void> | undefined): void {
    if (fiber === undefined || fiber === this.inFlight) {
      this.inFlight = undefined
      this.current = undefined
    } else {
      this.carried.delete(fiber)
    }
    this.wake()
  }

  /** No wait left: the loop leaves its engine, its timer stops and its round is interrupted. */
  private stop(): void {
    this.timer.cancel()
    const loops = this.engine.loops
    if (loops.get(this.knowledgeBaseId) === this) loops.delete(this.knowledgeBaseId)
    for (const round of this.rounds()) round.interruptUnsafe()
  }

  /** The rounds running: the one in flight and the carried ones. */
  private rounds(): Array<Fiber.Fiber<void>> {
    const rounds = [...this.carried]
    if (this.inFlight !== undefined) rounds.push(this.inFlight)
    return rounds
  }

  /** The engine closed: the timer stops; the rounds running, if any, are the engine's to interrupt. */
  close(): Array<Fiber.Fiber<void>> {
    this.timer.cancel()
    return this.rounds()
  }
}
