/**
 * A local page's files (`index.html`, `page.js`, `page.css`), read once from the folder its package
 * built them into and kept with their gzip: `tensoras-ingest watch --web`'s and `tensoras-cluster
 * ui`'s pages are each their own package's, served the same way.
 */
import { readFile } from "node:fs/promises"
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

/**
 * The page's files in `dir` (ending with a `/`); rejects, naming the folder and how to build them
 * (`build`), when the page was not built.
 */
export const loadAssets = async (dir: string, build: string): Promise<Assets> => {
  const entries = await Promise.all(
    Object.entries(TYPES).map(async ([name, type]) => {
      const body = await readFile(`${dir}${name}`).catch(() => {
        throw new Error(`the page is not built (no ${dir}${name}): run ${build}`)
      })
      return [name, { type, body, gzipped: gzipSync(body, { level: 9 }) }] as const
    })
  )
  return new Map(entries)
}
