/**
 * How many of a running job's documents have ended, counted from the single-job endpoint's
 * `document_details` without decoding them: a poll schedule uses the count to time the end of the
 * job (see `polled.ts`). Only the entries' `status` is read; anything unexpected
 * leaves the count out (the job itself is still decoded).
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as SchemaGetter from "effect/SchemaGetter"
import * as SchemaIssue from "effect/SchemaIssue"
import * as IngestionJob from "../IngestionJob.js"
import type { DocumentCount, Polled } from "./polled.js"

/** Statuses of a document not yet ended: waiting for its turn, or being worked on. */
const isRunning = (status: string): boolean => status === "queued" || status === "processing"

/** The count, or undefined when `details` is not a list of entries with a string `status`. */
export const countOf = (details: unknown): DocumentCount | undefined => {
  if (!Array.isArray(details)) return undefined
  let ended = 0
  for (const entry of details) {
    const status: unknown = typeof entry === "object" && entry !== null ? entry.status : undefined
    if (typeof status !== "string") return undefined
    if (!isRunning(status)) ended++
  }
  return { ended, total: details.length }
}

const DocumentCountSchema = Schema.Struct({ ended: Schema.Number, total: Schema.Number })

const CountFromDetails = Schema.Unknown.pipe(
  Schema.decodeTo(DocumentCountSchema, {
    decode: SchemaGetter.transformEffect((details: unknown, options) => {
      const count = countOf(details)
      return count === undefined
        ? Effect.fail(
            new SchemaIssue.InvalidValue({ message: "not a list of document statuses" }, details, options)
          )
        : Effect.succeed(count)
    }),
    encode: SchemaGetter.forbidden(() => "a document count cannot be encoded")
  })
)

/** A non-terminal job with the count of its `document_details` as `documents`. */
export const PolledWithCount: Schema.Codec<Polled, IngestionJob.IngestionJobEncoded> = Schema.Struct({
  ...IngestionJob.IngestionJob.fields,
  documents: Schema.optionalKey(CountFromDetails)
}).pipe(Schema.encodeKeys({ documents: "document_details" })) as never
