import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import { InvalidInput } from "../IngestionError.js"
import { KNOWN_STATUSES, type KnownJobStatus } from "../IngestionJob.js"
import { idProblem, isId, show } from "./idRule.js"

const fail = (param: string, message: string) => Effect.fail(new InvalidInput({ param, message }))

/** Whether a value is an ID that {@link id} accepts (the rule is Effect-free: `idRule.ts`). */
export { isId }

/** A knowledge-base or job ID that is safe to put in a URL path segment. */
export const id = (param: string, value: unknown): Effect.Effect<string, InvalidInput> => {
  const problem = idProblem(param, value)
  return problem === undefined ? Effect.succeed(value as string) : fail(param, problem)
}

/** A page size the API accepts. */
export const limit = (value: unknown): Effect.Effect<number, InvalidInput> =>
  typeof value === "number" && Number.isInteger(value) && value >= 1 && value <= 100
    ? Effect.succeed(value)
    : fail("limit", `limit must be an integer from 1 to 100 (got ${show(value)})`)

const STATUSES: ReadonlyArray<string> = KNOWN_STATUSES

/** A status filter the API accepts. */
export const status = (value: unknown): Effect.Effect<KnownJobStatus, InvalidInput> =>
  typeof value === "string" && STATUSES.includes(value)
    ? Effect.succeed(value as KnownJobStatus)
    : fail("status", `status must be one of ${STATUSES.join(", ")} (got ${show(value)})`)

/** A positive, finite duration. */
export const duration = (param: string, value: unknown): Effect.Effect<Duration.Duration, InvalidInput> => {
  // Any value: fromInput answers None for what is not a Duration.Input (it catches the throw).
  const decoded = Duration.fromInput(value as Duration.Input)
  if (decoded._tag === "None" || !Duration.isFinite(decoded.value) || Duration.toMillis(decoded.value) <= 0) {
    return fail(
      param,
      `${param} must be a positive, finite duration such as "30 seconds" or 5000 (got ${show(value)})`
    )
  }
  return Effect.succeed(decoded.value)
}

/** A whole number of at least `min`. */
export const count = (param: string, value: unknown, min: number): Effect.Effect<number, InvalidInput> =>
  typeof value === "number" && Number.isInteger(value) && value >= min
    ? Effect.succeed(value)
    : fail(param, `${param} must be an integer of at least ${min} (got ${show(value)})`)

const LOOPBACK_HOSTS = new Set(["localhost", "[::1]"])
const isLoopback = (hostname: string): boolean =>
  LOOPBACK_HOSTS.has(hostname) || hostname.endsWith(".localhost") || /^127\.\d+\.\d+\.\d+$/.test(hostname)

/**
 * The API's base URL: `https:`, or `http:` on a loopback host (the simulator) or when the caller
 * opts in. No credentials, query or fragment: they would leak or be dropped silently.
 */
export const baseUrl = (value: unknown, allowInsecureHttp: boolean): Effect.Effect<URL, InvalidInput> => {
  const given = typeof value === "string" ? value : value instanceof URL ? value.href : undefined
  if (given === undefined) return fail("baseUrl", `baseUrl must be a URL string (got ${show(value)})`)
  let url: URL
  try {
    url = new URL(given)
  } catch {
    return fail("baseUrl", `baseUrl is not a valid absolute URL (got ${show(given)})`)
  }
  if (url.username !== "" || url.password !== "") {
    return fail("baseUrl", "baseUrl must not contain credentials: pass the API key as apiKey")
  }
  if (url.search !== "" || url.hash !== "") {
    return fail("baseUrl", `baseUrl must not have a query or a fragment (got ${show(given)})`)
  }
  if (url.protocol === "http:") {
    if (!isLoopback(url.hostname) && !allowInsecureHttp) {
      return fail(
        "baseUrl",
        `baseUrl must use https: (http: is allowed for loopback hosts, or with allowInsecureHttp: true; got ${show(given)})`
      )
    }
  } else if (url.protocol !== "https:") {
    return fail("baseUrl", `baseUrl must be an https: URL (got ${show(given)})`)
  }
  // Keep the path (e.g. /v1) as a prefix: requests append to it.
  if (!url.pathname.endsWith("/")) url.pathname = `${url.pathname}/`
  return Effect.succeed(url)
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what we reject
const FORBIDDEN_KEY_CHARACTER = /[\s\u0000-\u001f\u007f-\u009f]/u

/** The API key: present, and safe to put in a header. Its value never appears in a message. */
export const apiKey = (value: unknown): Effect.Effect<Redacted.Redacted<string>, InvalidInput> => {
  const key = Redacted.isRedacted(value) ? Redacted.value(value) : value
  if (typeof key !== "string") {
    return fail("apiKey", "apiKey must be a string or a Redacted string")
  }
  if (key.length === 0) return fail("apiKey", "apiKey must not be empty")
  if (FORBIDDEN_KEY_CHARACTER.test(key)) {
    return fail("apiKey", "apiKey must not contain whitespace or control characters")
  }
  return Effect.succeed(
    Redacted.isRedacted(value) ? (value as Redacted.Redacted<string>) : Redacted.make(key)
  )
}
