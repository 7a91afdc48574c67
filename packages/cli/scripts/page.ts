// Builds the page of `tensoras-ingest watch --web` into dist/web (index.html, page.js, page.css), where
// its server reads it, from source (tsx) or built: `pnpm --filter @tensoras/ingestion-cli build` runs it
// after tsdown, and the page's tests and benchmark run it first. Run alone: `tsx packages/cli/scripts/page.ts`.
import { copyFile, mkdir, readFile } from "node:fs/promises"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { gzipSync } from "node:zlib"
import { build } from "esbuild"

const here = dirname(fileURLToPath(import.meta.url))
const source = join(here, "..", "src", "internal", "web", "page")

/** Where the server looks for the page (see src/internal/web/command.ts). */
export const WEB_DIR = join(here, "..", "dist", "web")

/** The page's files, as the server sends them. */
export const FILES = ["index.html", "page.js", "page.css"] as const

export const buildPage = async (outdir: string = WEB_DIR): Promise<string> => {
  await mkdir(outdir, { recursive: true })
  await build({
    entryPoints: [join(source, "main.ts")],
    outfile: join(outdir, "page.js"),
    bundle: true,
    minify: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    // The page imports the protocol's types and its own modules, nothing else: no Effect, no package.
    packages: "external",
    tsconfigRaw: {},
    logLevel: "warning"
  })
  await build({
    entryPoints: [join(source, "page.css")],
    outfile: join(outdir, "page.css"),
    // page.css imports jobs.css: one file for the page.
    bundle: true,
    minify: true,
    logLevel: "warning"
  })
  await copyFile(join(source, "index.html"), join(outdir, "index.html"))
  return outdir
}

export interface PageSize {
  readonly files: ReadonlyArray<{ readonly name: string; readonly bytes: number; readonly gzipped: number }>
  readonly bytes: number
  readonly gzipped: number
}

/** Each file's bytes and gzip -9 bytes, and their sums: the page's own code, all of it. */
export const pageSize = async (dir: string = WEB_DIR): Promise<PageSize> => {
  const files = await Promise.all(
    FILES.map(async (name) => {
      const bytes = await readFile(join(dir, name))
      return { name, bytes: bytes.byteLength, gzipped: gzipSync(bytes, { level: 9 }).byteLength }
    })
  )
  return {
    files,
    bytes: files.reduce((sum, file) => sum + file.bytes, 0),
    gzipped: files.reduce((sum, file) => sum + file.gzipped, 0)
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const dir = await buildPage()
  const size = await pageSize(dir)
  console.log(`${dir}: ${size.bytes} bytes, ${size.gzipped} gzipped`)
}
