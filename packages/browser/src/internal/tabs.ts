import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"

/** Whether this context can share a poller with other tabs: Web Locks and BroadcastChannel. */
export const canShare = (): boolean =>
  typeof BroadcastChannel === "function" &&
  typeof navigator !== "undefined" &&
  typeof (navigator as { locks?: unknown }).locks === "object" &&
  (navigator as { locks?: unknown }).locks !== null

/**
 * Waits for the Web Lock `name` (interruptibly: an interrupted wait withdraws the request) and
 * returns the function that releases it. A tab that closes releases its locks, so the next tab
 * waiting for one gets it.
 */
const acquire = (name: string): Effect.Effect<() => void> =>
  Effect.callback<() => void>((resume, signal) => {
    let release: (() => void) | undefined
    signal.addEventListener("abort", () => release?.(), { once: true })
    navigator.locks
      .request(name, { signal }, () => {
        if (signal.aborted) return Promise.resolve()
        return new Promise<void>((resolve) => {
          release = resolve
          resume(Effect.succeed(() => resolve()))
        })
      })
      .catch(() => {
        // The request was withdrawn (the wait was interrupted): nothing to release.
      })
  })

/**
 * Runs `effect` while holding the Web Lock `name`: waits for it, releases it when `effect` ends,
 * fails or is interrupted.
 */
export const withLock = <A, E, R>(name: string, effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.uninterruptibleMask((restore) =>
    restore(acquire(name)).pipe(
      Effect.flatMap((release) => restore(effect).pipe(Effect.ensuring(Effect.sync(release))))
    )
  )

/**
 * Holds the Web Lock `name` for the rest of the scope; completes once it is granted. A tab holds
 * one under its own ID while it lives, so that another tab learns when it closes: its request
 * for the same name is granted then.
 */
export const holdLock = (name: string): Effect.Effect<void, never, Scope.Scope> =>
  Effect.asVoid(Effect.acquireRelease(acquire(name), (release) => Effect.sync(release)))

/** A BroadcastChannel for the scope: messages to every other participant of the same name. */
export interface TabChannel<M> {
  readonly post: (message: M) => void
}

export const openChannel = <M>(
  name: string,
  onMessage: (message: M) => void
): Effect.Effect<TabChannel<M>, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const channel = new BroadcastChannel(name)
      channel.onmessage = (event: MessageEvent) => onMessage(event.data as M)
      return channel
    }),
    (channel) => Effect.sync(() => channel.close())
  ).pipe(
    Effect.map((channel) => ({
      post: (message: M) => {
        try {
          channel.postMessage(message)
        } catch {
          // A closed channel (the scope is closing): nobody to tell.
        }
      }
    }))
  )
