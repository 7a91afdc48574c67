/** The command line read with `node:util`'s `parseArgs`, its errors in words a user can act on. */
import { parseArgs } from "node:util"
import * as IngestionId from "@tensoras/ingestion/IngestionId"
import type * as NodeCommand from "@tensoras/ingestion-node/NodeCommand"

export type Values = Record<string, string | boolean | undefined>

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

export const parseCommand = (
  args: ReadonlyArray<string>,
  options: Record<string, { readonly type: "string" | "boolean"; readonly short?: string }>,
  usage: string
):
  | { readonly _tag: "Ok"; readonly values: Values; readonly positionals: ReadonlyArray<string> }
  | NodeCommand.Parsed<never> => {
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

export const positionalsError = (
  positionals: ReadonlyArray<string>,
  names: ReadonlyArray<string>,
  usage: string
): NodeCommand.Parsed<never> | undefined => {
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

/**
 * The IDs of a command by core's rule (`@tensoras/ingestion/IngestionId`, no Effect), checked while
 * parsing: the first one the client would refuse is a bad value (exit 2), in the words of the
 * client's own `InvalidInput`, and nothing is sent.
 */
export const idsError = (
  ids: ReadonlyArray<readonly [param: string, value: string | undefined]>
): NodeCommand.Parsed<never> | undefined => {
  for (const [param, value] of ids) {
    const problem = value === undefined ? undefined : IngestionId.idProblem(param, value)
    if (problem !== undefined) return { _tag: "Invalid", message: `InvalidInput (${param}): ${problem}` }
  }
  return undefined
}
