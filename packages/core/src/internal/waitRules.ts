/**
 * The rules of a wait, each in one place. The engine, `Wait`, the machine and `JobActor` read them
 * here; other packages (which cannot import `internal/`) through the public exports named beside each:
 *
 * - a wait's options → what it waits with: its timeout, its deadline and its schedule
 *   ({@link deadlineAt}; public: `WaitEngine.deadlineOf`, `WaitEngine.DEFAULT_TIMEOUT`);
 * - a terminal job → its outcome, and the text of a failed job ({@link outcomeResult},
 *   {@link jobFailed}; public: `Wait.outcomeResult`, `Wait.jobFailed`);
 * - a wait's exit → its result ({@link exitResult}; public: `Wait.exitResult`), whose error is one a
 *   wait ends with (`WaitError.TerminalClientError`, `WaitTimeout`; never a transient one).
 *
 * The job statuses are the ground floor's: `IngestionJob.ACTIVE_STATUSES` / `TERMINAL_STATUSES`.
 */
import * as Cause from "effect/Cause"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Result from "effect/Result"
import { InvalidInput } from "../IngestionError.js"
import * as IngestionJob from "../IngestionJob.js"
import * as PollSchedule from "../PollSchedule.js"
import type { CompletedJob } from "../Wait.js"
import type { WaitExit, WaitOptions } from "../WaitEngine.js"
import { IngestionJobFailed, type WaitError } from "../WaitError.js"
import * as validate from "./validate.js"

// --- Timeout → deadline ------------------------------------------------------------------

/** How long a wait waits when neither `timeout` nor `deadline` is given. */
export const DEFAULT_TIMEOUT: Duration.Duration = Duration.minutes(30)

const DEFAULT_TIMEOUT_MS = Duration.toMillis(DEFAULT_TIMEOUT)

/**
 * A wait's deadline (epoch ms): the absolute `deadline` when given (a resumed wait keeps its
 * first one), else `timeoutMs` (default {@link DEFAULT_TIMEOUT}) from when it started.
 */
export const deadlineAt = (
  startedAt: number,
  timeoutMs: number | undefined,
  deadline: number | undefined
): number => deadline ?? startedAt + (timeoutMs ?? DEFAULT_TIMEOUT_MS)

/** {@link deadlineAt} for options with a `Duration` timeout (a valid one: `register` checks it). */
export const deadlineOf = (options: Pick<WaitOptions, "timeout" | "deadline">, startedAt: number): number =>
  deadlineAt(
    startedAt,
    options.timeout === undefined ? undefined : Duration.toMillis(options.timeout),
    options.deadline
  )

/** What a wait's options come to, once checked. */
export interface WaitSettings {
  readonly timeoutMs: number
  readonly deadline: number | undefined
  readonly schedule: PollSchedule.PollSchedule
}

const invalid = (param: string, message: string) => Effect.fail(new InvalidInput({ param, message }))

/**
 * Checks a wait's options (`InvalidInput` for a timeout that is not a positive duration, a deadline
 * that is not a finite number, or both `schedule` and `pollInterval`) and gives what the wait waits
 * with: its timeout, its deadline and its schedule (`pollInterval` as `PollSchedule.fixed`, the
 * default `PollSchedule.defaultSchedule`).
 */
export const waitSettings = (options: WaitOptions): Effect.Effect<WaitSettings, InvalidInput> =>
  Effect.gen(function* () {
    const timeoutMs =
      options.timeout === undefined
        ? DEFAULT_TIMEOUT_MS
        : Duration.toMillis(yield* validate.duration("timeout", options.timeout))
    if (options.deadline !== undefined && !Number.isFinite(options.deadline)) {
      return yield* invalid("deadline", "deadline must be a finite epoch time in ms")
    }
    if (options.schedule !== undefined && options.pollInterval !== undefined) {
      return yield* invalid("pollInterval", "give schedule or pollInterval, not both")
    }
    const schedule =
      options.pollInterval !== undefined
        ? PollSchedule.fixed(yield* validate.duration("pollInterval", options.pollInterval))
        : (options.schedule ?? PollSchedule.defaultSchedule)
    return { timeoutMs, deadline: options.deadline, schedule }
  })

// --- A terminal job → its outcome ----------------------------------------------------------

/**
 * A failed job as the error a wait fails with: its message is the job's own error's, or
 * "Ingestion job '…' failed" when it gave none. `error` defaults to the job's.
 */
export const jobFailed = (
  job: IngestionJob.IngestionJobDetail,
  error: IngestionJob.JobError | null = job.error
): IngestionJobFailed =>
  new IngestionJobFailed({ job, message: error?.message ?? `Ingestion job '${job.id}' failed` })

/**
 * The outcome of a terminal job: a `failed` job is {@link jobFailed}; a completed one is a
 * `CompletedJob`, `partial` when a document failed (the job's count, or a document not ingested).
 */
export const outcomeResult = (
  job: IngestionJob.IngestionJobDetail
): Result.Result<CompletedJob, IngestionJobFailed> => {
  if (job.status === "failed") return Result.fail(jobFailed(job))
  const failedDocuments = job.document_details.filter(
    (document) => !IngestionJob.isDocumentIngested(document)
  )
  const completed = { ...job, status: "completed" as const }
  return Result.succeed(
    failedDocuments.length > 0 || job.documents_failed > 0
      ? { ...completed, partial: true, failedDocuments }
      : { ...completed, partial: false }
  )
}

// --- A wait's exit → its result ------------------------------------------------------------

/**
 * The typed error a wait failed with. The engine ends a wait with a typed failure or a terminal
 * job; anything else (a defect) is not a wait's result, and throws.
 */
export const exitError = <E>(exit: Exit.Failure<unknown, E>): E => {
  const error = Cause.findErrorOption(exit.cause)
  if (Option.isSome(error)) return error.value
  throw new Error("a wait ended without a typed error")
}

/** The result of a wait from how it ended: the terminal job's {@link outcomeResult}, or its error. */
export const exitResult = (exit: WaitExit): Result.Result<CompletedJob, WaitError> => {
  return Exit.isSuccess(exit) ? outcomeResult(exit.value) : Result.fail(exitError(exit))
}
