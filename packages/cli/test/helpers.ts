import { type ChildProcess, spawn } from "node:child_process"
import { randomBytes } from "node:crypto"
import { fileURLToPath } from "node:url"
import {
  type RunningSimulator,
  type StartSimulatorOptions,
  startSimulator
} from "@tensoras/ingestion-testkit"
import { expect } from "vitest"

export const ROOT = fileURLToPath(new URL("../../..", import.meta.url))
/** The command from source, through tsx: no build needed. `dist/bin.js` is the same module compiled. */
export const BIN = fileURLToPath(new URL("../src/bin.ts", import.meta.url))
const NODE_ARGS = ["--conditions=@tensoras/source", "--import", "tsx"]

/** The key every simulator of these tests accepts: it must never show up in anything the command prints. */
export const CANARY = `tns_canary_${randomBytes(12).toString("hex")}`
/** A wrong key, just as secret. */
export const WRONG_KEY = `tns_wrong_${randomBytes(12).toString("hex")}`
const SECRETS = [CANARY, WRONG_KEY]

export interface Run {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
  /** Real milliseconds from spawn to exit. */
  readonly ms: number
  /** Real milliseconds from spawn to the first output on stdout, if any. */
  readonly firstOutputMs: number | undefined
}

export interface Cli {
  readonly child: ChildProcess
  /** Resolves once the process has exited and its output is read; checks that no secret leaked. */
  readonly done: Promise<Run>
  readonly stdout: () => string
  /** Resolves once stdout contains `text`. */
  readonly printed: (text: string) => Promise<string>
}

export interface SpawnOptions {
  /** Environment on top of a clean one (no TENSORAS_*, no NO_COLOR). */
  readonly env?: Record<string, string>
  /** Run inside a pseudo-terminal (util-linux `script`), with TERM=xterm. */
  readonly pty?: boolean
}

const shellQuote = (arg: string) => `'${arg.replace(/'/g, "'\\''")}'`

const cleanEnv = (): Record<string, string> => {
  const env: Record<string, string> = {}
  for (const [name, value] of Object.entries(process.env)) {
    if (value === undefined || name.startsWith("TENSORAS_") || name === "NO_COLOR" || name === "FORCE_COLOR")
      continue
    env[name] = value
  }
  return env
}

/** Starts `tensoras-ingest` with `args`. */
export const spawnCli = (args: ReadonlyArray<string>, options: SpawnOptions = {}): Cli =>
  spawnScript(BIN, args, options)

/** Starts a TypeScript program of the workspace, from source. */
export const spawnScript = (script: string, args: ReadonlyArray<string>, options: SpawnOptions = {}): Cli => {
  const env = { ...cleanEnv(), ...(options.pty ? { TERM: "xterm" } : {}), ...options.env }
  const startedAt = Date.now()
  const child = options.pty
    ? spawn(
        "/usr/bin/script",
        ["-qfec", [process.execPath, ...NODE_ARGS, script, ...args].map(shellQuote).join(" "), "/dev/null"],
        { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] }
      )
    : spawn(process.execPath, [...NODE_ARGS, script, ...args], {
        cwd: ROOT,
        env,
        stdio: ["ignore", "pipe", "pipe"]
      })
  let stdout = ""
  let stderr = ""
  let firstOutputMs: number | undefined
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    firstOutputMs ??= Date.now() - startedAt
    stdout += chunk
  })
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk
  })
  const done = new Promise<Run>((resolve, reject) => {
    child.on("error", reject)
    child.on("close", (code, signal) => {
      for (const secret of SECRETS) {
        expect(stdout).not.toContain(secret)
        expect(stderr).not.toContain(secret)
      }
      resolve({ code, signal, stdout, stderr, ms: Date.now() - startedAt, firstOutputMs })
    })
  })
  const printed = (text: string) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        if (!stdout.includes(text)) return false
        child.stdout?.off("data", check)
        resolve(stdout)
        return true
      }
      if (!check()) child.stdout?.on("data", check)
      void done.then(() =>
        check() ? undefined : reject(new Error(`exited before printing ${JSON.stringify(text)}`))
      )
    })
  return { child, done, stdout: () => stdout, printed }
}

/** Runs `tensoras-ingest` to its end. */
export const runCli = (args: ReadonlyArray<string>, options: SpawnOptions = {}): Promise<Run> =>
  spawnCli(args, options).done

/** The environment that points the command at `simulator` with the canary key. */
export const envFor = (simulator: RunningSimulator): Record<string, string> => ({
  TENSORAS_API_KEY: CANARY,
  TENSORAS_BASE_URL: simulator.baseUrl
})

/** A manual-clock simulator accepting the canary key, closed after `use`. */
export const withSimulator = async <A>(
  options: StartSimulatorOptions,
  use: (simulator: RunningSimulator) => Promise<A>
): Promise<A> => {
  const simulator = await startSimulator({ clock: "manual", apiKey: CANARY, ...options })
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
export const drive = async (simulator: RunningSimulator, cli: Cli, step: number): Promise<Run> => {
  const finished = cli.done.then(() => "done" as const)
  for (let seen = 0; ; seen++) {
    const answered = simulator.control.waitForRequests(seen + 1, { settled: true, timeoutMs: 30_000 }).then(
      () => "answered" as const,
      (error: unknown) => error
    )
    const what = await Promise.race([answered, finished])
    if (what === "done") return cli.done
    if (what !== "answered") throw what
    simulator.control.advance(step)
  }
}

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
