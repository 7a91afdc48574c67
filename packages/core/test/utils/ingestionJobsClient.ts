/**
 * What the Promise client's tests share (IngestionJobsClient*.test.ts): the canary key, the
 * simulator they run against, the client on it, and the check that a rejection never holds the key.
 */
import { expect } from "@effect/vitest"
import { createIngestionJobsClient } from "@tensoras/ingestion"
import { NodeSimulator } from "@tensoras/ingestion-testkit"
import { useSimulatorOf } from "./simulator.js"

export const API_KEY = "tns_canary_promise_4c2a9e"

/** The simulator of a test file: the docs scenario, on a clock the tests move. */
export const startSimulator = (): Promise<NodeSimulator.RunningSimulator> =>
  NodeSimulator.start({ scenario: "docs", apiKey: API_KEY, clock: "manual" })

/** The Promise client against `simulator`, without retries unless told. */
export const clientOn = (
  simulator: NodeSimulator.RunningSimulator,
  options: Partial<Parameters<typeof createIngestionJobsClient>[0]> = {}
) => createIngestionJobsClient({ apiKey: API_KEY, baseUrl: simulator.baseUrl, maxRetries: 0, ...options })

/** Awaits a rejection and returns it; the key must not appear in it anywhere. */
export const rejection = async (promise: Promise<unknown>): Promise<any> => {
  try {
    await promise
  } catch (error) {
    expect(JSON.stringify([String(error), JSON.stringify(error), (error as Error).stack])).not.toContain(
      API_KEY
    )
    return error
  }
  return expect.fail("expected a rejection")
}

/** A test file's simulator (`useSimulatorOf`), with the client on it. */
export const useSimulator = () => {
  const world = useSimulatorOf(startSimulator)
  return {
    get simulator() {
      return world.simulator
    },
    client: (options: Parameters<typeof clientOn>[1] = {}) => clientOn(world.simulator, options)
  }
}
