// TEMPORARY until core's WaitEngine (issue 9) lands on main: the engine's interface as
// /work/notes/engine-api.md gives it, implemented on Poller.waitFor (a fiber per wait). The cluster
// package uses only this module's exports; the merge replaces it with a re-export of
// `@tensoras/ingestion/WaitEngine`.
import type { IngestionError, InvalidInput } from "@tensoras/ingestion/IngestionError"
import type * as IngestionJob from "@tensoras/ingestion/IngestionJob"
import { IngestionJobs } from "@tensoras/ingestion/IngestionJobs"
import * as Poller from "@tensoras/ingestion/Poller"
import type { WaitTimeout } from "@tensoras/ingestion/WaitError"
import * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import type * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"

export interface WaitOptions {
  readonly schedule?: Schedule.Schedule<unknown, IngestionJob.IngestionJobDetail> | undefined
  readonly timeout?: Duration.DurationInput | undefined
  readonly deadline?: number | undefined
}
export interface Listener {
  readonly onExit: (exit: Exit.Exit<IngestionJob.IngestionJobDetail, IngestionError | WaitTimeout>) => void
}
export interface Registration {
  readonly leave: Effect.Effect<void>
}
export interface RoundReport {
  readonly knowledgeBaseId: string
  readonly at: number
  readonly mode: "get" | "sweep"
  readonly requests: number
  readonly retries: number
  readonly watchedJobs: number
  readonly dueJobs: number
  readonly followUpGets: number
  readonly activeQueued: number | undefined
  readonly activeProcessing: number | undefined
}
export interface EngineOptions {
  readonly onRound?: ((report: RoundReport) => void) | undefined
}
export class WaitEngine extends Context.Tag("@tensoras/ingestion/WaitEngine")<
  WaitEngine,
  {
    readonly register: (
      knowledgeBaseId: string,
      jobId: string,
      options: WaitOptions,
      listener: Listener
    ) => Effect.Effect<Registration, InvalidInput>
  }
>() {}

export const make = (
  _options: EngineOptions = {}
): Effect.Effect<WaitEngine["Type"], never, IngestionJobs | Scope.Scope> =>
  Effect.gen(function* () {
    const context = yield* Effect.context<IngestionJobs>()
    const scope = yield* Effect.scope
    return WaitEngine.of({
      register: (knowledgeBaseId, jobId, options, listener) =>
        Poller.waitFor(knowledgeBaseId, jobId, options).pipe(
          Effect.exit,
          Effect.flatMap((exit) =>
            Effect.sync(() => {
              if (Exit.isSuccess(exit)) return listener.onExit(Exit.succeed(exit.value))
              const failure = exit.cause._tag === "Fail" ? exit.cause.error : undefined
              if (failure?._tag === "IngestionJobFailed") return listener.onExit(Exit.succeed(failure.job))
              if (failure !== undefined) return listener.onExit(Exit.fail(failure))
              if (!Exit.isInterrupted(exit)) return listener.onExit(exit as never)
            })
          ),
          Effect.provide(context),
          Effect.forkIn(scope),
          Effect.map((fiber): Registration => ({ leave: Fiber.interrupt(fiber).pipe(Effect.asVoid) }))
        )
    })
  })

export const layer = (options: EngineOptions = {}): Layer.Layer<WaitEngine, never, IngestionJobs> =>
  Layer.scoped(WaitEngine, make(options))
