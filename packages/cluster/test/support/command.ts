/**
 * The `tensoras-cluster` command as the cluster tests run it: its sources bundled into one ES module by
 * esbuild (the workspace's `@tensoras/source` condition, dependencies included), once per test run. A
 * process started from the bundle is the same program as one started from `src/bin.ts` through tsx (esbuild
 * compiles both), but it starts in a fraction of the time: tsx resolves and compiles its hundreds of modules
 * in every process (about 1.5 s of CPU on this project's 2-core machine), and the tests start some 30 of
 * them (runners and `wait` commands), a few at a time.
 */
import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { build } from "esbuild"

const PACKAGE = fileURLToPath(new URL("../../", import.meta.url))

/**
 * Bundles `src/bin.ts` into a temporary folder and returns the file and how to delete the folder. For the
 * runners and `wait` commands: a path that a module computes from its own `import.meta.url` (the `ui`
 * command's page, in the package's `dist`) points elsewhere from the bundle, so the tests run anything else
 * from `src/bin.ts` (`BIN`).
 */
export const bundleCommand = async (): Promise<{
  readonly file: string
  readonly remove: () => Promise<void>
}> => {
  const folder = await mkdtemp(join(tmpdir(), "tensoras-cluster-bin-"))
  const file = join(folder, "bin.mjs")
  await build({
    entryPoints: [join(PACKAGE, "src", "bin.ts")],
    outfile: file,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node22",
    conditions: ["@tensoras/source"],
    // The CommonJS dependencies (pg, ws, ...) `require` Node's modules: an ES module has no `require`.
    banner: {
      js: 'import { createRequire as __tensorasRequire } from "node:module"; const require = __tensorasRequire(import.meta.url);'
    },
    logLevel: "warning"
  })
  return { file, remove: () => rm(folder, { recursive: true, force: true }) }
}
