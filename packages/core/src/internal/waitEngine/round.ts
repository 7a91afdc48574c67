/**
 * A round of a loop: the jobs whose waits are due, learned in the cheaper way (a GET each, or the
 * active-set sweep), then reported (`EngineOptions.onRound`).
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import type * as Fiber from "effect/Fiber"
import type { Tally } from "./delivery.js"
import { fetchJob, fetchJobApart, GET_CONCURRENCY } from "./get.js"
import type { Loop } from "./loop.js"
import { call, type Wait } from "./registry.js"
import { Requests } from "./requests.js"
import { sweep } from "./sweep.js"

/** One round: what it serves, and what it counts for its report. */
export class Round implements Tally {
  requests = 0
  retries = 0
  /** List pages read (a sweep). */
  pages = 0
  followUpGets = 0
  activeQueued: number | undefined = undefined
  activeProcessing: number | undefined = undefined
  /**
   * Whether the loop may carry it (start the next round while it still waits on its requests): a
   * `get` round from its start, a sweep once its lists are read (a list is every job's request).
   */
  detachable: boolean

  constructor(
    readonly loop: Loop,
    /** Its number (`Waits.rounds`): what it learns of a job is stamped with it (see `Watched`). */
    readonly seq: number,
    /** When it started (epoch ms). */
    readonly at: number,
    readonly mode: "get" | "sweep",
    /** A `get` round's due jobs, most overdue first (a sweep's: none, it serves them all). */
    readonly due: ReadonlyArray<string>,
    /** The jobs due, and those due within half their interval (not due): a sweep serves them too. */
    readonly dueJobs: number,
    readonly soonJobs: number,
    readonly watchedJobs: number
  ) {
    this.detachable = mode === "get"
  }

  /** The jobs a sweep serves: never more requests than their GETs. */
  get served(): number {
    return this.dueJobs + this.soonJobs
  }

  report(): void {
    // A round whose due waits all joined GETs on their way (carried) did nothing.
    if (this.mode === "get" && this.due.length === 0) return
    call(this.loop.engine.onRound, {
      knowledgeBaseId: this.loop.knowledgeBaseId,
      at: this.at,
      mode: this.mode,
      requests: this.requests,
      retries: this.retries,
      watchedJobs: this.watchedJobs,
      dueJobs: this.mode === "get" ? this.dueJobs : this.served,
      followUpGets: this.followUpGets,
      activeQueued: this.activeQueued,
      activeProcessing: this.activeProcessing
    })
  }
}

/**
 * The jobs whose waits are due at `at`, and those due within half their interval (a sweep serves
 * them at no extra request: see `deliver`), counted once each (a job's waits are marked with the
 * round's number). The due waits are the top of the heap: visiting them costs O(due), not
 * O(watched). A `get` round lists its due jobs, most overdue first (ties in the order the waits
 * registered), and claims them (`Waits.claim`); a sweep serves every job, in no order: it only
 * counts them. A due wait whose job's GET is on its way already (a carried round's) joins it.
 */
const dueJobs = (loop: Loop, seq: number, at: number) => {
  const dueWaits: Array<Wait> = []
  const soonWaits: Array<Wait> = []
  const joining: Array<Wait> = []
  loop.waits.polls.forEachAtMost(at + loop.waits.maxHalfInterval, (wait) => {
    if (wait.nextPollAt <= at) (wait.watched?.busy ? joining : dueWaits).push(wait)
    else if (wait.nextPollAt <= at + wait.lastIntervalMs / 2 && !wait.watched?.busy) soonWaits.push(wait)
  })
  for (const wait of joining) loop.waits.joinRequest(wait)
  const dueCount = countJobs(dueWaits, seq)
  const soonCount = countJobs(soonWaits, seq)
  if (dueCount + soonCount > loop.lastSweep.cost && loop.lastSweep.allowed())
    return { mode: "sweep" as const, due: [], dueCount, soonCount }
  dueWaits.sort((a, b) => a.nextPollAt - b.nextPollAt || a.seq - b.seq)
  const due: Array<string> = []
  for (const wait of dueWaits) {
    const watched = wait.watched
    if (watched === undefined || watched.busy) continue
    loop.waits.claim(watched, at, false)
    due.push(watched.jobId)
  }
  return { mode: "get" as const, due, dueCount, soonCount }
}

/** The jobs of `waits` not counted yet in round `seq` (each is then). */
const countJobs = (waits: ReadonlyArray<Wait>, seq: number): number => {
  let count = 0
  for (const wait of waits) {
    const watched = wait.watched
    if (watched === undefined || watched.countedIn === seq) continue
    watched.countedIn = seq
    count++
  }
  return count
}

/**
 * A GET per due job, a few at once, each in a fiber of its own (the job's last wait leaving
 * interrupts that GET alone). One due job (a single wait's every poll): the round's own fiber.
 */
const getAll = (round: Round): Effect.Effect<void> => {
  const { loop, due } = round
  if (due.length === 1) return Effect.asVoid(fetchJob(loop, due[0] as string, round, false))
  const requests = new Requests(GET_CONCURRENCY, (jobId) => fetchJobApart(loop, jobId, round, false))
  return Effect.andThen(requests.add(due), requests.join())
}

const round = (loop: Loop) =>
  Effect.gen(function* () {
    const at = yield* Clock.currentTimeMillis
    const seq = ++loop.waits.rounds
    const { mode, due, dueCount, soonCount } = dueJobs(loop, seq, at)
    const round = new Round(loop, seq, at, mode, due, dueCount, soonCount, loop.waits.byJob.size)
    loop.started(round)
    // Reported however the round ends: a round that ends the loop's last waits is interrupted by the
    // loop stopping (see `Loop.look`), after its requests went out.
    yield* Effect.ensuring(
      mode === "get" ? getAll(round) : sweep(round),
      Effect.sync(() => round.report())
    )
  })

/** A round of `loop` (after its gate, if the engine has one); its end wakes the loop. */
export const runRound = (loop: Loop): Effect.Effect<void> =>
  Effect.ensuring(
    loop.engine.gate === undefined
      ? round(loop)
      : Effect.andThen(loop.engine.gate(loop.knowledgeBaseId), round(loop)),
    Effect.withFiber((fiber) => Effect.sync(() => loop.roundEnded(fiber as Fiber.Fiber<void>)))
  )
