/**
 * How many of a running job's documents have ended, counted from the single-job endpoint's
 * `document_details` without decoding them: a poll schedule uses the count to time the end of the
 * job (see PollSchedule's `Polled`). Only the entries' `status` is read; anything unexpected
 * leaves the count out (the job itself is still decoded).
 */
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import * as IngestionJob from "../IngestionJob.js"
import type { DocumentCount, Polled } from "../PollSchedule.js"

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

const CountFromDetails = Schema.transformOrFail(Schema.Unknown, DocumentCountSchema, {
  strict: true,
  decode: (details, _, ast) => {
    const count = countOf(details)
    return count === undefined
      ? ParseResult.fail(new ParseResult.Type(ast, details, "not a list of document statuses"))
      : ParseResult.succeed(count)
  },
  encode: (count, _, ast) =>
    ParseResult.fail(new ParseResult.Forbidden(ast, count, "a document count cannot be encoded"))
})

/** A non-terminal job with the count of its `document_details` as `documents`. */
export const PolledWithCount: Schema.Schema<Polled, IngestionJob.IngestionJobEncoded> = Schema.Struct({
  ...IngestionJob.IngestionJob.fields,
  documents: Schema.optionalWith(CountFromDetails, { exact: true }).pipe(Schema.fromKey("document_details"))
}) as never
