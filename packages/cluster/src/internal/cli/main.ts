/**
 * Runs a parsed `tensoras-cluster` command on the Effect runtime.
 */

import * as ExitCode from "@tensoras/ingestion/ExitCode"
import * as PollSchedule from "@tensoras/ingestion/PollSchedule"
import * as WaitError from "@tensoras/ingestion/WaitError"
import { NodeIngestion } from "@tensoras/ingestion-node"
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as ShardId from "effect/cluster/ShardId"
import { Sharding } from "effect/cluster/Sharding"
import * as ShardingConfig from "effect/cluster/ShardingConfig"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as Option from "effect/Option"
import * as Queue from "effect/Queue"
import * as References from "effect/References"
import * as Result from "effect/Result"
import * as Schedule from "effect/Schedule"
import * as Scope from "effect/Scope"
import * as SqlClient from "effect/sql/SqlClient"
import * as IngestionCluster from "../../IngestionCluster.js"
import * as WaitForIngestionJob from "../../WaitForIngestionJob.js"
import * as Outcome from "../outcome.js"
import { follow as followOutcomes } from "../outcomeFeed.js"
import { DEFAULT_TIMEOUT } from "../register.js"
import { migrate, waitsOf, waitsOfJobs } from "../waitStore.js"
import type { Command, RunnerCommand, WaitCommand } from "./args.js"
import { type JobLine, toHuman, toJobLine } from "./format.js"

type Scrub = (text: string) => string

const write = (scrub: Scrub, line: string): Effect.Effect<void> =>
  Effect.sync(() => {
    process.stdout.write(`${scrub(line)}\n`)
  })

const runner = (command: RunnerCommand, scrub: Scrub): Effect.Effect<number, unknown> => {
  const live = IngestionCluster.runner({
    databaseUrl: command.databaseUrl,
    host: command.host,
    port: command.port,
    listenHost: command.listenHost,
    apiKey: command.apiKey,
    baseUrl: command.baseUrl,
    schedule: command.pollIntervalMs === undefined ? undefined : PollSchedule.fixed(command.pollIntervalMs),
    onRound: command.json
      ? (report) => process.stdout.write(`${JSON.stringify({ event: "round", ...report })}\n`)
      : undefined
  })
  const address = `${command.host}:${command.port}`
  return Effect.gen(function* () {
    const context = yield* Layer.build(live)
    yield* write(
      scrub,
      command.json ? JSON.stringify({ event: "ready", address, pid: process.pid }) : `runner ${address} ready`
    )
    if (command.json) yield* Effect.forkScoped(reportShards(Context.get(context, Sharding), scrub))
    return yield* Effect.never
  }).pipe(Effect.scoped, Effect.as(0))
}

/**
 * `{"event":"shards","held":N}` each time the count of shards this runner holds changes (checked every
 * second): shards move between runners as they join and leave, and a message sent while its shard moves
 * may wait until SqlMessageStorage reads it again (minutes). Operators and tests can wait for it to settle.
 */
const reportShards = (sharding: Sharding["Service"], scrub: Scrub): Effect.Effect<never> => {
  const { assignedShardGroups, shardsPerGroup } = ShardingConfig.defaults
  let reported = -1
  const held = (): number => {
    let count = 0
    for (const group of assignedShardGroups)
      for (let id = 1; id <= shardsPerGroup; id++) if (sharding.hasShardId(ShardId.make(group, id))) count++
    return count
  }
  return Effect.suspend(() => {
    const now = held()
    if (now === reported) return Effect.void
    reported = now
    return write(scrub, JSON.stringify({ event: "shards", held: now }))
  }).pipe(Effect.repeat(Schedule.spaced("1 second")), Effect.andThen(Effect.never))
}

/** `tensoras-cluster wait`'s exit code when it could not reach the cluster before its deadline (`EX_UNAVAILABLE`). */
export const UNREACHABLE_EXIT_CODE = 69

/** A wait that timed out with this much of the command's time left is started again, for what is left. */
const MIN_REWAIT_MS = 1_000

/** The workflow payload of a job's `generation`-th wait: the first is the one every caller joins by default. */
const payloadOf = (knowledgeBaseId: string, jobId: string, generation: number, timeoutMs?: number) => ({
  knowledgeBaseId,
  jobId,
  ...(generation === 1 ? {} : { idempotencyKey: `${knowledgeBaseId}/${jobId}#${generation}` }),
  ...(timeoutMs === undefined ? {} : { timeout: Duration.millis(timeoutMs) })
})

interface JobState {
  readonly jobId: string
  generation: number
  batchId: string
  printed: boolean
}

/**
 * `tensoras-cluster wait`. Its deadline is its own: `--timeout` (default 30 minutes) from the command's start.
 * Per job, it joins the wait already running (or answers at once with the outcome a finished one had), or
 * starts one that lasts until the command's deadline; a wait that had timed out is started again (a new
 * workflow: the job's next "generation"), so a job can always be waited on again. The outcomes are read from
 * PostgreSQL as they are written (announced there by the runners, see `outcomeFeed.ts`), so the command needs
 * only PostgreSQL to be reachable, not any given runner: a runner that dies leaves its waits to the others, and
 * the command goes on. At its deadline, a job still running is `timed_out` (with what its polls saw so far), and
 * a job no runner took up is `ClusterUnavailable`, which makes the exit code {@link UNREACHABLE_EXIT_CODE}.
 */
const wait = (command: WaitCommand, scrub: Scrub): Effect.Effect<number, unknown> =>
  Effect.gen(function* () {
    const startedAt = Date.now()
    const deadline = startedAt + (command.timeoutMs ?? Duration.toMillis(DEFAULT_TIMEOUT))
    const remaining = () => deadline - Date.now()
    const { knowledgeBaseId } = command
    const jobs = new Map<string, JobState>(
      command.jobIds.map((jobId) => [jobId, { jobId, generation: 1, batchId: "", printed: false }])
    )
    const byBatch = new Map<string, JobState>()
    const following = new Set<string>()
    const allPrinted = yield* Deferred.make<void>()
    let printedCount = 0
    let unreachable = false
    let completed = 0

    const print = (state: JobState, line: JobLine): Effect.Effect<void> =>
      Effect.suspend(() => {
        if (state.printed) return Effect.void
        state.printed = true
        following.delete(state.batchId)
        if (line.outcome === "completed") completed++
        if (line._tag === "ClusterUnavailable") unreachable = true
        printedCount++
        return write(scrub, command.json ? JSON.stringify(line) : toHuman(line)).pipe(
          Effect.andThen(printedCount === jobs.size ? Deferred.succeed(allPrinted, undefined) : Effect.void)
        )
      })

    // The client of the cluster, and its database: tried again until the deadline, then given up (`None`).
    const untilDeadline = <A, E, R>(
      effect: Effect.Effect<A, E, R>
    ): Effect.Effect<Option.Option<A>, never, R> =>
      effect.pipe(
        Effect.sandbox,
        Effect.retry({ schedule: Schedule.spaced("1 second"), while: () => remaining() > 0 }),
        Effect.timeoutOption(Duration.millis(Math.max(1, remaining()))),
        Effect.catch(() => Effect.succeed(Option.none<A>()))
      )
    const outerScope = yield* Effect.scope
    const connected = yield* untilDeadline(
      Effect.gen(function* () {
        const scope = yield* Scope.fork(outerScope, "sequential")
        return yield* Layer.buildWithScope(
          IngestionCluster.client({ databaseUrl: command.databaseUrl }),
          scope
        ).pipe(Effect.onError((cause) => Scope.close(scope, Exit.failCause(cause))))
      })
    )
    if (Option.isNone(connected)) {
      for (const state of jobs.values()) yield* print(state, unavailable(state.jobId))
      return UNREACHABLE_EXIT_CODE
    }
    const context = connected.value
    const sql = Context.get(context, SqlClient.SqlClient)

    const executionIdOf = (jobId: string, generation: number) =>
      WaitForIngestionJob.WaitForIngestionJob.executionId(payloadOf(knowledgeBaseId, jobId, generation))

    // Starts (or joins: the same workflow execution) a job's current wait, for what is left of the command's time.
    // The start is a message saved in PostgreSQL for the runner of its shard: whichever runner holds that shard,
    // now or after a failover, runs it. A start that fails is tried again until the deadline.
    const starts = yield* Queue.unbounded<JobState>()
    const start = (state: JobState): Effect.Effect<void> =>
      WaitForIngestionJob.WaitForIngestionJob.execute(
        payloadOf(knowledgeBaseId, state.jobId, state.generation, Math.max(MIN_REWAIT_MS, remaining())),
        { discard: true }
      ).pipe(
        Effect.timeout("15 seconds"),
        Effect.sandbox,
        Effect.retry({ schedule: Schedule.spaced("500 millis"), while: () => remaining() > 0 }),
        Effect.ignore,
        Effect.provideContext(context)
      )
    const follow = (state: JobState, generation: number): Effect.Effect<void> =>
      Effect.gen(function* () {
        following.delete(state.batchId)
        state.generation = generation
        state.batchId = yield* executionIdOf(state.jobId, generation)
        byBatch.set(state.batchId, state)
        following.add(state.batchId)
      })

    // An ended wait: its outcome is the job's line, unless it is a timeout with time left (then: the next wait).
    const ended = (state: JobState, outcome: Outcome.OutcomeEncoded): Effect.Effect<void> =>
      Effect.gen(function* () {
        if (state.printed) return
        const decoded = yield* Effect.result(Outcome.decode(outcome))
        if (Result.isFailure(decoded)) {
          return yield* print(state, {
            job_id: state.jobId,
            outcome: "error",
            _tag: "UndecodableOutcome",
            documents_failed: null,
            message: "the stored outcome could not be read"
          })
        }
        const result = decoded.success
        if (
          Result.isFailure(result) &&
          result.failure._tag === "WaitTimeout" &&
          remaining() > MIN_REWAIT_MS
        ) {
          yield* follow(state, state.generation + 1)
          yield* Queue.offer(starts, state)
          return
        }
        yield* print(state, toJobLine(state.jobId, result))
      })

    const lookup = Effect.gen(function* () {
      const rows = yield* waitsOfJobs(sql, knowledgeBaseId, command.jobIds)
      const rowOf = new Map(rows.map((row) => [row.batchId, row]))
      yield* Effect.forEach(
        jobs.values(),
        (state) =>
          Effect.gen(function* () {
            // The job's latest wait: waits of a job are started one after the other (1, 2, …).
            let generation = 1
            let row = rowOf.get(yield* executionIdOf(state.jobId, 1))
            for (;;) {
              if (row === undefined) break
              const next = rowOf.get(yield* executionIdOf(state.jobId, generation + 1))
              if (next === undefined) break
              generation++
              row = next
            }
            yield* follow(state, generation)
            if (row === undefined) yield* Queue.offer(starts, state)
            else if (row.outcome !== null) yield* ended(state, row.outcome)
          }),
        { discard: true }
      )
    })
    const looked = yield* untilDeadline(Effect.andThen(migrate(sql), lookup))
    if (Option.isSome(looked)) {
      const starter = Effect.forever(Effect.flatMap(Queue.take(starts), start))
      yield* Effect.forkScoped(
        Effect.all(
          Array.from({ length: 32 }, () => starter),
          { concurrency: "unbounded", discard: true }
        )
      )
      yield* Effect.forkScoped(
        followOutcomes(sql, {
          following: () => following,
          onEnded: (rows) =>
            Effect.forEach(
              rows,
              (row) => {
                const state = byBatch.get(row.batchId)
                return state === undefined || state.batchId !== row.batchId || row.outcome === null
                  ? Effect.void
                  : ended(state, row.outcome)
              },
              { discard: true }
            )
        })
      )
      if (printedCount < jobs.size) {
        yield* Deferred.await(allPrinted).pipe(
          Effect.timeoutOption(Duration.millis(Math.max(0, remaining())))
        )
      }
    }

    // The deadline: what is still running timed out (with what its polls saw); what no runner took up, and every
    // job when PostgreSQL cannot be read, is the cluster's failure to answer.
    const left = Array.from(jobs.values()).filter((state) => !state.printed)
    if (left.length > 0) {
      const rows = yield* waitsOf(
        sql,
        left.map((state) => state.batchId),
        false
      ).pipe(Effect.timeout("10 seconds"), Effect.option)
      const rowOf = new Map(Option.getOrElse(rows, () => []).map((row) => [row.batchId, row]))
      for (const state of left) {
        const row = rowOf.get(state.batchId)
        if (row === undefined) {
          yield* print(state, unavailable(state.jobId))
        } else if (row.outcome !== null) {
          const decoded = yield* Effect.result(Outcome.decode(row.outcome))
          yield* print(
            state,
            Result.isSuccess(decoded)
              ? toJobLine(state.jobId, decoded.success)
              : { job_id: state.jobId, outcome: "error", _tag: "UndecodableOutcome", documents_failed: null }
          )
        } else {
          yield* print(
            state,
            toJobLine(
              state.jobId,
              Result.fail(
                WaitError.timedOut({
                  lastJob: row.lastJob,
                  elapsedMs: Date.now() - startedAt,
                  observed: row.observed ?? { responses: 0, retries: 0, statuses: {}, httpStatuses: {} }
                })
              )
            )
          )
        }
      }
    }
    return unreachable ? UNREACHABLE_EXIT_CODE : completed === jobs.size ? 0 : 1
  }).pipe(Effect.scoped)

/** The line of a job whose wait no runner took up before the command's deadline. */
const unavailable = (jobId: string): JobLine => ({
  job_id: jobId,
  outcome: "error",
  _tag: "ClusterUnavailable",
  documents_failed: null,
  message:
    "the cluster did not take up the wait before the deadline (are runners running, and PostgreSQL reachable?)"
})

const describe = (cause: Cause.Cause<unknown>): string => {
  const failure = Cause.findErrorOption(cause)
  if (Option.isSome(failure)) {
    const error = failure.value as { readonly _tag?: string; readonly message?: string }
    return `${error._tag ?? "Error"}: ${error.message ?? String(error)}`
  }
  return Cause.pretty(cause)
}

/**
 * Effect's log lines (the runners' warnings: PostgreSQL unreachable, a registration retried, …) through the
 * command's scrubber, on standard error: an error's text may quote a URL or a header with a secret in it.
 */
export const withScrubbedLogs = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  scrub: Scrub,
  write: (line: string) => void = (line) => {
    process.stderr.write(line)
  }
): Effect.Effect<A, E, R> =>
  effect.pipe(
    Effect.provideService(References.MinimumLogLevel, "Warn"),
    Effect.provideService(
      Logger.CurrentLoggers,
      new Set([
        Logger.make((options) => {
          write(`${scrub(Logger.formatSimple.log(options))}\n`)
        })
      ])
    )
  )

/**
 * Runs the command until it ends or a signal interrupts it: its own exit code, 1 when it failed. A
 * runner drains on SIGINT / SIGTERM and exits 0; an interrupted `wait` (its waits keep running in
 * the cluster) exits 130 / 143, and only then: 130 / 143 mean a signal, never the cluster's trouble.
 */
export const main = (command: Command, scrub: Scrub): void =>
  NodeIngestion.runMain(
    (command._tag === "Runner" ? runner(command, scrub) : wait(command, scrub)).pipe(
      Effect.tapCause((cause) =>
        Cause.hasInterruptsOnly(cause)
          ? Effect.void
          : Effect.sync(() => process.stderr.write(`${scrub(`error: ${describe(cause)}`)}\n`))
      ),
      (program) => withScrubbedLogs(program, scrub)
    ),
    {
      disableErrorReporting: true,
      disablePrettyLogger: true,
      exitCode: (exit, signal) => {
        if (signal !== undefined) return command._tag === "Runner" ? ExitCode.ok : ExitCode.ofSignal(signal)
        if (Exit.isSuccess(exit)) return exit.value
        return ExitCode.jobFailed
      }
    }
  )
