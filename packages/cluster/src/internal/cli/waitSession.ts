/**
 * The state of one `tensoras-cluster wait`: its deadline, each job's current wait (the workflow execution, or batch,
 * whose row it follows), the one line printed per job, and the exit code those lines make.
 */
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import { DEFAULT_TIMEOUT } from "../register.js"
import type { WaitKey } from "../waitRows.js"
import type { WaitCommand } from "./args.js"
import { type JobLine, toHuman } from "./format.js"

/** `tensoras-cluster wait`'s exit code when it could not reach the cluster before its deadline (`EX_UNAVAILABLE`). */
export const UNREACHABLE_EXIT_CODE = 69

/** A job of the command, and its current wait. */
export interface JobState {
  readonly jobId: string
  /** The workflow execution (batch) that registered the wait followed now: `""` when none is (yet). */
  batchId: string
  /** How many waits the job had in PostgreSQL, as far as the command knows: names the batch of its next one. */
  waits: number
  printed: boolean
}

export interface WaitSession {
  readonly command: WaitCommand
  /** When the command started (epoch milliseconds). */
  readonly startedAt: number
  /** Milliseconds left until the command's deadline (`--timeout`, default 30 minutes, from its start). */
  readonly remaining: () => number
  readonly jobs: ReadonlyMap<string, JobState>
  /** The batches whose waits are awaited now, each with the jobs of the command it registered. */
  readonly following: ReadonlyMap<string, ReadonlySet<JobState>>
  /** Follows a job's wait in this batch from now on (`""`: none until its next one is started). */
  readonly follow: (state: JobState, batchId: string) => void
  /** The waits awaited now, each by its batch and job. */
  readonly followedKeys: () => ReadonlyArray<WaitKey>
  /** Prints a job's line, once: what comes after for the same job is dropped. */
  readonly print: (state: JobState, line: JobLine) => Effect.Effect<void>
  /** Waits until every job's line is printed, or the deadline. */
  readonly awaitAllPrinted: Effect.Effect<void>
  /** The effect, tried again every second until the deadline, then given up (`None`). */
  readonly untilDeadline: <A, E, R>(
    effect: Effect.Effect<A, E, R>
  ) => Effect.Effect<Option.Option<A>, never, R>
  /** 0 every job completed; 1 some did not; {@link UNREACHABLE_EXIT_CODE} some wait no runner took up. */
  readonly exitCode: () => number
}

/** The line of a job whose wait no runner took up before the command's deadline. */
export const unavailable = (jobId: string): JobLine => ({
  job_id: jobId,
  outcome: "error",
  _tag: "ClusterUnavailable",
  documents_failed: null,
  message:
    "the cluster did not take up the wait before the deadline (are runners running, and PostgreSQL reachable?)"
})

/** Which jobs follow which batch: a job follows one batch at a time, until its line is printed. */
const followers = () => {
  const following = new Map<string, Set<JobState>>()
  const leave = (state: JobState): void => {
    const jobs = following.get(state.batchId)
    jobs?.delete(state)
    if (jobs?.size === 0) following.delete(state.batchId)
  }
  const follow = (state: JobState, batchId: string): void => {
    leave(state)
    state.batchId = batchId
    if (batchId === "" || state.printed) return
    const jobs = following.get(batchId)
    if (jobs === undefined) following.set(batchId, new Set([state]))
    else jobs.add(state)
  }
  const followedKeys = (): ReadonlyArray<WaitKey> => {
    const keys: Array<WaitKey> = []
    for (const [batchId, jobs] of following)
      for (const state of jobs) keys.push({ batchId, jobId: state.jobId })
    return keys
  }
  return { following, leave, follow, followedKeys }
}

/** A session of the command, its deadline counted from now; lines go to `write` (human or `--json`). */
export const make = (
  command: WaitCommand,
  write: (line: string) => Effect.Effect<void>
): Effect.Effect<WaitSession> =>
  Effect.gen(function* () {
    const startedAt = Date.now()
    const deadline = startedAt + (command.timeoutMs ?? Duration.toMillis(DEFAULT_TIMEOUT))
    const remaining = () => deadline - Date.now()
    const jobs = new Map<string, JobState>(
      command.jobIds.map((jobId) => [jobId, { jobId, batchId: "", waits: 0, printed: false }])
    )
    const { following, leave, follow, followedKeys } = followers()
    const allPrinted = yield* Deferred.make<void>()
    let printedCount = 0
    let unreachable = false
    let completed = 0

    const print = (state: JobState, line: JobLine): Effect.Effect<void> =>
      Effect.suspend(() => {
        if (state.printed) return Effect.void
        state.printed = true
        leave(state)
        if (line.outcome === "completed") completed++
        if (line._tag === "ClusterUnavailable") unreachable = true
        printedCount++
        return write(command.json ? JSON.stringify(line) : toHuman(line)).pipe(
          Effect.andThen(printedCount === jobs.size ? Deferred.succeed(allPrinted, undefined) : Effect.void)
        )
      })

    return {
      command,
      startedAt,
      remaining,
      jobs,
      following,
      follow,
      followedKeys,
      print,
      awaitAllPrinted: Effect.suspend(() =>
        printedCount < jobs.size
          ? Effect.asVoid(
              Deferred.await(allPrinted).pipe(Effect.timeoutOption(Duration.millis(Math.max(0, remaining()))))
            )
          : Effect.void
      ),
      untilDeadline: (effect) =>
        effect.pipe(
          Effect.sandbox,
          Effect.retry({ schedule: Schedule.spaced("1 second"), while: () => remaining() > 0 }),
          Effect.timeoutOption(Duration.millis(Math.max(1, remaining()))),
          Effect.catch(() => Effect.succeed(Option.none()))
        ),
      exitCode: () => (unreachable ? UNREACHABLE_EXIT_CODE : completed === jobs.size ? 0 : 1)
    }
  })
