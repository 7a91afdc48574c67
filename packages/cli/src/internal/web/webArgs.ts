/**
 * The command lines of the local page: `tensoras-ingest watch … --web` and `tensoras-ingest demo
 * --web`, parsed and validated before anything runs, like every other command (this module loads
 * no Effect: `--help` and usage errors answer at once).
 */
import { parseArgs } from "node:util"
import * as NodeCommand from "@tensoras/ingestion-node/NodeCommand"
import { CONNECTION_OPTIONS, type Connection, connectionOf, isConnection } from "../connection.js"
import { idsError, parseCommand } from "../parsing.js"
import { DEMO_USAGE } from "../usage.js"
import { WATCH_USAGE } from "./watchUsage.js"

/** One knowledge base of `watch`: the jobs named after it, or every active one. */
export interface WatchGroup {
  readonly knowledgeBaseId: string
  /** In order, without repeats; empty with `allActive`. */
  readonly jobIds: ReadonlyArray<string>
  readonly allActive: boolean
}

export type WebCommand =
  | {
      readonly _tag: "Watch"
      readonly connection: Connection
      readonly groups: ReadonlyArray<WatchGroup>
      /** `--interval`: a fixed cadence; `undefined`: the default schedule. */
      readonly intervalMs: number | undefined
      readonly timeoutMs: number
      readonly port: number
    }
  | { readonly _tag: "DemoWeb"; readonly port: number }

type Parsed = NodeCommand.Parsed<WebCommand>

const WATCH_OPTIONS = {
  ...CONNECTION_OPTIONS,
  kb: { type: "string", multiple: true },
  "all-active": { type: "boolean" },
  web: { type: "boolean" },
  interval: { type: "string" },
  timeout: { type: "string" },
  port: { type: "string" }
} as const

/** `watch`'s default timeout, `jobs wait`'s (`WaitEngine.DEFAULT_TIMEOUT`, 30 minutes). */
const DEFAULT_TIMEOUT_MS = 30 * 60_000

/** `--port`: 0 (a free one) when absent. */
const portOf = (text: string | undefined): number | Parsed => {
  const port = text === undefined ? 0 : /^\d{1,5}$/.test(text) ? Number(text) : Number.NaN
  return port >= 0 && port <= 65_535
    ? port
    : { _tag: "Invalid", message: `--port must be an integer from 0 to 65535 (got '${text}')` }
}

/**
 * The knowledge bases and their jobs, in command-line order: the first positional is a knowledge
 * base, each `--kb <id>` starts another, and the positionals after one are its jobs.
 */
const groupsOf = (args: ReadonlyArray<string>): Array<{ knowledgeBaseId: string; jobIds: Array<string> }> => {
  // A knowledge base named twice is one group: its jobs are those of both.
  const { tokens } = parseArgs({
    args: [...args],
    options: { ...WATCH_OPTIONS, help: { type: "boolean", short: "h" } },
    strict: true,
    allowPositionals: true,
    tokens: true
  })
  const groups = new Map<string, { knowledgeBaseId: string; jobIds: Array<string> }>()
  const start = (knowledgeBaseId: string) => {
    const group = groups.get(knowledgeBaseId) ?? { knowledgeBaseId, jobIds: [] }
    groups.set(knowledgeBaseId, group)
    return group
  }
  let current: { knowledgeBaseId: string; jobIds: Array<string> } | undefined
  for (const token of tokens) {
    if (token.kind === "option" && token.name === "kb" && token.value !== undefined) {
      current = start(token.value)
    } else if (token.kind === "positional") {
      if (current === undefined) current = start(token.value)
      else current.jobIds.push(token.value)
    }
  }
  return [...groups.values()]
}

const durationsOf = (values: Record<string, unknown>) => {
  const ms: Record<"interval" | "timeout", number | undefined> = { interval: undefined, timeout: undefined }
  for (const flag of ["interval", "timeout"] as const) {
    const text = values[flag] as string | undefined
    if (text === undefined) continue
    const parsed = NodeCommand.parseDuration(flag, text)
    if (typeof parsed === "string") return { _tag: "Invalid", message: parsed } as const
    ms[flag] = parsed
  }
  return ms
}

/** `tensoras-ingest watch <kb_id> [<job_id>...] [--all-active] [--kb <kb_id> [<job_id>...]]... --web`. */
export const parseWatch = (args: ReadonlyArray<string>, env: NodeJS.ProcessEnv): Parsed => {
  const parsed = parseCommand(args, WATCH_OPTIONS, WATCH_USAGE)
  if (parsed._tag !== "Ok") return parsed
  const { values } = parsed
  if (values.web !== true) {
    return {
      _tag: "Usage",
      message: "watch shows the jobs on a local page: add --web (in a terminal: jobs wait)",
      usage: WATCH_USAGE
    }
  }
  const allActive = values["all-active"] === true
  const groups = groupsOf(args)
  if (groups.length === 0) return { _tag: "Usage", message: "missing <kb_id>", usage: WATCH_USAGE }
  const bare = groups.find((group) => group.jobIds.length === 0)
  if (bare !== undefined && !allActive) {
    return {
      _tag: "Usage",
      message: `missing <job_id> for ${bare.knowledgeBaseId} (or --all-active)`,
      usage: WATCH_USAGE
    }
  }
  if (bare === undefined && allActive) {
    return {
      _tag: "Usage",
      message: "--all-active is for a knowledge base given without job IDs, and every one here has some",
      usage: WATCH_USAGE
    }
  }
  const durations = durationsOf(values)
  if ("_tag" in durations) return durations
  const port = portOf(values.port as string | undefined)
  if (typeof port !== "number") return port
  const connection = connectionOf(values, env)
  if (!isConnection(connection)) return connection
  const badId = idsError(
    groups.flatMap((group) => [
      ["knowledgeBaseId", group.knowledgeBaseId] as const,
      ...group.jobIds.map((jobId) => ["jobId", jobId] as const)
    ])
  )
  if (badId !== undefined) return badId
  return {
    _tag: "Run",
    command: {
      _tag: "Watch",
      connection,
      groups: groups.map((group) => ({
        knowledgeBaseId: group.knowledgeBaseId,
        jobIds: [...new Set(group.jobIds)],
        allActive: group.jobIds.length === 0
      })),
      intervalMs: durations.interval,
      timeoutMs: durations.timeout ?? DEFAULT_TIMEOUT_MS,
      port
    }
  }
}

/** `tensoras-ingest demo --web [--port <n>]`. */
export const parseDemoWeb = (args: ReadonlyArray<string>): Parsed => {
  const parsed = parseCommand(args, { web: { type: "boolean" }, port: { type: "string" } }, DEMO_USAGE)
  if (parsed._tag !== "Ok") return parsed
  const [extra] = parsed.positionals
  if (extra !== undefined)
    return { _tag: "Usage", message: `unexpected argument '${extra}'`, usage: DEMO_USAGE }
  const port = portOf(parsed.values.port as string | undefined)
  if (typeof port !== "number") return port
  return { _tag: "Run", command: { _tag: "DemoWeb", port } }
}
