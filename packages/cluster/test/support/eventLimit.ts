import { type Eventually, TestLimit } from "@tensoras/ingestion-testkit"

/**
 * The one limit for everything a cluster test awaits from real processes (a runner ready, outcome rows in
 * PostgreSQL, a process exit): the repository's shared test limit (`TENSORAS_TEST_LIMIT_MS`), five times
 * over, because a cluster's events (every wait of a 2,000-wait run ended) take minutes on a loaded 2-core
 * machine. Tests wait for the event itself, never for a fixed time.
 */
export const EVENT_LIMIT_MS = 5 * TestLimit.ms

/**
 * How the cluster tests await an event (`Eventually.until` / `Eventually.within`): under
 * {@link EVENT_LIMIT_MS}, checked every 250 ms, because a check queries PostgreSQL (or reads what the
 * runners reported), not memory.
 */
export const EVENTS: Eventually.UntilOptions = { limitMs: EVENT_LIMIT_MS, intervalMs: 250 }
