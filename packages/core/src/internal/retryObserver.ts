import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import { globalValue } from "effect/GlobalValue"
import type { RateLimited, ServerError, TransportError } from "../IngestionError.js"

/** A retry the client is about to make: which error, which attempt, after how long. */
export interface RetryInfo {
  readonly error: RateLimited | ServerError | TransportError
  /** 1 for the first retry. */
  readonly attempt: number
  readonly delayMillis: number
}

/**
 * Who wants to hear about the client's retries. The poller sets it around its requests so a
 * wait can report "backing off" or "rate limited" while the client is still retrying: one retry
 * mechanism, observed, instead of a second one in the poller.
 */
export const currentRetryObserver = globalValue("@tensoras/ingestion/currentRetryObserver", () =>
  FiberRef.unsafeMake<(info: RetryInfo) => Effect.Effect<void>>(() => Effect.void)
)
