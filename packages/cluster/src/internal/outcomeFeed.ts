/**
 * How a caller learns that its waits ended: from the rows themselves, the moment they are written. A runner
 * that records outcomes announces their batches on a PostgreSQL channel (`NOTIFY tensoras_outcomes`, see
 * `waitStore.ts`); the feed listens, and reads the ended waits of the batches it follows when one of them is
 * announced, when it (re)starts listening, and every `fallbackEvery` (a notification can be missed while the
 * listening connection is re-established). Nothing here depends on a runner being reachable: only PostgreSQL.
 */
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Queue from "effect/Queue"
import * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import type * as SqlClient from "effect/sql/SqlClient"
import type { SqlError } from "effect/sql/SqlError"
import { type WaitRow, waitsOf } from "./waitRows.js"
import { OUTCOMES_CHANNEL } from "./waitStore.js"

/** What `@effect/sql-pg`'s client adds to `SqlClient`: a client of another database has no `listen`. */
interface Listening {
  readonly listen: (
    channel: string
  ) => Effect.Effect<Queue.Dequeue<{ readonly payload: string }, SqlError>, SqlError, Scope.Scope>
}
const canListen = (sql: SqlClient.SqlClient): sql is SqlClient.SqlClient & Listening =>
  typeof (sql as Partial<Listening>).listen === "function"

/** The batches followed: a set of their ids, or a map keyed by them. */
export interface Batches {
  readonly has: (batchId: string) => boolean
  readonly keys: () => Iterable<string>
}

export interface FeedOptions {
  /** The batches (workflow executions) followed now; the caller adds and removes them as it goes. */
  readonly following: () => Batches
  /**
   * What is read when one of them is announced (and at each fallback): by default every ended wait of the
   * followed batches. A caller that follows some jobs of large batches reads only those (`waitsOfKeys`).
   */
  readonly read?: Effect.Effect<ReadonlyArray<WaitRow>, SqlError> | undefined
  /** Called with the ended waits read, each time they are read (the same wait again, too). */
  readonly onEnded: (rows: ReadonlyArray<WaitRow>) => Effect.Effect<void>
  /** A read with no announcement at least this often. Default 5 seconds. */
  readonly fallbackEvery?: Duration.Input | undefined
  /** Called when a read fails (PostgreSQL unreachable); the feed goes on trying. */
  readonly onError?: ((error: SqlError) => Effect.Effect<void>) | undefined
  /** Called once the feed listens (after each reconnection). */
  readonly onListening?: Effect.Effect<void> | undefined
}

/** Runs until interrupted. */
export const follow = (
  sql: SqlClient.SqlClient,
  options: FeedOptions
): Effect.Effect<never, never, Scope.Scope> =>
  Effect.gen(function* () {
    const wake = yield* Queue.dropping<void>(1)
    const fallback = Duration.fromInputUnsafe(options.fallbackEvery ?? "5 seconds")
    const relevant = (payload: string): boolean => {
      if (payload === "*") return true
      try {
        const following = options.following()
        return (JSON.parse(payload) as ReadonlyArray<string>).some((batchId) => following.has(batchId))
      } catch {
        return true
      }
    }
    if (canListen(sql)) {
      yield* Effect.scoped(
        Effect.gen(function* () {
          const notifications = yield* sql.listen(OUTCOMES_CHANNEL)
          // Listening now: what ended before is read at once.
          Queue.offerUnsafe(wake, undefined)
          if (options.onListening !== undefined) yield* options.onListening
          for (;;) {
            const notification = yield* Queue.take(notifications)
            if (relevant(notification.payload)) Queue.offerUnsafe(wake, undefined)
          }
        })
      ).pipe(
        Effect.tapError((error) => options.onError?.(error) ?? Effect.void),
        Effect.retry(Schedule.spaced("1 second")),
        Effect.forkScoped
      )
    }
    const ended =
      options.read ?? Effect.suspend(() => waitsOf(sql, Array.from(options.following().keys()), true))
    const read = ended.pipe(
      Effect.flatMap((rows) => (rows.length === 0 ? Effect.void : options.onEnded(rows))),
      Effect.catch((error) => options.onError?.(error) ?? Effect.void)
    )
    return yield* Effect.forever(Effect.andThen(Effect.timeoutOption(Queue.take(wake), fallback), read))
  })

/**
 * The waits of one batch once all `count` of them ended, read from PostgreSQL as they are written: how a caller
 * outside the cluster learns a workflow's outcome as soon as it is stored (the workflow's own result reaches such
 * a caller at its next look, after a backoff of up to 30 seconds). `None` when the client is not PostgreSQL's.
 */
export const awaitBatch = (
  sql: SqlClient.SqlClient,
  batchId: string,
  count: number
): Effect.Effect<Option.Option<ReadonlyArray<WaitRow>>> =>
  !canListen(sql)
    ? Effect.succeedNone
    : Effect.scoped(
        Effect.gen(function* () {
          const ended = yield* Deferred.make<ReadonlyArray<WaitRow>>()
          const following = new Set([batchId])
          yield* Effect.forkScoped(
            follow(sql, {
              following: () => following,
              onEnded: (rows) => {
                const ofBatch = rows.filter((row) => row.batchId === batchId)
                return ofBatch.length >= count
                  ? Deferred.succeed(ended, ofBatch).pipe(Effect.asVoid)
                  : Effect.void
              }
            })
          )
          return Option.some(yield* Deferred.await(ended))
        })
      )
