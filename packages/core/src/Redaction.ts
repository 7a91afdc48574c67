/**
 * Keeping secrets out of text that came from the network. The client scrubs every response body
 * with these before it decodes it; a proxy or an adapter that forwards or prints the service's text
 * uses the same functions, so there is one definition of what is masked.
 *
 * What is masked: the API key (as sent, percent-encoded and JSON-escaped) and the token of any
 * `Bearer …`, each replaced by `<redacted>`.
 *
 * @module
 * @since 0.1.0
 */
import * as internal from "./internal/response.js"

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
 * The scrubber of one key: the key, and any `Bearer …` token, become `<redacted>`. Idempotent.
 *
 * @example
 * ```ts
 * import * as Redaction from "@tensoras/ingestion/Redaction"
 *
 * const scrub = Redaction.makeScrub("tns_your_key_here")
 * scrub("echo: tns_your_key_here, Authorization: Bearer tns_other") // "echo: <redacted>, Authorization: Bearer <redacted>"
 * ```
 * @since 0.1.0
 * @category constructors
 */
export const makeScrub: (secret: string) => Scrub = internal.makeScrub

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
