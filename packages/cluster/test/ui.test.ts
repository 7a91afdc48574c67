// `tensoras-cluster ui` for real: two runners in this process over a throwaway PostgreSQL and the simulator (manual
// clock), waits registered through the cluster, the command from source with a canary password in its database URL,
// and its page in headless Chromium (Debian's). What an operator would check: every knowledge base with its pending
// and ended waits, the runner that holds it and the runner that ended each wait, the rounds, all moving as the
// simulator moves the jobs; no password anywhere; a session that cannot write; Ctrl-C stops it, nothing left.
import { readFile } from "node:fs/promises"
import { join } from "node:path"
import { WaitForIngestionJobs } from "@tensoras/ingestion-cluster"
import { Eventually, NodeSimulator, TestLimit, TestProcess } from "@tensoras/ingestion-testkit"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as SqlClient from "effect/sql/SqlClient"
import type { Browser, Page } from "playwright"
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest"
import { launchChromium, readEvents } from "../../cli/test/webHelpers.js"
import { buildUiPage, UI_DIR, uiPageSize } from "../scripts/uiPage.js"
import { parse } from "../src/internal/cli/args.js"
import { Board } from "../src/internal/ui/board.js"
import { errorText, readOnlyLayer, UI_APPLICATION_NAME } from "../src/internal/ui/connection.js"
import type { KnowledgeBaseView, Snapshot } from "../src/internal/ui/protocol.js"
import { EVENT_LIMIT_MS, EVENTS } from "./support/eventLimit.js"
import { createDatabase, psql } from "./support/postgres.js"
import { BIN, programOptions, runnerPort } from "./support/processes.js"
import { fitsAPhone, holdsNoSecret, openPage, screenshotWhole } from "./support/uiBrowser.js"
import {
  type InProcessRunner,
  knowledgeBaseHeldBy,
  type RunnerSettings,
  settled,
  startInProcessRunner
} from "./support/uiCluster.js"

const API_KEY = "tns_cluster_ui_loopback_only"
/** The database URL's password: it must never come out of the command, nor reach the page. */
const PASSWORD = "pw-canary-ui-7c41d2"
const SKIP_CHROMIUM = process.env.TENSORAS_SKIP_CHROMIUM === "1"
const poll = { timeout: EVENT_LIMIT_MS }

let sim: NodeSimulator.RunningSimulator
let databaseUrl: string
/** The same database, with the canary password (trust authentication: PostgreSQL never asks for it). */
let secretUrl: string
let runners: ReadonlyArray<InProcessRunner>
let kbA: string
let kbB: string

/** A job of the simulator that ends (completes, or fails) `endsAfterMs` after the start, or runs for an hour. */
const job = (kb: string, jobId: string, endsAfterMs: number | "never", fails = false) =>
  sim.control.addDataSource(kb, {
    jobId,
    queuedMs: endsAfterMs === "never" ? 3_600_000 : endsAfterMs / 2,
    documents: [{ name: "guide.md", chunks: 3, durationMs: endsAfterMs === "never" ? 1 : endsAfterMs / 2 }],
    ...(fails
      ? { failure: { afterMs: endsAfterMs as number, error: { message: "Embedding service unavailable" } } }
      : {})
  })

const register = (knowledgeBaseId: string, jobIds: ReadonlyArray<string>, timeout?: Duration.Duration) =>
  runners[0]!.runtime.runPromise(
    WaitForIngestionJobs.WaitForIngestionJobs.execute(
      { knowledgeBaseId, jobIds, ...(timeout === undefined ? {} : { timeout }) },
      { discard: true }
    )
  )

beforeAll(async () => {
  const [url] = await Promise.all([createDatabase(inject("postgresUrl"), "cluster_ui"), buildUiPage()])
  databaseUrl = url
  const withPassword = new URL(url)
  withPassword.password = PASSWORD
  secretUrl = withPassword.toString()
  sim = await NodeSimulator.start({ scenario: "empty", clock: "manual", apiKey: API_KEY })
  const settings: RunnerSettings = {
    databaseUrl,
    apiKey: API_KEY,
    baseUrl: sim.baseUrl,
    pollInterval: "200 millis"
  }
  // One after the other: the first creates the tables, the second finds them.
  const first = await startInProcessRunner(runnerPort(), settings)
  runners = [first, await startInProcessRunner(runnerPort(), settings)]
  await Eventually.until("the shards settled on the 2 runners", () => settled(runners), EVENTS)
  kbA = knowledgeBaseHeldBy(runners, runners[0]!, "ops")
  kbB = knowledgeBaseHeldBy(runners, runners[1]!, "ops")
  for (const kb of [kbA, kbB]) sim.control.addKnowledgeBase(kb)
  job(kbA, "job_a_ok", 10_000)
  job(kbA, "job_a_failing", 20_000, true)
  job(kbA, "job_a_slow", "never")
  job(kbB, "job_b_ok", 30_000)
  job(kbB, "job_b_slow", "never")
  job(kbB, "job_b_late", "never")
  // job_b_gone does not exist: its wait ends at once, NotFound (an error).
  await Promise.all([
    register(kbA, ["job_a_ok", "job_a_failing", "job_a_slow"]),
    register(kbB, ["job_b_ok", "job_b_slow", "job_b_gone"]),
    register(kbB, ["job_b_late"], Duration.seconds(1))
  ])
})

afterAll(async () => {
  for (const runner of runners ?? []) await runner.runtime.dispose()
  await sim?.close()
})

/** `tensoras-cluster ui` with the canary password in its URL, reading every 200 ms; it must never print it. */
const startUi = (): TestProcess.Spawned & { readonly url: Promise<string> } => {
  const spawned = TestProcess.node(BIN, ["ui", "--database-url", secretUrl, "--interval", "200ms"], {
    ...programOptions({}),
    canaries: [PASSWORD],
    name: "tensoras-cluster ui"
  })
  return { ...spawned, url: spawned.line(/^The page: /).then((line) => line.slice("The page: ".length)) }
}

/** The ui's sessions in PostgreSQL (by their application name). */
const uiSessions = async () =>
  Number(
    (
      await psql(
        databaseUrl,
        `SELECT count(*) FROM pg_stat_activity WHERE application_name = '${UI_APPLICATION_NAME}'`
      )
    )[0]?.[0]
  )

/** Ctrl-C: exit 130, nothing on stderr, the port closed and the ui's session gone. */
const stopsOnCtrlC = async (ui: ReturnType<typeof startUi>, url: string) => {
  ui.kill("SIGINT")
  const exit = await ui.exited
  expect([exit.code, exit.stderr]).toEqual([130, ""])
  await expect(fetch(url)).rejects.toThrow()
  await Eventually.until("the ui's session closed", async () => (await uiSessions()) === 0, EVENTS)
}

describe("tensoras-cluster ui: its command line and its board", () => {
  const env = { TENSORAS_DATABASE_URL: "postgres://postgres@127.0.0.1:5432/postgres" }
  it("takes a database, a port (default: a free one) and a read interval (default 1 s), nothing else", () => {
    expect(parse(["ui"], env, "0.0.0")).toEqual({
      _tag: "Run",
      command: { _tag: "Ui", databaseUrl: env.TENSORAS_DATABASE_URL, port: 0, intervalMs: 1_000 }
    })
    const usage = (args: ReadonlyArray<string>, environment: NodeJS.ProcessEnv = env) => {
      const parsed = parse(args, environment, "0.0.0")
      return parsed._tag === "Usage" ? parsed.message : parsed._tag
    }
    expect(usage(["ui"], {})).toBe("no database: pass --database-url or set TENSORAS_DATABASE_URL")
    expect(usage(["ui", "--port", "70000"])).toBe("--port must be an integer from 0 to 65535 (got '70000')")
    expect(usage(["ui", "--interval", "5"])).toMatch(/^--interval must be a positive whole number/)
    expect(usage(["ui", "kb_1"])).toBe("unexpected argument 'kb_1'")
    expect(usage(["ui", "--json"])).toMatch(/Unknown option '--json'/)
  })

  it("sends a page only what changed: the knowledge bases that did, the lists that did", () => {
    const kb = (id: string, pending: number): KnowledgeBaseView => ({
      id,
      shard: 1,
      owner: "127.0.0.1:1",
      pending,
      ended: { completed: 0, failed: 0, timed_out: 0, error: 0 },
      endedBy: [],
      nextDeadlineAt: null,
      pendingWaits: [],
      endedWaits: [],
      rounds: []
    })
    const snapshot = (at: number, knowledgeBases: ReadonlyArray<KnowledgeBaseView>): Snapshot => ({
      readAt: at,
      readMs: 1,
      found: { store: true, rounds: true, cluster: true },
      shards: 300,
      runners: [],
      knowledgeBases,
      rounds: [],
      endedWaits: []
    })
    const board = new Board("db:5432/x", 1_000)
    expect(board.takeUpdate(0)).toBeUndefined()
    board.apply(snapshot(1, [kb("kb_a", 1), kb("kb_b", 2)]))
    expect(board.takeUpdate(1)?.knowledgeBases?.map((view) => view.id)).toEqual(["kb_a", "kb_b"])
    board.apply(snapshot(2, [kb("kb_a", 1), kb("kb_b", 2)]))
    // Read again, nothing changed: only when it was read.
    expect(board.takeUpdate(2)).toEqual({ type: "update", now: 2, readAt: 2, readMs: 1, error: null })
    board.apply(snapshot(3, [kb("kb_b", 3)]))
    const update = board.takeUpdate(3)
    expect([update?.knowledgeBases?.map((view) => view.pending), update?.removed]).toEqual([[3], ["kb_a"]])
    board.failed("PgConnection: Failed to connect")
    expect(board.takeUpdate(4)?.error).toBe("PgConnection: Failed to connect")
    expect(board.hello(5).snapshot?.knowledgeBases.map((view) => view.id)).toEqual(["kb_b"])
  })
})

describe("tensoras-cluster ui: its connection", () => {
  it("reads in read-only sessions: an INSERT, a DDL statement or a nextval is refused", async () => {
    const attempts = Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const [setting] = yield* sql<{
        readonly on: string
      }>`SELECT current_setting('default_transaction_read_only') AS on`
      const refused = (statement: Effect.Effect<unknown, unknown>) =>
        statement.pipe(
          Effect.match({
            onFailure: errorText,
            onSuccess: () => "written"
          })
        )
      return {
        setting: setting?.on,
        insert:
          yield* refused(sql`INSERT INTO tensoras_rounds (slot, seq, knowledge_base_id, runner, at, mode,
          requests, retries, watched_jobs, ended_waits) VALUES (-1, -1, 'kb', 'r', now(), 'get', 0, 0, 0, 0)`),
        ddl: yield* refused(sql`CREATE TABLE tensoras_ui_was_here (id integer)`),
        sequence: yield* refused(sql`SELECT nextval('tensoras_rounds_seq')`)
      }
    })
    const result = await Effect.runPromise(
      Effect.provide(attempts, Layer.orDie(readOnlyLayer(Redacted.make(secretUrl))))
    )
    expect(result.setting).toBe("on")
    for (const message of [result.insert, result.ddl, result.sequence])
      expect(message).toMatch(/read-only transaction/)
  })
})

describe("tensoras-cluster ui: the stream", () => {
  it("streams every knowledge base with its owner, waits and rounds, never the password, until Ctrl-C", async () => {
    const ui = startUi()
    try {
      const url = await ui.url
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/[\w-]{32}\/$/)
      // The watch page's server: its token, or nothing.
      expect((await fetch(`${new URL(url).origin}/`)).status).toBe(404)
      const stream = await readEvents(
        `${url}events`,
        (text) => text.includes(`"owner":"${runners[1]!.address}"`) && text.includes('"seq"'),
        TestLimit.ms
      )
      expect(stream).toContain(`"id":"${kbA}"`)
      expect(stream).toContain(`"owner":"${runners[0]!.address}"`)
      expect(stream).not.toContain(PASSWORD)
      expect(stream).not.toContain("postgres@")
      expect(await uiSessions()).toBe(1)
      await stopsOnCtrlC(ui, url)
    } finally {
      ui.kill("SIGKILL")
    }
  })
})

describe.skipIf(SKIP_CHROMIUM)("tensoras-cluster ui: the page", () => {
  let browser: Browser
  beforeAll(async () => {
    browser = await launchChromium()
  })
  afterAll(async () => {
    await browser?.close()
  })

  const kbRow = (page: Page, kb: string) => page.locator(`[data-testid="kb-row"][data-kb="${kb}"]`)
  const cellOf = (page: Page, kb: string, testId: string) => kbRow(page, kb).getByTestId(testId).textContent()
  const latestRound = async (page: Page) =>
    Number(await page.getByTestId("rounds").getByTestId("round-row").first().getAttribute("data-seq"))

  /** Each knowledge base, held by the runner the cluster gave its shard; the waits that ended at once. */
  const showsEveryKnowledgeBase = async (page: Page) => {
    await expect.poll(() => cellOf(page, kbA, "kb-owner"), poll).toBe(`▣ ${runners[0]!.address}`)
    await expect.poll(() => cellOf(page, kbB, "kb-owner"), poll).toBe(`▣ ${runners[1]!.address}`)
    await expect.poll(() => cellOf(page, kbA, "kb-pending"), poll).toBe("3")
    await expect.poll(() => cellOf(page, kbB, "kb-ended"), poll).toBe("◷ 1 timed out · ! 1 error")
    expect(await cellOf(page, kbB, "kb-ended-by")).toBe(`${runners[1]!.address}: 2`)
    const [shardsA, shardsB] = await page.getByTestId("runner-shards").allTextContents()
    expect(Number(shardsA?.split(" ")[0]) + Number(shardsB?.split(" ")[0])).toBe(300)
  }

  /** The simulator ends two jobs of kbA: the page follows, without a reload, and new rounds come in. */
  const followsTheSimulator = async (page: Page) => {
    const before = await latestRound(page)
    sim.control.advanceToTerminal(kbA, "job_a_failing")
    await expect.poll(() => cellOf(page, kbA, "kb-ended"), poll).toBe("✓ 1 completed · ✗ 1 failed")
    expect(await cellOf(page, kbA, "kb-pending")).toBe("1")
    expect(await cellOf(page, kbA, "kb-ended-by")).toBe(`${runners[0]!.address}: 2`)
    await expect.poll(() => latestRound(page), poll).toBeGreaterThan(before)
    // The rounds that ended them say so (the page lists only the latest: at 5 rounds a second per knowledge
    // base they pass quickly; the ring in PostgreSQL keeps the last 1,000).
    await Eventually.until(
      "the rounds of kbA counted its 2 ended waits",
      async () => {
        const [row] = await psql(
          databaseUrl,
          `SELECT sum(ended_waits), count(DISTINCT runner) FROM tensoras_rounds WHERE knowledge_base_id = '${kbA}'`
        )
        return row?.[0] === "2" && row?.[1] === "1"
      },
      EVENTS
    )
  }

  /** The knowledge base's own view: who ended each wait, why one failed, what is still pending. */
  const showsOneKnowledgeBase = async (page: Page) => {
    await kbRow(page, kbA).getByRole("button").click()
    await expect.poll(() => page.locator("#detail-title").textContent(), poll).toBe(`${kbA} — 1 pending`)
    const ended = page.getByTestId("detail-ended").getByTestId("ended-row")
    await expect.poll(() => ended.count(), poll).toBe(2)
    const failing = page.locator('[data-testid="detail-ended"] [data-job="job_a_failing"]')
    expect(await failing.textContent()).toContain("IngestionJobFailed: Embedding service unavailable")
    expect(await failing.textContent()).toContain(runners[0]!.address)
    expect(await page.getByTestId("detail-pending").locator('[data-job="job_a_slow"]').count()).toBe(1)
  }

  /** Keyboard alone: down to the next knowledge base, Enter shows it. */
  const worksWithTheKeyboard = async (page: Page) => {
    const [first, second] = [kbA, kbB].sort()
    await kbRow(page, first!).getByRole("button").focus()
    await page.keyboard.press("ArrowDown")
    await page.keyboard.press("Enter")
    await expect
      .poll(() => page.locator("#detail-title").textContent(), poll)
      .toMatch(new RegExp(`^${second} — `))
  }

  it("shows each knowledge base's waits, its runner, who ended each wait and the rounds, live", async () => {
    const ui = startUi()
    try {
      const url = await ui.url
      const { page, seen } = await openPage(browser, url)
      await showsEveryKnowledgeBase(page)
      await followsTheSimulator(page)
      await showsOneKnowledgeBase(page)
      await screenshotWhole(page, "docs/images/cluster-ui.png")
      await worksWithTheKeyboard(page)
      await fitsAPhone(page, "kbs-section", "docs/images/cluster-ui-narrow.png")
      await holdsNoSecret(page, seen, url, PASSWORD)
      // Ctrl-C: the page hears the command stop.
      await stopsOnCtrlC(ui, url)
      await expect
        .poll(() => page.locator("#status").textContent(), poll)
        .toContain("the command has stopped")
      await page.close()
    } finally {
      ui.kill("SIGKILL")
    }
  })
})

describe("the operators' page's size", () => {
  it("its own code, HTML, script and style, is at most 60 KB gzipped, and imports nothing", async () => {
    const size = await uiPageSize()
    expect(size.gzipped).toBeLessThanOrEqual(60 * 1024)
    expect(size.files.map((file) => file.name)).toEqual(["index.html", "page.js", "page.css"])
    // Bundled whole: no import left for the browser to fetch.
    const script = await readFile(join(UI_DIR, "page.js"), "utf8")
    expect(script).not.toMatch(/\bimport\s*[\w{*("]|\bfrom\s*"/)
  })
})
