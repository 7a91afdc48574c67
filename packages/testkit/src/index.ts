/**
 * `@tensoras/ingestion-testkit`: a faithful simulator of the Tensoras ingestion-jobs HTTP API, served over
 * real HTTP, with a clock the test moves and faults the test injects.
 *
 * Runtime-neutral modules (engine, handler, scenarios) are also importable one by one, e.g.
 * `@tensoras/ingestion-testkit/Simulator` for Deno or a Service Worker; `startSimulator` and `serveNode` need Node.
 *
 * @example
 * import { startSimulator } from "@tensoras/ingestion-testkit"
 *
 * const sim = await startSimulator({ scenario: "docs", clock: "manual" })
 * const res = await fetch(`${sim.baseUrl}/knowledge-bases/kb_abc123/ingestion-jobs/job_def456`, {
 *   headers: { authorization: `Bearer ${sim.apiKey}` }
 * })
 * await sim.close()
 *
 * @module
 */

export * as Canary from "./Canary.js"
export type {
  AppliedFault,
  Fault,
  FaultKind,
  FaultRoute,
  FaultTarget,
  InjectedFault,
  RetryAfterFormat
} from "./Fault.js"
export { droppedConnection, type FetchHandler, isDroppedConnection } from "./FetchHandler.js"
export { type GenerateDocumentsOptions, generateDocuments } from "./generateDocuments.js"
export {
  matchesFilter,
  type RequestFilter,
  RequestLog,
  type RequestOutcome,
  type RequestRecord,
  type RequestRoute,
  SimulatorDisposed,
  type WaitForRequestsOptions
} from "./RequestLog.js"
export {
  type AdvanceOnEachAnswerOptions,
  createSimulator,
  type Simulator,
  type SimulatorControl,
  type SimulatorOptions
} from "./Simulator.js"
export {
  type ClockMode,
  createSimulatorClock,
  type SimulatorClock,
  type SimulatorClockOptions
} from "./SimulatorClock.js"
export {
  type DataSourceInfo,
  type DataSourceOptions,
  type DocumentSpec,
  type JobFailureSpec,
  type JobInfo,
  type JobOptions,
  type ListJobsQuery,
  type ReportedStatusSpec,
  type SimulatedDocument,
  SimulatorEngine,
  type SyncOptions
} from "./SimulatorEngine.js"
export { isScenarioName, type Scenario, type ScenarioName, scenarios } from "./scenarios.js"
export { type NodeServer, type ServeNodeOptions, serveNode } from "./serveNode.js"
export { type RunningSimulator, type StartSimulatorOptions, startSimulator } from "./startSimulator.js"
export * as TestLimit from "./TestLimit.js"
export type {
  WireDocumentDetail,
  WireErrorBody,
  WireErrorObject,
  WireJob,
  WireJobList,
  WireJobStatus
} from "./WireFormat.js"
