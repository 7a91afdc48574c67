/**
 * A complete simulator without a server: the engine, its clock, faults, the request log and the Fetch
 * handler that ties them together. Runtime-neutral (no `node:*` import): serve `handler` with `serveNode`,
 * `Deno.serve` or a Service Worker's `fetch` event.
 *
 * @module
 */
import type { Fault, InjectedFault } from "./Fault.js"
import type { FetchHandler } from "./FetchHandler.js"
import { FaultQueue } from "./internal/faultQueue.js"
import { createHandler } from "./internal/handler.js"
import {
  matchesFilter,
  type RequestFilter,
  RequestLog,
  type RequestRecord,
  type WaitForRequestsOptions
} from "./RequestLog.js"
import { type ClockMode, createSimulatorClock } from "./SimulatorClock.js"
import {
  type DataSourceInfo,
  type DataSourceOptions,
  type JobInfo,
  SimulatorEngine,
  type SyncOptions
} from "./SimulatorEngine.js"
import { type Scenario, type ScenarioName, scenarios } from "./scenarios.js"
import type { WireJob } from "./WireFormat.js"

/**
 * Options of {@link createSimulator}.
 *
 * @example
 * const options: SimulatorOptions = { scenario: "realistic", clock: "manual", epochMs: Date.UTC(2025, 0, 1) }
 */
export interface SimulatorOptions {
  /** A built-in scenario name or your own {@link Scenario}. Default `empty`. */
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
 * const { control } = createSimulator({ scenario: "docs", clock: "manual" })
 * control.advance(44_000)
 * control.getJob("kb_abc123", "job_def456").status // => "completed"
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
   * simulator is disposed: no waiter outlives it.
   */
  waitForRequests(n: number, options?: WaitForRequestsOptions): Promise<ReadonlyArray<RequestRecord>>
  /**
   * Drives a polling client on the manual clock: each time one of its requests has been answered (or
   * otherwise ended), moves engine time `stepMs` on, as if the client had waited that long between polls.
   * Stops when `until` settles and returns what it settled with; nothing is left running. Rejects if no
   * request ends within the tests' limit while `until` is still pending.
   *
   * @example
   * const run = runMyPollingClient(baseUrl)
   * const outcome = await control.advanceOnEachAnswer(10_000, run)
   */
  advanceOnEachAnswer<A>(
    stepMs: number,
    until: PromiseLike<A>,
    options?: AdvanceOnEachAnswerOptions
  ): Promise<A>
  clearRequests(): void
}

/**
 * Options of {@link SimulatorControl.advanceOnEachAnswer}.
 *
 * @example
 * const options: AdvanceOnEachAnswerOptions = { filter: { route: "get" } }
 */
export interface AdvanceOnEachAnswerOptions {
  /** Count only matching requests. */
  readonly filter?: RequestFilter
}

/**
 * A simulator: the Fetch handler, its control API, and `dispose` to release pending timers and hanging requests.
 *
 * @example
 * const simulator = createSimulator({ scenario: "docs" })
 * Deno.serve(simulator.handler) // or serveNode(simulator.handler)
 */
export interface Simulator {
  readonly handler: FetchHandler
  readonly control: SimulatorControl
  dispose(): void
}

const resolveScenario = (scenario: ScenarioName | Scenario): Scenario =>
  typeof scenario === "string" ? scenarios[scenario] : scenario

/** The key the API docs' examples use: accepted by every scenario unless a key is given. */
const DOCS_EXAMPLE_KEY = "tns_your_key_here"

const generatedKey = (): string => {
  const bytes = crypto.getRandomValues(new Uint8Array(16))
  return `tns_sim_${Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("")}`
}

/**
 * Creates a simulator, runtime-neutral. Most Node tests want `startSimulator`, which also serves it.
 *
 * @example
 * const { handler, control } = createSimulator({ scenario: "docs", clock: "manual" })
 * const response = await handler(
 *   new Request("http://sim/v1/knowledge-bases/kb_abc123/ingestion-jobs/job_abc123", {
 *     headers: { authorization: `Bearer ${control.apiKey}` }
 *   })
 * )
 * (await response.json()).chunks_created // => 482
 */
export const createSimulator = (options: SimulatorOptions = {}): Simulator => {
  let scenario = resolveScenario(options.scenario ?? "empty")
  const apiKey = options.apiKey ?? scenario.defaultApiKey ?? generatedKey()
  const epochOf = (candidate: Scenario): number =>
    candidate.epochMs ?? options.epochMs ?? Math.floor(Date.now() / 1000) * 1000
  const clock = createSimulatorClock({ mode: options.clock ?? "real", epochMs: epochOf(scenario) })
  const engine = new SimulatorEngine(clock, options.seed ?? 1)
  const faults = new FaultQueue()
  const log = new RequestLog()
  const lifetime = new AbortController()

  const load = (next: Scenario): void => {
    scenario = next
    clock.reset(epochOf(next))
    engine.clear()
    faults.clear()
    log.clear()
    next.setup(engine)
  }
  load(scenario)

  const handler = createHandler({
    engine,
    clock,
    faults,
    log,
    // The docs' example key works in every scenario, unless the caller chose a key.
    apiKeys: () => [
      apiKey,
      ...(scenario.apiKeys ?? []),
      ...(options.apiKey === undefined ? [DOCS_EXAMPLE_KEY] : [])
    ],
    lifetime: lifetime.signal
  })

  const getJob = (kbId: string, jobId: string): WireJob => {
    const job = engine.getJob(kbId, jobId)
    if (job === undefined) throw new Error(`Unknown job '${jobId}' in knowledge base '${kbId}'`)
    return job
  }

  const control: SimulatorControl = {
    apiKey,
    clockMode: clock.mode,
    get scenario() {
      return scenario.name
    },
    now: () => clock.now(),
    advance: (ms) => clock.advance(ms),
    setTime: (epochMs) => clock.setTime(epochMs),
    setScenario: (next) => load(resolveScenario(next)),
    reset: () => load(scenario),
    addKnowledgeBase: (id) => engine.addKnowledgeBase(id),
    addDataSource: (kbId, dataSource) => engine.addDataSource(kbId, dataSource),
    syncDataSource: (kbId, dataSourceId, sync) => engine.syncDataSource(kbId, dataSourceId, sync),
    removeJob: (kbId, jobId) => engine.removeJob(kbId, jobId),
    knowledgeBases: () => engine.knowledgeBaseIds(),
    jobs: (kbId) => engine.jobs(kbId),
    getJob,
    jobTerminalAt: (kbId, jobId) => engine.jobTerminalAt(kbId, jobId),
    advanceToTerminal: (kbId, jobId) => {
      const terminalAt = engine.jobTerminalAt(kbId, jobId)
      if (terminalAt > clock.now()) clock.setTime(terminalAt)
      return getJob(kbId, jobId)
    },
    injectFault: (fault) => faults.add(fault),
    clearFaults: () => faults.clear(),
    get faults() {
      return faults.pending()
    },
    get requests() {
      return log.all
    },
    requestCount: (filter) => log.count(filter),
    waitForRequests: (n, waitOptions) => log.waitFor(n, waitOptions),
    advanceOnEachAnswer: async (stepMs, until, driveOptions = {}) => {
      const stop = new AbortController()
      const filter = driveOptions.filter
      const seen = log.count((record) => record.outcome !== "pending" && matchesFilter(record, filter))
      const driving = (async () => {
        for (let n = seen + 1; ; n++) {
          try {
            await log.waitFor(n, {
              settled: true,
              signal: stop.signal,
              ...(filter === undefined ? {} : { filter })
            })
          } catch (error) {
            if (stop.signal.aborted) return
            throw error
          }
          if (stop.signal.aborted) return
          clock.advance(stepMs)
        }
      })()
      const settled = Promise.resolve(until)
      // `until` may still reject after the driver gave up: that is the caller's to see, not an unhandled rejection.
      settled.catch(() => {})
      try {
        return await Promise.race([settled, driving.then(() => settled)])
      } finally {
        stop.abort()
        await driving.catch(() => {})
      }
    },
    clearRequests: () => log.clear()
  }

  return {
    handler,
    control,
    dispose: () => {
      lifetime.abort()
      clock.dispose()
      log.dispose()
    }
  }
}
