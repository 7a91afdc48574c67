/** A GET of one job, for all its waits: a `get` round's requests, and a sweep's follow-ups. */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Result from "effect/Result"
import type { RequestOptions } from "../../IngestionJobs.js"
import { observe } from "../cadence/store.js"
import { deliver, latestDeadline, retryReporter, runSteps, type Tally } from "./delivery.js"
import type { Loop } from "./loop.js"
import { getFailed } from "./outcomes.js"

/**
 * GETs of one round in flight at once (a `get` round, and a sweep's follow-ups). Jobs that end
 * together (a sweep misses them all) would otherwise be fetched one after the other, each wait's
 * end late by the round trips of those before it.
 */
export const GET_CONCURRENCY = 8

/**
 * One GET of one job for all its waits (the job was claimed: `Waits.claim`); whatever it answers is
 * delivered or ends them (`early`: see `deliver`). Skipped (false) when none of its waits is still
 * before its deadline, or while a 429 pauses the knowledge base. Its fiber is the job's `request`
 * while it runs: the job's last wait leaving interrupts it, and nothing else.
 */
export const fetchJob = (loop: Loop, jobId: string, tally: Tally, early: boolean): Effect.Effect<boolean> =>
  Effect.withFiber((fiber) => {
    const watched = loop.waits.byJob.get(jobId)
    if (watched === undefined) return Effect.succeed(false)
    const now = loop.clock.currentTimeMillisUnsafe()
    const deadline = latestDeadline(loop, jobId, now)
    // A 429 earlier in this round paused the knowledge base: the rest waits for the next round.
    if (loop.pausedUntil > now || deadline === Number.NEGATIVE_INFINITY) {
      loop.waits.release(watched, now)
      return Effect.succeed(false)
    }
    tally.requests++
    watched.request = fiber
    const requestOptions: RequestOptions = {
      deadline,
      onRetry: retryReporter(loop, () => [jobId], tally)
    }
    const answered = Effect.flatMap(
      Effect.result(loop.engine.client.poll(loop.knowledgeBaseId, jobId, requestOptions)),
      (result) => {
        watched.busy = false
        watched.request = undefined
        const at = loop.clock.currentTimeMillisUnsafe()
        if (Result.isFailure(result)) {
          getFailed(loop, jobId, result.failure, at)
          return Effect.succeed(true)
        }
        // An ended job is what the knowledge base's cadence learns from.
        observe(loop.engine.cadence, loop.knowledgeBaseId, result.success)
        const pending: Array<Effect.Effect<void>> = []
        deliver(loop, loop.waits.byJob.get(jobId), result.success, at, early, pending)
        return Effect.as(runSteps(pending), true)
      }
    )
    // Interrupted (its last wait left, or the loop stopped), a wait it was to serve polls again.
    return Effect.ensuring(
      answered,
      Effect.sync(() => loop.waits.release(watched, loop.clock.currentTimeMillisUnsafe()))
    )
  })

/**
 * `fetchJob` in a fiber of its own, awaited: interrupting it (the job's last wait left) ends that
 * GET alone, not the round's other requests. Whether a request was sent.
 */
export const fetchJobApart = (
  loop: Loop,
  jobId: string,
  tally: Tally,
  early: boolean
): Effect.Effect<boolean> =>
  Effect.map(Effect.flatMap(Effect.forkChild(fetchJob(loop, jobId, tally, early)), Fiber.await), (exit) => {
    // Its waits have their next polls now: the loop looks (a round still waiting on another
    // request is carried once one of them falls due).
    loop.wake()
    return Exit.isSuccess(exit) && exit.value
  })
