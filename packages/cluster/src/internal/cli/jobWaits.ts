/**
 * The waits in the cluster of a `tensoras-cluster wait`'s jobs. Per job, it joins the wait already running (or
 * answers at once with the outcome a finished one had), or starts one that lasts until the command's deadline; a
 * wait that had timed out is started again (a new workflow: the job's next "generation"), so a job can always be
 * waited on again. The outcomes are read from PostgreSQL as they are written (announced there by the runners, see
 * `outcomeFeed.ts`), so the command needs only PostgreSQL to be reachable, not any given runner: a runner that
 * dies leaves its waits to the others, and the command goes on.
 */
import * as WaitError from "@tensoras/ingestion/WaitError"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Queue from "effect/Queue"
import * as Result from "effect/Result"
import * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import * as SqlClient from "effect/sql/SqlClient"
import type * as IngestionCluster from "../../IngestionCluster.js"
import * as WaitForIngestionJob from "../../WaitForIngestionJob.js"
import * as Outcome from "../outcome.js"
import { follow as followOutcomes } from "../outcomeFeed.js"
import { type WaitRow, waitsOf, waitsOfJobs } from "../waitRows.js"
import { migrate } from "../waitSchema.js"
import { type JobLine, toJobLine } from "./format.js"
import { type JobState, unavailable, type WaitSession } from "./waitSession.js"

/** A wait that timed out with this much of the command's time left is started again, for what is left. */
const MIN_REWAIT_MS = 1_000

/** Workflow starts in flight at once. */
const STARTERS = 32

/** The workflow payload of a job's `generation`-th wait: the first is the one every caller joins by default. */
const payloadOf = (knowledgeBaseId: string, jobId: string, generation: number, timeoutMs?: number) => ({
  knowledgeBaseId,
  jobId,
  ...(generation === 1 ? {} : { idempotencyKey: `${knowledgeBaseId}/${jobId}#${generation}` }),
  ...(timeoutMs === undefined ? {} : { timeout: Duration.millis(timeoutMs) })
})

/** The workflow execution of a job's `generation`-th wait. */
const executionIdOf = (knowledgeBaseId: string, jobId: string, generation: number): Effect.Effect<string> =>
  WaitForIngestionJob.WaitForIngestionJob.executionId(payloadOf(knowledgeBaseId, jobId, generation))

/** What the command does with its jobs' waits once connected to the cluster. */
interface Waits {
  readonly session: WaitSession
  /** The jobs whose current wait is to be started (or joined). */
  readonly starts: Queue.Queue<JobState>
  /** Starts (or joins) a job's current wait, for what is left of the command's time. */
  readonly start: (state: JobState) => Effect.Effect<void>
  /** Follows a job's `generation`-th wait from now on. */
  readonly follow: (state: JobState, generation: number) => Effect.Effect<void>
  /** A wait ended: its outcome is the job's line, unless it is a timeout with time left (then: the next wait). */
  readonly ended: (state: JobState, outcome: Outcome.OutcomeEncoded) => Effect.Effect<void>
}

const makeWaits = (
  session: WaitSession,
  context: Context.Context<IngestionCluster.Services>
): Effect.Effect<Waits> =>
  Effect.gen(function* () {
    const { knowledgeBaseId } = session.command
    const starts = yield* Queue.unbounded<JobState>()
    const follow = (state: JobState, generation: number): Effect.Effect<void> =>
      Effect.gen(function* () {
        session.following.delete(state.batchId)
        state.generation = generation
        state.batchId = yield* executionIdOf(knowledgeBaseId, state.jobId, generation)
        session.byBatch.set(state.batchId, state)
        session.following.add(state.batchId)
      })
    return {
      session,
      starts,
      // The start is a message saved in PostgreSQL for the runner of its shard: whichever runner holds that shard,
      // now or after a failover, runs it. A start that fails is tried again until the deadline.
      start: (state) =>
        WaitForIngestionJob.WaitForIngestionJob.execute(
          payloadOf(
            knowledgeBaseId,
            state.jobId,
            state.generation,
            Math.max(MIN_REWAIT_MS, session.remaining())
          ),
          { discard: true }
        ).pipe(
          Effect.timeout("15 seconds"),
          Effect.sandbox,
          Effect.retry({ schedule: Schedule.spaced("500 millis"), while: () => session.remaining() > 0 }),
          Effect.ignore,
          Effect.provideContext(context)
        ),
      follow,
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
            yield* follow(state, state.generation + 1)
            yield* Queue.offer(starts, state)
            return
          }
          yield* session.print(state, toJobLine(state.jobId, result))
        })
    }
  })

/** The line of a job whose stored outcome cannot be read. */
const undecodable = (jobId: string, message?: string): JobLine => ({
  job_id: jobId,
  outcome: "error",
  _tag: "UndecodableOutcome",
  documents_failed: null,
  ...(message === undefined ? {} : { message })
})

/** Each job's latest wait, from PostgreSQL: followed, and started when it has none, or printed when it ended. */
const lookup = (waits: Waits, sql: SqlClient.SqlClient) =>
  Effect.gen(function* () {
    const { knowledgeBaseId, jobIds } = waits.session.command
    const rowOf = new Map((yield* waitsOfJobs(sql, knowledgeBaseId, jobIds)).map((row) => [row.batchId, row]))
    const executionId = (state: JobState, generation: number) =>
      executionIdOf(knowledgeBaseId, state.jobId, generation)
    yield* Effect.forEach(
      waits.session.jobs.values(),
      (state) =>
        Effect.gen(function* () {
          // The job's latest wait: waits of a job are started one after the other (1, 2, …).
          let generation = 1
          let row = rowOf.get(yield* executionId(state, 1))
          for (;;) {
            if (row === undefined) break
            const next = rowOf.get(yield* executionId(state, generation + 1))
            if (next === undefined) break
            generation++
            row = next
          }
          yield* waits.follow(state, generation)
          if (row === undefined) yield* Queue.offer(waits.starts, state)
          else if (row.outcome !== null) yield* waits.ended(state, row.outcome)
        }),
      { discard: true }
    )
  })

/** The outcomes of the followed waits, as PostgreSQL announces them. */
const onEnded = (waits: Waits, rows: ReadonlyArray<WaitRow>): Effect.Effect<void> =>
  Effect.forEach(
    rows,
    (row) => {
      const state = waits.session.byBatch.get(row.batchId)
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
    const waits = yield* makeWaits(session, context)
    const looked = yield* session.untilDeadline(Effect.andThen(migrate(sql), lookup(waits, sql)))
    if (Option.isNone(looked)) return
    const starter = Effect.forever(Effect.flatMap(Queue.take(waits.starts), waits.start))
    yield* Effect.forkScoped(
      Effect.all(
        Array.from({ length: STARTERS }, () => starter),
        { concurrency: "unbounded", discard: true }
      )
    )
    yield* Effect.forkScoped(
      followOutcomes(sql, { following: () => session.following, onEnded: (rows) => onEnded(waits, rows) })
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
    const rows = yield* waitsOf(
      sql,
      left.map((state) => state.batchId),
      false
    ).pipe(Effect.timeout("10 seconds"), Effect.option)
    const rowOf = new Map(Option.getOrElse(rows, () => []).map((row) => [row.batchId, row]))
    for (const state of left) {
      const row = rowOf.get(state.batchId)
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
