import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"

/** What an aborted call rejects with: the signal's reason, like `fetch` does. */
export const abortReason = (signal: AbortSignal): unknown =>
  signal.reason ?? new DOMException("This operation was aborted", "AbortError")

/**
 * Runs an effect for the Promise API: resolves with its value, rejects with its typed error
 * itself (not a wrapper), and with the signal's reason when the signal aborted it.
 */
export const runPromise = <A, E>(effect: Effect.Effect<A, E>, signal?: AbortSignal): Promise<A> => {
  if (signal?.aborted) return Promise.reject(abortReason(signal))
  return Effect.runPromiseExit(effect, signal ? { signal } : undefined).then((exit) => {
    if (Exit.isSuccess(exit)) return exit.value
    throw squash(exit.cause, signal)
  })
}

/** The error a Promise caller should see for a failed effect. */
export const squash = <E>(cause: Cause.Cause<E>, signal?: AbortSignal): unknown => {
  const failure = Cause.findErrorOption(cause)
  if (Option.isSome(failure)) return failure.value
  if (signal?.aborted && Cause.hasInterruptsOnly(cause)) return abortReason(signal)
  return Cause.squash(cause)
}
