/**
 * Strict decoding for JSON a person wrote (a scenario file, a control API parameter): a field the schema
 * does not know is an error, and every issue is told as `field.path: what was wrong, got <value>`.
 */
import * as Result from "effect/Result"
import type * as Schema from "effect/Schema"
import * as SchemaIssue from "effect/SchemaIssue"
import * as SchemaParser from "effect/SchemaParser"

/**
 * Why a value was refused: the first bad field's path and every issue, one a line.
 *
 * @example
 * const refusal: Refusal = { path: "faults[0].status", message: "faults[0].status: Expected 500 | 502 | 503 | 504, got 501" }
 */
export interface Refusal {
  readonly path: string
  readonly message: string
}

/**
 * A path as a reader writes it.
 *
 * @example
 * pathText(["knowledgeBases", 0, "jobs", 1, "queuedMs"]) // => "knowledgeBases[0].jobs[1].queuedMs"
 */
export const pathText = (path: ReadonlyArray<PropertyKey>): string =>
  path.reduce<string>(
    (text, key) =>
      typeof key === "number" ? `${text}[${key}]` : text === "" ? String(key) : `${text}.${String(key)}`,
    ""
  )

const valueAt = (
  input: unknown,
  path: ReadonlyArray<PropertyKey>
): { readonly found: unknown } | undefined => {
  let current = input
  for (const key of path) {
    if (typeof current !== "object" || current === null || !Object.hasOwn(current, key)) return undefined
    current = (current as Record<PropertyKey, unknown>)[key]
  }
  return { found: current }
}

const MISSING_KEY = "Missing key"
const EXCESS_KEY = "Expected no excess property"

/** One issue in the reader's words: the field, what was wrong, and what the input had there. */
const describeIssue = (
  input: unknown,
  root: ReadonlyArray<PropertyKey>,
  issue: { readonly path: ReadonlyArray<PropertyKey>; readonly message: string }
): string => {
  const full = [...root, ...issue.path]
  const where = full.length === 0 ? "(the file)" : pathText(full)
  if (issue.message === MISSING_KEY) return `${where}: missing`
  if (issue.message === EXCESS_KEY) return `${where}: unknown field`
  const value = valueAt(input, issue.path)
  // Schema's own "Expected …" messages say what was wanted; the value found makes them actionable.
  const got =
    value === undefined || !issue.message.startsWith("Expected") || issue.message.includes(", got ")
      ? ""
      : `, got ${JSON.stringify(value.found)}`
  return `${where}: ${issue.message}${got}`
}

const formatIssues = SchemaIssue.makeFormatterStandardSchemaV1()

/**
 * A strict decoder of `schema` whose failure is a {@link Refusal}, its paths under `root` (the name of
 * the parameter the value came in, for the control API).
 *
 * @example
 * const decodeFault = decodeStrict(FaultJson)
 * decodeFault({ kind: "drop", tims: 2 }, ["fault"]) // fails: "fault.tims: unknown field"
 */
export const decodeStrict = <S extends Schema.Codec<unknown, unknown>>(schema: S) => {
  const decode = SchemaParser.decodeUnknownResult(schema, { errors: "all", onExcessProperty: "error" })
  return (input: unknown, root: ReadonlyArray<PropertyKey> = []): Result.Result<S["Type"], Refusal> => {
    const decoded = decode(input)
    if (Result.isSuccess(decoded)) return Result.succeed(decoded.success)
    const issues = formatIssues(decoded.failure).issues.map((issue) => ({
      message: issue.message,
      path: (issue.path ?? []).map((segment) => (typeof segment === "object" ? segment.key : segment))
    }))
    const first = issues[0]
    return Result.fail({
      path: pathText([...root, ...(first?.path ?? [])]),
      message: issues.map((issue) => describeIssue(input, root, issue)).join("\n")
    })
  }
}
