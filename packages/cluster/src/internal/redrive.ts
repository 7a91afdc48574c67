/**
 * The re-drive sweep, a cluster singleton: a workflow whose outcomes were delivered (its batch acknowledged, its
 * `DurableDeferred.done` saved) but that is still suspended well after is delivered again and resumed. The
 * delivery is the same persisted message (a duplicate counts once), and the resume replays the run, which then
 * reads the deferred's value from storage, whatever became of the message that should have woken it (a race
 * in `effect/workflow` 0.19 lost it; a message read by a runner that died is skipped for minutes by the SQL
 * message storage). A workflow seen finished is settled: the sweep looks at it no more.
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import * as DurableDeferred from "effect/workflow/DurableDeferred"
import type { WorkflowEngine } from "effect/workflow/WorkflowEngine"
import { WaitForIngestionJob } from "../WaitForIngestionJob.js"
import { WaitForIngestionJobs } from "../WaitForIngestionJobs.js"
import type { ClosedBatch } from "../WaitStore.js"
import { WaitStore } from "../WaitStore.js"
import { Deliverable } from "./deliverable.js"

/** Batches looked at per round. */
const PER_ROUND = 200

const workflows = new Map<string, typeof WaitForIngestionJob | typeof WaitForIngestionJobs>([
  [WaitForIngestionJob._tag, WaitForIngestionJob],
  [WaitForIngestionJobs._tag, WaitForIngestionJobs]
])

/** What the sweep did with one batch. */
type Swept = "settled" | "redriven" | "waiting"

const sweepOne = (batch: ClosedBatch): Effect.Effect<Swept, unknown, WorkflowEngine> =>
  Effect.gen(function* () {
    const token = yield* Effect.try(() => DurableDeferred.TokenParsed.fromString(batch.token))
    const workflow = workflows.get(token.workflowName)
    // Not one of this package's workflows: nothing to do with it.
    if (workflow === undefined) return "settled"
    const result = yield* (
      workflow.poll as (
        id: string
      ) => Effect.Effect<Option.Option<{ readonly _tag: string }>, never, WorkflowEngine>
    )(token.executionId)
    // The run has not answered yet: when it runs, it reads the deferred's value.
    if (Option.isNone(result)) return "waiting"
    if (result.value._tag === "Complete") return "settled"
    yield* DurableDeferred.done(Deliverable, {
      token: batch.token as DurableDeferred.Token,
      exit: Exit.succeed(batch.outcomes)
    })
    yield* workflow.resume(token.executionId)
    yield* Effect.logInfo(
      `workflow ${token.workflowName} ${token.executionId} was delivered its outcomes but still suspended: resumed`
    )
    return "redriven"
  })

/** The singleton's loop: every `every`, the batches delivered more than `after` ago and not seen finished. */
export const redriver = (options: { readonly every: Duration.Input; readonly after: Duration.Input }) =>
  Effect.gen(function* () {
    const store = yield* WaitStore
    const afterMs = Duration.toMillis(Duration.fromInputUnsafe(options.after))
    const round = Effect.gen(function* () {
      const batches = yield* store.delivered(afterMs, PER_ROUND)
      const settled: Array<string> = []
      yield* Effect.forEach(
        batches,
        (batch) =>
          sweepOne(batch).pipe(
            Effect.tap((swept) =>
              Effect.sync(() => {
                if (swept === "settled") settled.push(batch.batchId)
              })
            ),
            Effect.catchCause((cause) => Effect.logDebug(`re-drive of ${batch.batchId} failed`, cause))
          ),
        { concurrency: 8, discard: true }
      )
      yield* store.settle(settled)
    }).pipe(Effect.catchCause((cause) => Effect.logDebug("re-drive round failed", cause)))
    return yield* Effect.repeat(round, Schedule.spaced(options.every)).pipe(Effect.andThen(Effect.never))
  })
