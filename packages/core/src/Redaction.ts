/**
 * Keeping secrets out of text. The client scrubs every response body with these before it decodes
 * it; a proxy or an adapter that forwards or prints the service's text, and the commands
 * (`tensoras-ingest`, `tensoras-cluster`) for all they print, use the same functions, so there is
 * one definition of what is masked.
 *
 * What is masked: the secrets given (as sent, percent-encoded and JSON-escaped) and the token of
 * any `Bearer …`, each replaced by `<redacted>`. The module loads no Effect, so a program can set
 * up its scrubbing before anything else.
 *
 * @module
 * @since 0.1.0
 */
import * as internal from "./internal/scrub.js"

/**
 * A function that masks secrets in a text.
 *
 * @example
 * ```ts
 * import * as Redaction from "@tensoras/ingestion/Redaction"
 *
 * const scrub: Redaction.Scrub = Redaction.makeScrub("tns_your_key_here")
 * ```
 * @since 0.1.0
 * @category models
 */
export type Scrub = internal.Scrub

/**
 * The scrubber of one key, or of several secrets (a key and a database password): each, and any
 * `Bearer …` token, become `<redacted>`; empty and blank secrets are ignored. Idempotent.
 *
 * @example
 * ```ts
 * import * as Redaction from "@tensoras/ingestion/Redaction"
 *
 * const scrub = Redaction.makeScrub("tns_your_key_here")
 * scrub("echo: tns_your_key_here, Authorization: Bearer tns_other") // "echo: <redacted>, Authorization: Bearer <redacted>"
 *
 * const scrubBoth = Redaction.makeScrub(["tns_your_key_here", "db-password"])
 * scrubBoth("postgres://app:db-password@db/app") // "postgres://app:<redacted>@db/app"
 * ```
 * @since 0.1.0
 * @category constructors
 */
export const makeScrub: (secrets: string | ReadonlyArray<string>) => Scrub = internal.makeScrub

/**
 * A parsed JSON value with every string scrubbed, property names included.
 *
 * @example
 * ```ts
 * import * as Redaction from "@tensoras/ingestion/Redaction"
 *
 * const scrub = Redaction.makeScrub("tns_your_key_here")
 * Redaction.scrubJson({ error: { message: "bad key tns_your_key_here" } }, scrub)
 * // { error: { message: "bad key <redacted>" } }
 * ```
 * @since 0.1.0
 * @category utils
 */
export const scrubJson: (value: unknown, scrub: Scrub) => unknown = internal.scrubJson
