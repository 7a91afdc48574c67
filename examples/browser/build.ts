// Builds the example page into a static folder with esbuild: `pnpm exec tsx examples/browser/build.ts`.
import { copyFile, mkdir } from "node:fs/promises"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { build } from "esbuild"

const here = dirname(fileURLToPath(import.meta.url))
const repo = join(here, "..", "..")

export const buildExample = async (outdir = join(here, "dist")): Promise<string> => {
  await mkdir(outdir, { recursive: true })
  await build({
    entryPoints: [join(here, "app.ts")],
    outfile: join(outdir, "app.js"),
    bundle: true,
    minify: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    conditions: ["@tensoras/source"],
    // React and @xstate/react are dev dependencies of the browser package.
    nodePaths: [join(repo, "packages", "browser", "node_modules")],
    define: { "process.env.NODE_ENV": '"production"' },
    // The folder's tsconfig.json maps modules to type declarations for tsc only.
    tsconfigRaw: {},
    logLevel: "warning"
  })
  await copyFile(join(here, "index.html"), join(outdir, "index.html"))
  return outdir
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(await buildExample())
}
