/** Runs a parsed `tensoras-ingest` command on the Node runtime, mapping every outcome to an exit code. */
import * as ExitCode from "@tensoras/ingestion/ExitCode"
import { NodeIngestion } from "@tensoras/ingestion-node"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type { AnyCommand } from "./args.js"
import { runCommand } from "./commands.js"
import { errorLine } from "./format.js"
import { fromProcess, Terminal, type TerminalShape } from "./terminal.js"

const oneLine = (text: string) => text.replace(/\s*[\r\n]+\s*/g, " ").trim()

/** The local page's commands, loaded only for them (their server, page and layout library). */
const runAny = (command: AnyCommand) =>
  command._tag === "Watch" || command._tag === "DemoWeb"
    ? Effect.flatMap(
        Effect.promise(() => import("./web/command.js")),
        ({ runWeb }) => runWeb(command)
      )
    : runCommand(command)

/** The command as an Effect that never fails: errors become one line on stderr and an exit code. */
export const program = (command: AnyCommand, terminal: TerminalShape): Effect.Effect<number> =>
  runAny(command).pipe(
    Effect.scoped,
    Effect.catch((error) =>
      error._tag === "SimulatorError"
        ? Effect.as(
            terminal.err(`error: could not start the simulator: ${oneLine(error.message)}`),
            ExitCode.usage
          )
        : Effect.as(terminal.err(errorLine(error)), ExitCode.ofError(error))
    ),
    Effect.catchCause((cause) =>
      Cause.hasInterruptsOnly(cause)
        ? Effect.failCause(cause)
        : Effect.as(
            terminal.err(
              `error: internal: ${oneLine(Cause.pretty(cause).split("\n")[0] ?? "unknown defect")}`
            ),
            ExitCode.internal
          )
    ),
    Effect.provideService(Terminal, terminal)
  )

/**
 * Runs the command until it ends or a signal interrupts it (the request in flight is aborted):
 * its own exit code, 130 after SIGINT (143 after SIGTERM), and 0 when `simulate` is stopped,
 * which is how it is meant to end.
 */
export const main = (command: AnyCommand, scrub: (text: string) => string): void =>
  NodeIngestion.runMain(program(command, fromProcess(scrub)), {
    disableErrorReporting: true,
    exitCode: (exit, signal) => {
      if (Exit.isSuccess(exit)) return exit.value
      if (signal === undefined || !Cause.hasInterruptsOnly(exit.cause)) return ExitCode.internal
      return command._tag === "Simulate" ? ExitCode.ok : ExitCode.ofSignal(signal)
    }
  })
