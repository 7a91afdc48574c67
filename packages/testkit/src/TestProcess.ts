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
import type { ChildProcess } from "node:child_process"
import * as internal from "./internal/testProcess.js"

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
export const spawn: (command: string, args: ReadonlyArray<string>, options?: SpawnOptions) => Spawned =
  internal.spawn

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
export const node: (script: string, args?: ReadonlyArray<string>, options?: NodeOptions) => Spawned =
  internal.node

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
export const nodeModule: (source: string, options?: NodeOptions) => Spawned = internal.nodeModule

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
export const stopAll: (options?: StopOptions) => Promise<void> = internal.stopAll
