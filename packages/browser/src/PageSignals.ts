/**
 * The page's own signals, as a service the browser's engine listens to: whether the page is visible
 * (`document.visibilityState`) and whether the browser is online (`navigator.onLine`). Polling
 * runs only while both hold.
 *
 * - {@link layer}: from the `visibilitychange`, `online` and `offline` events of the page;
 * - {@link makeControlled}: a Layer your test drives by hand.
 *
 * @since 0.1.0
 */
import * as Channel from "effect/Channel"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Pull from "effect/Pull"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"

/**
 * What the page says now.
 *
 * @category models
 * @since 0.1.0
 */
export interface PageState {
  readonly visible: boolean
  readonly online: boolean
}

/**
 * The page's signals: the current state, and a stream of it (the current state first, then each change).
 *
 * @example
 * ```ts
 * import { PageSignals } from "@tensoras/ingestion-browser"
 * import * as Effect from "effect/Effect"
 *
 * const visibleNow = Effect.map(PageSignals.PageSignals, (signals) => signals.get)
 * ```
 * @category services
 * @since 0.1.0
 */
export class PageSignals extends Context.Service<
  PageSignals,
  {
    readonly get: Effect.Effect<PageState>
    readonly changes: Stream.Stream<PageState>
  }
>()("@tensoras/ingestion-browser/PageSignals") {}

/**
 * Whether polling may run: the page is visible and online.
 *
 * @example
 * ```ts
 * import { PageSignals } from "@tensoras/ingestion-browser"
 *
 * PageSignals.isActive({ visible: true, online: false }) // false
 * ```
 * @category predicates
 * @since 0.1.0
 */
export const isActive = (state: PageState): boolean => state.visible && state.online

const awaitState = (predicate: (state: PageState) => boolean): Effect.Effect<PageState, never, PageSignals> =>
  Effect.flatMap(PageSignals, (signals) =>
    signals.changes.pipe(
      Stream.filter(predicate),
      Stream.runHead,
      Effect.flatMap((state) => (state._tag === "Some" ? Effect.succeed(state.value) : Effect.never))
    )
  )

/**
 * Completes as soon as the page is visible and online (at once if it is).
 *
 * @example
 * ```ts
 * import { PageSignals } from "@tensoras/ingestion-browser"
 * import * as Effect from "effect/Effect"
 *
 * const whenActive = Effect.andThen(PageSignals.awaitActive, Effect.log("visible and online"))
 * ```
 * @category accessors
 * @since 0.1.0
 */
export const awaitActive: Effect.Effect<PageState, never, PageSignals> = awaitState(isActive)

/**
 * Completes as soon as the page is hidden or offline (at once if it is).
 *
 * @example
 * ```ts
 * import { PageSignals } from "@tensoras/ingestion-browser"
 * import * as Effect from "effect/Effect"
 *
 * const whenPaused = Effect.andThen(PageSignals.awaitInactive, Effect.log("hidden or offline"))
 * ```
 * @category accessors
 * @since 0.1.0
 */
export const awaitInactive: Effect.Effect<PageState, never, PageSignals> = awaitState(
  (state) => !isActive(state)
)

/**
 * One run of `changes`: a listener registered until the run's scope closes, its updates buffered
 * (none dropped, the current state first) and pulled all at once. `Stream.callback` does the same
 * through a `Queue` and a forked fiber: about 1.7 KB gzipped of the page's bundle, for a list and
 * one waiting pull.
 */
const subscribe = (
  current: () => PageState,
  listeners: Set<(state: PageState) => void>,
  scope: Scope.Scope
): Effect.Effect<Pull.Pull<readonly [PageState, ...Array<PageState>]>> => {
  let buffer: Array<PageState> = []
  let wake: (() => void) | undefined
  const listener = (next: PageState) => {
    buffer.push(next)
    const waiting = wake
    wake = undefined
    waiting?.()
  }
  const take = Effect.sync(() => {
    const chunk = buffer as [PageState, ...Array<PageState>]
    buffer = []
    return chunk
  })
  const pull = Effect.suspend(() =>
    buffer.length > 0
      ? take
      : Effect.callback<readonly [PageState, ...Array<PageState>]>((resume) => {
          wake = () => resume(take)
          return Effect.sync(() => {
            wake = undefined
          })
        })
  )
  // The finalizer first: a run interrupted in between leaves no listener behind.
  return Effect.flatMap(
    Scope.addFinalizer(
      scope,
      Effect.sync(() => listeners.delete(listener))
    ),
    () =>
      Effect.sync(() => {
        listener(current())
        listeners.add(listener)
        return pull
      })
  )
}

/**
 * The page's state and who listens to it: `changes` gives the current state first, then every
 * update, as a `SubscriptionRef` would, at the cost of a `Set` (no PubSub in the page's bundle).
 */
const makeCell = (initial: PageState) => {
  let state = initial
  const listeners = new Set<(state: PageState) => void>()
  const changes = Stream.fromChannel(
    Channel.fromTransform((_, scope) => subscribe(() => state, listeners, scope))
  )
  return {
    current: () => state,
    set: (next: PageState) => {
      state = next
      for (const listener of listeners) listener(next)
    },
    signals: PageSignals.of({ get: Effect.sync(() => state), changes })
  }
}

const read = (): PageState => ({
  visible: typeof document === "undefined" || document.visibilityState !== "hidden",
  online: typeof navigator === "undefined" || navigator.onLine !== false
})

/**
 * The signals of the page this code runs in: `document.visibilityState` with its
 * `visibilitychange` event, `navigator.onLine` with the window's `online` / `offline` events.
 * The listeners are removed when the Layer is released. Where there is no `document` (a worker),
 * the page counts as visible.
 *
 * @example
 * ```ts
 * import { BrowserEngine, PageSignals } from "@tensoras/ingestion-browser"
 * import * as Layer from "effect/Layer"
 *
 * const engine = BrowserEngine.layer().pipe(Layer.provide(PageSignals.layer))
 * ```
 * @category layers
 * @since 0.1.0
 */
export const layer: Layer.Layer<PageSignals> = Layer.effect(
  PageSignals,
  Effect.gen(function* () {
    const cell = makeCell(read())
    const update = () => cell.set(read())
    yield* Effect.acquireRelease(
      Effect.sync(() => {
        if (typeof document !== "undefined") document.addEventListener("visibilitychange", update)
        if (typeof globalThis.addEventListener === "function") {
          globalThis.addEventListener("online", update)
          globalThis.addEventListener("offline", update)
        }
      }),
      () =>
        Effect.sync(() => {
          if (typeof document !== "undefined") document.removeEventListener("visibilitychange", update)
          if (typeof globalThis.removeEventListener === "function") {
            globalThis.removeEventListener("online", update)
            globalThis.removeEventListener("offline", update)
          }
        })
    )
    return cell.signals
  })
)

/**
 * A Layer that never pauses: always visible and online (for code outside a page).
 *
 * @example
 * ```ts
 * import { PageSignals } from "@tensoras/ingestion-browser"
 *
 * const signals = PageSignals.layerAlwaysActive
 * ```
 * @category layers
 * @since 0.1.0
 */
export const layerAlwaysActive: Layer.Layer<PageSignals> = /* @__PURE__ */ (() =>
  Layer.succeed(PageSignals, makeCell({ visible: true, online: true }).signals))()

/**
 * Signals a test drives: {@link Controlled.layer} provides them, `setVisible` / `setOnline` change them.
 *
 * @category testing
 * @since 0.1.0
 */
export interface Controlled {
  readonly layer: Layer.Layer<PageSignals>
  readonly setVisible: (visible: boolean) => void
  readonly setOnline: (online: boolean) => void
  readonly current: () => PageState
}

/**
 * Signals you drive by hand, e.g. in tests: start visible and online unless told otherwise.
 *
 * @example
 * ```ts
 * import { PageSignals } from "@tensoras/ingestion-browser"
 *
 * const page = PageSignals.makeControlled()
 * page.setVisible(false) // polling pauses
 * page.setVisible(true) // it polls at once
 * ```
 * @category testing
 * @since 0.1.0
 */
export const makeControlled = (initial: Partial<PageState> = {}): Controlled => {
  const cell = makeCell({ visible: true, online: true, ...initial })
  return {
    layer: Layer.succeed(PageSignals, cell.signals),
    setVisible: (visible) => cell.set({ ...cell.current(), visible }),
    setOnline: (online) => cell.set({ ...cell.current(), online }),
    current: cell.current
  }
}
