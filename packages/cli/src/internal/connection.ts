/**
 * Where the API is and how to authenticate, from the flags every `jobs` command takes and the
 * environment; and the keys to scrub from all the command prints. Loads no Effect (see `args.ts`).
 */
import * as NodeCommand from "@tensoras/ingestion-node/NodeCommand"
import type { Values } from "./parsing.js"

/**
 * Where the API is and how to authenticate. The key is a plain string here (Effect's `Redacted` is
 * not loaded while parsing): the client's layer wraps it (`commands.ts`), and all the command
 * prints is scrubbed of it (`NodeCommand.start`).
 */
export interface Connection {
  readonly apiKey: string
  /** `undefined`: the production URL. */
  readonly baseUrl: string | undefined
  /** `--allow-insecure-http`: an `http:` base URL on a host that is not loopback. */
  readonly allowInsecureHttp: boolean
  /** `--request-timeout`: the time one request attempt may take; `undefined`: the client's 30 s. */
  readonly requestTimeoutMs: number | undefined
  /** `TENSORAS_LOG=debug`: a line per request attempt and per retry on stderr. */
  readonly debug: boolean
}

export const CONNECTION_OPTIONS = {
  "api-key": { type: "string" },
  "base-url": { type: "string" },
  "allow-insecure-http": { type: "boolean" },
  "request-timeout": { type: "string" }
} as const

/** Core's rule for `TENSORAS_LOG` (`readEnvironment`): `debug`, in any case, spaces around ignored. */
const isDebug = (value: string | undefined): boolean => value?.trim().toLowerCase() === "debug"

export const connectionOf = (
  values: Values,
  env: NodeJS.ProcessEnv
): Connection | NodeCommand.Parsed<never> => {
  const timeoutText = values["request-timeout"] as string | undefined
  const requestTimeoutMs =
    timeoutText === undefined ? undefined : NodeCommand.parseDuration("request-timeout", timeoutText)
  if (typeof requestTimeoutMs === "string") return { _tag: "Invalid", message: requestTimeoutMs }
  const flagKey = values["api-key"] as string | undefined
  const key = flagKey ?? NodeCommand.given(env.TENSORAS_API_KEY)
  if (key === undefined) {
    return { _tag: "Invalid", message: "no API key: pass --api-key <key> or set TENSORAS_API_KEY" }
  }
  return {
    apiKey: key,
    baseUrl: (values["base-url"] as string | undefined) ?? NodeCommand.given(env.TENSORAS_BASE_URL),
    allowInsecureHttp: values["allow-insecure-http"] === true,
    requestTimeoutMs,
    debug: isDebug(env.TENSORAS_LOG)
  }
}

export const isConnection = (value: Connection | NodeCommand.Parsed<never>): value is Connection =>
  !("_tag" in value)

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
