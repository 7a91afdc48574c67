/**
 * Core's wait engine for a page: one polling loop per knowledge base, paused while the page is
 * hidden or offline, and **one leader tab per knowledge base** polling for every tab of the
 * origin.
 *
 * The browser adds only two things to `WaitEngine`:
 *
 * - a gate before every round (`WaitEngine.EngineOptions.gate`): while the page is hidden or
 *   offline, nothing is requested; when it is visible and online again, a round that came due
 *   meanwhile runs at once. Deadlines keep running: a wait hidden past its deadline ends with
 *   `WaitTimeout`.
 * - a relay between tabs: the tabs that wait on jobs of one knowledge base elect a leader with
 *   the Web Lock `{prefix}:{kb}`. The leader's engine polls its own waits and those the other
 *   tabs announce on the `BroadcastChannel` of the same name (a GET per job, or the active-set
 *   sweep when many jobs are watched), and sends each tab what its waits hear. A tab that is
 *   hidden, goes offline, or closes lets the lock go; the next tab takes over and polls at once
 *   whatever was due. N tabs watching M jobs cost what one tab watching the M jobs costs.
 *
 * Every wait is registered with its own tab's engine too, so its deadline is its own and holds
 * whoever leads, and a tab that takes over polls without a gap.
 *
 * @since 0.1.0
 */
import type { IngestionJobs } from "@tensoras/ingestion/IngestionJobs"
import type * as PollSchedule from "@tensoras/ingestion/PollSchedule"
import * as WaitEngine from "@tensoras/ingestion/WaitEngine"
import type * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import * as internal from "./internal/browserEngine.js"
import type * as PageSignals from "./PageSignals.js"

/**
 * Options of the browser's engine.
 *
 * @example
 * ```ts
 * import { BrowserEngine } from "@tensoras/ingestion-browser"
 * import { PollSchedule } from "@tensoras/ingestion"
 *
 * const options: BrowserEngine.Options = { schedule: PollSchedule.fixed("2 seconds"), channelPrefix: "my-app" }
 * ```
 * @category models
 * @since 0.1.0
 */
export interface Options {
  /**
   * One leader tab per knowledge base polls for every tab of this origin. Default true where Web
   * Locks and `BroadcastChannel` exist (every current browser); otherwise each tab polls.
   */
  readonly shareAcrossTabs?: boolean | undefined
  /** Prefix of the lock and channel names: tabs share only under the same one. Default `tensoras-ingestion`. */
  readonly channelPrefix?: string | undefined
  /**
   * The cadence at which this tab, leading, polls the waits of other tabs. A schedule cannot
   * cross tabs: a wait that gave `pollInterval` keeps it; one with its own `schedule` gets this.
   * Default `PollSchedule.defaultSchedule`. Give every tab of an app the same.
   */
  readonly schedule?: PollSchedule.PollSchedule | undefined
  /** Called after every round this tab's engine runs (see `WaitEngine.RoundReport`). */
  readonly onRound?: WaitEngine.EngineOptions["onRound"]
}

/**
 * The Web Lock and `BroadcastChannel` name of a knowledge base's group of tabs.
 *
 * @example
 * ```ts
 * import { BrowserEngine } from "@tensoras/ingestion-browser"
 *
 * BrowserEngine.lockName("kb_abc123") // "tensoras-ingestion:kb_abc123"
 * ```
 * @category utils
 * @since 0.1.0
 */
export const lockName: (knowledgeBaseId: string, prefix?: string) => string = internal.lockName

/**
 * Builds the engine in the current `Scope`: core's `WaitEngine` gated by the page's signals, with
 * the tab relay. Closing the scope leaves every wait, lets the locks go and closes the channels.
 *
 * @example
 * ```ts
 * import { BrowserEngine, BrowserIngestion, PageSignals } from "@tensoras/ingestion-browser"
 * import * as Effect from "effect/Effect"
 * import * as Layer from "effect/Layer"
 *
 * const engine = BrowserEngine.make({ channelPrefix: "my-app" }).pipe(
 *   Effect.provide(Layer.merge(BrowserIngestion.layerClient({ baseUrl: "/api/tensoras/v1" }), PageSignals.layer)),
 *   Effect.scoped
 * )
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const make: (
  options?: Options
) => Effect.Effect<
  WaitEngine.WaitEngine["Service"],
  never,
  IngestionJobs | PageSignals.PageSignals | Scope.Scope
> = internal.make

/**
 * The engine as a Layer (see {@link make}); `BrowserIngestion.layer` provides it with the client
 * and the page's signals.
 *
 * @example
 * ```ts
 * import { BrowserEngine, BrowserIngestion, PageSignals } from "@tensoras/ingestion-browser"
 * import * as Layer from "effect/Layer"
 *
 * const live = BrowserEngine.layer().pipe(
 *   Layer.provide(Layer.merge(BrowserIngestion.layerClient({ baseUrl: "/api/tensoras/v1" }), PageSignals.layer))
 * )
 * ```
 * @category layers
 * @since 0.1.0
 */
export const layer = (
  options?: Options
): Layer.Layer<WaitEngine.WaitEngine, never, IngestionJobs | PageSignals.PageSignals> =>
  Layer.effect(WaitEngine.WaitEngine, internal.make(options))
