/**
 * Runs a parsed `tensoras-cluster` command on the Effect runtime.
 */

import * as ExitCode from "@tensoras/ingestion/ExitCode"
import * as IngestionPlatform from "@tensoras/ingestion/IngestionPlatform"
import * as PollSchedule from "@tensoras/ingestion/PollSchedule"
import { NodeIngestion } from "@tensoras/ingestion-node"
import * as Context from "effect/Context"
import * as ShardId from "effect/cluster/ShardId"
import { Sharding } from "effect/cluster/Sharding"
import * as ShardingConfig from "effect/cluster/ShardingConfig"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as References from "effect/References"
import * as Schedule from "effect/Schedule"
import * as Scope from "effect/Scope"
import * as SqlClient from "effect/sql/SqlClient"
import * as IngestionCluster from "../../IngestionCluster.js"
import type { Command, RunnerCommand, UiCommand, WaitCommand } from "./args.js"
import { followJobs, printAtDeadline } from "./jobWaits.js"
import * as WaitSession from "./waitSession.js"

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

/** The cluster's client and its database, in a scope of its own: an attempt that fails releases what it built. */
const connect = (databaseUrl: string, outer: Scope.Scope) =>
  Effect.gen(function* () {
    const scope = yield* Scope.fork(outer, "sequential")
    return yield* Layer.buildWithScope(IngestionCluster.client({ databaseUrl }), scope).pipe(
      Effect.onError((cause) => Scope.close(scope, Exit.failCause(cause)))
    )
  })

/**
 * `tensoras-cluster wait`. Its deadline is its own: `--timeout` (default 30 minutes) from the command's start.
 * Per job, it joins the wait running in the cluster, or registers a new one (in batches: one workflow per 1,000
 * jobs, `batches.ts`), and prints its line when it ends (`jobWaits.ts`). At its
 * deadline, a job still running is `timed_out` (with what its polls saw so far), and a job no runner took up is
 * `ClusterUnavailable`, which makes the exit code {@link WaitSession.UNREACHABLE_EXIT_CODE}.
 */
const wait = (command: WaitCommand, scrub: Scrub): Effect.Effect<number, unknown> =>
  Effect.gen(function* () {
    const session = yield* WaitSession.make(command, (line) => write(scrub, line))
    const connected = yield* session.untilDeadline(connect(command.databaseUrl, yield* Effect.scope))
    if (Option.isNone(connected)) {
      for (const state of session.jobs.values())
        yield* session.print(state, WaitSession.unavailable(state.jobId))
      return WaitSession.UNREACHABLE_EXIT_CODE
    }
    yield* followJobs(session, connected.value)
    yield* printAtDeadline(session, Context.get(connected.value, SqlClient.SqlClient))
    return session.exitCode()
  }).pipe(Effect.scoped)

/**
 * `tensoras-cluster ui`: the URL is `Redacted` before anything else sees it (`ui/command.ts`); loaded only for
 * this command (it serves a page: the web server's modules are not the other commands' business).
 */
const ui = (command: UiCommand, scrub: Scrub): Effect.Effect<number, unknown> =>
  Effect.flatMap(
    Effect.promise(() => import("../ui/command.js")),
    ({ runUi }) =>
      runUi(
        {
          databaseUrl: Redacted.make(command.databaseUrl),
          port: command.port,
          intervalMs: command.intervalMs
        },
        scrub
      )
  )

const run = (command: Command, scrub: Scrub): Effect.Effect<number, unknown> => {
  switch (command._tag) {
    case "Runner":
      return runner(command, scrub)
    case "Wait":
      return wait(command, scrub)
    case "Ui":
      return ui(command, scrub)
  }
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
 * Runs the command until it ends or a signal interrupts it: its own exit code; when it failed, core's report
 * (`IngestionPlatform.failureReport`: `Tag: message`, scrubbed) on stderr and `ExitCode.ofExit`'s code (2 for
 * bad input, such as a key it cannot send: an id the API would refuse is found while parsing, `args.ts`; 1 for
 * anything else). A runner drains on SIGINT / SIGTERM and exits 0; an interrupted `wait` (its waits keep running
 * in the cluster) or `ui` exits 130 / 143, and only then: 130 / 143 mean a signal, never the cluster's trouble.
 */
export const main = (command: Command, scrub: Scrub): void =>
  NodeIngestion.runMain(
    run(command, scrub).pipe(
      Effect.tapCause((cause) => {
        const report = IngestionPlatform.failureReport(cause)
        return report === undefined
          ? Effect.void
          : Effect.sync(() => process.stderr.write(`${scrub(`error: ${report}`)}\n`))
      }),
      (program) => withScrubbedLogs(program, scrub)
    ),
    {
      disableErrorReporting: true,
      disablePrettyLogger: true,
      exitCode: (exit, signal) => {
        if (signal !== undefined) return command._tag === "Runner" ? ExitCode.ok : ExitCode.ofSignal(signal)
        return Exit.isSuccess(exit) ? exit.value : ExitCode.ofExit(exit, undefined)
      }
    }
  )
