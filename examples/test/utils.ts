import { type ChildProcess, spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import type { NodeSimulator } from "@tensoras/ingestion-testkit"

const root = fileURLToPath(new URL("../..", import.meta.url))

/** What an example printed, and how it exited. */
export interface Run {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/**
 * Starts an example as a user would: a child process on the packages' sources (no build needed),
 * with the environment of the tests minus any `TENSORAS_*` variable, plus `env`.
 */
export const startExample = (
  example: string,
  args: ReadonlyArray<string> = [],
  env: Record<string, string> = {}
): { readonly child: ChildProcess; readonly done: Promise<Run> } => {
  const { TENSORAS_API_KEY: _key, TENSORAS_BASE_URL: _url, ...inherited } = process.env
  const child = spawn(
    process.execPath,
    ["--conditions=@tensoras/source", "--import", "tsx", `examples/${example}`, ...args],
    { cwd: root, env: { ...inherited, ...env } }
  )
  const done = new Promise<Run>((resolve, reject) => {
    let stdout = ""
    let stderr = ""
    child.stdout?.on("data", (chunk) => {
      stdout += chunk
    })
    child.stderr?.on("data", (chunk) => {
      stderr += chunk
    })
    child.on("error", reject)
    child.on("close", (code) => resolve({ code, stdout, stderr }))
  })
  return { child, done }
}

/** Runs an example against `simulator`: its key and base URL are in the example's environment. */
export const runExample = (
  simulator: NodeSimulator.RunningSimulator,
  example: string,
  args: ReadonlyArray<string> = [],
  env: Record<string, string> = {}
): Promise<Run> =>
  startExample(example, args, {
    TENSORAS_API_KEY: simulator.apiKey,
    TENSORAS_BASE_URL: simulator.baseUrl,
    ...env
  }).done

/**
 * Runs a polling example against a manual-clock simulator, moving simulated time by `step` ms
 * after each request has been answered, as if the example had waited that long between polls.
 */
export const runPollingExample = async (
  simulator: NodeSimulator.RunningSimulator,
  example: string,
  args: ReadonlyArray<string>,
  step = 5_000
): Promise<Run> => {
  const done = runExample(simulator, example, args, { POLL_INTERVAL_MS: "20" })
  return simulator.control.advanceOnEachAnswer(step, done)
}
