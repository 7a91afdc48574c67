/**
 * `tensoras-cluster ui`: the operators' page. It reads the cluster's PostgreSQL on a schedule, read-only
 * (`connection.ts`, `read.ts`), keeps what it read on a board (`board.ts`) and serves it on 127.0.0.1 under an
 * unguessable token, live over server-sent events (`tensoras-ingest watch --web`'s server, in the Node package).
 * It prints the page's URL and runs until a signal (Ctrl-C: exit 130): closing its scope says `bye` to the pages,
 * stops the server and the reads, and closes the connection. Nothing is left running.
 *
 * The database URL arrives `Redacted`: the page names the database by host, port and name only, and a read's
 * error is scrubbed of the password before the page or the terminal sees it.
 */
import * as ExitCode from "@tensoras/ingestion/ExitCode"
import { loadAssets } from "@tensoras/ingestion-node/internal/localPage/assets"
import { startWebServer } from "@tensoras/ingestion-node/internal/localPage/server"
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import * as SqlClient from "effect/sql/SqlClient"
import { Board } from "./board.js"
import { databaseLabel, errorText, readOnlyLayer } from "./connection.js"
import { readRows } from "./read.js"
import { snapshotOf } from "./snapshot.js"

type Scrub = (text: string) => string

export interface UiOptions {
  readonly databaseUrl: Redacted.Redacted<string>
  /** 0: a free port. */
  readonly port: number
  readonly intervalMs: number
}

/** `packages/cluster/dist/ui/`, from `src/internal/ui/` and from `dist/internal/ui/` alike. */
export const UI_DIR: string = new URL("../../../dist/ui/", import.meta.url).pathname

/**
 * Reads PostgreSQL every `intervalMs` on a connection of its own, for ever: a failed read (PostgreSQL away, a
 * connection refused) is on the board and on stderr, once per new failure, and the next read is tried at its time.
 */
const readForever = (board: Board, options: UiOptions, scrub: Scrub): Effect.Effect<never> => {
  let failing: string | undefined
  const failed = (error: unknown) =>
    Effect.sync(() => {
      const message = scrub(Cause.isCause(error) ? errorText(Cause.squash(error)) : errorText(error))
      board.failed(message)
      if (failing !== message)
        process.stderr.write(`${scrub(`warning: cannot read PostgreSQL: ${message}`)}\n`)
      failing = message
    })
  const readOnce = (sql: SqlClient.SqlClient) =>
    Effect.gen(function* () {
      const readAt = yield* Clock.currentTimeMillis
      const rows = yield* readRows(sql)
      board.apply(snapshotOf(rows, readAt, (yield* Clock.currentTimeMillis) - readAt))
      if (failing !== undefined) process.stderr.write("PostgreSQL can be read again\n")
      failing = undefined
    }).pipe(Effect.catch(failed))
  const schedule = Schedule.spaced(options.intervalMs)
  const session = Effect.scoped(
    Effect.gen(function* () {
      const sql = Context.get(yield* Layer.build(readOnlyLayer(options.databaseUrl)), SqlClient.SqlClient)
      return yield* Effect.repeat(readOnce(sql), schedule)
    })
  )
  // A connection that cannot be made is tried again at the next read's time.
  return session.pipe(
    Effect.catchCause((cause) => failed(cause)),
    Effect.repeat(schedule),
    Effect.andThen(Effect.never)
  )
}

/** Serves the page until interrupted; `ExitCode.internal` (said on stderr) when the page cannot be served. */
export const runUi = (options: UiOptions, scrub: Scrub): Effect.Effect<number> =>
  Effect.gen(function* () {
    const database = databaseLabel(options.databaseUrl)
    const board = new Board(database, options.intervalMs)
    const server = yield* Effect.acquireRelease(
      Effect.tryPromise(async () =>
        startWebServer({
          board,
          assets: await loadAssets(UI_DIR, "pnpm --filter @tensoras/ingestion-cluster build"),
          port: options.port
        })
      ),
      (server) => Effect.promise(() => server.close())
    ).pipe(
      Effect.tapError((error) =>
        Effect.sync(() =>
          process.stderr.write(`${scrub(`error: could not serve the page: ${errorText(error.cause)}`)}\n`)
        )
      ),
      Effect.option
    )
    if (server._tag === "None") return ExitCode.internal
    const out = (line: string) => process.stdout.write(`${scrub(line)}\n`)
    const every =
      options.intervalMs % 1000 === 0 ? `${options.intervalMs / 1000} s` : `${options.intervalMs} ms`
    out(`tensoras-cluster ui: ${database}, read every ${every} in read-only transactions`)
    out(`The page: ${server.value.url}`)
    out("Open it in a browser on this machine. Ctrl-C stops the command and the page.")
    yield* Effect.forkScoped(readForever(board, options, scrub))
    return yield* Effect.never
  }).pipe(Effect.scoped)
