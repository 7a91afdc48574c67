/**
 * `@tensoras/ingestion-browser`: the browser adapter of `@tensoras/ingestion`.
 *
 * @since 0.1.0
 */

/**
 * Layers for the page (fetch client, proxy base URL, key opt-in), the browser lifecycle machine and `watchJob`.
 *
 * @since 0.1.0
 */
export * as BrowserIngestion from "./BrowserIngestion.js"

/**
 * Framework-free subscription to a job's lifecycle snapshots.
 *
 * @since 0.1.0
 */
export { watchJob } from "./BrowserIngestion.js"

/**
 * The browser wait: pauses while hidden or offline, one poller for all tabs.
 *
 * @since 0.1.0
 */
export * as BrowserPoller from "./BrowserPoller.js"

/**
 * The same-origin proxy handler.
 *
 * @since 0.1.0
 */
export * as IngestionProxy from "./IngestionProxy.js"

/**
 * @since 0.1.0
 */
export { makeIngestionProxy } from "./IngestionProxy.js"

/**
 * The page's visibility and online signals.
 *
 * @since 0.1.0
 */
export * as PageSignals from "./PageSignals.js"
