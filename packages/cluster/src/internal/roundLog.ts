/**
 * A runner's recent polling rounds, for operators (`tensoras-cluster ui`): each round of a knowledge base hosted
 * here (core's `RoundReport`: when, how, the requests it sent) with the waits that ended since the knowledge
 * base's previous round on this runner (its answers end most of them), written to `tensoras_rounds`.
 *
 * The table is a ring of `ROUNDS_KEPT` slots (see `waitSchema.ts`): however long the cluster runs, it holds the
 * most recent rounds of all runners and no more. Rounds are written in batches, once a second, by one fiber: a
 * round costs no statement of its own, and a write that fails (PostgreSQL away) is dropped, never retried: they are
 * figures to look at, not records anything depends on.
 */
import type { RoundReport } from "@tensoras/ingestion/WaitEngine"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import * as SqlClient from "effect/sql/SqlClient"
import type { SqlError } from "effect/sql/SqlError"
import { WaitStore } from "../WaitStore.js"
import { ROUNDS_KEPT } from "./waitSchema.js"

/** A round as it is written. */
export interface LoggedRound {
  readonly knowledgeBaseId: string
  readonly at: number
  readonly mode: "get" | "sweep"
  readonly requests: number
  readonly retries: number
  readonly watchedJobs: number
  readonly endedWaits: number
}

/** The log of one runner: fed by its engine's rounds and its entities' ended waits, synchronously. */
export class RoundLog extends Context.Service<
  RoundLog,
  {
    /** A wait of the knowledge base ended on this runner: counted into its next round. */
    readonly ended: (knowledgeBaseId: string) => void
    /** A round of the engine (its `onRound`). */
    readonly round: (report: RoundReport) => void
  }
>()("@tensoras/ingestion-cluster/RoundLog") {}

const FLUSH_EVERY = "1 second"

/** Writes rounds to their slots (`seq % ROUNDS_KEPT`); a slot keeps the newer of two rounds that race for it. */
export const writeRounds = (
  sql: SqlClient.SqlClient,
  runner: string,
  rounds: ReadonlyArray<LoggedRound>
): Effect.Effect<void, SqlError> => {
  const kept = sql.literal(String(ROUNDS_KEPT))
  return rounds.length === 0
    ? Effect.void
    : Effect.asVoid(
        // A literal, not a parameter: DISTINCT ON and ORDER BY must name the same expression.
        sql`INSERT INTO tensoras_rounds AS r (slot, seq, knowledge_base_id, runner, at, mode, requests, retries,
              watched_jobs, ended_waits)
            SELECT DISTINCT ON (n.seq % ${kept}) n.seq % ${kept}, n.seq, n.knowledge_base_id, ${runner},
              to_timestamp(n.at / 1000.0), n.mode, n.requests, n.retries, n.watched_jobs, n.ended_waits
            FROM (
              SELECT nextval('tensoras_rounds_seq') AS seq, v.*
              FROM jsonb_to_recordset(${JSON.stringify(
                rounds.map((round) => ({
                  knowledge_base_id: round.knowledgeBaseId,
                  at: round.at,
                  mode: round.mode,
                  requests: round.requests,
                  retries: round.retries,
                  watched_jobs: round.watchedJobs,
                  ended_waits: round.endedWaits
                }))
              )}::jsonb) AS v(knowledge_base_id text, at double precision, mode text, requests integer,
                retries integer, watched_jobs integer, ended_waits integer)
            ) n
            -- One row per slot (a statement may not write a row twice): the newest round.
            ORDER BY n.seq % ${kept}, n.seq DESC
            ON CONFLICT (slot) DO UPDATE SET seq = excluded.seq, knowledge_base_id = excluded.knowledge_base_id,
              runner = excluded.runner, at = excluded.at, mode = excluded.mode, requests = excluded.requests,
              retries = excluded.retries, watched_jobs = excluded.watched_jobs, ended_waits = excluded.ended_waits
            WHERE r.seq < excluded.seq`
      )
}

/**
 * The log of the runner at `runner` (`host:port`), written on the `SqlClient` in context until the layer is
 * released (then once more: the last rounds are not lost to a clean stop).
 */
export const layer = (runner: string): Layer.Layer<RoundLog, never, SqlClient.SqlClient | WaitStore> =>
  Layer.effect(
    RoundLog,
    Effect.gen(function* () {
      // The store first: it made (or upgraded) the tables, `tensoras_rounds` with them.
      yield* WaitStore
      const sql = yield* SqlClient.SqlClient
      const endedSince = new Map<string, number>()
      let buffered: Array<LoggedRound> = []
      const flush = Effect.suspend(() => {
        const rounds = buffered
        buffered = []
        return writeRounds(sql, runner, rounds).pipe(
          Effect.catch((error) => Effect.logDebug("writing the recent rounds failed", error.message))
        )
      })
      // The last rounds, at a clean stop; a database that does not answer does not hold the runner's exit up.
      yield* Effect.addFinalizer(() => Effect.ignore(Effect.timeout(flush, "2 seconds")))
      yield* Effect.forkScoped(Effect.repeat(flush, Schedule.spaced(FLUSH_EVERY)))
      return RoundLog.of({
        ended: (knowledgeBaseId) => {
          endedSince.set(knowledgeBaseId, (endedSince.get(knowledgeBaseId) ?? 0) + 1)
        },
        round: (report) => {
          const endedWaits = endedSince.get(report.knowledgeBaseId) ?? 0
          endedSince.delete(report.knowledgeBaseId)
          buffered.push({
            knowledgeBaseId: report.knowledgeBaseId,
            at: report.at,
            mode: report.mode,
            requests: report.requests,
            retries: report.retries,
            watchedJobs: report.watchedJobs,
            endedWaits
          })
          // Older rounds than the ring keeps would be overwritten by these anyway (and two rows of one
          // statement may not take one slot).
          if (buffered.length > ROUNDS_KEPT) buffered = buffered.slice(-ROUNDS_KEPT)
        }
      })
    })
  )
