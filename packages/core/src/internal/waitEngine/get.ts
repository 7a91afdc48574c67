/** A GET of one job, for all its waits: a `get` round's requests, and a sweep's follow-ups. */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Result from "effect/Result"
import type { RequestOptions } from "../../IngestionJobs.js"
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
 * One GET of one job for all its waits; whatever it answers is delivered or ends them (`early`:
 * see `deliver`). Skipped (false) when none of its waits is still before its deadline, or while a
 * 429 pauses the knowledge base.
 */
export const fetchJob = (loop: Loop, jobId: string, tally: Tally, early: boolean): Effect.Effect<boolean> =>
  Effect.gen(function* () {
    const now = yield* Clock.currentTimeMillis
    // A 429 earlier in this round paused the knowledge base: the rest waits for the next round.
    if (loop.pausedUntil > now) return false
    const deadline = latestDeadline(loop, jobId, now)
    if (deadline === Number.NEGATIVE_INFINITY) return false
    tally.requests++
    const requestOptions: RequestOptions = {
      deadline,
      onRetry: retryReporter(loop, () => [jobId], tally)
    }
    const result = yield* Effect.result(loop.engine.client.poll(loop.knowledgeBaseId, jobId, requestOptions))
    const at = yield* Clock.currentTimeMillis
    if (Result.isSuccess(result)) {
      const pending: Array<Effect.Effect<void>> = []
      deliver(loop, loop.waits.byJob.get(jobId), result.success, at, early, pending)
      yield* runSteps(pending)
    } else {
      getFailed(loop, jobId, result.failure, at)
    }
    return true
  })
