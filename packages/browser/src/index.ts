/**
 * `@tensoras/ingestion-browser`: the browser adapter of `@tensoras/ingestion`.
 *
 * @since 0.1.0
 */

/**
 * Core's wait engine for a page: paused while hidden or offline, one leader tab per knowledge base.
 *
 * @since 0.1.0
 */
export * as BrowserEngine from "./BrowserEngine.js"
/**
 * Layers for the page (fetch client, proxy base URL, key opt-in, the browser's engine), the lifecycle machine and `watchJob`.
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
