import { fileURLToPath } from "node:url"
import { type NodeSimulator, TestProcess } from "@tensoras/ingestion-testkit"
import { afterAll } from "vitest"

const root = fileURLToPath(new URL("../..", import.meta.url))

// Nothing a test starts outlives its file: an example still running when the file ends is killed.
afterAll(() => TestProcess.stopAll())

/**
 * Starts an example as a user would: a child process on the packages' sources (no build needed),
 * with the environment of the tests minus any `TENSORAS_*` variable, plus `env`.
 */
export const startExample = (
  example: string,
  args: ReadonlyArray<string> = [],
  env: Record<string, string> = {}
): TestProcess.Spawned =>
  TestProcess.node(`examples/${example}`, args, {
    cwd: root,
    env,
    nodeArgs: ["--conditions=@tensoras/source"]
  })

/** Runs an example against `simulator`: its key and base URL are in the example's environment. */
export const runExample = (
  simulator: NodeSimulator.RunningSimulator,
  example: string,
  args: ReadonlyArray<string> = [],
  env: Record<string, string> = {}
): Promise<TestProcess.Exit> =>
  startExample(example, args, {
    TENSORAS_API_KEY: simulator.apiKey,
    TENSORAS_BASE_URL: simulator.baseUrl,
    ...env
  }).exited

/**
 * Runs a polling example against a manual-clock simulator, moving simulated time by `step` ms
 * after each request has been answered, as if the example had waited that long between polls.
 */
export const runPollingExample = async (
  simulator: NodeSimulator.RunningSimulator,
  example: string,
  args: ReadonlyArray<string>,
  step = 5_000
): Promise<TestProcess.Exit> => {
  const done = runExample(simulator, example, args, { POLL_INTERVAL_MS: "20" })
  return simulator.control.advanceOnEachAnswer(step, done)
}
