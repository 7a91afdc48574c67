/**
 * Process exit codes for programs that call and wait on ingestion jobs, shared by the runtimes'
 * `runMain` (Node, Deno) and the `tensoras-ingest` command, so that a script reads the same code
 * for the same outcome whichever of them ran:
 *
 * | code | outcome |
 * |---|---|
 * | 0 | success |
 * | 1 | the job failed (`IngestionJobFailed`), or any other failure |
 * | 2 | bad input (`InvalidInput`): nothing was sent |
 * | 3 | the wait ended first (`WaitTimeout`: its deadline passed or its schedule ended) |
 * | 4 | the API or the network: `Unauthorized`, `Forbidden`, `NotFound`, `InvalidRequest`, `ResponseDecodeError`, `Unreachable`; for a call (not a wait), `RateLimited` / `ServerError` / `TransportError` once its retries ran out |
 * | 70 | a defect of the program itself (`EX_SOFTWARE`) |
 * | 130 / 143 | interrupted by SIGINT / SIGTERM (128 + the signal's number) |
 *
 * This module has no runtime of its own: it reads an `Exit` and, when a signal interrupted the
 * program, the signal's name.
 *
 * @since 0.1.0
 */
import * as Cause from "effect/Cause"
import * as Exit from "effect/Exit"
import * as Predicate from "effect/Predicate"
import { type IngestionError, isIngestionError } from "./IngestionError.js"
import type { WaitError } from "./WaitError.js"

/**
 * The signals a `runMain` turns into an interruption of the program.
 *
 * @example
 * ```ts
 * import { ExitCode } from "@tensoras/ingestion"
 *
 * const signal: ExitCode.Signal = "SIGTERM"
 * ExitCode.ofSignal(signal) // 143
 * ```
 * @category models
 * @since 0.1.0
 */
export type Signal = "SIGINT" | "SIGTERM"

/**
 * Success; for a wait: the job completed, also when some documents failed.
 *
 * @example
 * ```ts
 * import { ExitCode } from "@tensoras/ingestion"
 *
 * process.exitCode = ExitCode.ok
 * ```
 * @category codes
 * @since 0.1.0
 */
export const ok = 0

/**
 * The job failed (`IngestionJobFailed`); also the code of a failure this module does not know.
 *
 * @example
 * ```ts
 * import { ExitCode } from "@tensoras/ingestion"
 *
 * if (ExitCode.jobFailed === 1) console.log("a failed job exits 1")
 * ```
 * @category codes
 * @since 0.1.0
 */
export const jobFailed = 1

/**
 * Bad usage or input (`InvalidInput`): nothing was sent.
 *
 * @example
 * ```ts
 * import { ExitCode } from "@tensoras/ingestion"
 *
 * process.exitCode = ExitCode.usage
 * ```
 * @category codes
 * @since 0.1.0
 */
export const usage = 2

/**
 * The wait ended before the job did (`WaitTimeout`): its deadline passed, or its schedule ended.
 *
 * @example
 * ```ts
 * import { ExitCode } from "@tensoras/ingestion"
 *
 * if (ExitCode.timeout === 3) console.log("a timed-out wait exits 3")
 * ```
 * @category codes
 * @since 0.1.0
 */
export const timeout = 3

/**
 * The API refused or could not answer: authentication, not found, a bad request or response,
 * a service never reached (`Unreachable`); for a call, not a wait, also a transient failure (429,
 * 5xx, network) once its retries ran out. A wait never ends with a transient failure: it polls on
 * until its deadline (exit 3).
 *
 * @example
 * ```ts
 * import { ExitCode } from "@tensoras/ingestion"
 *
 * if (ExitCode.api === 4) console.log("an API error exits 4")
 * ```
 * @category codes
 * @since 0.1.0
 */
export const api = 4

/**
 * A defect of the program itself, never one of the documented outcomes (`EX_SOFTWARE` of
 * `sysexits.h`).
 *
 * @example
 * ```ts
 * import { ExitCode } from "@tensoras/ingestion"
 *
 * if (ExitCode.internal === 70) console.log("a bug exits 70")
 * ```
 * @category codes
 * @since 0.1.0
 */
export const internal = 70

/**
 * The conventional code of a process a signal interrupted: 128 + the signal's number, so 130
 * for SIGINT (Ctrl-C) and 143 for SIGTERM.
 *
 * @example
 * ```ts
 * import { ExitCode } from "@tensoras/ingestion"
 *
 * ExitCode.ofSignal("SIGINT") // 130
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const ofSignal = (signal: Signal): number => 128 + (signal === "SIGINT" ? 2 : 15)

const isWaitOnlyError = (
  u: unknown
): u is Extract<WaitError, { readonly _tag: "IngestionJobFailed" | "WaitTimeout" }> =>
  u instanceof Error &&
  Predicate.hasProperty(u, "_tag") &&
  (u._tag === "IngestionJobFailed" || u._tag === "WaitTimeout")

/**
 * The code of one of this library's errors: 2 for `InvalidInput`, 1 for `IngestionJobFailed`,
 * 3 for `WaitTimeout`, 4 for every error of the API or the network (`Unreachable` included).
 *
 * @example
 * ```ts
 * import { ExitCode, Wait } from "@tensoras/ingestion"
 * import * as Effect from "effect/Effect"
 *
 * const code = Wait.waitFor("kb_abc123", "job_def456").pipe(
 *   Effect.as(ExitCode.ok),
 *   Effect.catch((error) => Effect.succeed(ExitCode.ofError(error)))
 * )
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const ofError = (error: IngestionError | WaitError): number => {
  switch (error._tag) {
    case "InvalidInput":
      return usage
    case "IngestionJobFailed":
      return jobFailed
    case "WaitTimeout":
      return timeout
    default:
      return api
  }
}

/**
 * The default exit code of a `runMain`: 0 when the program succeeded; 130 / 143 when a signal
 * interrupted it; {@link ofError}'s code when it failed with one of this library's errors; 1 for
 * any other failure (an error of your own, an interruption without a signal, a defect).
 *
 * @example
 * ```ts
 * import { ExitCode } from "@tensoras/ingestion"
 * import * as Exit from "effect/Exit"
 *
 * ExitCode.ofExit(Exit.succeed("done"), undefined) // 0
 * ExitCode.ofExit(Exit.interrupt(), "SIGINT") // 130
 * ExitCode.ofExit(Exit.fail("boom"), undefined) // 1
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const ofExit = (exit: Exit.Exit<unknown, unknown>, signal: Signal | undefined): number => {
  if (Exit.isSuccess(exit)) return ok
  if (signal !== undefined && Cause.hasInterruptsOnly(exit.cause)) return ofSignal(signal)
  const failure = Cause.findErrorOption(exit.cause)
  if (failure._tag === "Some" && !Cause.hasDies(exit.cause)) {
    const error = failure.value
    if (isIngestionError(error) || isWaitOnlyError(error)) return ofError(error)
  }
  return jobFailed
}
