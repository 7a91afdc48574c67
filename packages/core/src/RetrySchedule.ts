/**
 * Retry schedules for transient failures (429, 5xx, network failures and request timeouts).
 *
 * The client retries a failed request on its own schedule; what you choose here is how long
 * it waits between attempts and how many attempts it makes. Whatever schedule you give, the
 * client only retries transient errors, and waits at least as long as a `Retry-After` header
 * asked for (up to `maxRetryAfter`). When the retries run out, a call fails with the last error;
 * a wait polls again on its own schedule, until its deadline. A client that never had a response
 * stops at its `unreachableAfter`-th attempt without one, retries or not (`Unreachable`).
 *
 * @since 0.1.0
 */
import type * as Duration from "effect/Duration"
import * as Schedule from "effect/Schedule"
import * as internal from "./internal/retrySchedule.js"

/**
 * Options of {@link exponential}.
 *
 * @category models
 * @since 0.1.0
 */
export interface ExponentialOptions {
  /** The first delay, before jitter. Default 250 ms. */
  readonly base?: Duration.Input
  /** How much each delay grows over the previous one. Default 2. */
  readonly factor?: number
  /** The cap of a single delay, before jitter. Default 10 seconds. */
  readonly max?: Duration.Input
  /** How many retries at most (attempts = retries + 1). Default 5. */
  readonly retries?: number
  /** Randomise each delay within [delay × (1 − jitter), delay]; 0 disables it. Default 0.5. */
  readonly jitter?: number
}

/**
 * Capped, jittered exponential backoff. The delays grow from `base` by `factor` up to `max`,
 * and each one is drawn at random from its lower half (by default), so that clients that
 * failed together do not retry together, and a delay never exceeds `max`.
 *
 * @example
 * ```ts
 * import { IngestionJobs, RetrySchedule } from "@tensoras/ingestion"
 * import * as Redacted from "effect/Redacted"
 *
 * const layer = IngestionJobs.layer({
 *   apiKey: Redacted.make("tns_your_key_here"),
 *   retrySchedule: RetrySchedule.exponential({ base: "1 second", max: "30 seconds", retries: 8 })
 * })
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const exponential = (options: ExponentialOptions = {}): Schedule.Schedule<Duration.Duration> =>
  internal.exponential(options)

/**
 * The schedule the client uses unless told otherwise: {@link exponential} with its defaults,
 * five retries spread over about 4 to 8 seconds.
 *
 * @example
 * ```ts
 * import { RetrySchedule } from "@tensoras/ingestion"
 * import * as Effect from "effect/Effect"
 *
 * const flaky = Effect.fail("boom")
 * const retried = Effect.retry(flaky, RetrySchedule.defaultSchedule)
 * ```
 * @category constants
 * @since 0.1.0
 */
export const defaultSchedule: Schedule.Schedule<Duration.Duration> = exponential()

/**
 * No retries: every error reaches the caller at once.
 *
 * @example
 * ```ts
 * import { IngestionJobs, RetrySchedule } from "@tensoras/ingestion"
 * import * as Redacted from "effect/Redacted"
 *
 * const layer = IngestionJobs.layer({ apiKey: Redacted.make("tns_your_key_here"), retrySchedule: RetrySchedule.none })
 * ```
 * @category constants
 * @since 0.1.0
 */
export const none: Schedule.Schedule<number> = /* @__PURE__ */ Schedule.recurs(0)
