/**
 * `TestProcess`'s implementation: starting a child (its command line and environment), its end (its
 * lifetime, the canaries, `exited`), stopping it, and the registry of every child still running.
 * What it prints and the waits on it are in `processOutput.ts`.
 */
import { type ChildProcess, spawn as spawnChild } from "node:child_process"
import { basename } from "node:path"
import * as Eventually from "../Eventually.js"
import * as TestLimit from "../TestLimit.js"
import type { Exit, NodeOptions, Spawned, SpawnOptions, StopOptions } from "../TestProcess.js"
import { line, MAX_TIMER_MS, makeRun, notify, printed, type Run, read, tail } from "./processOutput.js"

// Every process started here, across the test files of one test process: `stopAll` ends them, and the
// ones left when the test process exits are killed.
const REGISTRY = Symbol.for("@tensoras/ingestion-testkit/TestProcess")

const running = (): Set<Spawned> => {
  const holder = globalThis as { [REGISTRY]?: Set<Spawned> }
  let set = holder[REGISTRY]
  if (set === undefined) {
    const created = new Set<Spawned>()
    holder[REGISTRY] = created
    process.once("exit", () => {
      for (const spawned of created) spawned.kill("SIGKILL")
    })
    set = created
  }
  return set
}

const childEnv = (options: SpawnOptions): Record<string, string> => {
  const unset = new Set(["NO_COLOR", "FORCE_COLOR", ...(options.unset ?? [])])
  const env: Record<string, string> = {}
  for (const [name, value] of Object.entries(process.env)) {
    if (value === undefined || name.startsWith("TENSORAS_") || unset.has(name)) continue
    env[name] = value
  }
  return { ...env, ...(options.pty === true ? { TERM: "xterm" } : {}), ...options.env }
}

const shellQuote = (arg: string): string => `'${arg.replace(/'/g, "'\\''")}'`

/** Starts the child: in a pseudo-terminal (`script`) if asked, with the test's environment cleaned. */
const start = (command: string, args: ReadonlyArray<string>, options: SpawnOptions): ChildProcess => {
  const [file, argv] =
    options.pty === true
      ? ["/usr/bin/script", ["-qfec", [command, ...args].map(shellQuote).join(" "), "/dev/null"]]
      : [command, [...args]]
  return spawnChild(file, argv, {
    cwd: options.cwd ?? process.cwd(),
    env: childEnv(options),
    stdio: [options.stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"]
  })
}

/** Settles once the child has closed (everything it printed is read), or could not start. */
const closedOf = (run: Run, child: ChildProcess): Promise<Exit> =>
  new Promise<Exit>((resolve) => {
    const end = (code: number | null, signal: NodeJS.Signals | null) => {
      if (run.ended !== undefined) return
      run.ended = { code, signal, stdout: run.stdout, stderr: run.stderr }
      resolve(run.ended)
      notify(run)
    }
    // "close", not "exit": only then has everything it printed been read.
    child.once("close", end)
    child.on("error", (error) => {
      // A program that could not start (no such file) never closes; a failed `kill` changes nothing.
      if (child.pid !== undefined) return
      run.startError = error
      end(null, null)
    })
  })

/** Kills the child once its lifetime runs out; `exited` rejects then, or when a canary came out. */
const exitedOf = (
  run: Run,
  child: ChildProcess,
  closed: Promise<Exit>,
  lifetimeMs: number,
  options: SpawnOptions
): Promise<Exit> => {
  const lifetime =
    lifetimeMs <= MAX_TIMER_MS
      ? setTimeout(() => {
          run.outOfTime = true
          child.kill("SIGKILL")
        }, lifetimeMs)
      : undefined
  void closed.then(() => clearTimeout(lifetime))
  return closed.then((exit) => {
    if (run.startError !== undefined) throw run.startError
    if (run.outOfTime) {
      throw new Eventually.GaveUp(
        `${run.name} to exit (killed)`,
        lifetimeMs,
        [tail("stdout", exit.stdout), tail("stderr", exit.stderr)].join("\n")
      )
    }
    for (const canary of options.canaries ?? []) {
      for (const [stream, text] of [
        ["stdout", exit.stdout],
        ["stderr", exit.stderr]
      ] as const) {
        if (text.includes(canary)) throw new Error(`${run.name}: a canary key came out on its ${stream}`)
      }
    }
    return exit
  })
}

/** `signal`, then `SIGKILL` after the grace; once it has exited, its streams are let go. */
const stop = async (
  child: ChildProcess,
  closed: Promise<Exit>,
  kill: (signal?: NodeJS.Signals) => boolean,
  stopOptions: StopOptions
): Promise<Exit> => {
  const releaseStreams = () => {
    child.stdout?.destroy()
    child.stderr?.destroy()
  }
  const signal = stopOptions.signal ?? "SIGKILL"
  // Once it has exited, what a process it started may still hold open is not waited for.
  if (child.exitCode !== null || child.signalCode !== null) releaseStreams()
  else child.once("exit", releaseStreams)
  kill(signal)
  const graceMs = stopOptions.graceMs ?? TestLimit.ms
  const hard =
    signal !== "SIGKILL" && graceMs <= MAX_TIMER_MS ? setTimeout(() => kill("SIGKILL"), graceMs) : undefined
  const exit = await closed
  clearTimeout(hard)
  return exit
}

export const spawn = (command: string, args: ReadonlyArray<string>, options: SpawnOptions = {}): Spawned => {
  const name = options.name ?? [basename(command), ...args].join(" ").slice(0, 200)
  const limitMs = options.limitMs ?? TestLimit.ms
  const child = start(command, args, options)
  const run = makeRun(name, limitMs)
  read(run, child)
  const closed = closedOf(run, child)
  const exited = exitedOf(run, child, closed, options.lifetimeMs ?? limitMs, options)
  const kill = (signal: NodeJS.Signals = "SIGTERM"): boolean =>
    run.ended === undefined && child.exitCode === null && child.signalCode === null && child.kill(signal)
  const spawned: Spawned = {
    name,
    child,
    exited,
    stdout: () => run.stdout,
    stderr: () => run.stderr,
    lines: () => run.complete.slice(),
    onLine: (listener) => {
      run.lineListeners.add(listener)
      return () => run.lineListeners.delete(listener)
    },
    printed: (text) => printed(run, text),
    line: (match) => line(run, match),
    kill,
    stop: (stopOptions = {}) => stop(child, closed, kill, stopOptions)
  }
  const set = running()
  set.add(spawned)
  void closed.then(() => set.delete(spawned))
  if (options.stdin !== undefined) {
    child.stdin?.on("error", () => undefined) // a child that exits without reading it
    child.stdin?.end(options.stdin)
  }
  return spawned
}

const nodeArgv = (options: NodeOptions): Array<string> => [
  ...(options.tsx === false ? [] : ["--import", "tsx"]),
  ...(options.nodeArgs ?? [])
]

export const node = (script: string, args: ReadonlyArray<string> = [], options: NodeOptions = {}): Spawned =>
  spawn(process.execPath, [...nodeArgv(options), script, ...args], {
    name: [basename(script), ...args].join(" ").slice(0, 200),
    ...options
  })

export const nodeModule = (source: string, options: NodeOptions = {}): Spawned =>
  spawn(process.execPath, [...nodeArgv(options), "--input-type=module"], {
    name: "a module script",
    ...options,
    stdin: source
  })

export const stopAll = async (options: StopOptions = {}): Promise<void> => {
  await Promise.all(Array.from(running(), (spawned) => spawned.stop(options)))
}
