/**
 * `@tensoras/ingestion`: wait on and watch Tensoras ingestion jobs with typed errors.
 *
 * Effect users import the modules as namespaces (`IngestionJobs`, `IngestionJob`,
 * `IngestionError`, `RetrySchedule`, `Wait`, `WaitEngine`), or each from its own path
 * (`@tensoras/ingestion/IngestionJobs`) for the smallest bundles. Everyone else starts with
 * {@link createIngestionJobsClient} or {@link waitForIngestionJob}. The XState machine has its own
 * entry points (`@tensoras/ingestion/JobMachine`, `@tensoras/ingestion/JobActor`), so that these
 * never load XState.
 *
 * @since 0.1.0
 */

/**
 * A cadence that learns each knowledge base's jobs: the schedule of waits given none, exportable as JSON.
 *
 * @since 1.1.0
 */
export * as Cadence from "./Cadence.js"

/**
 * Process exit codes for the outcomes of a wait, shared by the runtimes' `runMain` and the CLI.
 *
 * @since 0.1.0
 */
export * as ExitCode from "./ExitCode.js"

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
 * The contract a runtime adapter fills (HTTP client, environment, signals, exit), and the Layers and `runMain` it shares.
 *
 * @since 1.0.0
 */
export * as IngestionPlatform from "./IngestionPlatform.js"

/**
 * Poll cadences: fixed, backoff, progress-aware.
 *
 * @since 0.1.0
 */
export * as PollSchedule from "./PollSchedule.js"

/**
 * Retry schedules for transient failures.
 *
 * @since 0.1.0
 */
export * as RetrySchedule from "./RetrySchedule.js"

/**
 * Waiting for jobs in Effect: waitFor, waitForAll, watch, watchAll, on the wait engine.
 *
 * @since 0.1.0
 */
export * as Wait from "./Wait.js"

/**
 * The wait engine: one polling loop per knowledge base, shared by every wait of a process.
 *
 * @since 0.1.0
 */
export * as WaitEngine from "./WaitEngine.js"

/**
 * The errors a wait adds: the job failed, or the deadline passed.
 *
 * @since 0.1.0
 */
export * as WaitError from "./WaitError.js"
