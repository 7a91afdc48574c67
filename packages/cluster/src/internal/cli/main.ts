/**
 * Runs a parsed `tensoras-cluster` command on the Effect runtime.
 */

import * as ExitCode from "@tensoras/ingestion/ExitCode"
import * as PollSchedule from "@tensoras/ingestion/PollSchedule"
import { NodeIngestion } from "@tensoras/ingestion-node"
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as ShardId from "effect/cluster/ShardId"
import { Sharding } from "effect/cluster/Sharding"
import * as ShardingConfig from "effect/cluster/ShardingConfig"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as References from "effect/References"
import * as Schedule from "effect/Schedule"
import * as IngestionCluster from "../../IngestionCluster.js"
import * as WaitForIngestionJob from "../../WaitForIngestionJob.js"
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

const wait = (command: WaitCommand, scrub: Scrub): Effect.Effect<number, unknown> => {
  const payload = (jobId: string) => ({
    knowledgeBaseId: command.knowledgeBaseId,
    jobId,
    ...(command.timeoutMs === undefined ? {} : { timeout: Duration.millis(command.timeoutMs) })
  })
  const lines: Array<JobLine> = []
  return Effect.gen(function* () {
    // Start (or join) every wait first, so that none waits for another to be started.
    yield* Effect.forEach(
      command.jobIds,
      (jobId) => WaitForIngestionJob.WaitForIngestionJob.execute(payload(jobId), { discard: true }),
      { concurrency: 32, discard: true }
    )
    yield* Effect.forEach(
      command.jobIds,
      (jobId) =>
        WaitForIngestionJob.WaitForIngestionJob.execute(payload(jobId)).pipe(
          Effect.result,
          Effect.flatMap((result) => {
            const line = toJobLine(jobId, result)
            lines.push(line)
            return write(scrub, command.json ? JSON.stringify(line) : toHuman(line))
          })
        ),
      { concurrency: "unbounded", discard: true }
    )
    return lines.every((line) => line.outcome === "completed") ? 0 : 1
  }).pipe(Effect.provide(IngestionCluster.client({ databaseUrl: command.databaseUrl })))
}

const describe = (cause: Cause.Cause<unknown>): string => {
  const failure = Cause.findErrorOption(cause)
  if (Option.isSome(failure)) {
    const error = failure.value as { readonly _tag?: string; readonly message?: string }
    return `${error._tag ?? "Error"}: ${error.message ?? String(error)}`
  }
  return Cause.pretty(cause)
}

/**
 * Runs the command until it ends or a signal interrupts it: its own exit code, 1 when it failed. A
 * runner drains on SIGINT / SIGTERM and exits 0; an interrupted `wait` (its waits keep running in
 * the cluster) exits 130 / 143.
 */
export const main = (command: Command, scrub: Scrub): void =>
  NodeIngestion.runMain(
    (command._tag === "Runner" ? runner(command, scrub) : wait(command, scrub)).pipe(
      Effect.tapCause((cause) =>
        Cause.hasInterruptsOnly(cause)
          ? Effect.void
          : Effect.sync(() => process.stderr.write(`${scrub(`error: ${describe(cause)}`)}\n`))
      ),
      Effect.provideService(References.MinimumLogLevel, "Warn")
    ),
    {
      disableErrorReporting: true,
      exitCode: (exit, signal) => {
        if (Exit.isSuccess(exit)) return exit.value
        if (Exit.hasInterrupts(exit)) {
          return command._tag === "Runner" ? ExitCode.ok : ExitCode.ofSignal(signal ?? "SIGINT")
        }
        return ExitCode.jobFailed
      }
    }
  )
