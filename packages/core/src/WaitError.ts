/**
 * The ways a wait for an ingestion job can end without a completed job: the job failed, the
 * deadline passed first, or a client error that ends it for good ({@link TerminalClientError}).
 * Transient failures (429, 5xx, a request without a response) never end a wait: it polls on to its
 * deadline, and a `WaitTimeout` says what it saw (`observed`, `lastFailure`).
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import {
  Forbidden,
  type IngestionError,
  InvalidInput,
  InvalidRequest,
  NotFound,
  RateLimited,
  ResponseDecodeError,
  ServerError,
  summarize,
  TransportError,
  Unauthorized,
  Unreachable
} from "./IngestionError.js"
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
 * A failure a wait rides out: the client retried it, then the wait polled again on its schedule.
 *
 * @category schemas
 * @since 1.1.0
 */
export const TransientFailure = Schema.Union([RateLimited, ServerError, TransportError])

/**
 * @category models
 * @since 1.1.0
 */
export type TransientFailure = typeof TransientFailure.Type

/**
 * The deadline passed before the job reached a terminal status (`reason: "deadline"`), or the
 * wait's own poll schedule ended first (`reason: "schedule"`). `lastJob` is the last job seen
 * (`null` if no response came), `observed` counts what the wait saw, `lastFailure` is the last
 * failed request's error (a 429, a 5xx, a request without a response; absent if none failed).
 *
 * @example
 * ```ts
 * import { WaitError } from "@tensoras/ingestion"
 *
 * declare const e: WaitError.WaitError
 * if (e._tag === "WaitTimeout") console.error(`still ${e.lastJob?.status ?? "unknown"} after ${e.elapsedMs} ms`)
 * if (e._tag === "WaitTimeout" && e.lastFailure?._tag === "RateLimited") console.error("rate limited")
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
    /** The last failed request's error; absent when none failed (and in JSON written by 1.0). @since 1.1.0 */
    lastFailure: Schema.optionalKey(TransientFailure),
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
 * error.message // "The job was not finished by the deadline (last status: none seen, 0 responses, 3 retries)"
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const timedOut = (seen: {
  readonly lastJob: IngestionJob | null
  readonly elapsedMs: number
  readonly observed: Observed
  readonly reason?: "deadline" | "schedule" | undefined
  /** The last failed request's error (@since 1.1.0): the message names it. */
  readonly lastFailure?: TransientFailure | undefined
}): WaitTimeout => {
  const reason = seen.reason ?? "deadline"
  const lastFailure = seen.lastFailure
  return new WaitTimeout({
    lastJob: seen.lastJob,
    elapsedMs: seen.elapsedMs,
    observed: structuredClone(seen.observed),
    reason,
    ...(lastFailure === undefined ? {} : { lastFailure }),
    message: `${reason === "deadline" ? "The job was not finished by the deadline" : "The poll schedule ended before the job finished"} (last status: ${
      seen.lastJob ? statusText(seen.lastJob.status) : "none seen"
    }, ${seen.observed.responses} responses, ${seen.observed.retries} retries${
      lastFailure === undefined ? "" : `; last failure: ${summarize(lastFailure)}`
    })`
  })
}

/**
 * The client's errors a wait can end with: those that a retry cannot mend. `InvalidInput` (a bad
 * ID, checked before anything is sent), `Unauthorized` / `Forbidden` (the key), `NotFound` (the job,
 * or the knowledge base: see its `missing`), `InvalidRequest`, `ResponseDecodeError` (an answer that
 * cannot be read), and `Unreachable` (a client that never had a response gave up). Never
 * `RateLimited`, `ServerError` or `TransportError`: those are retried, then polled through.
 *
 * @category schemas
 * @since 1.1.0
 */
export const TerminalClientError = Schema.Union([
  InvalidInput,
  Unauthorized,
  Forbidden,
  NotFound,
  InvalidRequest,
  ResponseDecodeError,
  Unreachable
])

/**
 * @category models
 * @since 1.1.0
 */
export type TerminalClientError = typeof TerminalClientError.Type

/**
 * Whether a client error is one a wait ends with ({@link TerminalClientError}), rather than one it
 * polls through (`RateLimited`, `ServerError`, `TransportError`).
 *
 * @example
 * ```ts
 * import { IngestionError, WaitError } from "@tensoras/ingestion"
 *
 * declare const e: IngestionError.IngestionError
 * if (WaitError.isTerminalClientError(e)) console.error(`the wait ends: ${e._tag}`)
 * ```
 * @category guards
 * @since 1.1.0
 */
export const isTerminalClientError = (error: IngestionError): error is TerminalClientError =>
  error._tag !== "RateLimited" && error._tag !== "ServerError" && error._tag !== "TransportError"

/**
 * Every error a wait can fail with, and no other: {@link IngestionJobFailed}, {@link WaitTimeout},
 * and the client's errors that end a wait ({@link TerminalClientError}). A transient failure never
 * does (1.0 listed `RateLimited`, `ServerError` and `TransportError` here; no wait ever ended with
 * them). Also a schema, to persist or send them as JSON.
 *
 * @example
 * ```ts
 * import { WaitError } from "@tensoras/ingestion"
 *
 * const describe = (e: WaitError.WaitError): string =>
 *   e._tag === "IngestionJobFailed" ? `job failed: ${e.message}`
 *   : e._tag === "WaitTimeout" ? `gave up after ${e.observed.responses} responses`
 *   : e._tag === "NotFound" ? `no such ${e.missing === "job" ? "job" : "knowledge base"}`
 *   : `${e._tag}: ${e.message}`
 * ```
 * @category schemas
 * @since 0.1.0
 */
export const WaitError = Schema.Union([...TerminalClientError.members, IngestionJobFailed, WaitTimeout])

/**
 * @category models
 * @since 0.1.0
 */
export type WaitError = typeof WaitError.Type
