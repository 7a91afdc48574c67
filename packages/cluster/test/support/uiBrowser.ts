/**
 * The operators' page in headless Chromium (the watch page's launcher and screenshot paths, `cli/test/webHelpers.ts`):
 * a page that records every request it makes and everything it fetched or logged, and the checks and pictures
 * every such page gets.
 */
import type { Browser, Page } from "playwright"
import { expect } from "vitest"
import { screenshotPath } from "../../../cli/test/webHelpers.js"

/** What a page sent and received (but its event stream) and logged. */
export interface Seen {
  readonly urls: Array<string>
  readonly texts: Array<string>
}

/** A wide page at `url`, recording what it sees. */
export const openPage = async (browser: Browser, url: string): Promise<{ page: Page; seen: Seen }> => {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } })
  const seen: Seen = { urls: [], texts: [] }
  page.on("request", (sent) => seen.urls.push(sent.url()))
  page.on("console", (message) => seen.texts.push(message.text()))
  page.on("response", async (response) => {
    if (!response.url().endsWith("/events")) seen.texts.push(await response.text().catch(() => ""))
  })
  await page.goto(url)
  return { page, seen }
}

/** Nothing the page holds, fetched or logged has `secret`; it talked to its own server only. */
export const holdsNoSecret = async (page: Page, seen: Seen, url: string, secret: string): Promise<void> => {
  expect(await page.content()).not.toContain(secret)
  expect(seen.texts.join("\n")).not.toContain(secret)
  expect(seen.urls.every((address) => address.startsWith(url))).toBe(true)
}

/** The whole page in one picture: a viewport as tall as the page. */
export const screenshotWhole = async (page: Page, path: string): Promise<void> => {
  await page.evaluate(() => window.scrollTo(0, 0))
  const height = await page.evaluate(() => document.documentElement.scrollHeight)
  await page.setViewportSize({ width: 1400, height })
  await page.evaluate(
    () => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)))
  )
  await page.screenshot({ path: screenshotPath(path) })
  await page.setViewportSize({ width: 1400, height: 1000 })
}

/** At 375 px the page fits the width; a picture of the section `id` as a phone shows it. */
export const fitsAPhone = async (page: Page, id: string, path: string): Promise<void> => {
  await page.setViewportSize({ width: 375, height: 800 })
  expect(await page.evaluate(() => document.scrollingElement?.scrollWidth)).toBeLessThanOrEqual(375)
  await page.evaluate((section) => document.getElementById(section)?.scrollIntoView(), id)
  await page.screenshot({ path: screenshotPath(path) })
  await page.setViewportSize({ width: 1400, height: 1000 })
}
