/**
 * The ways a wait for an ingestion job can end without a completed job, besides the client's
 * own errors: the job failed, or the deadline passed first.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { IngestionError } from "./IngestionError.js"
import { IngestionJob, IngestionJobDetail, statusText } from "./IngestionJob.js"

/**
 * The job reached its terminal `failed` status. `job` is the final job, with its `error` and
 * `document_details`; the message is the job's error message.
 *
 * @example
 * ```ts
 * import { WaitError } from "@tensoras/ingestion"
 *
 * declare const e: WaitError.WaitError
 * if (e._tag === "IngestionJobFailed") console.error(e.job.error?.code, e.message)
 * ```
 * @category errors
 * @since 0.1.0
 */
export class IngestionJobFailed extends Schema.TaggedError<IngestionJobFailed>(
  "@tensoras/ingestion/IngestionJobFailed"
)("IngestionJobFailed", {
  job: IngestionJobDetail,
  message: Schema.String
}) {
  get isTransient(): boolean {
    return false
  }
}

/**
 * What a wait saw before it gave up: responses, retries, job statuses and HTTP status codes
 * (`network` and `timeout` for requests without a response).
 *
 * @category schemas
 * @since 0.1.0
 */
export const Observed = Schema.Struct({
  responses: Schema.Number,
  retries: Schema.Number,
  statuses: Schema.Record(Schema.String, Schema.Number),
  httpStatuses: Schema.Record(Schema.String, Schema.Number)
})

/**
 * @category models
 * @since 0.1.0
 */
export interface Observed extends Schema.Schema.Type<typeof Observed> {}

/**
 * The deadline passed before the job reached a terminal status (`reason: "deadline"`), or the
 * wait's own poll schedule ended first (`reason: "schedule"`). `lastJob` is the last job seen
 * (`null` if no response came), `observed` counts what the wait saw.
 *
 * @example
 * ```ts
 * import { WaitError } from "@tensoras/ingestion"
 *
 * declare const e: WaitError.WaitError
 * if (e._tag === "WaitTimeout") console.error(`still ${e.lastJob?.status ?? "unknown"} after ${e.elapsedMs} ms`)
 * ```
 * @category errors
 * @since 0.1.0
 */
export class WaitTimeout extends Schema.TaggedError<WaitTimeout>("@tensoras/ingestion/WaitTimeout")(
  "WaitTimeout",
  {
    lastJob: Schema.NullOr(IngestionJob),
    elapsedMs: Schema.Number,
    observed: Observed,
    // Optional when decoding and constructing (a deadline, then), always written when encoding.
    reason: Schema.Literals(["deadline", "schedule"]).pipe(
      Schema.withDecodingDefaultKey(Effect.succeed("deadline" as const)),
      Schema.withConstructorDefault(Effect.succeed("deadline" as const))
    ),
    message: Schema.String
  }
) {
  get isTransient(): boolean {
    return false
  }
}

/**
 * A {@link WaitTimeout} for what a wait saw, with its message written from it.
 *
 * @example
 * ```ts
 * import { WaitError } from "@tensoras/ingestion"
 *
 * const error = WaitError.timedOut({
 *   lastJob: null,
 *   elapsedMs: 60_000,
 *   observed: { responses: 0, retries: 3, statuses: {}, httpStatuses: { "503": 3 } }
 * })
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const timedOut = (seen: {
  readonly lastJob: IngestionJob | null
  readonly elapsedMs: number
  readonly observed: Observed
  readonly reason?: "deadline" | "schedule" | undefined
}): WaitTimeout => {
  const reason = seen.reason ?? "deadline"
  return new WaitTimeout({
    lastJob: seen.lastJob,
    elapsedMs: seen.elapsedMs,
    observed: structuredClone(seen.observed),
    reason,
    message: `${reason === "deadline" ? "The job was not finished by the deadline" : "The poll schedule ended before the job finished"} (last status: ${
      seen.lastJob ? statusText(seen.lastJob.status) : "none seen"
    }, ${seen.observed.responses} responses, ${seen.observed.retries} retries)`
  })
}

/**
 * Every error a wait can fail with: the client's errors (terminal, or transient with retries
 * exhausted), {@link IngestionJobFailed} and {@link WaitTimeout}. Also a schema, to persist or
 * send them as JSON.
 *
 * @example
 * ```ts
 * import { WaitError } from "@tensoras/ingestion"
 *
 * const describe = (e: WaitError.WaitError): string =>
 *   e._tag === "IngestionJobFailed" ? `job failed: ${e.message}`
 *   : e._tag === "WaitTimeout" ? `gave up after ${e.observed.responses} responses`
 *   : `${e._tag}: ${e.message}`
 * ```
 * @category schemas
 * @since 0.1.0
 */
export const WaitError = Schema.Union([IngestionError, IngestionJobFailed, WaitTimeout])

/**
 * @category models
 * @since 0.1.0
 */
export type WaitError = typeof WaitError.Type
