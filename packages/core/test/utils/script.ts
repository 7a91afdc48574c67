/**
 * A module script in a child Node process from the repository root (on the packages' sources): how
 * the tests check that a program exits by itself, or survives a `kill -9`. The testkit's
 * `TestProcess.nodeModule`, bound to this repository.
 */
import { fileURLToPath } from "node:url"
import { TestProcess } from "@tensoras/ingestion-testkit"
import { afterAll } from "vitest"

const ROOT = fileURLToPath(new URL("../../../..", import.meta.url))

// Nothing a test starts outlives its file.
afterAll(() => TestProcess.stopAll())

/**
 * Starts `script` (an ES module, given on standard input). Its `exited` resolves with the code, the
 * signal that ended it and its output; a process still running after `TestLimit.ms` is killed, and
 * `exited` rejects, saying what it printed.
 */
export const startScript = (script: string): TestProcess.Spawned =>
  TestProcess.nodeModule(script, { cwd: ROOT, nodeArgs: ["--conditions=@tensoras/source"] })
