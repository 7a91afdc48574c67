// Builds examples/browser, serves it with the proxy in front of the simulator, opens it in
// Debian's Chromium, and checks what the screenshot shows.
import { mkdtemp } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { startSimulator } from "@tensoras/ingestion-testkit"
import { chromium } from "playwright"
import { expect, it } from "vitest"
import { buildExample } from "../../../examples/browser/build.js"
import { serveExample } from "../../../examples/browser/server.js"

const flags = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run"
]

it("the React example shows the live state, the progress, the counters and every document", async () => {
  const sim = await startSimulator({ scenario: "docs", clock: "manual" })
  const root = await buildExample(await mkdtemp(join(tmpdir(), "tensoras-example-")))
  const server = await serveExample({ root, upstream: sim.baseUrl, apiKey: sim.apiKey })
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: flags
  })
  try {
    const page = await browser.newPage({ viewport: { width: 900, height: 1000 } })
    await page.goto(`${server.url}/?kb=kb_abc123&job=job_def456&interval=50`)
    await expect.poll(() => page.getByTestId("state").textContent()).toBe("processing")
    expect(await page.getByTestId("processed").textContent()).toBe("8")

    const final = sim.control.advanceToTerminal("kb_abc123", "job_def456")
    const documents = final.document_details ?? []
    await expect.poll(() => page.getByTestId("state").textContent()).toBe("completed")
    const progress = page.getByTestId("progress")
    const shot = join(import.meta.dirname, "..", "..", "..", "examples", "browser", "screenshot.png")
    await page.screenshot({ path: shot, fullPage: true })

    // What the screenshot shows, read from the DOM at the same moment.
    expect(Number(await progress.getAttribute("value"))).toBe(Number(await progress.getAttribute("max")))
    expect(Number(await progress.getAttribute("max"))).toBe(documents.length)
    expect(await page.getByTestId("processed").textContent()).toBe(String(final.documents_processed))
    expect(await page.getByTestId("chunks").textContent()).toBe(String(final.chunks_created))
    const rows = page.getByTestId("document-row")
    expect(await rows.count()).toBe(documents.length)
    expect(await rows.first().textContent()).toContain(documents[0]?.document_name ?? "?")
    // The page never saw the key: every request reached the simulator through the proxy.
    const html = await page.content()
    expect(html).not.toContain(sim.apiKey)
    expect(sim.control.requests.every((r) => r.authorized)).toBe(true)
  } finally {
    await browser.close()
    await server.close()
    await sim.close()
  }
})
