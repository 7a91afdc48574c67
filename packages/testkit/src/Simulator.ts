/**
 * A complete simulator without a server: the engine, its clock, faults, the request log and the Fetch
 * handler that ties them together. Runtime-neutral (no `node:*` import): serve `handler` with
 * `NodeServer.serve`, `Deno.serve` or a Service Worker's `fetch` event. On Node, `NodeSimulator.start`
 * makes one and serves it in a single call.
 *
 * @since 0.1.0
 */
import type { Fault, InjectedFault } from "./Fault.js"
import type { FetchHandler } from "./FetchHandler.js"
import * as internal from "./internal/simulator.js"
import type { RequestFilter, RequestRecord, WaitForRequestsOptions } from "./RequestLog.js"
import { builtIn, isScenarioName, type Scenario, type ScenarioName } from "./Scenarios.js"
import type { ClockMode } from "./SimulatorClock.js"
import type { DataSourceInfo, DataSourceOptions, JobInfo, SyncOptions } from "./SimulatorEngine.js"
import type { WireJob } from "./WireFormat.js"

/**
 * Options of {@link make} (and of `NodeSimulator.start`).
 *
 * @example
 * ```ts
 * import type { Simulator } from "@tensoras/ingestion-testkit"
 *
 * const options: Simulator.SimulatorOptions = { scenario: "realistic", clock: "manual", epochMs: Date.UTC(2025, 0, 1) }
 * ```
 * @category models
 * @since 0.1.0
 */
export interface SimulatorOptions {
  /** A built-in scenario name or your own `Scenario`. Default `empty`. */
  readonly scenario?: ScenarioName | Scenario
  /** Default `real`. */
  readonly clock?: ClockMode
  /**
   * Default: the scenario's `defaultApiKey` (`tns_your_key_here` for `docs`), else a random `tns_sim_…`;
   * without this option every scenario also accepts the docs' example key `tns_your_key_here`.
   */
  readonly apiKey?: string
  /** Start time for scenarios that do not fix one. Default: now, rounded down to the second. */
  readonly epochMs?: number
  /** Seed of generated ids and documents. Default 1. */
  readonly seed?: number
}

/**
 * What a test uses to drive and observe the simulated world.
 *
 * @example
 * ```ts
 * import { Simulator } from "@tensoras/ingestion-testkit"
 *
 * const { control, dispose } = Simulator.make({ scenario: "docs", clock: "manual" })
 * control.advance(44_000)
 * control.getJob("kb_abc123", "job_def456").status // "completed"
 * dispose()
 * ```
 * @category models
 * @since 0.1.0
 */
export interface SimulatorControl {
  /** The key the simulator accepts (`Authorization: Bearer <apiKey>`). */
  readonly apiKey: string
  readonly clockMode: ClockMode
  /** The current scenario's name. */
  readonly scenario: string
  /** Engine time, epoch milliseconds. */
  now(): number
  /** Moves engine time forward; returns the new time. */
  advance(ms: number): number
  /** Moves engine time forward to `epochMs` (never backwards); returns it. */
  setTime(epochMs: number): number
  /** Replaces the world with a scenario: clock restarted at its epoch, faults and request log cleared. */
  setScenario(scenario: ScenarioName | Scenario): void
  /** Reloads the current scenario from scratch. */
  reset(): void
  addKnowledgeBase(id?: string): string
  addDataSource(kbId: string, options?: DataSourceOptions): { dataSource: DataSourceInfo; job: JobInfo }
  syncDataSource(kbId: string, dataSourceId: string, options?: SyncOptions): JobInfo
  /** Deletes a job: its GET answers 404 and lists leave it out from now on. Returns whether it existed. */
  removeJob(kbId: string, jobId: string): boolean
  /** Knowledge base ids, in creation order. */
  knowledgeBases(): ReadonlyArray<string>
  /**
   * A knowledge base's data sources, in creation order; throws if it is unknown.
   *
   * @since 1.1.0
   */
  dataSources(kbId: string): ReadonlyArray<DataSourceInfo>
  /** The plans of a knowledge base's jobs, oldest first (the list endpoint's order). */
  jobs(kbId: string): ReadonlyArray<JobInfo>
  /** The job exactly as `GET …/ingestion-jobs/{job_id}` returns it now; throws if unknown. */
  getJob(kbId: string, jobId: string): WireJob
  /** Engine time (epoch ms) at which the job becomes `completed` or `failed`. */
  jobTerminalAt(kbId: string, jobId: string): number
  /** Moves the clock to the job's terminal time (if not there yet) and returns the job. */
  advanceToTerminal(kbId: string, jobId: string): WireJob
  injectFault(fault: Fault): InjectedFault
  clearFaults(): void
  /** Faults not yet used up, in injection order. */
  readonly faults: ReadonlyArray<InjectedFault>
  /** A snapshot of the request log, oldest first. */
  readonly requests: ReadonlyArray<RequestRecord>
  requestCount(filter?: RequestFilter): number
  /**
   * Resolves with the first `n` matching requests once they have arrived (or ended, with `settled`).
   * Rejects after the tests' limit (`TestLimit.ms`) or `timeoutMs`, when `signal` aborts, or when the
   * simulator is disposed (`RequestLog.SimulatorDisposed`): no waiter outlives it.
   */
  waitForRequests(n: number, options?: WaitForRequestsOptions): Promise<ReadonlyArray<RequestRecord>>
  /**
   * Drives a polling client on the manual clock: each time one of its requests has been answered (or
   * otherwise ended), moves engine time `stepMs` on, as if the client had waited that long between polls.
   * Stops when `until` settles and returns what it settled with; nothing is left running. Rejects if no
   * request ends within the tests' limit while `until` is still pending.
   */
  advanceOnEachAnswer<A>(
    stepMs: number,
    until: PromiseLike<A>,
    options?: AdvanceOnEachAnswerOptions
  ): Promise<A>
  clearRequests(): void
}

/**
 * Options of `control.advanceOnEachAnswer`.
 *
 * @example
 * ```ts
 * import { NodeSimulator, type Simulator } from "@tensoras/ingestion-testkit"
 *
 * const sim = await NodeSimulator.start({ scenario: "docs", clock: "manual" })
 * const options: Simulator.AdvanceOnEachAnswerOptions = { filter: { route: "get" } }
 * const poll = async () => {
 *   for (;;) {
 *     const response = await fetch(`${sim.baseUrl}/knowledge-bases/kb_abc123/ingestion-jobs/job_def456`, {
 *       headers: { authorization: `Bearer ${sim.apiKey}` }
 *     })
 *     const job = (await response.json()) as { status: string }
 *     if (job.status === "completed" || job.status === "failed") return job.status
 *   }
 * }
 * await sim.control.advanceOnEachAnswer(10_000, poll(), options) // "completed"
 * await sim.close()
 * ```
 * @category models
 * @since 0.1.0
 */
export interface AdvanceOnEachAnswerOptions {
  /** Count only matching requests. */
  readonly filter?: RequestFilter
}

/**
 * A simulator: the Fetch handler, its control API, and `dispose` to release pending timers and hanging requests.
 *
 * @example
 * ```ts
 * import { NodeServer, Simulator } from "@tensoras/ingestion-testkit"
 *
 * const simulator: Simulator.Simulator = Simulator.make({ scenario: "docs" })
 * const server = await NodeServer.serve(simulator.handler) // or Deno.serve(simulator.handler)
 * await server.close()
 * simulator.dispose()
 * ```
 * @category models
 * @since 0.1.0
 */
export interface Simulator {
  readonly handler: FetchHandler
  readonly control: SimulatorControl
  dispose(): void
}

/**
 * Creates a simulator, runtime-neutral. Node tests mostly want `NodeSimulator.start`, which also serves it.
 *
 * @example
 * ```ts
 * import { Simulator } from "@tensoras/ingestion-testkit"
 *
 * const { handler, control, dispose } = Simulator.make({ scenario: "docs", clock: "manual" })
 * const response = await handler(
 *   new Request("http://sim/v1/knowledge-bases/kb_abc123/ingestion-jobs/job_abc123", {
 *     headers: { authorization: `Bearer ${control.apiKey}` }
 *   })
 * )
 * const job = (await response.json()) as { chunks_created: number } // 482 chunks
 * dispose()
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const make: (options?: SimulatorOptions) => Simulator = internal.make

/**
 * Options of {@link describe}.
 *
 * @example
 * ```ts
 * import type { Simulator } from "@tensoras/ingestion-testkit"
 *
 * // A key the user chose is theirs: print that there is one, not what it is.
 * const options: Simulator.DescribeOptions = { showKey: false }
 * ```
 * @category models
 * @since 1.1.0
 */
export interface DescribeOptions {
  /** Default `true`: the `api key:` line shows the key; `false`: only that one was given. */
  readonly showKey?: boolean
}

/**
 * What a served simulator is, in lines for a person: its base URL first (scripts read that line), the
 * scenario, the clock, the key, and each knowledge base with its jobs. The `tensoras-simulator` bin and
 * `tensoras-ingest simulate` print it, each followed by a line of its own to try.
 *
 * @example
 * ```ts
 * import { NodeSimulator, Simulator } from "@tensoras/ingestion-testkit"
 *
 * const sim = await NodeSimulator.start({ scenario: "docs" })
 * console.log(Simulator.describe(sim).join("\n")) // "http://127.0.0.1:…/v1", "scenario: docs - …", …
 * await sim.close()
 * ```
 * @category utils
 * @since 0.1.0
 */
export const describe = (
  served: {
    readonly baseUrl: string
    readonly control: SimulatorControl
  },
  options: DescribeOptions = {}
): Array<string> => {
  const { control, baseUrl } = served
  const named = isScenarioName(control.scenario) ? ` - ${builtIn[control.scenario].description}` : ""
  const lines = [
    baseUrl,
    `scenario: ${control.scenario}${named}`,
    `clock: ${control.clockMode}, starting at ${new Date(control.now()).toISOString()}`,
    options.showKey === false ? "api key: not shown (the key you gave)" : `api key: ${control.apiKey}`
  ]
  for (const kbId of control.knowledgeBases()) {
    const jobs = control.jobs(kbId).map((job) => `${job.id} (${control.getJob(kbId, job.id).status})`)
    const shown = jobs.length > 6 ? [...jobs.slice(0, 6), `… ${jobs.length - 6} more`] : jobs
    lines.push(`knowledge base ${kbId}: ${shown.length === 0 ? "no jobs" : shown.join(", ")}`)
  }
  return lines
}
