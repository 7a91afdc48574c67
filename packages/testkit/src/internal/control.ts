/**
 * The simulator's control API over the parts `Simulator.make` wires: the clock, the world (scenario,
 * knowledge bases, jobs), faults and the request log, and the manual clock's driver for polling clients.
 */
import { matchesFilter } from "../RequestLog.js"
import type { Scenario, ScenarioName } from "../Scenarios.js"
import type { AdvanceOnEachAnswerOptions, SimulatorControl } from "../Simulator.js"
import type { SimulatorClock } from "../SimulatorClock.js"
import type { SimulatorEngine } from "../SimulatorEngine.js"
import type { WireJob } from "../WireFormat.js"
import type { FaultQueue } from "./faultQueue.js"
import type { RequestLog } from "./requestLog.js"

/**
 * What the control API works on.
 *
 * @example
 * const control = makeControl({ apiKey, clock, engine, faults, log, scenario: () => current, load })
 */
export interface SimulatorParts {
  readonly apiKey: string
  readonly clock: SimulatorClock
  readonly engine: SimulatorEngine
  readonly faults: FaultQueue
  readonly log: RequestLog
  /** The scenario loaded now. */
  readonly scenario: () => Scenario
  /** Starts a scenario over: clock, engine, faults and log. */
  readonly load: (next: ScenarioName | Scenario) => void
}

/**
 * Moves engine time `stepMs` on each time a matching request ends, until `until` settles (see
 * `SimulatorControl.advanceOnEachAnswer`).
 *
 * @example
 * const job = await advanceOnEachAnswer(log, clock, 1_000, client.wait(jobId))
 */
export const advanceOnEachAnswer = async <A>(
  log: RequestLog,
  clock: SimulatorClock,
  stepMs: number,
  until: PromiseLike<A>,
  options: AdvanceOnEachAnswerOptions = {}
): Promise<A> => {
  const stop = new AbortController()
  const filter = options.filter
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
}

/**
 * The control API of a simulator made of `parts`.
 *
 * @example
 * const control = makeControl(parts)
 * control.advance(5_000)
 */
export const makeControl = (parts: SimulatorParts): SimulatorControl => {
  const { clock, engine, faults, log } = parts
  const getJob = (kbId: string, jobId: string): WireJob => {
    const job = engine.getJob(kbId, jobId)
    if (job === undefined) throw new Error(`Unknown job '${jobId}' in knowledge base '${kbId}'`)
    return job
  }
  return {
    apiKey: parts.apiKey,
    clockMode: clock.mode,
    get scenario() {
      return parts.scenario().name
    },
    now: () => clock.now(),
    advance: (ms) => clock.advance(ms),
    setTime: (epochMs) => clock.setTime(epochMs),
    setScenario: (next) => parts.load(next),
    reset: () => parts.load(parts.scenario()),
    addKnowledgeBase: (id) => engine.addKnowledgeBase(id),
    addDataSource: (kbId, dataSource) => engine.addDataSource(kbId, dataSource),
    syncDataSource: (kbId, dataSourceId, sync) => engine.syncDataSource(kbId, dataSourceId, sync),
    removeJob: (kbId, jobId) => engine.removeJob(kbId, jobId),
    knowledgeBases: () => engine.knowledgeBaseIds(),
    dataSources: (kbId) => engine.dataSources(kbId),
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
    advanceOnEachAnswer: (stepMs, until, options) => advanceOnEachAnswer(log, clock, stepMs, until, options),
    clearRequests: () => log.clear()
  }
}
