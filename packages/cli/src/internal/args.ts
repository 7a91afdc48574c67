/**
 * The command line of `tensoras-ingest`, parsed and validated before anything runs: a bad flag,
 * ID, limit, status, duration or port is reported here, and nothing is sent. This module loads no
 * Effect (a test holds it to that), so `--help`, `--version` and usage errors answer at once: IDs
 * are checked by core's Effect-free rule (`@tensoras/ingestion/IngestionId`), and what is core's
 * (the statuses, the default timeout) is restated here, tests keeping it equal to core's.
 */
import type * as IngestionJob from "@tensoras/ingestion/IngestionJob"
import * as NodeCommand from "@tensoras/ingestion-node/NodeCommand"
import * as Scenarios from "@tensoras/ingestion-testkit/Scenarios"
import { CONNECTION_OPTIONS, type Connection, connectionOf, isConnection } from "./connection.js"
import { idsError, parseCommand, positionalsError, type Values } from "./parsing.js"
import {
  DEMO_USAGE,
  GET_USAGE,
  JOBS_USAGE,
  LIST_USAGE,
  MAIN_USAGE,
  SIMULATE_USAGE,
  WAIT_USAGE
} from "./usage.js"
import { parseDemoWeb, parseWatch, type WebCommand } from "./web/webArgs.js"

export type { Connection } from "./connection.js"
export { keysIn } from "./connection.js"

export type JobStatusFilter = IngestionJob.KnownJobStatus

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

/** Every command, the local page's (`watch --web`, `demo --web`: `web/webArgs.ts`) included. */
export type AnyCommand = Command | WebCommand

/** `IngestionJob.KNOWN_STATUSES`, in its order (a test keeps them equal). */
export const STATUSES: ReadonlyArray<JobStatusFilter> = ["queued", "processing", "completed", "failed"]
/** `WaitEngine.DEFAULT_TIMEOUT`, 30 minutes (a test keeps them equal). */
export const DEFAULT_TIMEOUT_MS = 30 * 60_000

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
  const badId = idsError([
    ["knowledgeBaseId", positionals[0]],
    ["after", values.after as string | undefined]
  ])
  if (badId !== undefined) return badId
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
  const badId = idsError([
    ["knowledgeBaseId", positionals[0]],
    ["jobId", positionals[1]]
  ])
  if (badId !== undefined) return badId
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

/** The knowledge base and the jobs of `jobs wait`: job IDs, or `--all-active`, never both. */
const waitTarget = (
  positionals: ReadonlyArray<string>,
  allActive: boolean
): { readonly knowledgeBaseId: string; readonly jobIds: ReadonlyArray<string> } | Parsed => {
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
  return { knowledgeBaseId, jobIds }
}

interface WaitCadence {
  readonly intervalMs: number | undefined
  readonly maxIntervalMs: number | undefined
  readonly maxPolls: number | undefined
  readonly timeoutMs: number | undefined
}

/** `--interval`, `--max-interval`, `--timeout` and `--max-polls` of `jobs wait`, checked. */
const waitCadence = (values: Values): WaitCadence | Parsed => {
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
  return { intervalMs, maxIntervalMs, maxPolls, timeoutMs: durations.timeout }
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
  const target = waitTarget(positionals, allActive)
  if ("_tag" in target) return target
  const { knowledgeBaseId, jobIds } = target
  const cadence = waitCadence(values)
  if ("_tag" in cadence) return cadence
  const { intervalMs, maxIntervalMs, maxPolls, timeoutMs } = cadence
  const connection = connectionOf(values, env)
  if (!isConnection(connection)) return connection
  const badId = idsError([
    ["knowledgeBaseId", knowledgeBaseId],
    ...jobIds.map((jobId) => ["jobId", jobId] as const)
  ])
  if (badId !== undefined) return badId
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
      timeoutMs: timeoutMs ?? DEFAULT_TIMEOUT_MS
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
export const parse = (
  args: ReadonlyArray<string>,
  env: NodeJS.ProcessEnv,
  version: string
): NodeCommand.Parsed<AnyCommand> => {
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
    case "watch":
      return parseWatch(rest, env)
    case "demo":
      return rest.includes("--web") ? parseDemoWeb(rest) : parseDemo(rest)
    default:
      return {
        _tag: "Usage",
        message: command.startsWith("-") ? `unknown option '${command}'` : `unknown command '${command}'`,
        usage: MAIN_USAGE
      }
  }
}
