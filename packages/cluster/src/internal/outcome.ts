import type { IngestionError } from "@tensoras/ingestion/IngestionError"
import { IngestionJobDetail } from "@tensoras/ingestion/IngestionJob"
import { IngestionJobFailed, WaitError, type WaitTimeout } from "@tensoras/ingestion/WaitError"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Schema from "effect/Schema"

/** How a durable wait ended: the terminal job that completed, or the wait's typed error. */
export const Outcome = Schema.Either({ right: IngestionJobDetail, left: WaitError })
export type Outcome = typeof Outcome.Type
/** Its JSON form: what PostgreSQL and the durable deferred hold. */
export type OutcomeEncoded = typeof Outcome.Encoded
export const OutcomeEncoded = Schema.encodedSchema(Outcome)

export const encode = Schema.encodeSync(Outcome)
export const decode = Schema.decodeUnknown(Outcome)

/** The engine's exit for a wait (a terminal job, or an error) as an outcome: a failed job is `IngestionJobFailed`. */
export const fromExit = (exit: Exit.Exit<IngestionJobDetail, IngestionError | WaitTimeout>): Outcome => {
  if (Exit.isSuccess(exit)) {
    const job = exit.value
    return job.status === "failed"
      ? Either.left(
          new IngestionJobFailed({ job, message: job.error?.message ?? `Ingestion job '${job.id}' failed` })
        )
      : Either.right(job)
  }
  const failure = exit.cause._tag === "Fail" ? exit.cause.error : undefined
  if (failure !== undefined) return Either.left(failure)
  // The engine reports its typed errors as failures; a defect is not a wait's outcome.
  throw new Error("A wait ended with a defect, not an outcome")
}

/** What one wait of a batch delivers to its workflow. */
export const Delivered = Schema.Struct({ jobId: Schema.String, outcome: OutcomeEncoded })
export type Delivered = typeof Delivered.Type
