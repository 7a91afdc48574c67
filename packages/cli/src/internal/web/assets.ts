/**
 * The page's files, read once from `dist/web` (built by `scripts/page.ts` with the package; the
 * same folder from `src/` and `dist/`, both two levels under the package) and kept with their gzip.
 */
import { readFile } from "node:fs/promises"
import { fileURLToPath } from "node:url"
import { gzipSync } from "node:zlib"

export interface Asset {
  readonly type: string
  readonly body: Buffer
  readonly gzipped: Buffer
}

export type Assets = ReadonlyMap<string, Asset>

const TYPES = {
  "index.html": "text/html; charset=utf-8",
  "page.js": "text/javascript; charset=utf-8",
  "page.css": "text/css; charset=utf-8"
} as const

/** `packages/cli/dist/web/`, from `src/internal/web/` and from `dist/internal/web/` alike. */
export const WEB_DIR: string = fileURLToPath(new URL("../../../dist/web/", import.meta.url))

/** The page's files; rejects, naming the folder, when the page was not built. */
export const loadAssets = async (dir: string = WEB_DIR): Promise<Assets> => {
  const entries = await Promise.all(
    Object.entries(TYPES).map(async ([name, type]) => {
      const body = await readFile(`${dir}${name}`).catch(() => {
        throw new Error(
          `the page is not built (no ${dir}${name}): run pnpm --filter @tensoras/ingestion-cli build`
        )
      })
      return [name, { type, body, gzipped: gzipSync(body, { level: 9 }) }] as const
    })
  )
  return new Map(entries)
}
