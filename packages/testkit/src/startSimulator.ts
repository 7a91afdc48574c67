/**
 * One call for Node tests and the CLI: a simulator served over real HTTP on loopback.
 *
 * @module
 */

import { createSimulator, type SimulatorControl, type SimulatorOptions } from "./Simulator.js"
import { isScenarioName, scenarios } from "./scenarios.js"
import { serveNode } from "./serveNode.js"

/**
 * Options of {@link startSimulator}: the simulator's, plus where to listen.
 *
 * @example
 * const options: StartSimulatorOptions = { scenario: "docs", clock: "manual", port: 0 }
 */
export interface StartSimulatorOptions extends SimulatorOptions {
  /** Default 0: a free port. */
  readonly port?: number
  /** Default `127.0.0.1`. */
  readonly host?: string
}

/**
 * A simulator listening on HTTP.
 *
 * @example
 * const sim = await startSimulator({ scenario: "docs" })
 * sim.baseUrl // e.g. "http://127.0.0.1:53124/v1"
 * await sim.close()
 */
export interface RunningSimulator {
  /** Like production's `https://api.tensoras.ai/v1`: append `/knowledge-bases/…`. */
  readonly baseUrl: string
  readonly apiKey: string
  readonly control: SimulatorControl
  /** Destroys open connections (hanging requests included), releases timers, resolves when closed. */
  close(): Promise<void>
}

/**
 * Starts the simulator on a real HTTP server (default `127.0.0.1`, random port).
 *
 * @example
 * const sim = await startSimulator({ scenario: "docs", clock: "manual" })
 * const response = await fetch(`${sim.baseUrl}/knowledge-bases/kb_abc123/ingestion-jobs`, {
 *   headers: { authorization: `Bearer ${sim.apiKey}` }
 * })
 * sim.control.advance(44_000) // job_def456 completes
 * await sim.close()
 */
export const startSimulator = async (options: StartSimulatorOptions = {}): Promise<RunningSimulator> => {
  const { port, host, ...simulatorOptions } = options
  const simulator = createSimulator(simulatorOptions)
  const server = await serveNode(simulator.handler, {
    ...(port === undefined ? {} : { port }),
    ...(host === undefined ? {} : { host })
  })
  let closing: Promise<void> | undefined
  return {
    baseUrl: `${server.origin}/v1`,
    apiKey: simulator.control.apiKey,
    control: simulator.control,
    close: () => {
      closing ??= (async () => {
        simulator.dispose()
        await server.close()
      })()
      return closing
    }
  }
}

/**
 * What a running simulator is, in lines for a person: its base URL first (scripts read that line),
 * the scenario, the clock, the key, and each knowledge base with its jobs. The `tensoras-simulator`
 * bin and `tensoras-ingest simulate` print it, each followed by a line of its own to try.
 *
 * @example
 * const lines = describeSimulator(running) // ["http://127.0.0.1:4010/v1", "scenario: docs - …", …]
 */
export const describeSimulator = (running: RunningSimulator): Array<string> => {
  const { control, baseUrl } = running
  const named = isScenarioName(control.scenario) ? ` - ${scenarios[control.scenario].description}` : ""
  const lines = [
    baseUrl,
    `scenario: ${control.scenario}${named}`,
    `clock: ${control.clockMode}, starting at ${new Date(control.now()).toISOString()}`,
    `api key: ${control.apiKey}`
  ]
  for (const kbId of control.knowledgeBases()) {
    const jobs = control.jobs(kbId).map((job) => `${job.id} (${control.getJob(kbId, job.id).status})`)
    const shown = jobs.length > 6 ? [...jobs.slice(0, 6), `… ${jobs.length - 6} more`] : jobs
    lines.push(`knowledge base ${kbId}: ${shown.length === 0 ? "no jobs" : shown.join(", ")}`)
  }
  return lines
}
