// Headless Chromium (Debian's, as the browser package's tests use it) for the page of
// `tensoras-ingest watch --web`, and where that page's screenshots go.
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { type Browser, chromium } from "playwright"

const FLAGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run"
]

export const launchChromium = (): Promise<Browser> =>
  chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium", args: FLAGS })

const ROOT = fileURLToPath(new URL("../../..", import.meta.url))

/**
 * Where a screenshot the tests take goes: into the repository (`docs/images/…`, committed, shown by
 * the README and docs/cli.md) when `pnpm screenshots` runs them (TENSORAS_SCREENSHOTS=1), else into a
 * temporary folder, so that a test run leaves the work tree as it was.
 */
export const screenshotPath = (repositoryPath: string): string =>
  process.env.TENSORAS_SCREENSHOTS === "1"
    ? join(ROOT, repositoryPath)
    : join(mkdtempSync(join(tmpdir(), "tensoras-shot-")), repositoryPath.split("/").pop() ?? "shot.png")

/**
 * Reads a stream of server-sent events until `done` says it has enough of what it read (or the
 * limit passes, or the stream ends), then closes it; returns the text read.
 */
export const readEvents = async (url: string, done: (text: string) => boolean, limitMs: number) => {
  const controller = new AbortController()
  const timer = setTimeout(() => controller.abort(), limitMs)
  let text = ""
  try {
    const response = await fetch(url, { signal: controller.signal })
    const reader = response.body?.getReader()
    const decoder = new TextDecoder()
    while (reader !== undefined && !done(text)) {
      const { value, done: ended } = await reader.read()
      if (ended) break
      text += decoder.decode(value, { stream: true })
    }
  } catch (error) {
    if (!controller.signal.aborted) throw error
  } finally {
    clearTimeout(timer)
    controller.abort()
  }
  return text
}
