/**
 * The job machine from Effect: start an actor in a `Scope` on the current services (its poller
 * registers with their `WaitEngine`), and wait for its outcome as a typed `Effect`.
 *
 * @since 0.1.0
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import { type ActorOptions, createActor } from "xstate"
import type { IngestionError } from "./IngestionError.js"
import * as validate from "./internal/validate.js"
import { jobFailed } from "./internal/waitRules.js"
import * as JobMachine from "./JobMachine.js"
import type { CompletedJob } from "./Wait.js"
import type { WaitEngine, WaitOptions } from "./WaitEngine.js"
import { TerminalClientError, TransientFailure, type WaitError, WaitTimeout } from "./WaitError.js"

/**
 * A running (or restored) job machine.
 *
 * @example
 * ```ts
 * import * as JobActor from "@tensoras/ingestion/JobActor"
 * import * as JobMachine from "@tensoras/ingestion/JobMachine"
 * import { createActor } from "xstate"
 *
 * const actor: JobActor.JobActor = createActor(JobMachine.ingestionJobMachine, {
 *   input: { knowledgeBaseId: "kb_abc123", jobId: "job_def456" }
 * })
 * ```
 * @category models
 * @since 0.1.0
 */
export type JobActor = JobMachine.JobActor

/**
 * Options of {@link start}: the poll schedule, a timeout or an absolute deadline,
 * and an inspection observer.
 *
 * @example
 * ```ts
 * import { PollSchedule } from "@tensoras/ingestion"
 * import * as JobActor from "@tensoras/ingestion/JobActor"
 *
 * const options: JobActor.StartOptions = { timeout: "15 minutes", schedule: PollSchedule.progressive() }
 * ```
 * @category models
 * @since 0.1.0
 */
export interface StartOptions extends WaitOptions {
  /** An inspection observer for the actor (e.g. `@statelyai/inspect`'s `inspector.inspect`). */
  readonly inspect?: ActorOptions<JobMachine.IngestionJobMachine>["inspect"] | undefined
}

const toInput = (
  knowledgeBaseId: string,
  jobId: string,
  options: StartOptions
): Effect.Effect<JobMachine.Input, IngestionError> =>
  options.timeout === undefined
    ? Effect.succeed({ knowledgeBaseId, jobId, deadline: options.deadline })
    : Effect.map(validate.duration("timeout", options.timeout), (timeout) => ({
        knowledgeBaseId,
        jobId,
        timeoutMs: Duration.toMillis(timeout),
        deadline: options.deadline
      }))

/**
 * Starts the machine in the current `Scope`, on the current services (`Effect.context`): the
 * actor stops when the scope closes. Use it to watch snapshots while you wait; {@link result}
 * waits for the end.
 *
 * @example
 * ```ts
 * import * as JobActor from "@tensoras/ingestion/JobActor"
 * import * as Effect from "effect/Effect"
 *
 * const program = Effect.scoped(
 *   Effect.gen(function* () {
 *     const actor = yield* JobActor.start("kb_abc123", "job_def456", { timeout: "10 minutes" })
 *     actor.subscribe((snapshot) => console.log(snapshot.value))
 *     return yield* JobActor.result(actor)
 *   })
 * )
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const start = (
  knowledgeBaseId: string,
  jobId: string,
  options: StartOptions = {}
): Effect.Effect<JobActor, IngestionError, WaitEngine | Scope.Scope> =>
  Effect.gen(function* () {
    const input = yield* toInput(knowledgeBaseId, jobId, options)
    const machine = JobMachine.make(yield* Effect.context<WaitEngine>(), { schedule: options.schedule })
    return yield* Effect.acquireRelease(
      Effect.sync(() =>
        createActor(
          machine,
          options.inspect === undefined ? { input } : { input, inspect: options.inspect }
        ).start()
      ),
      (actor) => Effect.sync(() => actor.stop())
    )
  })

// A transient error in an output (a wait polls on through those) was not written by this machine:
// decoding it fails, and the output is a defect, not a wait's outcome.
const decodeClientError = Schema.decodeUnknownSync(TerminalClientError)
const decodeLastFailure = Schema.decodeUnknownSync(TransientFailure)

/**
 * An output as an `Effect`, like `Wait.waitFor`'s: the completed job, or the typed error
 * (`IngestionJobFailed`, `WaitTimeout`, the client's error). `Cancelled` is an interruption; a
 * `Defect` dies.
 *
 * @example
 * ```ts
 * import * as JobActor from "@tensoras/ingestion/JobActor"
 * import * as Effect from "effect/Effect"
 *
 * declare const output: import("@tensoras/ingestion/JobMachine").Output
 * const chunks = JobActor.fromOutput(output).pipe(Effect.map((job) => job.chunks_created))
 * ```
 * @category combinators
 * @since 0.1.0
 */
export const fromOutput = (output: JobMachine.Output): Effect.Effect<CompletedJob, WaitError> => {
  switch (output._tag) {
    case "Completed":
      return Effect.succeed(output.job)
    case "Failed":
      return Effect.fail(jobFailed(output.job, output.error))
    case "TimedOut":
      return Effect.fail(
        new WaitTimeout({
          lastJob: output.lastJob,
          elapsedMs: output.elapsedMs,
          observed: output.observed,
          reason: output.reason,
          message: output.message,
          ...(output.lastFailure === undefined ? {} : { lastFailure: decodeLastFailure(output.lastFailure) })
        })
      )
    case "Cancelled":
      return Effect.interrupt
    case "Errored":
      return output.error._tag === "Defect"
        ? Effect.die(new Error(output.error.message))
        : Effect.fail(decodeClientError(output.error))
  }
}

/**
 * Waits for an actor's output. An actor stopped before it settled is an interruption; one that
 * crashed dies with its error. Interrupting the wait only unsubscribes.
 *
 * @example
 * ```ts
 * import * as JobActor from "@tensoras/ingestion/JobActor"
 * import * as JobMachine from "@tensoras/ingestion/JobMachine"
 * import { createActor } from "xstate"
 *
 * const actor = createActor(JobMachine.ingestionJobMachine, { input: { knowledgeBaseId: "kb_abc123", jobId: "job_def456" } })
 * const output = JobActor.output(actor.start()) // Effect<JobMachine.Output>
 * ```
 * @category combinators
 * @since 0.1.0
 */
export const output = (actor: JobActor): Effect.Effect<JobMachine.Output> =>
  Effect.callback<JobMachine.Output>((resume) => {
    const settled = (): boolean => {
      const snapshot = actor.getSnapshot()
      switch (snapshot.status) {
        case "done":
          resume(Effect.succeed(snapshot.output))
          return true
        case "error":
          resume(Effect.die(snapshot.error))
          return true
        case "stopped":
          resume(Effect.interrupt)
          return true
        default:
          return false
      }
    }
    if (settled()) return
    const subscription = actor.subscribe({ complete: settled, error: settled })
    return Effect.sync(() => subscription.unsubscribe())
  })

/**
 * Waits for an actor to settle, as an `Effect` of the completed job (see {@link fromOutput}).
 *
 * @example
 * ```ts
 * import * as JobActor from "@tensoras/ingestion/JobActor"
 * import * as Effect from "effect/Effect"
 *
 * declare const actor: JobActor.JobActor
 * const job = JobActor.result(actor).pipe(Effect.catchTag("WaitTimeout", () => Effect.succeed(null)))
 * ```
 * @category combinators
 * @since 0.1.0
 */
export const result = (actor: JobActor): Effect.Effect<CompletedJob, WaitError> =>
  Effect.flatMap(output(actor), fromOutput)
