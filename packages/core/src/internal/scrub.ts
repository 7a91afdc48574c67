/**
 * Masking secrets in text. No Effect here: a command's start-up loads this before anything else
 * (`@tensoras/ingestion/Redaction`, used by the Node commands to scrub all they print).
 */

/** Masks every occurrence of the secrets, and any `Bearer …` token, in a text. */
export type Scrub = (text: string) => string

/** `Bearer` and its token, as an `Authorization` header echoed into a message would show it. */
const BEARER = /\b(Bearer)(\s+)[^\s"'\\,;<>]+/gi

/** A secret as sent, and as it looks percent-encoded or JSON-escaped in a body. */
const formsOf = (secret: string): ReadonlyArray<string> =>
  // A blank "secret" (a key variable set to spaces) would mask every space of every line: not a key, ignored.
  secret.trim().length === 0
    ? []
    : [
        secret,
        encodeURIComponent(secret),
        JSON.stringify(secret).slice(1, -1),
        JSON.stringify(secret).slice(1, -1).replaceAll("/", "\\/")
      ]

/**
 * The scrubber of one secret or several: each, as sent and as it looks percent-encoded or
 * JSON-escaped in a body, becomes `<redacted>` (the longest first, so a secret inside another
 * leaves nothing of it); so does the token of any `Bearer …` (someone else's key as well). Empty
 * and blank secrets are ignored. Idempotent: scrubbing scrubbed text changes nothing.
 */
export const makeScrub = (secrets: string | ReadonlyArray<string>): Scrub => {
  const forms = [...new Set((typeof secrets === "string" ? [secrets] : secrets).flatMap(formsOf))].sort(
    (a, b) => b.length - a.length
  )
  return (text) => {
    let scrubbed = text
    for (const form of forms) if (scrubbed.includes(form)) scrubbed = scrubbed.split(form).join("<redacted>")
    return scrubbed.replace(BEARER, "$1$2<redacted>")
  }
}

/** Every string of a parsed JSON value scrubbed, property names included. */
export const scrubJson = (value: unknown, scrub: Scrub): unknown => {
  if (typeof value === "string") return scrub(value)
  if (Array.isArray(value)) return value.map((item) => scrubJson(item, scrub))
  if (typeof value === "object" && value !== null) {
    const out: Record<string, unknown> = {}
    for (const [key, item] of Object.entries(value)) {
      const name = scrub(key)
      // A body's own "__proto__" key (JSON.parse makes it a plain property) stays one: an assignment would
      // set the copy's prototype to what the server sent.
      if (name === "__proto__")
        Object.defineProperty(out, name, {
          value: scrubJson(item, scrub),
          enumerable: true,
          writable: true,
          configurable: true
        })
      else out[name] = scrubJson(item, scrub)
    }
    return out
  }
  return value
}
