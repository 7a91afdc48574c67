/**
 * `tensoras-ingest watch … --web` and `tensoras-ingest demo --web`: the waits, their board and the
 * page's server, in one scope. The command prints the page's URL and runs until a signal (Ctrl-C:
 * exit 130): closing the scope says `bye` to the pages, stops the server, the machines and the
 * engine, and (for the demo) the simulator. Nothing is left running.
 */
import { fileURLToPath } from "node:url"
import * as ExitCode from "@tensoras/ingestion/ExitCode"
import type { IngestionError } from "@tensoras/ingestion/IngestionError"
import type * as IngestionJobs from "@tensoras/ingestion/IngestionJobs"
import * as JobMachine from "@tensoras/ingestion/JobMachine"
import { NodeIngestion } from "@tensoras/ingestion-node"
import { loadAssets } from "@tensoras/ingestion-node/internal/localPage/assets"
import { startWebServer } from "@tensoras/ingestion-node/internal/localPage/server"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import { clientLayer, SimulatorError } from "../commands.js"
import { Terminal } from "../terminal.js"
import { Board } from "./board.js"
import { demoWorld } from "./demoWorld.js"
import { definitionOf, layOut } from "./diagram.js"
import { type WatchPlan, watchOnBoard } from "./watchBoard.js"
import type { WebCommand } from "./webArgs.js"

/** `packages/cli/dist/web/` (built by `scripts/page.ts`), from `src/internal/web/` and from `dist/internal/web/` alike. */
const WEB_DIR: string = fileURLToPath(new URL("../../../dist/web/", import.meta.url))

const line = (text: string) => Effect.flatMap(Terminal, (terminal) => terminal.out(`${text}\n`))

/** The page's server on a new board, for the scope; `undefined` (said on stderr) when it cannot start. */
const servePage = (port: number) =>
  Effect.gen(function* () {
    const terminal = yield* Terminal
    const started = yield* Effect.tryPromise(async () => {
      const [assets, diagram] = await Promise.all([
        loadAssets(WEB_DIR, "pnpm --filter @tensoras/ingestion-cli build"),
        layOut(definitionOf(JobMachine.ingestionJobMachine))
      ])
      const board = new Board(diagram)
      return { board, server: await startWebServer({ board, assets, port }) }
    }).pipe(
      Effect.tapError((error) =>
        terminal.err(
          `error: could not serve the page: ${error.cause instanceof Error ? error.cause.message : error}`
        )
      ),
      Effect.option
    )
    if (started._tag === "None") return undefined
    yield* Effect.addFinalizer(() => Effect.promise(() => started.value.server.close()))
    return started.value
  })

/** Serves the board while the plan's waits run, until interrupted. */
const serveWatch = (
  plan: WatchPlan,
  port: number,
  heading: string
): Effect.Effect<number, IngestionError, Terminal | Scope.Scope | IngestionJobs.IngestionJobs> =>
  Effect.gen(function* () {
    const served = yield* servePage(port)
    if (served === undefined) return ExitCode.internal
    const { board, server } = served
    yield* line(heading)
    yield* line(`The page: ${server.url}`)
    yield* line("Open it in a browser on this machine. Ctrl-C stops the command and the page.")
    const everyEnded = yield* Deferred.make<void>()
    yield* watchOnBoard(plan, board, everyEnded)
    yield* Deferred.await(everyEnded)
    yield* line("Every wait has ended: the page stays up until Ctrl-C.")
    return yield* Effect.never
  })

const watch = (command: Extract<WebCommand, { readonly _tag: "Watch" }>) => {
  const jobs = command.groups.reduce((sum, group) => sum + group.jobIds.length, 0)
  const active = command.groups.filter((group) => group.allActive).map((group) => group.knowledgeBaseId)
  const named = jobs === 0 ? [] : [`${jobs} job${jobs === 1 ? "" : "s"}`]
  const heading = `Watching ${[...named, ...(active.length === 0 ? [] : [`the active jobs of ${active.join(", ")}`])].join(" and ")}`
  return serveWatch(command, command.port, heading).pipe(Effect.provide(clientLayer(command.connection)))
}

const demo = (port: number) =>
  Effect.gen(function* () {
    const simulator = yield* Effect.acquireRelease(
      Effect.tryPromise({
        try: async () => {
          const { NodeSimulator, Scenarios } = await import("@tensoras/ingestion-testkit")
          return NodeSimulator.start({ scenario: demoWorld(Scenarios.builtIn) })
        },
        catch: (cause) =>
          new SimulatorError({ message: cause instanceof Error ? cause.message : String(cause) })
      }),
      (running) => Effect.promise(() => running.close())
    )
    // The jobs the world has running at its start, named: a job that ends before its wait starts
    // (a slow start) is still shown, ended, rather than missed by a listing of the active ones.
    const startedAt = simulator.control.now()
    const plan: WatchPlan = {
      groups: simulator.control.knowledgeBases().map((knowledgeBaseId) => ({
        knowledgeBaseId,
        jobIds: simulator.control
          .jobs(knowledgeBaseId)
          .filter((job) => job.terminalAt > startedAt)
          .map((job) => job.id),
        allActive: false
      })),
      intervalMs: undefined,
      timeoutMs: 2 * 60_000
    }
    return yield* serveWatch(
      plan,
      port,
      `Simulated Tensoras API on ${simulator.baseUrl} (no network, no key needed): watching the jobs of ${plan.groups.map((group) => group.knowledgeBaseId).join(", ")}`
    ).pipe(
      Effect.provide(
        NodeIngestion.layer({ apiKey: Redacted.make(simulator.apiKey), baseUrl: simulator.baseUrl })
      )
    )
  })

/** The command as an Effect of its exit code; the caller handles the errors. */
export const runWeb = (
  command: WebCommand
): Effect.Effect<number, IngestionError | SimulatorError, Terminal | Scope.Scope> =>
  command._tag === "Watch" ? watch(command) : demo(command.port)
