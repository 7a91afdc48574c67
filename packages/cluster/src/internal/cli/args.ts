/**
 * The command line of `tensoras-cluster`, parsed and validated before anything runs: a bad flag,
 * duration, port, jobs file or id is reported here, and nothing is started or sent. No Effect runtime is
 * loaded on this path, so help and usage errors answer at once: an id the API would refuse is found by
 * core's Effect-free rule (`@tensoras/ingestion/IngestionId`). A flag or a variable set to the empty
 * string is not given, by core's rule for the environment (`NodeCommand.given`).
 */
import { readFileSync } from "node:fs"
import { parseArgs } from "node:util"
import * as IngestionId from "@tensoras/ingestion/IngestionId"
import * as NodeCommand from "@tensoras/ingestion-node/NodeCommand"

export interface RunnerCommand {
  readonly _tag: "Runner"
  readonly databaseUrl: string
  readonly host: string
  readonly port: number
  readonly listenHost: string | undefined
  readonly apiKey: string | undefined
  readonly baseUrl: string | undefined
  readonly pollIntervalMs: number | undefined
  readonly json: boolean
}

export interface WaitCommand {
  readonly _tag: "Wait"
  readonly databaseUrl: string
  readonly knowledgeBaseId: string
  readonly jobIds: ReadonlyArray<string>
  readonly timeoutMs: number | undefined
  readonly json: boolean
}

/** `tensoras-cluster ui`: the operators' page (`ui/command.ts`). */
export interface UiCommand {
  readonly _tag: "Ui"
  readonly databaseUrl: string
  /** 0: a free port. */
  readonly port: number
  readonly intervalMs: number
}

export type Command = RunnerCommand | WaitCommand | UiCommand

/** Help or version, a usage error, a bad value (exit 2), or the command to run. */
export type Parsed = NodeCommand.Parsed<Command>

export const DEFAULT_PORT = 24431

export const MAIN_USAGE = `Usage: tensoras-cluster <command> [options]

Durable waits for Tensoras ingestion jobs, on a cluster of runners over PostgreSQL.

Commands:
  runner   run a runner until SIGINT/SIGTERM (then it drains and exits 0)
  wait     join or start durable waits for jobs (new ones in batches) and print each outcome
  ui       serve a live page of the cluster's waits, runners and rounds on 127.0.0.1 (read-only)

Run 'tensoras-cluster <command> --help' for its options.
`

export const RUNNER_USAGE = `Usage: tensoras-cluster runner [options]

Joins the cluster and polls the knowledge bases of its shards, one loop per knowledge base, for every
wait registered on them. Runs until SIGINT or SIGTERM, then leaves the cluster and exits 0.

Options:
  --database-url <url>     PostgreSQL (default: $TENSORAS_DATABASE_URL); never printed
  --port <n>               the port to listen on, below 32768 (default ${DEFAULT_PORT})
  --host <host>            the address other runners reach this one at (default 127.0.0.1)
  --listen-host <host>     the address to listen on, if not --host (e.g. 0.0.0.0)
  --base-url <url>         the API's base URL (default: $TENSORAS_BASE_URL, else production)
  --poll-interval <d>      poll every d (default: the library's default schedule)
  --json                   NDJSON events on stdout: ready, round, shards
  -h, --help

The API key is read from $TENSORAS_API_KEY and never printed.
Durations: a whole number and a unit, ms, s, m or h: 500ms, 5s, 2m, 1h.
`

export const WAIT_USAGE = `Usage: tensoras-cluster wait <knowledge-base-id> <job-id>... [options]

Waits for each job through the cluster and prints one line per job when it ends. A job with a durable
wait running (whoever started it) joins it; one whose last wait ended answers at once, with its outcome;
the others get new waits, registered together: one workflow per 1,000 jobs. After a crash, or once the
waits ended, the same command joins the same waits. A wait that had timed out is started again: a job
can always be waited on again.

Options:
  --jobs-file <file>       more job ids, one a line ('-': standard input)
  --database-url <url>     PostgreSQL (default: $TENSORAS_DATABASE_URL); never printed
  --timeout <d>            this command's timeout, from its start (default 30m): then a job still
                           running is timed_out (its wait goes on in the cluster until its own deadline)
  --json                   one NDJSON object per job: job_id, outcome (completed | failed |
                           timed_out | error), _tag, documents_failed, message
  -h, --help

Exit codes: 0 every job completed; 1 some did not; 2 bad usage or input (nothing was started);
69 the cluster could not be reached before the timeout (PostgreSQL, or no runner took up a wait:
those jobs' lines say ClusterUnavailable); 130 / 143 interrupted (SIGINT / SIGTERM).
Durations: a whole number and a unit, ms, s, m or h: 500ms, 5s, 2m, 1h.
`

export const DEFAULT_UI_INTERVAL_MS = 1_000

export const UI_USAGE = `Usage: tensoras-cluster ui [options]

Serves a live page for operators on 127.0.0.1: per knowledge base its waits, pending and ended (by outcome), the
runner that holds it and the runners that ended its waits, its nearest deadlines and recent polling rounds; the
runners and the shards they hold. It reads PostgreSQL in read-only transactions on one read-only session, and
writes nothing. It prints the page's address (with an unguessable token) and opens nothing; Ctrl-C stops it.

Options:
  --database-url <url>     PostgreSQL (default: $TENSORAS_DATABASE_URL); never printed, never on the page
  --port <n>               the page's port on 127.0.0.1 (default: a free one)
  --interval <d>           read PostgreSQL every d (default 1s; each read counts the store's waits)
  -h, --help

Exit codes: 130 / 143 stopped by SIGINT / SIGTERM; 2 bad usage; 70 the page could not be served.
Durations: a whole number and a unit, ms, s, m or h: 500ms, 5s, 2m, 1h.
`

/** Both bins' one duration grammar (`NodeCommand.parseDuration`); an absent flag is no duration. */
const durationMs = (
  flag: string,
  text: string | undefined
): number | undefined | { readonly error: string } => {
  if (text === undefined) return undefined
  const ms = NodeCommand.parseDuration(flag, text)
  return typeof ms === "string" ? { error: ms } : ms
}

const isError = (value: unknown): value is { readonly error: string } =>
  typeof value === "object" && value !== null && "error" in value

const databaseUrlOf = (
  flag: string | undefined,
  env: NodeJS.ProcessEnv
): string | { readonly error: string } => {
  const url = NodeCommand.given(flag) ?? NodeCommand.given(env.TENSORAS_DATABASE_URL)
  if (url === undefined) return { error: "no database: pass --database-url or set TENSORAS_DATABASE_URL" }
  if (!/^postgres(ql)?:\/\//.test(url)) return { error: "--database-url must be a postgres:// URL" }
  return url
}

const parseRunner = (args: ReadonlyArray<string>, env: NodeJS.ProcessEnv): Parsed => {
  const { values, positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    strict: true,
    options: {
      "database-url": { type: "string" },
      port: { type: "string" },
      host: { type: "string" },
      "listen-host": { type: "string" },
      "base-url": { type: "string" },
      "poll-interval": { type: "string" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" }
    }
  })
  if (values.help) return { _tag: "Print", text: RUNNER_USAGE }
  const usage = (message: string): Parsed => ({ _tag: "Usage", message, usage: RUNNER_USAGE })
  if (positionals.length > 0) return usage(`unexpected argument '${positionals[0]}'`)
  const databaseUrl = databaseUrlOf(values["database-url"], env)
  if (isError(databaseUrl)) return usage(databaseUrl.error)
  const port = values.port === undefined ? DEFAULT_PORT : Number(values.port)
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    return usage(`--port must be a port number (got '${values.port}')`)
  }
  const pollIntervalMs = durationMs("poll-interval", values["poll-interval"])
  if (isError(pollIntervalMs)) return usage(pollIntervalMs.error)
  const baseUrl = NodeCommand.given(values["base-url"]) ?? NodeCommand.given(env.TENSORAS_BASE_URL)
  if (baseUrl !== undefined && !URL.canParse(baseUrl)) return usage("--base-url must be a URL")
  const apiKey = NodeCommand.given(env.TENSORAS_API_KEY)
  if (apiKey === undefined) return usage("no API key: set TENSORAS_API_KEY")
  return {
    _tag: "Run",
    command: {
      _tag: "Runner",
      databaseUrl,
      host: NodeCommand.given(values.host) ?? "127.0.0.1",
      port,
      listenHost: NodeCommand.given(values["listen-host"]),
      apiKey,
      baseUrl,
      pollIntervalMs,
      json: values.json === true
    }
  }
}

const readJobsFile = (
  file: string,
  stdin: () => string
): ReadonlyArray<string> | { readonly error: string } => {
  try {
    const text = file === "-" ? stdin() : readFileSync(file, "utf8")
    return text
      .split(/\r?\n/)
      .map((line) => line.trim())
      .filter((line) => line.length > 0 && !line.startsWith("#"))
  } catch (error) {
    return { error: `cannot read --jobs-file '${file}': ${(error as NodeJS.ErrnoException).code ?? "error"}` }
  }
}

/**
 * The command's IDs by core's one rule and its message (`IngestionId.idProblem`, which every call applies
 * before sending), as `tensoras-ingest` reports them: an ID the API would refuse is bad input (exit 2), and
 * nothing is started.
 */
const idsError = (knowledgeBaseId: string, jobIds: ReadonlyArray<string>): Parsed | undefined => {
  const problemOf = (param: string, id: string): Parsed | undefined => {
    const problem = IngestionId.idProblem(param, id)
    return problem === undefined
      ? undefined
      : { _tag: "Invalid", message: `InvalidInput (${param}): ${problem}` }
  }
  const knowledgeBase = problemOf("knowledgeBaseId", knowledgeBaseId)
  if (knowledgeBase !== undefined) return knowledgeBase
  for (const jobId of jobIds) {
    const job = problemOf("jobId", jobId)
    if (job !== undefined) return job
  }
  return undefined
}

const parseWait = (args: ReadonlyArray<string>, env: NodeJS.ProcessEnv, stdin: () => string): Parsed => {
  const { values, positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    strict: true,
    options: {
      "jobs-file": { type: "string" },
      "database-url": { type: "string" },
      timeout: { type: "string" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" }
    }
  })
  if (values.help) return { _tag: "Print", text: WAIT_USAGE }
  const usage = (message: string): Parsed => ({ _tag: "Usage", message, usage: WAIT_USAGE })
  const knowledgeBaseId = NodeCommand.given(positionals[0])
  if (knowledgeBaseId === undefined) return usage("a knowledge base id is required")
  const fromArgs = positionals.slice(1)
  const fromFile = values["jobs-file"] === undefined ? [] : readJobsFile(values["jobs-file"], stdin)
  if (isError(fromFile)) return usage(fromFile.error)
  const jobIds = [...fromArgs, ...fromFile]
  if (jobIds.length === 0) return usage("at least one job id is required (arguments or --jobs-file)")
  const timeoutMs = durationMs("timeout", values.timeout)
  if (isError(timeoutMs)) return usage(timeoutMs.error)
  const databaseUrl = databaseUrlOf(values["database-url"], env)
  if (isError(databaseUrl)) return usage(databaseUrl.error)
  const badId = idsError(knowledgeBaseId, jobIds)
  if (badId !== undefined) return badId
  return {
    _tag: "Run",
    command: {
      _tag: "Wait",
      databaseUrl,
      knowledgeBaseId,
      // The same job named twice is one wait.
      jobIds: Array.from(new Set(jobIds)),
      timeoutMs,
      json: values.json === true
    }
  }
}

const parseUi = (args: ReadonlyArray<string>, env: NodeJS.ProcessEnv): Parsed => {
  const { values, positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    strict: true,
    options: {
      "database-url": { type: "string" },
      port: { type: "string" },
      interval: { type: "string" },
      help: { type: "boolean", short: "h" }
    }
  })
  if (values.help) return { _tag: "Print", text: UI_USAGE }
  const usage = (message: string): Parsed => ({ _tag: "Usage", message, usage: UI_USAGE })
  if (positionals.length > 0) return usage(`unexpected argument '${positionals[0]}'`)
  const port =
    values.port === undefined ? 0 : /^\d{1,5}$/.test(values.port) ? Number(values.port) : Number.NaN
  if (!(port >= 0 && port <= 65535))
    return usage(`--port must be an integer from 0 to 65535 (got '${values.port}')`)
  const intervalMs = durationMs("interval", values.interval)
  if (isError(intervalMs)) return usage(intervalMs.error)
  const databaseUrl = databaseUrlOf(values["database-url"], env)
  if (isError(databaseUrl)) return usage(databaseUrl.error)
  return {
    _tag: "Run",
    command: { _tag: "Ui", databaseUrl, port, intervalMs: intervalMs ?? DEFAULT_UI_INTERVAL_MS }
  }
}

const USAGES: Readonly<Record<string, string>> = { runner: RUNNER_USAGE, wait: WAIT_USAGE, ui: UI_USAGE }

export const parse = (
  args: ReadonlyArray<string>,
  env: NodeJS.ProcessEnv,
  version: string,
  stdin: () => string = () => readFileSync(0, "utf8")
): Parsed => {
  const [command, ...rest] = args
  try {
    switch (command) {
      case "runner":
        return parseRunner(rest, env)
      case "wait":
        return parseWait(rest, env, stdin)
      case "ui":
        return parseUi(rest, env)
      case "--version":
      case "-v":
        return { _tag: "Print", text: `${version}\n` }
      case undefined:
      case "--help":
      case "-h":
      case "help":
        return { _tag: "Print", text: MAIN_USAGE }
      default:
        return { _tag: "Usage", message: `unknown command '${command}'`, usage: MAIN_USAGE }
    }
  } catch (error) {
    // node:util's parseArgs rejects unknown flags and missing values.
    return { _tag: "Usage", message: (error as Error).message, usage: USAGES[command ?? ""] ?? MAIN_USAGE }
  }
}

/** The secrets a command line and environment hold: the API key and the database URL's password. */
export const secretsIn = (args: ReadonlyArray<string>, env: NodeJS.ProcessEnv): ReadonlyArray<string> => {
  const secrets: Array<string> = []
  const key = NodeCommand.given(env.TENSORAS_API_KEY)
  // A key of whitespace alone is never sent (core refuses it), and masking it would mask the spaces of every line.
  if (key !== undefined && key.trim() !== "") secrets.push(key)
  const urls = [env.TENSORAS_DATABASE_URL]
  args.forEach((arg, index) => {
    if (arg === "--database-url") urls.push(args[index + 1])
    else if (arg.startsWith("--database-url=")) urls.push(arg.slice("--database-url=".length))
  })
  for (const url of urls) {
    if (url === undefined || !URL.canParse(url)) continue
    const password = decodeURIComponent(new URL(url).password)
    if (password.length > 0) secrets.push(password, new URL(url).password)
  }
  return secrets.filter((secret) => secret.length > 0)
}
