import { randomUUID } from "node:crypto"
import { readdirSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { NodeSimulator, TestProcess } from "@tensoras/ingestion-testkit"
import { CANARY, ROOT, type SpawnOptions, spawnScript, WRONG_KEY } from "../../node/test/helpers.js"

export { CANARY, spawnScript, WRONG_KEY } from "../../node/test/helpers.js"

/** The command from source, through tsx: no build needed. `dist/bin.js` is the same module compiled. */
export const BIN = fileURLToPath(new URL("../src/bin.ts", import.meta.url))

/** Starts `tensoras-ingest` with `args`. */
export const spawnCli = (args: ReadonlyArray<string>, options: SpawnOptions = {}): TestProcess.Spawned =>
  spawnScript(BIN, args, options)

/** Runs `tensoras-ingest` to its end. */
export const runCli = (args: ReadonlyArray<string>, options: SpawnOptions = {}): Promise<TestProcess.Exit> =>
  spawnCli(args, options).exited

/**
 * Runs `tensoras-ingest` with `args` to its end, with every module it resolved (their URLs, in order):
 * a hook (`fixtures/moduleLog.ts`) logs them from the process itself.
 */
export const runCliLoggingModules = async (
  args: ReadonlyArray<string>,
  options: { readonly env?: Readonly<Record<string, string>> } = {}
): Promise<TestProcess.Exit & { readonly modules: ReadonlyArray<string> }> => {
  const log = join(tmpdir(), `tensoras-cli-modules-${randomUUID()}.log`)
  try {
    const exit = await TestProcess.node(BIN, args, {
      env: { ...options.env, MODULE_LOG: log },
      cwd: ROOT,
      nodeArgs: [
        "--conditions=@tensoras/source",
        "--import",
        fileURLToPath(new URL("./fixtures/moduleLog.ts", import.meta.url))
      ],
      canaries: [CANARY, WRONG_KEY]
    }).exited
    return { ...exit, modules: linesOf(readFileSync(log, "utf8")) }
  } finally {
    rmSync(log, { force: true })
  }
}

/** The environment that points the command at `simulator` with the canary key. */
export const envFor = (simulator: NodeSimulator.RunningSimulator): Record<string, string> => ({
  TENSORAS_API_KEY: CANARY,
  TENSORAS_BASE_URL: simulator.baseUrl
})

/** A manual-clock simulator accepting the canary key, closed after `use`. */
export const withSimulator = async <A>(
  options: NodeSimulator.StartOptions,
  use: (simulator: NodeSimulator.RunningSimulator) => Promise<A>
): Promise<A> => {
  const simulator = await NodeSimulator.start({ clock: "manual", apiKey: CANARY, ...options })
  try {
    return await use(simulator)
  } finally {
    await simulator.close()
  }
}

/**
 * Drives a wait: each time a request of the command has been answered, moves the simulator's
 * clock by `step` ms, as if the command had waited that long between polls. No real sleeping.
 */
export const drive = (
  simulator: NodeSimulator.RunningSimulator,
  cli: TestProcess.Spawned,
  step: number
): Promise<TestProcess.Exit> => simulator.control.advanceOnEachAnswer(step, cli.exited)

/** Lines of an output, without the empty last one. */
export const linesOf = (text: string): Array<string> => text.split(/\r?\n/).filter((line) => line !== "")

// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escape sequences start with ESC
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g

/** What a terminal would show of the text, without escape sequences and carriage returns. */
export const plain = (text: string): string => text.replace(ANSI, "").replace(/\r/g, "")

// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escape sequences start with ESC
export const COLOR = /\x1b\[[0-9;]*m/

/** Back up over the previous frame (cursor up N lines), to the line's start, clear to the end: a redraw. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escape sequences start with ESC
export const REDRAW = /\x1b\[\d+A\r\x1b\[J/

/** A wire job of the list endpoint: the single-job answer without `document_details`. */
export const listed = (job: object): object => {
  const { document_details: _, ...rest } = job as { document_details?: unknown }
  return rest
}

/** The processes `pid` started, and theirs, from /proc (Linux). */
const descendantsOf = (pid: number): Array<number> =>
  readdirSync(`/proc/${pid}/task`)
    .flatMap((task) => {
      const children = readFileSync(`/proc/${pid}/task/${task}/children`, "utf8").trim()
      return children === "" ? [] : children.split(" ").map(Number)
    })
    .flatMap((child) => [child, ...descendantsOf(child)])

/**
 * Ctrl-C on the pseudo-terminal of a command started with `pty: true`: SIGINT to the command itself
 * (under `script` and its shell), as the terminal sends it to the program in the foreground.
 */
export const interruptInTerminal = (cli: TestProcess.Spawned): void => {
  const pid = cli.child.pid
  if (pid === undefined) throw new Error(`${cli.name} has no process`)
  const command = descendantsOf(pid).find((child) =>
    readFileSync(`/proc/${child}/cmdline`, "utf8").split("\0").includes(BIN)
  )
  if (command === undefined) throw new Error(`${cli.name}: the command is not running under its terminal`)
  process.kill(command, "SIGINT")
}
