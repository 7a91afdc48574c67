/**
 * `@tensoras/ingestion-testkit`: a faithful simulator of the Tensoras ingestion-jobs HTTP API, served over
 * real HTTP, with a clock the test moves and faults the test injects.
 *
 * Every module is a namespace here, and importable on its own path
 * (`@tensoras/ingestion-testkit/Simulator`). `Simulator`, `SimulatorEngine`, `SimulatorClock`,
 * `Scenarios`, `Documents`, `Workload` and `FetchHandler` import no `node:*` module (Deno, a Service Worker);
 * `NodeSimulator`, `NodeServer` and `TestProcess` need Node.
 *
 * @example
 * ```ts
 * import { NodeSimulator } from "@tensoras/ingestion-testkit"
 *
 * const sim = await NodeSimulator.start({ scenario: "docs", clock: "manual" })
 * const res = await fetch(`${sim.baseUrl}/knowledge-bases/kb_abc123/ingestion-jobs/job_def456`, {
 *   headers: { authorization: `Bearer ${sim.apiKey}` }
 * })
 * await sim.close()
 * ```
 *
 * @since 0.1.0
 */

/**
 * Canary keys: a key unique to a test run that must never come out of a client, and a search for it.
 *
 * @since 0.1.0
 */
export * as Canary from "./Canary.js"

/**
 * Documents for the simulated data sources, and a generator of realistic sets.
 *
 * @since 0.1.0
 */
export * as Documents from "./Documents.js"

/**
 * Waiting for what a test can only see: poll a condition (`until`) or bound a promise (`within`) under
 * the tests' one limit, with the state described when it gives up.
 *
 * @since 1.0.0
 */
export * as Eventually from "./Eventually.js"

/**
 * Faults a test injects: rate limits, server errors, latency, hangs, dropped connections, broken bodies,
 * redirects, a server echoing the key.
 *
 * @since 0.1.0
 */
export * as Fault from "./Fault.js"

/**
 * The Fetch-API handler type, and the response that stands for a dropped connection.
 *
 * @since 0.1.0
 */
export * as FetchHandler from "./FetchHandler.js"

/**
 * Serves a Fetch handler over `node:http`.
 *
 * @since 0.1.0
 */
export * as NodeServer from "./NodeServer.js"

/**
 * A simulator served over real HTTP on Node, in one call: `NodeSimulator.start`.
 *
 * @since 0.1.0
 */
export * as NodeSimulator from "./NodeSimulator.js"

/**
 * What the simulator saw: request records, filters, and the error of a wait the simulator outlived.
 *
 * @since 0.1.0
 */
export * as RequestLog from "./RequestLog.js"

/**
 * Named starting worlds: the built-in scenarios and the shape of your own.
 *
 * @since 0.1.0
 */
export * as Scenarios from "./Scenarios.js"

/**
 * The runtime-neutral simulator: a Fetch handler and its control API (`Simulator.make`).
 *
 * @since 0.1.0
 */
export * as Simulator from "./Simulator.js"

/**
 * The simulator's clock: real or manual, never backwards.
 *
 * @since 0.1.0
 */
export * as SimulatorClock from "./SimulatorClock.js"

/**
 * The simulated world: knowledge bases, data sources and planned jobs.
 *
 * @since 0.1.0
 */
export * as SimulatorEngine from "./SimulatorEngine.js"

/**
 * The one limit a test puts on waiting for a real event.
 *
 * @since 0.1.0
 */
export * as TestLimit from "./TestLimit.js"

/**
 * Child processes for tests (Node): start a program, read its output as it comes, wait for a line,
 * signal it, await its exit; nothing a test starts outlives it.
 *
 * @since 1.0.0
 */
export * as TestProcess from "./TestProcess.js"

/**
 * The JSON shapes the simulator sends, as the API spells them.
 *
 * @since 0.1.0
 */
export * as WireFormat from "./WireFormat.js"

/**
 * Seeded jobs of knowledge bases that each follow laws of their own (queue, documents, failures), with
 * noise, and drift: workloads a poller can learn, where nothing of one job gives away its end.
 *
 * @since 1.1.0
 */
export * as Workload from "./Workload.js"
