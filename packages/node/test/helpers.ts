// Child processes of the workspace's TypeScript programs, from source, for tests of the Node
// runtime here and of the command in packages/cli: the testkit's TestProcess, bound to this
// repository (its root, its source condition) and to the secrets of these tests.
import { randomBytes } from "node:crypto"
import { fileURLToPath } from "node:url"
import { TestProcess } from "@tensoras/ingestion-testkit"
import { afterAll } from "vitest"

// Nothing a test starts outlives its file: a child still running when the file ends (a test that
// failed or gave up) is killed.
afterAll(() => TestProcess.stopAll())

export const ROOT = fileURLToPath(new URL("../../..", import.meta.url))

/** The key every simulator of these tests accepts: it must never show up in anything the command prints. */
export const CANARY = `tns_canary_${randomBytes(12).toString("hex")}`
/** A wrong key, just as secret. */
export const WRONG_KEY = `tns_wrong_${randomBytes(12).toString("hex")}`

/** What a program may be started with: its environment (on a clean one), or a pseudo-terminal. */
export type SpawnOptions = Pick<TestProcess.SpawnOptions, "env" | "pty">

/**
 * Starts a TypeScript program of the workspace, from source. Its `exited` rejects if a secret of these
 * tests ({@link CANARY}, {@link WRONG_KEY}) came out on its stdout or stderr.
 */
export const spawnScript = (
  script: string,
  args: ReadonlyArray<string>,
  options: SpawnOptions = {}
): TestProcess.Spawned =>
  TestProcess.node(script, args, {
    ...options,
    cwd: ROOT,
    nodeArgs: ["--conditions=@tensoras/source"],
    canaries: [CANARY, WRONG_KEY]
  })
