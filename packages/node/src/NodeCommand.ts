/**
 * The start of a command-line program on Node, as `tensoras-ingest` and `tensoras-cluster` start:
 * the arguments are parsed and checked first; help and version are printed (exit 0), a usage error
 * goes to stderr (exit 2, `ExitCode.usage`) and nothing runs; every text is scrubbed of the
 * program's secrets, even in a usage error; a closed stdout pipe (`… | head -1`) ends the program
 * quietly; only then does the command run, typically loaded with `import()` and run with
 * `NodeIngestion.runMain`.
 *
 * This module loads no Effect (it needs only `@tensoras/ingestion/Redaction`), so help and usage
 * errors answer before the Effect runtime is loaded.
 *
 * @since 0.1.0
 */
import * as Redaction from "@tensoras/ingestion/Redaction"

/**
 * What the program prints and how it ends, or the command to run: the result of parsing the
 * command line.
 *
 * - `Print`: help or version, on stdout; exit 0.
 * - `Usage`: bad usage: `error: <message>`, a blank line and the usage, on stderr; exit 2.
 * - `Invalid`: a bad value: `error: <message>` on stderr; exit 2.
 * - `Run`: the command to run.
 *
 * @example
 * ```ts
 * import type * as NodeCommand from "@tensoras/ingestion-node/NodeCommand"
 *
 * const USAGE = "Usage: wait-for <job_id>\n"
 * const parse = (args: ReadonlyArray<string>): NodeCommand.Parsed<{ readonly jobId: string }> =>
 *   args[0] === "--help"
 *     ? { _tag: "Print", text: USAGE }
 *     : args[0] === undefined
 *       ? { _tag: "Usage", message: "missing <job_id>", usage: USAGE }
 *       : { _tag: "Run", command: { jobId: args[0] } }
 * ```
 * @category models
 * @since 0.1.0
 */
export type Parsed<Command> =
  | { readonly _tag: "Print"; readonly text: string }
  | { readonly _tag: "Usage"; readonly message: string; readonly usage: string }
  | { readonly _tag: "Invalid"; readonly message: string }
  | { readonly _tag: "Run"; readonly command: Command }

/**
 * Options of {@link start}.
 *
 * @example
 * ```ts
 * import type * as NodeCommand from "@tensoras/ingestion-node/NodeCommand"
 *
 * const options: NodeCommand.StartOptions<{ readonly jobId: string }> = {
 *   parse: (args) =>
 *     args[0] === undefined
 *       ? { _tag: "Invalid", message: "missing <job_id>" }
 *       : { _tag: "Run", command: { jobId: args[0] } },
 *   secrets: (_args, env) => [env.TENSORAS_API_KEY ?? ""],
 *   run: (command, scrub) => {
 *     process.stdout.write(scrub(`waiting for ${command.jobId}\n`))
 *   }
 * }
 * ```
 * @category models
 * @since 0.1.0
 */
export interface StartOptions<Command> {
  /** Parses the arguments (without `node` and the script) against the environment. */
  readonly parse: (args: ReadonlyArray<string>, env: NodeJS.ProcessEnv) => Parsed<Command>
  /**
   * The secrets the command line and the environment hold (an API key, a password), found before
   * parsing, so that not even a usage error prints them. Default: none (only `Bearer …` tokens are
   * masked). Empty strings are ignored.
   */
  readonly secrets?:
    | ((args: ReadonlyArray<string>, env: NodeJS.ProcessEnv) => ReadonlyArray<string>)
    | undefined
  /** Runs the command; everything it prints should pass through `scrub`. */
  readonly run: (command: Command, scrub: Redaction.Scrub) => void | Promise<void>
}

/** `ExitCode.usage` of `@tensoras/ingestion`, here without loading that module (it loads Effect). */
const USAGE_EXIT_CODE = 2

/**
 * Starts a command-line program with `process.argv` and `process.env`: parses, prints or runs
 * (see the module's description). Resolves once the command's `run` has returned.
 *
 * @example
 * ```ts
 * import * as NodeCommand from "@tensoras/ingestion-node/NodeCommand"
 *
 * const USAGE = "Usage: wait-for <kb_id> <job_id>\n"
 *
 * await NodeCommand.start({
 *   parse: (args) => {
 *     const [knowledgeBaseId, jobId] = args
 *     if (args.includes("--help")) return { _tag: "Print", text: USAGE }
 *     if (knowledgeBaseId === undefined || jobId === undefined)
 *       return { _tag: "Usage", message: "missing <kb_id> or <job_id>", usage: USAGE }
 *     return { _tag: "Run", command: { knowledgeBaseId, jobId } }
 *   },
 *   secrets: (_args, env) => [env.TENSORAS_API_KEY ?? ""],
 *   run: async ({ knowledgeBaseId, jobId }, scrub) => {
 *     // Loaded only now: `--help` and usage errors did not wait for Effect to load.
 *     const { Wait } = await import("@tensoras/ingestion")
 *     const { NodeIngestion } = await import("@tensoras/ingestion-node")
 *     const Effect = await import("effect/Effect")
 *     Wait.waitFor(knowledgeBaseId, jobId).pipe(
 *       Effect.tap((job) => Effect.sync(() => process.stdout.write(scrub(`${job.chunks_created} chunks\n`)))),
 *       Effect.provide(NodeIngestion.layerConfig()),
 *       NodeIngestion.runMain
 *     )
 *   }
 * })
 * ```
 * @category running
 * @since 0.1.0
 */
export const start = async <Command>(options: StartOptions<Command>): Promise<void> => {
  const args = process.argv.slice(2)
  const scrub = Redaction.makeScrub(options.secrets?.(args, process.env) ?? [])

  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(0)
    throw error
  })

  const parsed = options.parse(args, process.env)
  switch (parsed._tag) {
    case "Print":
      process.stdout.write(scrub(parsed.text))
      return
    case "Usage":
      process.stderr.write(scrub(`error: ${parsed.message}\n\n${parsed.usage}`))
      process.exitCode = USAGE_EXIT_CODE
      return
    case "Invalid":
      process.stderr.write(scrub(`error: ${parsed.message}\n`))
      process.exitCode = USAGE_EXIT_CODE
      return
    case "Run":
      return options.run(parsed.command, scrub)
  }
}

const DURATION = /^(\d{1,9})(ms|s|m|h)$/
const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const

/**
 * The duration grammar of both bins' flags (`--timeout`, `--interval`, `--poll-interval`, …): a positive
 * whole number of at most 9 digits and a unit, `ms`, `s`, `m` or `h` (`500ms`, `5s`, `2m`, `1h`), nothing
 * else. Returns the milliseconds, or the message of the usage error naming the flag.
 *
 * @example
 * ```ts
 * import * as NodeCommand from "@tensoras/ingestion-node/NodeCommand"
 *
 * NodeCommand.parseDuration("timeout", "2m") // 120000
 * NodeCommand.parseDuration("timeout", "2 minutes") // "--timeout must be a positive whole number …"
 * ```
 * @category parsing
 * @since 1.0.0
 */
export const parseDuration = (flag: string, text: string): number | string => {
  const match = DURATION.exec(text)
  const ms = match === null ? 0 : Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS]
  return ms > 0
    ? ms
    : `--${flag} must be a positive whole number with a unit ms, s, m or h, such as 500ms, 5s, 2m or 1h (got '${text}')`
}

/**
 * How both bins read a flag or an environment variable, by core's rule (`IngestionJobsClient.readEnvironment`):
 * absent or empty is unset (a shell's `VAR= cmd`, a missing CI secret or `--base-url ""` means "not given");
 * anything else is the value as written, so a key of spaces gets its own precise error.
 *
 * @example
 * ```ts
 * import * as NodeCommand from "@tensoras/ingestion-node/NodeCommand"
 *
 * NodeCommand.given("") // undefined
 * NodeCommand.given("kb_abc123") // "kb_abc123"
 * ```
 * @category parsing
 * @since 1.0.0
 */
export const given = (value: string | undefined): string | undefined =>
  value === undefined || value === "" ? undefined : value
