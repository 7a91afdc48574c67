import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as SqlClient from "effect/sql/SqlClient"
import { awaitBatch } from "./outcomeFeed.js"
import type { WaitRow } from "./waitRows.js"

/**
 * A wait workflow's result as its caller outside the cluster gets it: the workflow's own result, or, sooner, the
 * outcomes stored for its batch (the same outcomes: the workflow returns what is stored), read as they are written
 * when the `SqlClient` in context is PostgreSQL's (`IngestionCluster.client` and `runner` provide it). The workflow's
 * own result reaches such a caller only at its next look, after a backoff of up to 30 seconds.
 */
export const resultOrStored = <A, E, R>(
  workflowResult: Effect.Effect<A, E, R>,
  executionId: Effect.Effect<string>,
  count: number,
  fromRows: (rows: ReadonlyArray<WaitRow>) => Effect.Effect<A, E>
): Effect.Effect<A, E, R> =>
  Effect.gen(function* () {
    const sql = yield* Effect.serviceOption(SqlClient.SqlClient)
    if (Option.isNone(sql)) return yield* workflowResult
    const id = yield* executionId
    const stored = Effect.flatMap(
      awaitBatch(sql.value, id, count),
      Option.match({ onNone: () => Effect.never, onSome: fromRows })
    )
    return yield* Effect.raceFirst(workflowResult, stored)
  })
