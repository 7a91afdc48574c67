/**
 * Child processes for tests (Node): start a program ({@link node}, {@link nodeModule}, {@link spawn}),
 * read what it prints as it prints it, wait for a line or some text under the tests' one limit
 * (`TestLimit.ms`), send it a signal, await its exit. Nothing a test starts outlives it: every process
 * is tracked, {@link stopAll} ends the ones still running (a test file calls it after its tests:
 * `afterAll(() => TestProcess.stopAll())`), the ones left when the test process exits are killed, and a process
 * still running after its limit is killed.
 *
 * Imports no test framework: waits reject (with `Eventually.GaveUp` when they give up), and the test
 * asserts on what they resolve with.
 *
 * @since 1.0.0
 */
import { type ChildProcess, spawn as spawnChild } from "node:child_process"
import { basename } from "node:path"
import * as Eventually from "./Eventually.js"
import * as TestLimit from "./TestLimit.js"

/**
 * How a process ended, and everything it printed.
 *
 * @example
 * ```ts
 * import { TestProcess } from "@tensoras/ingestion-testkit"
 *
 * const exit: TestProcess.Exit = await TestProcess.spawn("node", ["--version"]).exited
 * console.log(exit.code, exit.stdout) // 0 "v24…\n"
 * ```
 * @since 1.0.0
 * @category models
 */
export interface Exit {
  /** The exit code; `null` when a signal ended it. */
  readonly code: number | null
  /** The signal that ended it, if one did. */
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
}

/**
 * Options of {@link spawn}.
 *
 * @example
 * ```ts
 * import type { TestProcess } from "@tensoras/ingestion-testkit"
 *
 * const options: TestProcess.SpawnOptions = {
 *   env: { TENSORAS_API_KEY: "tns_your_key_here" },
 *   canaries: ["tns_your_key_here"],
 *   pty: true
 * }
 * ```
 * @since 1.0.0
 * @category models
 */
export interface SpawnOptions {
  /** The working directory. Default: the test's own (`process.cwd()`). */
  readonly cwd?: string
  /**
   * Variables on top of the test's environment. That environment goes to the child without the
   * client's settings (every `TENSORAS_*` variable), `NO_COLOR` and `FORCE_COLOR`, so the test gives the
   * child exactly the settings it means.
   */
  readonly env?: Readonly<Record<string, string>>
  /** More variables of the test's environment to leave out (e.g. `PORT`). */
  readonly unset?: ReadonlyArray<string>
  /** Written to the child's standard input, which is then closed. Default: no standard input. */
  readonly stdin?: string
  /**
   * Runs the program in a pseudo-terminal (util-linux `script`, Linux), with `TERM=xterm`: what it prints
   * (stdout and stderr, merged by the terminal) is what a terminal would show.
   */
  readonly pty?: boolean
  /**
   * Keys that must never come out of the program: when one shows in its stdout or stderr, `exited`
   * rejects, naming the stream (not the key).
   */
  readonly canaries?: ReadonlyArray<string>
  /** How long each wait ({@link Spawned.printed}, {@link Spawned.line}) waits. Default: `TestLimit.ms`. */
  readonly limitMs?: number
  /**
   * How long the process may run: still running then, it is killed (`SIGKILL`) and `exited` rejects
   * with an `Eventually.GaveUp`. Default: `limitMs`; `Infinity` for a process that lives as long as the
   * test file (a server, a worker).
   */
  readonly lifetimeMs?: number
  /** The process's name in errors. Default: the program and its arguments. */
  readonly name?: string
}

/**
 * Options of {@link node} and {@link nodeModule}: those of {@link spawn}, and Node's flags.
 *
 * @example
 * ```ts
 * import type { TestProcess } from "@tensoras/ingestion-testkit"
 *
 * // A workspace's TypeScript sources: the export condition that points at them.
 * const options: TestProcess.NodeOptions = { nodeArgs: ["--conditions=@tensoras/source"] }
 * ```
 * @since 1.0.0
 * @category models
 */
export interface NodeOptions extends SpawnOptions {
  /** Node's flags, before the program (after `--import tsx`). */
  readonly nodeArgs?: ReadonlyArray<string>
  /** Loads TypeScript through `tsx` (`--import tsx`, resolved from `cwd`). Default: `true`. */
  readonly tsx?: boolean
}

/**
 * What a line must be for {@link Spawned.line}: the whole line (without its line break), a pattern it
 * matches, or a test.
 *
 * @example
 * ```ts
 * import type { TestProcess } from "@tensoras/ingestion-testkit"
 *
 * const ready: TestProcess.LineMatch = (line) => line.startsWith("{") && JSON.parse(line).event === "ready"
 * ```
 * @since 1.0.0
 * @category models
 */
export type LineMatch = string | RegExp | ((line: string) => boolean)

/**
 * Options of {@link Spawned.stop} and {@link stopAll}.
 *
 * @example
 * ```ts
 * import type { TestProcess } from "@tensoras/ingestion-testkit"
 *
 * // Let the processes shut down (their finalizers run), and kill those that take longer than 20 s.
 * const options: TestProcess.StopOptions = { signal: "SIGTERM", graceMs: 20_000 }
 * ```
 * @since 1.0.0
 * @category models
 */
export interface StopOptions {
  /** The signal sent first. Default: `SIGKILL`. */
  readonly signal?: NodeJS.Signals
  /** After another signal than `SIGKILL`: how long until `SIGKILL`. Default: `TestLimit.ms`. */
  readonly graceMs?: number
}

/**
 * A process a test started. Its output is read as it comes (`stdout()`, `lines()`, `onLine`); the
 * waits resolve on an event and reject when the process exits first or after the limit.
 *
 * @example
 * ```ts
 * import { TestProcess } from "@tensoras/ingestion-testkit"
 *
 * const server: TestProcess.Spawned = TestProcess.node("packages/testkit/src/bin.ts", ["--scenario", "docs"])
 * const baseUrl = await server.line(/^http:/)
 * server.kill("SIGTERM")
 * const exit = await server.exited
 * console.log(baseUrl, exit.code) // http://127.0.0.1:41234/v1 0
 * ```
 * @since 1.0.0
 * @category models
 */
export interface Spawned {
  /** The process's name in errors. */
  readonly name: string
  /** The child process itself (its pid, its streams). */
  readonly child: ChildProcess
  /**
   * Settles once the process has exited and all it printed is read: with its {@link Exit}; rejects
   * if a canary came out, or if its lifetime ran out (it was killed).
   */
  readonly exited: Promise<Exit>
  /** Everything it printed on stdout so far. */
  readonly stdout: () => string
  /** Everything it printed on stderr so far. */
  readonly stderr: () => string
  /** The complete lines of its stdout so far (without their line breaks). */
  readonly lines: () => ReadonlyArray<string>
  /** Calls `listener` with each complete stdout line from now on; returns what unsubscribes it. */
  readonly onLine: (listener: (line: string) => void) => () => void
  /** Resolves with the stdout so far once it contains `text` (or matches the pattern). */
  readonly printed: (text: string | RegExp) => Promise<string>
  /** Resolves with the first stdout line (already printed or to come) that matches. */
  readonly line: (match: LineMatch) => Promise<string>
  /** Sends a signal (default `SIGTERM`); `false` when the process has already exited. */
  readonly kill: (signal?: NodeJS.Signals) => boolean
  /** Ends the process if it still runs (default `SIGKILL`), and resolves once it has exited. */
  readonly stop: (options?: StopOptions) => Promise<Exit>
}

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

/** The longest delay `setTimeout` keeps: a longer limit is no limit. */
const MAX_TIMER_MS = 2_147_483_647

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

const TAIL = 2_000
const tail = (label: string, text: string): string =>
  `${label}: ${text === "" ? "(nothing)" : JSON.stringify(text.length > TAIL ? `…${text.slice(-TAIL)}` : text)}`

const endOf = (exit: Exit): string => (exit.signal === null ? `exit code ${exit.code}` : exit.signal)

const matcher = (match: LineMatch): ((line: string) => boolean) =>
  typeof match === "string"
    ? (line) => line === match
    : match instanceof RegExp
      ? (line) => line.search(match) >= 0
      : match

/**
 * Starts `command` with `args` (no shell), its stdout and stderr read as they come. Tracked: see
 * {@link stopAll}.
 *
 * @example
 * ```ts
 * import { TestProcess } from "@tensoras/ingestion-testkit"
 *
 * const echo = TestProcess.spawn("sh", ["-c", "echo ready; read line; echo got $line"], { stdin: "x\n" })
 * await echo.line("ready")
 * const exit = await echo.exited
 * console.log(exit.stdout) // "ready\ngot x\n"
 * ```
 * @since 1.0.0
 * @category constructors
 */
export const spawn = (command: string, args: ReadonlyArray<string>, options: SpawnOptions = {}): Spawned => {
  const name = options.name ?? [basename(command), ...args].join(" ").slice(0, 200)
  const limitMs = options.limitMs ?? TestLimit.ms
  const lifetimeMs = options.lifetimeMs ?? limitMs
  const [file, argv] =
    options.pty === true
      ? ["/usr/bin/script", ["-qfec", [command, ...args].map(shellQuote).join(" "), "/dev/null"]]
      : [command, [...args]]
  const child: ChildProcess = spawnChild(file, argv, {
    cwd: options.cwd ?? process.cwd(),
    env: childEnv(options),
    stdio: [options.stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"]
  })

  let stdout = ""
  let stderr = ""
  // The complete lines of stdout, and the line still being written.
  const complete: Array<string> = []
  let partial = ""
  const lineListeners = new Set<(line: string) => void>()
  // Called on every change: new output, or the end.
  const watchers = new Set<() => void>()
  const notify = () => {
    for (const watcher of [...watchers]) watcher()
  }

  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk
    partial += chunk
    if (chunk.includes("\n")) {
      const parts = partial.split("\n")
      partial = parts.pop() ?? ""
      for (const part of parts) {
        const line = part.endsWith("\r") ? part.slice(0, -1) : part
        complete.push(line)
        for (const listener of [...lineListeners]) listener(line)
      }
    }
    notify()
  })
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk
  })

  let outOfTime = false
  let startError: Error | undefined
  let ended: Exit | undefined
  const closed = new Promise<Exit>((resolve) => {
    const end = (code: number | null, signal: NodeJS.Signals | null) => {
      if (ended !== undefined) return
      ended = { code, signal, stdout, stderr }
      resolve(ended)
      notify()
    }
    // "close", not "exit": only then has everything it printed been read.
    child.once("close", end)
    child.on("error", (error) => {
      // A program that could not start (no such file) never closes; a failed `kill` changes nothing.
      if (child.pid !== undefined) return
      startError = error
      end(null, null)
    })
  })

  const lifetime =
    lifetimeMs <= MAX_TIMER_MS
      ? setTimeout(() => {
          outOfTime = true
          child.kill("SIGKILL")
        }, lifetimeMs)
      : undefined
  void closed.then(() => clearTimeout(lifetime))

  const exited = closed.then((exit) => {
    if (startError !== undefined) throw startError
    if (outOfTime) {
      throw new Eventually.GaveUp(
        `${name} to exit (killed)`,
        lifetimeMs,
        [tail("stdout", exit.stdout), tail("stderr", exit.stderr)].join("\n")
      )
    }
    for (const canary of options.canaries ?? []) {
      for (const [stream, text] of [
        ["stdout", exit.stdout],
        ["stderr", exit.stderr]
      ] as const) {
        if (text.includes(canary)) throw new Error(`${name}: a canary key came out on its ${stream}`)
      }
    }
    return exit
  })

  /** Resolves with `found()`'s first answer; rejects when the process ends first, or after the limit. */
  const waitFor = <A>(what: string, found: () => A | undefined): Promise<A> =>
    new Promise<A>((resolve, reject) => {
      const finish = (done: () => void) => {
        watchers.delete(check)
        clearTimeout(timer)
        done()
      }
      const check = () => {
        const value = found()
        if (value !== undefined) return finish(() => resolve(value))
        if (ended !== undefined) {
          const end = ended
          finish(() =>
            reject(
              new Error(
                `${name} ended (${endOf(end)}) before ${what}\n${tail("stdout", end.stdout)}\n${tail("stderr", end.stderr)}`
              )
            )
          )
        }
      }
      const timer =
        limitMs <= MAX_TIMER_MS
          ? setTimeout(
              () =>
                finish(() =>
                  reject(
                    new Eventually.GaveUp(
                      `${name} ${what}`,
                      limitMs,
                      `${tail("stdout", stdout)}\n${tail("stderr", stderr)}`
                    )
                  )
                ),
              limitMs
            )
          : undefined
      watchers.add(check)
      check()
    })

  const releaseStreams = () => {
    child.stdout?.destroy()
    child.stderr?.destroy()
  }

  const kill = (signal: NodeJS.Signals = "SIGTERM"): boolean =>
    ended === undefined && child.exitCode === null && child.signalCode === null && child.kill(signal)

  const spawned: Spawned = {
    name,
    child,
    exited,
    stdout: () => stdout,
    stderr: () => stderr,
    lines: () => complete.slice(),
    onLine: (listener) => {
      lineListeners.add(listener)
      return () => lineListeners.delete(listener)
    },
    printed: (text) => {
      if (typeof text !== "string")
        return waitFor(`printed ${String(text)}`, () => (stdout.search(text) >= 0 ? stdout : undefined))
      // Each check searches what is new (and the text's length before it), not all of stdout again.
      let from = 0
      return waitFor(`printed ${JSON.stringify(text)}`, () => {
        const found = stdout.includes(text, from)
        from = Math.max(0, stdout.length - text.length + 1)
        return found ? stdout : undefined
      })
    },
    line: (match) => {
      const test = matcher(match)
      const what = `printed a line ${typeof match === "function" ? "it waited for" : `matching ${typeof match === "string" ? JSON.stringify(match) : String(match)}`}`
      // Each check reads the lines that are new.
      let next = 0
      return waitFor(what, () => {
        for (; next < complete.length; next++) {
          const line = complete[next] as string
          if (test(line)) return line
        }
        return undefined
      })
    },
    kill,
    stop: async (stopOptions = {}) => {
      const signal = stopOptions.signal ?? "SIGKILL"
      // Once it has exited, what a process it started may still hold open is not waited for.
      if (child.exitCode !== null || child.signalCode !== null) releaseStreams()
      else child.once("exit", releaseStreams)
      kill(signal)
      const graceMs = stopOptions.graceMs ?? TestLimit.ms
      const hard =
        signal !== "SIGKILL" && graceMs <= MAX_TIMER_MS
          ? setTimeout(() => kill("SIGKILL"), graceMs)
          : undefined
      const exit = await closed
      clearTimeout(hard)
      return exit
    }
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

/**
 * Starts a program on this Node (`process.execPath`), TypeScript included (through `tsx`): `script`
 * (a path, resolved from `cwd`) with `args`. Tracked: see {@link stopAll}.
 *
 * @example
 * ```ts
 * import { TestProcess } from "@tensoras/ingestion-testkit"
 *
 * const bin = TestProcess.node("packages/cli/src/bin.ts", ["simulate", "--scenario", "failing"], {
 *   nodeArgs: ["--conditions=@tensoras/source"]
 * })
 * await bin.printed("try: ")
 * bin.kill("SIGINT")
 * console.log((await bin.exited).code) // 0
 * ```
 * @since 1.0.0
 * @category constructors
 */
export const node = (script: string, args: ReadonlyArray<string> = [], options: NodeOptions = {}): Spawned =>
  spawn(process.execPath, [...nodeArgv(options), script, ...args], {
    name: [basename(script), ...args].join(" ").slice(0, 200),
    ...options
  })

/**
 * Runs an ES module given as source text (on standard input, `--input-type=module`) on this Node,
 * through `tsx`: its imports resolve from `cwd`. Tracked: see {@link stopAll}.
 *
 * @example
 * ```ts
 * import { TestProcess } from "@tensoras/ingestion-testkit"
 *
 * const script = TestProcess.nodeModule(`console.log("persisted 1"); setInterval(() => {}, 1000)`)
 * await script.line("persisted 1")
 * script.kill("SIGKILL")
 * console.log((await script.exited).signal) // "SIGKILL"
 * ```
 * @since 1.0.0
 * @category constructors
 */
export const nodeModule = (source: string, options: NodeOptions = {}): Spawned =>
  spawn(process.execPath, [...nodeArgv(options), "--input-type=module"], {
    name: "a module script",
    ...options,
    stdin: source
  })

/**
 * Ends every process started here that still runs (`SIGKILL`, or `signal` then `SIGKILL` after
 * `graceMs`), and resolves once they have exited. A test file calls it after its tests, so that a
 * test that failed or gave up leaves no process behind.
 *
 * @example
 * ```ts
 * import { TestProcess } from "@tensoras/ingestion-testkit"
 * import { afterAll } from "vitest"
 *
 * afterAll(() => TestProcess.stopAll())
 * // A server's finalizers run on SIGTERM; those still running 20 s later are killed.
 * afterAll(() => TestProcess.stopAll({ signal: "SIGTERM", graceMs: 20_000 }))
 * ```
 * @since 1.0.0
 * @category lifecycle
 */
export const stopAll = async (options: StopOptions = {}): Promise<void> => {
  await Promise.all(Array.from(running(), (spawned) => spawned.stop(options)))
}
