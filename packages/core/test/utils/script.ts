/**
 * Running a module script in a child Node process from the repository root (on the packages'
 * sources): how the tests check that a program exits by itself, or survives a `kill -9`.
 */
import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { TestLimit } from "@tensoras/ingestion-testkit"

const ROOT = fileURLToPath(new URL("../../../..", import.meta.url))

/**
 * Runs `script` (an ES module, given on standard input); resolves when the process exits, with its
 * code, the signal that ended it and its standard output. `onLine` sees each line of output as it
 * comes, with what kills the process (`SIGKILL`). A process still running after `TestLimit.ms` is killed.
 */
export const runScript = (
  script: string,
  onLine: (line: string, kill: () => void) => void = () => {}
): Promise<{
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
}> =>
  new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["--conditions=@tensoras/source", "--import", "tsx", "--input-type=module"],
      {
        cwd: ROOT
      }
    )
    let out = ""
    let pending = ""
    child.stdout.on("data", (chunk) => {
      out += chunk
      pending += chunk
      const lines = pending.split("\n")
      pending = lines.pop() ?? ""
      for (const line of lines) onLine(line, () => child.kill("SIGKILL"))
    })
    const killer = setTimeout(() => child.kill("SIGKILL"), TestLimit.ms)
    child.on("error", reject)
    child.on("close", (code, signal) => {
      clearTimeout(killer)
      resolve({ code, signal, stdout: out })
    })
    child.stdin.end(script)
  })
