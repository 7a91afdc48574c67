// `tensoras-ingest watch --web` and `demo --web` for real: the command from source against the
// simulator (manual clock, the canary key), its page in headless Chromium (Debian's). What a person
// would check: the page appears with every job's state, moves when the simulator moves a job,
// shows why documents failed, never holds the key, survives a reload, and the command stops cleanly.
import { readFile } from "node:fs/promises"
import { request } from "node:http"
import { join } from "node:path"
import { NodeSimulator, Scenarios, TestLimit, type TestProcess } from "@tensoras/ingestion-testkit"
import type { Browser, Page } from "playwright"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { buildPage, pageSize, WEB_DIR } from "../scripts/page.js"
import { demoWorld } from "../src/internal/web/demoWorld.js"
import { CANARY, envFor, spawnCli, withSimulator } from "./helpers.js"
import { launchChromium, readEvents, screenshotPath } from "./webHelpers.js"

let browser: Browser

beforeAll(async () => {
  await buildPage()
  browser = await launchChromium()
})

afterAll(async () => {
  await browser?.close()
})

const poll = { timeout: TestLimit.ms }

/** The URL the command prints. */
const pageUrl = async (cli: TestProcess.Spawned) => (await cli.line(/^The page: /)).slice("The page: ".length)

const row = (page: Page, jobId: string) => page.locator('[data-testid="job-row"]', { hasText: jobId })
const stateOf = (page: Page, jobId: string) => row(page, jobId).locator(".badge").textContent()

/** A request to the page's server with a `Host` header of our choosing (what a rebinding attack sends). */
const statusWithHost = (url: string, host: string) =>
  new Promise<number>((resolve, reject) => {
    const target = new URL(url)
    request({ host: target.hostname, port: target.port, path: target.pathname, headers: { host } }, (res) => {
      res.resume()
      resolve(res.statusCode ?? 0)
    })
      .on("error", reject)
      .end()
  })

const JOBS = ["job_demo_sync", "job_failing", "job_rejected", "job_partial"]

/** Every job shows up, each in the state its machine is in. */
const seesEveryJob = async (page: Page) => {
  await expect.poll(() => page.locator("h1").textContent(), poll).toBe("Watching 3 knowledge bases, 4 jobs")
  for (const jobId of JOBS) await expect.poll(() => stateOf(page, jobId), poll).toMatch(/queued · /)
  expect(await page.locator("section.kb h3").allTextContents()).toEqual([
    "kb_demo",
    "kb_failing",
    "kb_partial"
  ])
}

/** The simulator moves the jobs; the page follows, with the reasons of the failures. */
const followsTheSimulator = async (page: Page, sim: NodeSimulator.RunningSimulator) => {
  sim.control.advance(6_000)
  await expect.poll(() => stateOf(page, "job_rejected"), poll).toBe("✗ failed")
  await expect.poll(() => stateOf(page, "job_failing"), poll).toBe("✗ failed")
  await expect.poll(() => stateOf(page, "job_partial"), poll).toBe("↻ processing · polling")
  expect(await row(page, "job_rejected").textContent()).toContain("Access denied to s3://acme-docs")

  const final = sim.control.advanceToTerminal("kb_partial", "job_partial")
  await expect.poll(() => stateOf(page, "job_partial"), poll).toBe("⚠ completed, some documents failed")
  await row(page, "job_partial").getByRole("button").click()
  const failed = (final.document_details ?? []).filter((document) => document.error !== null)
  expect(failed.length).toBe(4)
  await expect
    .poll(() => page.getByTestId("failure-reason").allTextContents(), poll)
    .toEqual(failed.map((document) => expect.stringContaining(document.error?.message ?? "?")))
  // The diagram marks the selected job's final state, and counts the jobs in each.
  const completed = page.locator('[data-state="ingestionJob.completed"]')
  expect(await completed.getAttribute("class")).toContain("current")
  expect(await completed.locator(".count").textContent()).toBe("1")
  expect(await page.locator('[data-state="ingestionJob.failed"] .count').textContent()).toBe("2")
}

/**
 * The whole page in one picture: a viewport as tall as the page (a row off screen is not rendered
 * until it scrolls in, so a full-page capture of a short viewport would show it blank).
 */
const screenshotWhole = async (page: Page, path: string) => {
  await page.evaluate(() => window.scrollTo(0, 0))
  const height = await page.evaluate(() => document.documentElement.scrollHeight)
  await page.setViewportSize({ width: 1400, height })
  await page.evaluate(
    () => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)))
  )
  await page.screenshot({ path: screenshotPath(path) })
  await page.setViewportSize({ width: 1400, height: 1000 })
}

/** Nothing the page holds, fetched or logged has the key; it talked to its own server only. */
const holdsNoKey = async (page: Page, url: string, seen: { urls: Array<string>; texts: Array<string> }) => {
  expect(await page.content()).not.toContain(CANARY)
  expect(seen.texts.join("\n")).not.toContain(CANARY)
  expect(seen.urls.every((address) => address.startsWith(url))).toBe(true)
  const stream = await readEvents(
    `${url}events`,
    (text) => text.includes("\n\n") && text.includes("hello"),
    TestLimit.ms
  )
  expect(stream).toContain('"type":"hello"')
  expect(stream).not.toContain(CANARY)
}

/** The page's server answers its token and its host only. */
const guardsItsDoor = async (url: string) => {
  const origin = new URL(url)
  expect((await fetch(`${origin.origin}/`)).status).toBe(404)
  expect((await fetch(`${origin.origin}/not-the-token/events`)).status).toBe(404)
  expect(await statusWithHost(url, "attacker.example")).toBe(421)
  const response = await fetch(url)
  expect(response.headers.get("content-security-policy")).toContain("default-src 'none'")
}

/** Keyboard alone: down to the next job, Enter shows it. */
const worksWithTheKeyboard = async (page: Page) => {
  await row(page, "job_demo_sync").getByRole("button").focus()
  await page.keyboard.press("ArrowDown")
  await page.keyboard.press("Enter")
  await expect.poll(() => page.locator("#detail-title").textContent(), poll).toMatch(/^job_failing — /)
}

/** At 375 px the page fits the width (the diagram scrolls in its own box). */
const fitsAPhone = async (page: Page) => {
  await page.setViewportSize({ width: 375, height: 800 })
  expect(await page.evaluate(() => document.scrollingElement?.scrollWidth)).toBeLessThanOrEqual(375)
  // The jobs, as a phone shows them: one card each.
  await page.evaluate(() => document.getElementById("jobs-section")?.scrollIntoView())
  await page.screenshot({ path: screenshotPath("docs/images/watch-web-narrow.png") })
  await page.setViewportSize({ width: 1400, height: 1000 })
}

describe("tensoras-ingest watch --web", () => {
  it("serves a live page of every job, their states, reasons and figures, without the key, until Ctrl-C", async () => {
    await withSimulator({ scenario: demoWorld(Scenarios.builtIn) }, async (sim) => {
      const cli = spawnCli(
        [
          "watch",
          "kb_demo",
          "--kb",
          "kb_failing",
          "--kb",
          "kb_partial",
          "--all-active",
          "--web",
          "--interval",
          "50ms"
        ],
        { env: envFor(sim) }
      )
      try {
        const url = await pageUrl(cli)
        expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/[\w-]{32}\/$/)
        const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } })
        const seen = { urls: [] as Array<string>, texts: [] as Array<string> }
        page.on("request", (sent) => seen.urls.push(sent.url()))
        page.on("console", (message) => seen.texts.push(message.text()))
        page.on("response", async (response) => {
          if (!response.url().endsWith("/events")) seen.texts.push(await response.text().catch(() => ""))
        })
        await page.goto(url)
        await seesEveryJob(page)
        await followsTheSimulator(page, sim)
        await screenshotWhole(page, "docs/images/watch-web.png")
        await holdsNoKey(page, url, seen)
        await guardsItsDoor(url)
        await worksWithTheKeyboard(page)
        await fitsAPhone(page)

        // A reload starts from the server's state: the same states, the documents still there.
        await page.reload()
        await expect.poll(() => stateOf(page, "job_partial"), poll).toBe("⚠ completed, some documents failed")
        expect(await stateOf(page, "job_failing")).toBe("✗ failed")
        await row(page, "job_partial").getByRole("button").click()
        await expect.poll(() => page.getByTestId("failure-reason").count(), poll).toBe(4)

        // Ctrl-C: the page hears the command stop, the command exits 130, and the port is closed.
        cli.kill("SIGINT")
        const exit = await cli.exited
        expect([exit.code, exit.stderr]).toEqual([130, ""])
        await expect
          .poll(() => page.locator("#status").textContent(), poll)
          .toContain("the command has stopped")
        await expect(fetch(url)).rejects.toThrow()
        await page.close()
      } finally {
        // A test that failed midway leaves no command behind.
        cli.kill("SIGKILL")
      }
    })
  })

  it("refuses to start without --web, naming it", async () => {
    const sim = await NodeSimulator.start({ scenario: "docs", clock: "manual", apiKey: CANARY })
    try {
      const run = await spawnCli(["watch", "kb_abc123", "job_def456"], { env: envFor(sim) }).exited
      expect(run.code).toBe(2)
      expect(run.stderr).toMatch(/^error: watch shows the jobs on a local page: add --web/)
      expect(sim.control.requestCount()).toBe(0)
    } finally {
      await sim.close()
    }
  })
})

describe("tensoras-ingest demo --web", () => {
  it("serves the demo's three knowledge bases with no key given, and stops on Ctrl-C", async () => {
    const cli = spawnCli(["demo", "--web"])
    try {
      const url = await pageUrl(cli)
      const title = '"title":"3 knowledge bases, 4 jobs"'
      const events = await readEvents(`${url}events`, (text) => text.includes(title), TestLimit.ms)
      expect(events).toContain(title)
      expect(events).toContain('"type":"hello"')
    } finally {
      cli.kill("SIGINT")
    }
    expect((await cli.exited).code).toBe(130)
  })
})

describe("the page's size", () => {
  it("its own code, HTML, script and style, is at most 60 KB gzipped, and imports nothing", async () => {
    const size = await pageSize()
    expect(size.gzipped).toBeLessThanOrEqual(60 * 1024)
    expect(size.files.map((file) => file.name)).toEqual(["index.html", "page.js", "page.css"])
    // Bundled whole: no import left for the browser to fetch (no Effect, no package at all).
    const script = await readFile(join(WEB_DIR, "page.js"), "utf8")
    expect(script).not.toMatch(/\bimport\s*[\w{*("]|\bfrom\s*"/)
  })
})
