/**
 * The simulator's implementation: one engine, clock, fault queue and request log behind a Fetch handler
 * (`handler.ts`), and the control API over them (`control.ts`).
 */
import { builtIn, type Scenario, type ScenarioName } from "../Scenarios.js"
import type { Simulator, SimulatorOptions } from "../Simulator.js"
import * as SimulatorClock from "../SimulatorClock.js"
import * as SimulatorEngine from "../SimulatorEngine.js"
import { makeControl } from "./control.js"
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

  const load = (next: ScenarioName | Scenario): void => {
    const loaded = resolveScenario(next)
    scenario = loaded
    clock.reset(epochOf(loaded))
    engine.clear()
    faults.clear()
    log.clear()
    loaded.setup(engine)
    for (const fault of loaded.faults ?? []) faults.add(fault)
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
  const control = makeControl({ apiKey, clock, engine, faults, log, scenario: () => scenario, load })

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
