// Builds the page of `tensoras-cluster ui` into dist/ui (index.html, page.js, page.css), where its server reads it,
// from source (tsx) or built: `pnpm --filter @tensoras/ingestion-cluster build` runs it after tsdown, and the page's
// test runs it first. Run alone: `tsx packages/cluster/scripts/uiPage.ts`.
//
// The page shares the watch page's pieces (`tensoras-ingest watch --web`): its DOM helpers and number formats
// (imported through @tensoras/ingestion-cli/internal/web/page/*, from source) and its style sheet, which comes first.
import { copyFile, mkdir } from "node:fs/promises"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { build } from "esbuild"
import { type PageSize, pageSize } from "../../cli/scripts/page.js"

const here = dirname(fileURLToPath(import.meta.url))
const source = join(here, "..", "src", "internal", "ui", "page")
const cliPage = join(
  dirname(fileURLToPath(import.meta.resolve("@tensoras/ingestion-cli/package.json"))),
  "src",
  "internal",
  "web",
  "page"
)

/** Where the server looks for the page (see src/internal/ui/command.ts). */
export const UI_DIR = join(here, "..", "dist", "ui")

export const buildUiPage = async (outdir: string = UI_DIR): Promise<string> => {
  await mkdir(outdir, { recursive: true })
  await build({
    entryPoints: [join(source, "main.ts")],
    outfile: join(outdir, "page.js"),
    bundle: true,
    minify: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    // The watch page's modules, from their TypeScript sources: the workspace's export condition.
    conditions: ["@tensoras/source"],
    tsconfigRaw: {},
    logLevel: "warning"
  })
  await build({
    stdin: {
      contents: `@import ${JSON.stringify(join(cliPage, "page.css"))};\n@import ${JSON.stringify(join(source, "ui.css"))};\n`,
      resolveDir: source,
      loader: "css"
    },
    outfile: join(outdir, "page.css"),
    bundle: true,
    minify: true,
    logLevel: "warning"
  })
  await copyFile(join(source, "index.html"), join(outdir, "index.html"))
  return outdir
}

/** Each file's bytes and gzip -9 bytes, and their sums, as the watch page's are measured. */
export const uiPageSize = (dir: string = UI_DIR): Promise<PageSize> => pageSize(dir)

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const dir = await buildUiPage()
  const size = await uiPageSize(dir)
  console.log(`${dir}: ${size.bytes} bytes, ${size.gzipped} gzipped`)
}
