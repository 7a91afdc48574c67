// Builds examples/browser, serves it with the proxy in front of the simulator, opens it in
// Debian's Chromium, and checks what the screenshot shows.
import { mkdtemp } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { NodeSimulator, TestLimit } from "@tensoras/ingestion-testkit"
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
  const sim = await NodeSimulator.start({ scenario: "docs", clock: "manual" })
  const root = await buildExample(await mkdtemp(join(tmpdir(), "tensoras-example-")))
  const server = await serveExample({ root, upstream: sim.baseUrl, apiKey: sim.apiKey })
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: flags
  })
  try {
    const page = await browser.newPage({ viewport: { width: 900, height: 1000 } })
    await page.goto(`${server.url}/?kb=kb_abc123&job=job_def456&interval=50`)
    await expect
      .poll(() => page.getByTestId("state").textContent(), { timeout: TestLimit.ms })
      .toBe("processing")
    expect(await page.getByTestId("processed").textContent()).toBe("8")

    const final = sim.control.advanceToTerminal("kb_abc123", "job_def456")
    const documents = final.document_details ?? []
    await expect
      .poll(() => page.getByTestId("state").textContent(), { timeout: TestLimit.ms })
      .toBe("completed")
    const progress = page.getByTestId("progress")
    const shot = join(import.meta.dirname, "..", "..", "..", "examples", "browser", "screenshot.png")
    const png = await page.screenshot({ path: shot, fullPage: true })

    // What the screenshot shows: the pixels of the progress bar, read back from the PNG itself,
    // are filled from its start to its end (an unfinished bar ends in the track's colour).
    const box = await progress.boundingBox()
    if (box === null) throw new Error("the progress bar is not on screen")
    const y = Math.round(box.y + box.height / 2)
    const [start, end] = await page.evaluate(
      async ({ dataUrl, points }) => {
        const image = new Image()
        image.src = dataUrl
        await image.decode()
        const canvas = document.createElement("canvas")
        canvas.width = image.width
        canvas.height = image.height
        const context = canvas.getContext("2d")!
        context.drawImage(image, 0, 0)
        return points.map(([px, py]) => Array.from(context.getImageData(px, py, 1, 1).data.slice(0, 3)))
      },
      {
        dataUrl: `data:image/png;base64,${png.toString("base64")}`,
        points: [
          [Math.round(box.x + 4), y],
          [Math.round(box.x + box.width - 4), y]
        ] as Array<[number, number]>
      }
    )
    expect(end).toStrictEqual(start)
    const [red = 0, , blue = 0] = start ?? []
    expect(blue - red).toBeGreaterThan(100) // the fill is blue, not the grey track

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

it("two real pages of one origin watching one job: the first polls for both, and the second takes over when it closes", async () => {
  const sim = await NodeSimulator.start({ scenario: "docs", clock: "manual" })
  const root = await buildExample(await mkdtemp(join(tmpdir(), "tensoras-example-")))
  const server = await serveExample({ root, upstream: sim.baseUrl, apiKey: sim.apiKey })
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: flags
  })
  // An hour between polls: every request below is a wait's first poll or a takeover, never a routine one.
  const url = `${server.url}/?kb=kb_abc123&job=job_def456&interval=3600000`
  const gets = () => sim.control.requestCount({ route: "get" })
  try {
    // Two tabs of one browser profile: they share Web Locks and BroadcastChannel.
    const context = await browser.newContext()
    const first = await context.newPage()
    await first.goto(url)
    await expect
      .poll(() => first.getByTestId("state").textContent(), { timeout: TestLimit.ms })
      .toBe("processing")
    expect(gets()).toBe(1)

    const second = await context.newPage()
    await second.goto(url)
    // The first tab leads the knowledge base: it makes the second tab's first poll and relays the
    // answer; the second tab sends nothing of its own.
    await expect
      .poll(() => second.getByTestId("processed").textContent(), { timeout: TestLimit.ms })
      .toBe("8")
    expect(gets()).toBe(2)

    // The job finishes on the server; the leading tab closes before its next poll is due.
    const final = sim.control.advanceToTerminal("kb_abc123", "job_def456")
    await first.close()
    // The second tab takes the lead and polls at once: no gap of an hour.
    await expect
      .poll(() => second.getByTestId("state").textContent(), { timeout: TestLimit.ms })
      .toBe("completed")
    expect(await second.getByTestId("chunks").textContent()).toBe(String(final.chunks_created))
    expect(gets()).toBe(3)
  } finally {
    await browser.close()
    await server.close()
    await sim.close()
  }
})
