/**
 * `@tensoras/ingestion`: wait on and watch Tensoras ingestion jobs with typed errors.
 *
 * Effect users import the modules as namespaces (`IngestionJobs`, `IngestionJob`,
 * `IngestionError`, `RetrySchedule`), or each from its own path (`@tensoras/ingestion/IngestionJobs`)
 * for the smallest bundles. Everyone else starts with {@link createIngestionJobsClient}.
 *
 * @since 0.1.0
 */

/**
 * Typed errors, one tagged class per way a call can fail.
 *
 * @since 0.1.0
 */
export * as IngestionError from "./IngestionError.js"

/**
 * Schemas of the API's objects (jobs, documents, pages) and helpers to read them.
 *
 * @since 0.1.0
 */
export * as IngestionJob from "./IngestionJob.js"

/**
 * The client as an Effect service, with its Layers.
 *
 * @since 0.1.0
 */
export * as IngestionJobs from "./IngestionJobs.js"

/**
 * The client as plain Promises.
 *
 * @since 0.1.0
 */
export * from "./IngestionJobsClient.js"

/**
 * Retry schedules for transient failures.
 *
 * @since 0.1.0
 */
export * as RetrySchedule from "./RetrySchedule.js"
