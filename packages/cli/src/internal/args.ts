/**
 * The command line of `tensoras-ingest`, parsed and validated before anything runs: a bad flag,
 * ID, limit, status, duration or port is reported here, and nothing is sent. This module is
 * light on purpose (no Effect runtime), so `--help` and usage errors answer at once.
 */
import { parseArgs } from "node:util"
import * as IngestionJob from "@tensoras/ingestion/IngestionJob"
import * as IngestionJobs from "@tensoras/ingestion/IngestionJobs"
import * as WaitEngine from "@tensoras/ingestion/WaitEngine"
import * as NodeCommand from "@tensoras/ingestion-node/NodeCommand"
import * as Scenarios from "@tensoras/ingestion-testkit/Scenarios"
import * as Duration from "effect/Duration"
import * as Redacted from "effect/Redacted"

/** Where the API is and how to authenticate; the key is `Redacted` from the moment it is read. */
export interface Connection {
  readonly apiKey: Redacted.Redacted<string>
  /** `undefined`: the production URL. */
  readonly baseUrl: string | undefined
  /** `--allow-insecure-http`: an `http:` base URL on a host that is not loopback. */
  readonly allowInsecureHttp: boolean
}

export type JobStatusFilter = "queued" | "processing" | "completed" | "failed"

export type Command =
  | {
      readonly _tag: "List"
      readonly connection: Connection
      readonly knowledgeBaseId: string
      readonly status: JobStatusFilter | undefined
      readonly limit: number | undefined
      readonly after: string | undefined
      readonly all: boolean
      readonly json: boolean
    }
  | {
      readonly _tag: "Get"
      readonly connection: Connection
      readonly knowledgeBaseId: string
      readonly jobId: string
      readonly json: boolean
    }
  | {
      readonly _tag: "Wait"
      readonly connection: Connection
      readonly knowledgeBaseId: string
      /** The jobs named on the command line, in order, without repeats; empty with `allActive`. */
      readonly jobIds: ReadonlyArray<string>
      /** `--all-active`: every queued or processing job of the knowledge base, listed first. */
      readonly allActive: boolean
      readonly json: boolean
      /** `--verbose`: the summary lists every job and document, not only the failures. */
      readonly verbose: boolean
      /** Fixed cadence alone; the first delay of a backoff with `maxIntervalMs`. */
      readonly intervalMs: number | undefined
      readonly maxIntervalMs: number | undefined
      /** `--max-polls`: a schedule that ends after this many polls of a job. */
      readonly maxPolls: number | undefined
      /** The flag text of `--timeout`, for the message when it passes. */
      readonly timeout: string
      readonly timeoutMs: number
    }
  | { readonly _tag: "Simulate"; readonly port: number; readonly scenario: Scenarios.ScenarioName }
  | { readonly _tag: "Demo"; readonly verbose: boolean }

/** Help or version, a usage error, a bad value (exit 2), or the command to run. */
export type Parsed = NodeCommand.Parsed<Command>

const STATUSES: ReadonlyArray<JobStatusFilter> = IngestionJob.KNOWN_STATUSES
export const DEFAULT_TIMEOUT_MS = Duration.toMillis(WaitEngine.DEFAULT_TIMEOUT)

const CONNECTION_HELP = `Connection:
  --api-key <key>        the API key (default: $TENSORAS_API_KEY); never printed
  --base-url <url>       the API's base URL (default: $TENSORAS_BASE_URL, else ${IngestionJobs.DEFAULT_BASE_URL});
                         https:, or http: on a loopback host
  --allow-insecure-http  accept an http: base URL on any host (the key then crosses the network in clear)`

const EXIT_CODES_HELP = `Exit codes:
  0    success (wait: every job completed, even if some documents failed)
  1    a job failed
  2    bad usage or input (nothing was sent)
  3    a wait ended first: --timeout passed, or --max-polls polls were made
  4    API error (authentication, not found, retries exhausted, bad response)
  70   a bug of the command itself
  130  interrupted by SIGINT (Ctrl-C)
  143  interrupted by SIGTERM`

export const MAIN_USAGE = `Usage: tensoras-ingest <command> [options]

Read and wait on Tensoras ingestion jobs.

Commands:
  jobs list <kb_id>             list the jobs of a knowledge base
  jobs get <kb_id> <job_id>     show one job with its documents
  jobs wait <kb_id> <job_id>... wait until jobs complete or fail, showing their progress
  jobs wait <kb_id> --all-active  ... every queued or processing job of the knowledge base
  simulate                      serve a simulated API on loopback until SIGINT / SIGTERM
  demo                          watch a simulated sync to its end (no network, no key)

Options:
  -h, --help             help (also per command: tensoras-ingest jobs wait --help)
  --version              print the version

${CONNECTION_HELP}

${EXIT_CODES_HELP}
`

export const JOBS_USAGE = `Usage: tensoras-ingest jobs <list | get | wait> ... [options]

  jobs list <kb_id> [--status <s>] [--limit <n>] [--after <job_id>] [--all] [--json]
  jobs get  <kb_id> <job_id> [--json]
  jobs wait <kb_id> (<job_id>... | --all-active) [--interval <dur>] [--max-interval <dur>]
            [--max-polls <n>] [--timeout <dur>] [--json] [--verbose]

Run 'tensoras-ingest jobs <command> --help' for the options of each.
`

export const LIST_USAGE = `Usage: tensoras-ingest jobs list <kb_id> [options]

Lists the ingestion jobs of a knowledge base, one per line:
  job_abc123: completed - 15 docs, 482 chunks

Options:
  --status <s>           only jobs in this status: queued, processing, completed or failed
  --limit <n>            at most n jobs, 1 to 100 (the API's default is 20); with --all, the page size
  --after <job_id>       only jobs created after this one (the API's cursor)
  --all                  every job, following the cursor page after page
  --json                 the API's job objects, one JSON object per line (NDJSON)
  -h, --help             this help

${CONNECTION_HELP}
`

export const GET_USAGE = `Usage: tensoras-ingest jobs get <kb_id> <job_id> [options]

Shows one ingestion job: its status and counters, then one line per document.

Options:
  --json                 the API's job object (with document_details), on one line
  -h, --help             this help

${CONNECTION_HELP}
`

export const WAIT_USAGE = `Usage: tensoras-ingest jobs wait <kb_id> <job_id> [<job_id>...] [options]
       tensoras-ingest jobs wait <kb_id> --all-active [options]

Polls jobs of one knowledge base until each completes or fails (one polling loop for all of
them). On a terminal: a live view, a line per job. Otherwise: one line each time a job changes.
Then a summary: what failed first, then a count of the rest.

Options:
  --all-active           wait for every job of the knowledge base that is queued or processing now
  --interval <dur>       poll every <dur> (a fixed cadence)
  --max-interval <dur>   back off from --interval (default 1s) up to <dur>, x1.5 each poll
                         (neither flag: the default cadence, which reads each job's counters:
                         sparse while many documents are left, dense around its predicted end)
  --max-polls <n>        poll each job at most n times: then give up on it (exit 3)
  --timeout <dur>        give up after <dur> (default 30m): exit 3
  --json                 NDJSON on stdout: {"event":"changed",...} each time a job changes,
                         {"event":"ended",...} with its result when its wait ends
  --verbose              the summary lists every job and document, not only the failures
  -h, --help             this help

Durations: a whole number and a unit, ms, s, m or h: 500ms, 5s, 2m, 1h.

${CONNECTION_HELP}

${EXIT_CODES_HELP}
`

export const SIMULATE_USAGE = `Usage: tensoras-ingest simulate [options]

Serves the simulated ingestion-jobs API (the testkit's simulator) on 127.0.0.1 until SIGINT or
SIGTERM (exit 0). Prints its base URL alone on the first line, then its API key and IDs.

Options:
  --port <n>             the port (default: a free one)
  --scenario <name>      ${Object.keys(Scenarios.builtIn).join(", ")} (default: docs)
  -h, --help             this help
`

export const DEMO_USAGE = `Usage: tensoras-ingest demo

Starts the simulator in-process (scenario realistic: a sync of 40 documents, 3 of which fail,
done in about 15 seconds), watches job_demo_sync to its end with the progress view, then prints
the documents that failed and how many HTTP requests the wait used. No network, no key.

Options:
  --verbose              list every document, not only those that failed
  -h, --help             this help
`

type Values = Record<string, string | boolean | undefined>

const CONNECTION_OPTIONS = {
  "api-key": { type: "string" },
  "base-url": { type: "string" },
  "allow-insecure-http": { type: "boolean" }
} as const

const HELP_OPTION = { help: { type: "boolean", short: "h" } } as const

/** `node:util`'s messages, shortened to what the user needs. */
const describeParseError = (cause: unknown): string => {
  const error = cause as { readonly code?: string; readonly message?: string }
  const message = String(error.message ?? cause)
  const named = /'(-{1,2}[^'\s]*)/.exec(message)?.[1]
  switch (error.code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION":
      return `unknown option '${named ?? message}'`
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE":
      if (message.includes("argument missing")) return `option '${named ?? "?"}' needs a value`
      if (message.includes("ambiguous")) {
        return `option '${named ?? "?"}' needs a value; for a value starting with '-', write ${named ?? "--option"}=<value>`
      }
      return `option '${named ?? "?"}' does not take a value`
    default:
      return message.split("\n")[0] ?? message
  }
}

const parseCommand = (
  args: ReadonlyArray<string>,
  options: Record<string, { readonly type: "string" | "boolean"; readonly short?: string }>,
  usage: string
): { readonly _tag: "Ok"; readonly values: Values; readonly positionals: ReadonlyArray<string> } | Parsed => {
  try {
    const { values, positionals } = parseArgs({
      args: [...args],
      options: { ...options, ...HELP_OPTION },
      strict: true,
      allowPositionals: true
    })
    if (values.help === true) return { _tag: "Print", text: usage }
    return { _tag: "Ok", values: values as Values, positionals }
  } catch (cause) {
    return { _tag: "Usage", message: describeParseError(cause), usage }
  }
}

const positionalsError = (
  positionals: ReadonlyArray<string>,
  names: ReadonlyArray<string>,
  usage: string
): Parsed | undefined => {
  if (positionals.length < names.length) {
    return {
      _tag: "Usage",
      message: `missing ${names
        .slice(positionals.length)
        .map((name) => `<${name}>`)
        .join(" ")}`,
      usage
    }
  }
  if (positionals.length > names.length) {
    return { _tag: "Usage", message: `unexpected argument '${positionals[names.length]}'`, usage }
  }
  return undefined
}

const connectionOf = (values: Values, env: NodeJS.ProcessEnv): Connection | Parsed => {
  const flagKey = values["api-key"] as string | undefined
  const key = flagKey ?? NodeCommand.given(env.TENSORAS_API_KEY)
  if (key === undefined) {
    return { _tag: "Invalid", message: "no API key: pass --api-key <key> or set TENSORAS_API_KEY" }
  }
  return {
    // The key is Redacted at once; only the client's Authorization header reads it again.
    apiKey: Redacted.make(key),
    baseUrl: (values["base-url"] as string | undefined) ?? NodeCommand.given(env.TENSORAS_BASE_URL),
    allowInsecureHttp: values["allow-insecure-http"] === true
  }
}

const isConnection = (value: Connection | Parsed): value is Connection => !("_tag" in value)

const parseList = (args: ReadonlyArray<string>, env: NodeJS.ProcessEnv): Parsed => {
  const parsed = parseCommand(
    args,
    {
      ...CONNECTION_OPTIONS,
      status: { type: "string" },
      limit: { type: "string" },
      after: { type: "string" },
      all: { type: "boolean" },
      json: { type: "boolean" }
    },
    LIST_USAGE
  )
  if (parsed._tag !== "Ok") return parsed
  const { values, positionals } = parsed
  const wrong = positionalsError(positionals, ["kb_id"], LIST_USAGE)
  if (wrong !== undefined) return wrong
  const status = values.status as string | undefined
  if (status !== undefined && !STATUSES.includes(status as JobStatusFilter)) {
    return {
      _tag: "Invalid",
      message: `--status must be one of ${STATUSES.join(", ")} (got '${status}')`
    }
  }
  const limitText = values.limit as string | undefined
  const limit =
    limitText === undefined ? undefined : /^\d{1,3}$/.test(limitText) ? Number(limitText) : Number.NaN
  if (limit !== undefined && !(limit >= 1 && limit <= 100)) {
    return { _tag: "Invalid", message: `--limit must be an integer from 1 to 100 (got '${limitText}')` }
  }
  const connection = connectionOf(values, env)
  if (!isConnection(connection)) return connection
  return {
    _tag: "Run",
    command: {
      _tag: "List",
      connection,
      knowledgeBaseId: positionals[0] as string,
      status: status as JobStatusFilter | undefined,
      limit,
      after: values.after as string | undefined,
      all: values.all === true,
      json: values.json === true
    }
  }
}

const parseGet = (args: ReadonlyArray<string>, env: NodeJS.ProcessEnv): Parsed => {
  const parsed = parseCommand(args, { ...CONNECTION_OPTIONS, json: { type: "boolean" } }, GET_USAGE)
  if (parsed._tag !== "Ok") return parsed
  const { values, positionals } = parsed
  const wrong = positionalsError(positionals, ["kb_id", "job_id"], GET_USAGE)
  if (wrong !== undefined) return wrong
  const connection = connectionOf(values, env)
  if (!isConnection(connection)) return connection
  return {
    _tag: "Run",
    command: {
      _tag: "Get",
      connection,
      knowledgeBaseId: positionals[0] as string,
      jobId: positionals[1] as string,
      json: values.json === true
    }
  }
}

const parseWait = (args: ReadonlyArray<string>, env: NodeJS.ProcessEnv): Parsed => {
  const parsed = parseCommand(
    args,
    {
      ...CONNECTION_OPTIONS,
      "all-active": { type: "boolean" },
      interval: { type: "string" },
      "max-interval": { type: "string" },
      "max-polls": { type: "string" },
      timeout: { type: "string" },
      json: { type: "boolean" },
      verbose: { type: "boolean" }
    },
    WAIT_USAGE
  )
  if (parsed._tag !== "Ok") return parsed
  const { values, positionals } = parsed
  const allActive = values["all-active"] === true
  const [knowledgeBaseId, ...jobIds] = positionals
  if (knowledgeBaseId === undefined) {
    return {
      _tag: "Usage",
      message: allActive ? "missing <kb_id>" : "missing <kb_id> <job_id>",
      usage: WAIT_USAGE
    }
  }
  if (allActive && jobIds.length > 0) {
    return {
      _tag: "Usage",
      message: `give job IDs or --all-active, not both (got '${jobIds[0]}')`,
      usage: WAIT_USAGE
    }
  }
  if (!allActive && jobIds.length === 0) {
    return { _tag: "Usage", message: "missing <job_id> (or --all-active)", usage: WAIT_USAGE }
  }
  const durations: Record<"interval" | "max-interval" | "timeout", number | undefined> = {
    interval: undefined,
    "max-interval": undefined,
    timeout: undefined
  }
  for (const flag of ["interval", "max-interval", "timeout"] as const) {
    const text = values[flag] as string | undefined
    if (text === undefined) continue
    const ms = NodeCommand.parseDuration(flag, text)
    if (typeof ms === "string") return { _tag: "Invalid", message: ms }
    durations[flag] = ms
  }
  const intervalMs = durations.interval
  const maxIntervalMs = durations["max-interval"]
  if (maxIntervalMs !== undefined && maxIntervalMs < (intervalMs ?? 1_000)) {
    return {
      _tag: "Invalid",
      message: `--max-interval must not be shorter than --interval (${values["max-interval"]} < ${values.interval ?? "1s"})`
    }
  }
  const maxPollsText = values["max-polls"] as string | undefined
  const maxPolls =
    maxPollsText === undefined
      ? undefined
      : /^\d{1,9}$/.test(maxPollsText)
        ? Number(maxPollsText)
        : Number.NaN
  if (maxPolls !== undefined && !(maxPolls >= 1)) {
    return {
      _tag: "Invalid",
      message: `--max-polls must be a whole number of at least 1 (got '${maxPollsText}')`
    }
  }
  const connection = connectionOf(values, env)
  if (!isConnection(connection)) return connection
  return {
    _tag: "Run",
    command: {
      _tag: "Wait",
      connection,
      knowledgeBaseId,
      jobIds: [...new Set(jobIds)],
      allActive,
      json: values.json === true,
      verbose: values.verbose === true,
      intervalMs,
      maxIntervalMs,
      maxPolls,
      timeout: (values.timeout as string | undefined) ?? "30m",
      timeoutMs: durations.timeout ?? DEFAULT_TIMEOUT_MS
    }
  }
}

const parseSimulate = (args: ReadonlyArray<string>): Parsed => {
  const parsed = parseCommand(
    args,
    { port: { type: "string" }, scenario: { type: "string" } },
    SIMULATE_USAGE
  )
  if (parsed._tag !== "Ok") return parsed
  const { values, positionals } = parsed
  const wrong = positionalsError(positionals, [], SIMULATE_USAGE)
  if (wrong !== undefined) return wrong
  const portText = values.port as string | undefined
  const port = portText === undefined ? 0 : /^\d{1,5}$/.test(portText) ? Number(portText) : Number.NaN
  if (!(port >= 0 && port <= 65_535)) {
    return { _tag: "Invalid", message: `--port must be an integer from 0 to 65535 (got '${portText}')` }
  }
  const scenario = (values.scenario as string | undefined) ?? "docs"
  if (!Scenarios.isScenarioName(scenario)) {
    return {
      _tag: "Invalid",
      message: `--scenario must be one of ${Object.keys(Scenarios.builtIn).join(", ")} (got '${scenario}')`
    }
  }
  return { _tag: "Run", command: { _tag: "Simulate", port, scenario } }
}

const parseDemo = (args: ReadonlyArray<string>): Parsed => {
  const parsed = parseCommand(args, { verbose: { type: "boolean" } }, DEMO_USAGE)
  if (parsed._tag !== "Ok") return parsed
  const wrong = positionalsError(parsed.positionals, [], DEMO_USAGE)
  return wrong ?? { _tag: "Run", command: { _tag: "Demo", verbose: parsed.values.verbose === true } }
}

const isHelp = (arg: string | undefined) => arg === "-h" || arg === "--help"

/** The command line, parsed and validated; `env` supplies the key and base URL when no flag does. */
export const parse = (args: ReadonlyArray<string>, env: NodeJS.ProcessEnv, version: string): Parsed => {
  const [command, ...rest] = args
  switch (command) {
    case undefined:
      return { _tag: "Usage", message: "missing command", usage: MAIN_USAGE }
    case "-h":
    case "--help":
      return { _tag: "Print", text: MAIN_USAGE }
    case "--version":
      return { _tag: "Print", text: `${version}\n` }
    case "jobs": {
      const [sub, ...subArgs] = rest
      if (isHelp(sub)) return { _tag: "Print", text: JOBS_USAGE }
      switch (sub) {
        case "list":
          return parseList(subArgs, env)
        case "get":
          return parseGet(subArgs, env)
        case "wait":
          return parseWait(subArgs, env)
        case undefined:
          return { _tag: "Usage", message: "missing jobs command: list, get or wait", usage: JOBS_USAGE }
        default:
          return { _tag: "Usage", message: `unknown jobs command '${sub}'`, usage: JOBS_USAGE }
      }
    }
    case "simulate":
      return parseSimulate(rest)
    case "demo":
      return parseDemo(rest)
    default:
      return {
        _tag: "Usage",
        message: command.startsWith("-") ? `unknown option '${command}'` : `unknown command '${command}'`,
        usage: MAIN_USAGE
      }
  }
}

/**
 * The API keys the command line or the environment carries, found without parsing (also when
 * parsing fails), so that every line the command prints can be scrubbed of them.
 */
export const keysIn = (args: ReadonlyArray<string>, env: NodeJS.ProcessEnv): ReadonlyArray<string> => {
  const keys: Array<string> = []
  const fromEnv = NodeCommand.given(env.TENSORAS_API_KEY)
  if (fromEnv !== undefined) keys.push(fromEnv)
  args.forEach((arg, index) => {
    if (arg === "--api-key") {
      const next = args[index + 1]
      if (next !== undefined) keys.push(next)
    } else if (arg.startsWith("--api-key=")) {
      keys.push(arg.slice("--api-key=".length))
    }
  })
  return keys.filter((key) => key.length > 0)
}
