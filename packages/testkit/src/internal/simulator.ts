/**
 * The simulator's implementation: one engine, clock, fault queue and request log behind a Fetch handler,
 * and the control API over them.
 */
import { matchesFilter } from "../RequestLog.js"
import { builtIn, type Scenario, type ScenarioName } from "../Scenarios.js"
import type { Simulator, SimulatorControl, SimulatorOptions } from "../Simulator.js"
import * as SimulatorClock from "../SimulatorClock.js"
import * as SimulatorEngine from "../SimulatorEngine.js"
import type { WireJob } from "../WireFormat.js"
import { FaultQueue } from "./faultQueue.js"
import { createHandler } from "./handler.js"
import { RequestLog } from "./requestLog.js"

const resolveScenario = (scenario: ScenarioName | Scenario): Scenario =>
  typeof scenario === "string" ? builtIn[scenario] : scenario

/** The key the API docs' examples use: accepted by every scenario unless a key is given. */
const DOCS_EXAMPLE_KEY = "tns_your_key_here"

const generatedKey = (): string => {
  const bytes = crypto.getRandomValues(new Uint8Array(16))
  return `tns_sim_${Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("")}`
}

/** A simulator without a server (see `Simulator.make`). */
export const make = (options: SimulatorOptions = {}): Simulator => {
  let scenario = resolveScenario(options.scenario ?? "empty")
  const apiKey = options.apiKey ?? scenario.defaultApiKey ?? generatedKey()
  const epochOf = (candidate: Scenario): number =>
    candidate.epochMs ?? options.epochMs ?? Math.floor(Date.now() / 1000) * 1000
  const clock = SimulatorClock.make({ mode: options.clock ?? "real", epochMs: epochOf(scenario) })
  const engine = SimulatorEngine.make(clock, options.seed ?? 1)
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
