/**
 * The rule of the API's IDs (a knowledge base's, a job's, a list cursor) and its rejection texts.
 * No Effect here: the commands check IDs while parsing their arguments, before Effect loads
 * (`@tensoras/ingestion/IngestionId`); `validate.ts` turns a problem into an `InvalidInput`.
 */

const MAX_ID_LENGTH = 256
// Characters that would change the meaning of a URL path (or of a header) if sent as is.
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what we reject
const FORBIDDEN_ID_CHARACTER = /[/\\?#%\s\u0000-\u001f\u007f-\u009f]/u

/** Renders a rejected value for a message, short and unambiguous. */
export const show = (value: unknown): string => {
  if (typeof value === "string") return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)
  return value === null ? "null" : typeof value === "object" ? typeof value : String(value)
}

/** Whether a value is an ID that {@link idProblem} finds nothing wrong with. */
export const isId = (value: unknown): value is string =>
  typeof value === "string" &&
  value.length > 0 &&
  value.length <= MAX_ID_LENGTH &&
  value !== "." &&
  value !== ".." &&
  !FORBIDDEN_ID_CHARACTER.test(value)

/** What is wrong with an ID, in the words of the input `param`; `undefined` for a valid one. */
export const idProblem = (param: string, value: unknown): string | undefined => {
  if (typeof value !== "string") return `${param} must be a string (got ${show(value)})`
  if (value.length === 0) return `${param} must not be empty`
  if (value.length > MAX_ID_LENGTH) {
    return `${param} must be at most ${MAX_ID_LENGTH} characters (got ${value.length})`
  }
  if (value === "." || value === "..") return `${param} must not be "${value}"`
  const bad = FORBIDDEN_ID_CHARACTER.exec(value)
  if (bad !== null) {
    return `${param} must not contain ${JSON.stringify(bad[0])} (/, \\, ?, #, %, whitespace and control characters are not allowed; got ${show(value)})`
  }
  return undefined
}
