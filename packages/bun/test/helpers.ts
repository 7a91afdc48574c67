import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { createRequire } from "node:module"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import * as Canary from "@tensoras/ingestion-testkit/Canary"
import * as NodeSimulator from "@tensoras/ingestion-testkit/NodeSimulator"
import * as TestProcess from "@tensoras/ingestion-testkit/TestProcess"
import { afterAll } from "vitest"

export const repoRoot = fileURLToPath(new URL("../../../", import.meta.url))

const folders: Array<string> = []

// Nothing a test starts outlives its file.
afterAll(async () => {
  await TestProcess.stopAll()
  for (const dir of folders) rmSync(dir, { recursive: true, force: true })
})

/**
 * The Bun executable of the workspace's `bun` package (root devDependency, pinned), not one on PATH:
 * the tests run on the Bun the project installs.
 */
export const bunPath: string = (() => {
  const require = createRequire(join(repoRoot, "package.json"))
  const manifestPath = require.resolve("bun/package.json")
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as {
    readonly bin: { readonly bun: string }
  }
  return join(dirname(manifestPath), manifest.bin.bun)
})()

/** The version the root package.json pins. */
export const pinnedBunVersion: string = (
  JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as {
    readonly devDependencies: Readonly<Record<string, string>>
  }
).devDependencies.bun as string

/** A simulator on the docs' scenario with a manual clock and a fresh canary key. */
export const startSimulator = (): Promise<NodeSimulator.RunningSimulator> =>
  NodeSimulator.start({ scenario: "docs", clock: "manual", apiKey: Canary.make() })

export interface BunRun {
  /** Variables on top of the test's environment (its `TENSORAS_*` ones left out). */
  readonly env?: Readonly<Record<string, string>>
  /** The working directory: the repository's root by default. */
  readonly cwd?: string
  /** Keys that must never come out of the program. */
  readonly canaries?: ReadonlyArray<string>
}

/**
 * Starts `examples/bun/<example>` on Bun, on the packages' TypeScript sources (no build needed), as a
 * user would run it: `bun <script> <args>`.
 */
export const startBun = (
  example: string,
  args: ReadonlyArray<string>,
  options: BunRun = {}
): TestProcess.Spawned => startBunScript(join(repoRoot, "examples", "bun", example), args, options)

/** Starts `packages/bun/test/programs/<program>` on Bun, as {@link startBun} starts an example. */
export const startProgram = (
  program: string,
  args: ReadonlyArray<string>,
  options: BunRun = {}
): TestProcess.Spawned =>
  startBunScript(fileURLToPath(new URL(`programs/${program}`, import.meta.url)), args, options)

const startBunScript = (script: string, args: ReadonlyArray<string>, options: BunRun): TestProcess.Spawned =>
  TestProcess.spawn(bunPath, ["--conditions=@tensoras/source", script, ...args], {
    cwd: options.cwd ?? repoRoot,
    env: options.env ?? {},
    canaries: options.canaries ?? [],
    name: `bun ${script.slice(repoRoot.length)}`
  })

/** The example's environment against `sim`, its key a canary that must never be printed. */
export const against = (
  sim: NodeSimulator.RunningSimulator,
  env: Readonly<Record<string, string>> = {}
): BunRun => ({
  env: { TENSORAS_API_KEY: sim.apiKey, TENSORAS_BASE_URL: sim.baseUrl, ...env },
  canaries: [sim.apiKey]
})

/** A fresh folder holding only a `.env` file with `content`; removed after the test file. */
export const folderWithDotEnv = (content: string): string => {
  const dir = mkdtempSync(join(tmpdir(), "tensoras-bun-"))
  folders.push(dir)
  writeFileSync(join(dir, ".env"), content)
  return dir
}

/** What a defect would print: a stack trace or Effect's failure dump. */
export const DEFECT = /\n\s+at |Uncaught|FiberFailure|\(FiberFailure\)/
