import { IngestionJobDetail } from "@tensoras/ingestion/IngestionJob"
import * as Wait from "@tensoras/ingestion/Wait"
import type { WaitExit } from "@tensoras/ingestion/WaitEngine"
import { WaitError } from "@tensoras/ingestion/WaitError"
import * as Cause from "effect/Cause"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import * as SchemaTransformation from "effect/SchemaTransformation"

/**
 * An outcome's JSON form, as 0.1 wrote it (Effect 3's `Schema.Either` encoding) and as this version
 * keeps writing it: `{ "_tag": "Right", "right": job }` or `{ "_tag": "Left", "left": error }`. The rows
 * of `tensoras_waits.outcome` written by either version decode alike.
 */
const OutcomeJson = Schema.Union([
  Schema.Struct({ _tag: Schema.Literal("Right"), right: IngestionJobDetail }),
  Schema.Struct({ _tag: Schema.Literal("Left"), left: WaitError })
])

/** How a durable wait ended: the terminal job that completed, or the wait's typed error. */
export const Outcome = OutcomeJson.pipe(
  Schema.decodeTo(
    Schema.Result(Schema.toType(IngestionJobDetail), Schema.toType(WaitError)),
    SchemaTransformation.transform({
      decode: (json): Result.Result<IngestionJobDetail, WaitError> =>
        json._tag === "Right" ? Result.succeed(json.right) : Result.fail(json.left),
      encode: (outcome) =>
        Result.isSuccess(outcome)
          ? { _tag: "Right" as const, right: outcome.success }
          : { _tag: "Left" as const, left: outcome.failure }
    })
  )
)
export type Outcome = typeof Outcome.Type
/** Its JSON form: what PostgreSQL and the durable deferred hold. */
export type OutcomeEncoded = typeof Outcome.Encoded
export const OutcomeEncoded = Schema.toEncoded(Outcome)

export const encode = Schema.encodeSync(Outcome)
export const decode = Schema.decodeUnknownEffect(Outcome)

/** The engine's exit for a wait (a terminal job, or an error) as an outcome: a failed job is `IngestionJobFailed`. */
export const fromExit = (exit: WaitExit): Outcome => {
  if (Exit.isSuccess(exit)) {
    const job = exit.value
    return job.status === "failed" ? Result.fail(Wait.jobFailed(job)) : Result.succeed(job)
  }
  const failure = Cause.findErrorOption(exit.cause)
  if (Option.isSome(failure)) return Result.fail(failure.value)
  // The engine reports its typed errors as failures; a defect is not a wait's outcome.
  throw new Error("A wait ended with a defect, not an outcome")
}

/** What one wait of a batch delivers to its workflow. */
export const Delivered = Schema.Struct({ jobId: Schema.String, outcome: OutcomeEncoded })
export type Delivered = typeof Delivered.Type
