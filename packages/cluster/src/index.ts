/**
 * `@tensoras/ingestion-cluster`: durable waits for Tensoras ingestion jobs across processes, on
 * Effect's own `effect/cluster` and `effect/workflow` over PostgreSQL. One polling loop per
 * knowledge base for the whole cluster, waits registered in PostgreSQL, typed outcomes delivered once.
 *
 * @since 0.1.0
 */

/**
 * The runner and client Layers, and their configuration from the environment.
 *
 * @since 0.1.0
 */
export * as IngestionCluster from "./IngestionCluster.js"

/**
 * The entity that polls one knowledge base for the whole cluster.
 *
 * @since 0.1.0
 */
export * as KnowledgeBaseWatcher from "./KnowledgeBaseWatcher.js"

/**
 * The durable wait for one job (a workflow), and `waitFor`.
 *
 * @since 0.1.0
 */
export * as WaitForIngestionJob from "./WaitForIngestionJob.js"

/**
 * The durable wait for many jobs of one knowledge base (a workflow), and `waitForAll`.
 *
 * @since 0.1.0
 */
export * as WaitForIngestionJobs from "./WaitForIngestionJobs.js"

/**
 * The durable registrations of waits and the delivery records, in PostgreSQL.
 *
 * @since 0.1.0
 */
export * as WaitStore from "./WaitStore.js"
