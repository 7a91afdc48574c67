/**
 * The waits in the cluster of a `tensoras-cluster wait`'s jobs. A job with a wait that has not ended, whichever
 * workflow registered it, joins that wait; a job whose last wait ended answers at once with its outcome; the others
 * get a new wait, registered together: one `WaitForIngestionJobs` workflow per batch of up to 1,000 of them
 * (`batches.ts`), each lasting until the command's deadline. A wait that had timed out is started again (in the
 * next batch), so a job can always be waited on again. The outcomes are read from PostgreSQL as they are written
 * (announced there by the runners, see `outcomeFeed.ts`), so the command needs only PostgreSQL to be reachable,
 * not any given runner: a runner that dies leaves its waits to the others, and the command goes on.
 */
import * as WaitError from "@tensoras/ingestion/WaitError"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Queue from "effect/Queue"
import * as Result from "effect/Result"
import type * as Scope from "effect/Scope"
import * as SqlClient from "effect/sql/SqlClient"
import type * as IngestionCluster from "../../IngestionCluster.js"
import * as Outcome from "../outcome.js"
import { follow as followOutcomes } from "../outcomeFeed.js"
import { type LatestWait, latestWaitsOfJobs, type WaitRow, waitsOfKeys } from "../waitRows.js"
import { migrate } from "../waitSchema.js"
import * as Batches from "./batches.js"
import { type JobLine, toJobLine } from "./format.js"
import { type JobState, unavailable, type WaitSession } from "./waitSession.js"

/** A wait that timed out with this much of the command's time left is started again, for what is left. */
const MIN_REWAIT_MS = 1_000

/** Batches being started at once. */
const STARTERS = 4

/** What the command does with its jobs' waits once connected to the cluster. */
interface Waits {
  readonly session: WaitSession
  /** The jobs that need a new wait, taken a batch at a time. */
  readonly starts: Queue.Queue<JobState>
  /** Takes the jobs waiting for a new wait (up to a batch), follows them in their batch, and starts it. */
  readonly startBatch: Effect.Effect<void>
  /** A wait ended: its outcome is the job's line, unless it is a timeout with time left (then: a new wait). */
  readonly ended: (state: JobState, outcome: Outcome.OutcomeEncoded) => Effect.Effect<void>
}

/** The line of a job whose stored outcome cannot be read. */
const undecodable = (jobId: string, message?: string): JobLine => ({
  job_id: jobId,
  outcome: "error",
  _tag: "UndecodableOutcome",
  documents_failed: null,
  ...(message === undefined ? {} : { message })
})

const makeWaits = (
  session: WaitSession,
  context: Context.Context<IngestionCluster.Services>
): Effect.Effect<Waits> =>
  Effect.gen(function* () {
    const { knowledgeBaseId } = session.command
    const starts = yield* Queue.unbounded<JobState>()
    return {
      session,
      starts,
      startBatch: Effect.gen(function* () {
        // What piled up, in the order it came: a batch's jobs (and so its name) depend only on what PostgreSQL
        // said of them, so the same command run again after a crash joins the batch this one started.
        const jobs = Array.from(yield* Queue.takeBetween(starts, 1, Batches.BATCH_SIZE))
        const payload = Batches.payloadOf(knowledgeBaseId, jobs, Math.max(MIN_REWAIT_MS, session.remaining()))
        const batchId = yield* Batches.executionIdOf(payload)
        for (const state of jobs) {
          session.follow(state, batchId)
          state.waits++
        }
        yield* Effect.provideContext(
          Batches.start(payload, () => session.remaining() > 0),
          context
        )
      }),
      ended: (state, outcome) =>
        Effect.gen(function* () {
          if (state.printed) return
          const decoded = yield* Effect.result(Outcome.decode(outcome))
          if (Result.isFailure(decoded)) {
            return yield* session.print(
              state,
              undecodable(state.jobId, "the stored outcome could not be read")
            )
          }
          const result = decoded.success
          if (
            Result.isFailure(result) &&
            result.failure._tag === "WaitTimeout" &&
            session.remaining() > MIN_REWAIT_MS
          ) {
            // No longer following the wait that timed out (a second read of it changes nothing): the next one.
            session.follow(state, "")
            yield* Queue.offer(starts, state)
            return
          }
          yield* session.print(state, toJobLine(state.jobId, result))
        })
    }
  })

/** Each job's latest wait in PostgreSQL: followed; printed when it ended; a new wait when it has none. */
const lookedUp = (waits: Waits, latest: ReadonlyArray<LatestWait>): Effect.Effect<void> => {
  const latestOf = new Map(latest.map((row) => [row.jobId, row]))
  return Effect.forEach(
    waits.session.jobs.values(),
    (state) => {
      const row = latestOf.get(state.jobId)
      if (row === undefined) return Queue.offer(waits.starts, state)
      state.waits = row.waits
      waits.session.follow(state, row.batchId)
      return row.outcome === null ? Effect.void : waits.ended(state, row.outcome)
    },
    { discard: true }
  )
}

/** The outcomes of the followed waits, as PostgreSQL announces them. */
const onEnded = (waits: Waits, rows: ReadonlyArray<WaitRow>): Effect.Effect<void> =>
  Effect.forEach(
    rows,
    (row) => {
      const state = waits.session.jobs.get(row.jobId)
      return state === undefined || state.batchId !== row.batchId || row.outcome === null
        ? Effect.void
        : waits.ended(state, row.outcome)
    },
    { discard: true }
  )

/**
 * Joins or starts every job's wait and prints each job's line as its wait ends, until all are printed or the
 * deadline (PostgreSQL tried again until then).
 */
export const followJobs = (
  session: WaitSession,
  context: Context.Context<IngestionCluster.Services>
): Effect.Effect<void, never, Scope.Scope> =>
  Effect.gen(function* () {
    const sql = Context.get(context, SqlClient.SqlClient)
    const { knowledgeBaseId, jobIds } = session.command
    const latest = yield* session.untilDeadline(
      Effect.andThen(migrate(sql), latestWaitsOfJobs(sql, knowledgeBaseId, jobIds))
    )
    if (Option.isNone(latest)) return
    const waits = yield* makeWaits(session, context)
    yield* lookedUp(waits, latest.value)
    yield* Effect.forkScoped(
      Effect.all(
        Array.from({ length: STARTERS }, () => Effect.forever(waits.startBatch)),
        { concurrency: "unbounded", discard: true }
      )
    )
    yield* Effect.forkScoped(
      followOutcomes(sql, {
        following: () => session.following,
        read: Effect.suspend(() => waitsOfKeys(sql, session.followedKeys(), true)),
        onEnded: (rows) => onEnded(waits, rows)
      })
    )
    yield* session.awaitAllPrinted
  })

/**
 * The deadline: what is still running timed out (with what its polls saw); what no runner took up, and every
 * job when PostgreSQL cannot be read, is the cluster's failure to answer.
 */
export const printAtDeadline = (session: WaitSession, sql: SqlClient.SqlClient): Effect.Effect<void> =>
  Effect.gen(function* () {
    const left = Array.from(session.jobs.values()).filter((state) => !state.printed)
    if (left.length === 0) return
    const keys = left.filter((state) => state.batchId !== "")
    const rows = yield* waitsOfKeys(sql, keys, false).pipe(Effect.timeout("10 seconds"), Effect.option)
    const keyOf = (wait: { readonly batchId: string; readonly jobId: string }) =>
      `${wait.batchId}\u0000${wait.jobId}`
    const rowOf = new Map(Option.getOrElse(rows, () => []).map((row) => [keyOf(row), row]))
    for (const state of left) {
      const row = rowOf.get(keyOf(state))
      if (row === undefined) {
        yield* session.print(state, unavailable(state.jobId))
      } else if (row.outcome !== null) {
        const decoded = yield* Effect.result(Outcome.decode(row.outcome))
        yield* session.print(
          state,
          Result.isSuccess(decoded) ? toJobLine(state.jobId, decoded.success) : undecodable(state.jobId)
        )
      } else {
        const timedOut = WaitError.timedOut({
          lastJob: row.lastJob,
          elapsedMs: Date.now() - session.startedAt,
          observed: row.observed ?? { responses: 0, retries: 0, statuses: {}, httpStatuses: {} }
        })
        yield* session.print(state, toJobLine(state.jobId, Result.fail(timedOut)))
      }
    }
  })
