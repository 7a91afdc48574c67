/**
 * A round of a loop: the jobs whose waits are due, learned in the cheaper way (a GET each, or the
 * active-set sweep), then reported (`EngineOptions.onRound`).
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import type { Tally } from "./delivery.js"
import { fetchJob, GET_CONCURRENCY } from "./get.js"
import type { Loop } from "./loop.js"
import { call, type Wait } from "./registry.js"
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

  constructor(
    readonly loop: Loop,
    /** When it started (epoch ms). */
    readonly at: number,
    readonly mode: "get" | "sweep",
    /** The due jobs, most overdue first. */
    readonly due: ReadonlyArray<string>,
    /** The jobs due within half their interval (not due): a sweep serves them too. */
    readonly soon: ReadonlySet<string>,
    readonly watchedJobs: number
  ) {}

  /** The jobs a sweep serves: never more requests than their GETs. */
  get served(): number {
    return this.due.length + this.soon.size
  }

  report(): void {
    call(this.loop.engine.onRound, {
      knowledgeBaseId: this.loop.knowledgeBaseId,
      at: this.at,
      mode: this.mode,
      requests: this.requests,
      retries: this.retries,
      watchedJobs: this.watchedJobs,
      dueJobs: this.mode === "get" ? this.due.length : this.served,
      followUpGets: this.followUpGets,
      activeQueued: this.activeQueued,
      activeProcessing: this.activeProcessing
    })
  }
}

/**
 * The jobs whose waits are due at `at`, and those due within half their interval (a sweep serves
 * them at no extra request: see `deliver`). The due waits are the top of the heap: visiting them
 * costs O(due), not O(watched). Most overdue first; ties in the order the waits registered.
 */
const dueJobs = (loop: Loop, at: number) => {
  const dueWaits: Array<Wait> = []
  const soon = new Set<string>()
  loop.waits.polls.forEachAtMost(at + loop.waits.maxHalfInterval, (wait) => {
    if (wait.nextPollAt <= at) dueWaits.push(wait)
    else if (wait.nextPollAt <= at + wait.lastIntervalMs / 2) soon.add(wait.jobId)
  })
  dueWaits.sort((a, b) => a.nextPollAt - b.nextPollAt || a.seq - b.seq)
  const due = [...new Set(dueWaits.map((wait) => wait.jobId))]
  for (const jobId of due) soon.delete(jobId)
  return { due, soon }
}

/** A GET per due job, a few at once. */
const getAll = (round: Round): Effect.Effect<void> => {
  const { loop, due } = round
  // One due job (a single wait's every poll): no concurrent forEach, which forks a fiber.
  return due.length === 1
    ? Effect.asVoid(fetchJob(loop, due[0] as string, round, false))
    : Effect.forEach(due, (jobId) => fetchJob(loop, jobId, round, false), {
        concurrency: GET_CONCURRENCY,
        discard: true
      })
}

const round = (loop: Loop) =>
  Effect.gen(function* () {
    const at = yield* Clock.currentTimeMillis
    const { due, soon } = dueJobs(loop, at)
    const mode = due.length + soon.size <= loop.lastSweep.cost ? "get" : "sweep"
    const round = new Round(loop, at, mode, due, soon, loop.waits.byJob.size)
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
    Effect.sync(() => loop.roundEnded())
  )
