// Child processes of the workspace's TypeScript programs, from source, for tests of the Node
// runtime here and of the command in packages/cli.
import { type ChildProcess, spawn } from "node:child_process"
import { randomBytes } from "node:crypto"
import { fileURLToPath } from "node:url"
import { afterAll, expect } from "vitest"

// Nothing a test starts outlives its file: a child still running when the file ends (a test that
// failed or timed out) is killed.
const children = new Set<ChildProcess>()
afterAll(() => {
  for (const child of children) child.kill("SIGKILL")
})

export const ROOT = fileURLToPath(new URL("../../..", import.meta.url))
const NODE_ARGS = ["--conditions=@tensoras/source", "--import", "tsx"]

/** The key every simulator of these tests accepts: it must never show up in anything the command prints. */
export const CANARY = `tns_canary_${randomBytes(12).toString("hex")}`
/** A wrong key, just as secret. */
export const WRONG_KEY = `tns_wrong_${randomBytes(12).toString("hex")}`
const SECRETS = [CANARY, WRONG_KEY]

export interface Run {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
}

export interface Cli {
  readonly child: ChildProcess
  /** Resolves once the process has exited and its output is read; checks that no secret leaked. */
  readonly done: Promise<Run>
  readonly stdout: () => string
  /** Resolves once stdout contains `text`. */
  readonly printed: (text: string) => Promise<string>
}

export interface SpawnOptions {
  /** Environment on top of a clean one (no TENSORAS_*, no NO_COLOR). */
  readonly env?: Record<string, string>
  /** Run inside a pseudo-terminal (util-linux `script`), with TERM=xterm. */
  readonly pty?: boolean
}

const shellQuote = (arg: string) => `'${arg.replace(/'/g, "'\\''")}'`

const cleanEnv = (): Record<string, string> => {
  const env: Record<string, string> = {}
  for (const [name, value] of Object.entries(process.env)) {
    if (value === undefined || name.startsWith("TENSORAS_") || name === "NO_COLOR" || name === "FORCE_COLOR")
      continue
    env[name] = value
  }
  return env
}

/** Starts a TypeScript program of the workspace, from source. */
export const spawnScript = (script: string, args: ReadonlyArray<string>, options: SpawnOptions = {}): Cli => {
  const env = { ...cleanEnv(), ...(options.pty ? { TERM: "xterm" } : {}), ...options.env }
  const child = options.pty
    ? spawn(
        "/usr/bin/script",
        ["-qfec", [process.execPath, ...NODE_ARGS, script, ...args].map(shellQuote).join(" "), "/dev/null"],
        { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] }
      )
    : spawn(process.execPath, [...NODE_ARGS, script, ...args], {
        cwd: ROOT,
        env,
        stdio: ["ignore", "pipe", "pipe"]
      })
  children.add(child)
  child.on("close", () => children.delete(child))
  let stdout = ""
  let stderr = ""
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk
  })
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk
  })
  const done = new Promise<Run>((resolve, reject) => {
    child.on("error", reject)
    child.on("close", (code, signal) => {
      for (const secret of SECRETS) {
        expect(stdout).not.toContain(secret)
        expect(stderr).not.toContain(secret)
      }
      resolve({ code, signal, stdout, stderr })
    })
  })
  const printed = (text: string) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        if (!stdout.includes(text)) return false
        child.stdout?.off("data", check)
        resolve(stdout)
        return true
      }
      if (!check()) child.stdout?.on("data", check)
      void done.then(() =>
        check() ? undefined : reject(new Error(`exited before printing ${JSON.stringify(text)}`))
      )
    })
  return { child, done, stdout: () => stdout, printed }
}
