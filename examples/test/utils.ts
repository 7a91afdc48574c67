import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import type { RunningSimulator } from "@tensoras/ingestion-testkit"

const root = fileURLToPath(new URL("../..", import.meta.url))

/** What an example printed, and how it exited. */
export interface Run {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/**
 * Runs an example as a user would: a child process with the key and base URL of `simulator`
 * in its environment, on the packages' sources (no build needed).
 */
export const runExample = (
  simulator: RunningSimulator,
  example: string,
  args: ReadonlyArray<string> = [],
  env: Record<string, string> = {}
): Promise<Run> =>
  new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["--conditions=@tensoras/source", "--import", "tsx", `examples/${example}`, ...args],
      {
        cwd: root,
        env: {
          ...process.env,
          TENSORAS_API_KEY: simulator.apiKey,
          TENSORAS_BASE_URL: simulator.baseUrl,
          ...env
        }
      }
    )
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (chunk) => {
      stdout += chunk
    })
    child.stderr.on("data", (chunk) => {
      stderr += chunk
    })
    child.on("error", reject)
    child.on("close", (code) => resolve({ code, stdout, stderr }))
  })

/**
 * Runs a polling example against a manual-clock simulator, moving simulated time by `step` ms
 * after each request has been answered, as if the example had waited that long between polls.
 */
export const runPollingExample = async (
  simulator: RunningSimulator,
  example: string,
  args: ReadonlyArray<string>,
  step = 5_000
): Promise<Run> => {
  const done = runExample(simulator, example, args, { POLL_INTERVAL_MS: "20" })
  let finished = false
  void done.then(() => {
    finished = true
  })
  let polls = 0
  for (;;) {
    await Promise.race([
      simulator.control.waitForRequests(polls + 1, { settled: true, timeoutMs: 10_000 }),
      done
    ])
    if (finished) break
    polls++
    simulator.control.advance(step)
  }
  return done
}
