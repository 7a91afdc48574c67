// Builds examples/browser, serves it with the proxy in front of the simulator, opens it in
// Debian's Chromium, and checks what the screenshot shows.
import { mkdtemp } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { NodeSimulator, Scenarios, TestLimit } from "@tensoras/ingestion-testkit"
import { chromium } from "playwright"
import { expect, it } from "vitest"
import { buildExample } from "../../../examples/browser/build.js"
import { serveExample } from "../../../examples/browser/server.js"
import { exampleWorld } from "../../../examples/browser/world.js"

/**
 * The example's screenshot (examples/browser/screenshot.png, committed, shown by its README) is written
 * into the repository when `pnpm screenshots` runs the test (TENSORAS_SCREENSHOTS=1); else into a
 * temporary folder, so that a test run leaves the work tree as it was.
 */
const screenshotPath = async (name: string) =>
  process.env.TENSORAS_SCREENSHOTS === "1"
    ? join(import.meta.dirname, "..", "..", "..", "examples", "browser", name)
    : join(await mkdtemp(join(tmpdir(), "tensoras-example-shot-")), name)

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
    // Its own picture, read back below; the committed one is the next test's.
    const shot = join(await mkdtemp(join(tmpdir(), "tensoras-example-shot-")), "docs-scenario.png")
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
    // Why the one failed document failed, beside it.
    expect(await page.getByTestId("document-reason").allTextContents()).toContain(
      "The PDF is password-protected (document_encrypted)"
    )
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

it("a visitor picks a scenario, watches a new job from its start, and sees why the job or its documents failed", async () => {
  const sim = await NodeSimulator.start({ scenario: exampleWorld(Scenarios.builtIn), clock: "manual" })
  const root = await buildExample(await mkdtemp(join(tmpdir(), "tensoras-example-")))
  const server = await serveExample({ root, upstream: sim.baseUrl, apiKey: sim.apiKey, control: sim.control })
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: flags
  })
  const state = () => page.getByTestId("state").textContent()
  const jobOf = () => new URL(page.url()).searchParams.get("job") ?? "?"
  const page = await browser.newPage({ viewport: { width: 900, height: 1000 } })
  try {
    // A minute after the server started, a visit still starts its own job: it sees it queued.
    sim.control.advance(60_000)
    await page.goto(`${server.url}/?scenario=failing&interval=50`)
    await expect.poll(state, { timeout: TestLimit.ms }).toBe("queued")
    sim.control.advanceToTerminal("kb_failing", jobOf())
    await expect.poll(state, { timeout: TestLimit.ms }).toBe("failed")
    expect(await page.getByTestId("outcome").textContent()).toBe(
      "Failed: Embedding service unavailable after 3 attempts (embedding_service_unavailable)"
    )

    // Another scenario, from the page's own links: a job whose documents fail, each with its reason.
    await page.getByRole("link", { name: "partial" }).click()
    await expect
      .poll(() => new URL(page.url()).searchParams.get("scenario"), { timeout: TestLimit.ms })
      .toBe("partial")
    const final = sim.control.advanceToTerminal("kb_partial", jobOf())
    await expect.poll(state, { timeout: TestLimit.ms }).toBe("completed")
    const failed = (final.document_details ?? []).filter((document) => document.error !== null)
    const total = final.document_details?.length ?? 0
    expect(await page.getByTestId("outcome").textContent()).toBe(
      `Completed: ${total - failed.length} of ${total} documents ingested, ${failed.length} failed (see below why).`
    )
    const reasons = (await page.getByTestId("document-reason").allTextContents()).filter(
      (text) => text !== ""
    )
    expect(reasons).toEqual(failed.map((document) => `${document.error?.message} (${document.error?.code})`))
    expect(await page.getByRole("link", { name: "partial" }).getAttribute("aria-current")).toBe("page")
    await page.screenshot({ path: await screenshotPath("screenshot.png"), fullPage: true })
    expect(await page.content()).not.toContain(sim.apiKey)
  } finally {
    await browser.close()
    await server.close()
    await sim.close()
  }
})
