import { describe, expect, it } from "@effect/vitest"
import {
  API_KEY_VARIABLE,
  BASE_URL_VARIABLE,
  type ClientJobUpdate,
  createIngestionJobsClient,
  IngestionError,
  type IngestionJobs,
  LOG_VARIABLE,
  readEnvironment,
  WaitError,
  waitForIngestionJob
} from "@tensoras/ingestion"
import { NodeServer } from "@tensoras/ingestion-testkit"
import * as Effect from "effect/Effect"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import * as HttpClient from "effect/http/HttpClient"
import * as Redacted from "effect/Redacted"
import { API_KEY, rejection, useSimulator } from "./utils/ingestionJobsClient.js"

const world = useSimulator()
const { client } = world

describe("createIngestionJobsClient", () => {
  it("lists, gets, and iterates over every page", async () => {
    const c = client()
    const page = await c.list("kb_abc123")
    expect(page.data.map((job) => `${job.id}: ${job.status}`)).toStrictEqual([
      "job_abc123: completed",
      "job_def456: processing"
    ])

    const job = await c.get("kb_abc123", "job_abc123")
    expect(job.document_details[0]?.document_name).toBe("product-guide.pdf")

    world.simulator.control.setScenario("paginated")
    const kb = world.simulator.control.knowledgeBases()[0]!
    const before = world.simulator.control.requestCount()
    const ids: Array<string> = []
    for await (const each of c.listAll(kb, { limit: 100 })) ids.push(each.id)
    expect(ids.length).toBeGreaterThan(200)
    expect(world.simulator.control.requestCount() - before).toBeGreaterThanOrEqual(3)
  })

  it("rejects with the same tagged classes: instanceof and _tag both work", async () => {
    const error = await rejection(client().get("kb_abc123", "job_missing"))
    expect(error).toBeInstanceOf(IngestionError.NotFound)
    expect(error).toBeInstanceOf(Error)
    expect(error._tag).toBe("NotFound")
    expect(error.code).toBe("ingestion_job_not_found")
    expect(IngestionError.isIngestionError(error)).toBe(true)

    const auth = await rejection(client({ apiKey: "tns_wrong" }).list("kb_abc123"))
    expect(auth).toBeInstanceOf(IngestionError.Unauthorized)
  })

  it("an iteration that fails rejects with the tagged error", async () => {
    const iterate = async () => {
      for await (const _ of client().listAll("kb_missing")) {
        // nothing: the first page already fails
      }
    }
    const error = await rejection(iterate())
    expect(error).toBeInstanceOf(IngestionError.NotFound)
  })

  it("throws InvalidInput at once for bad options, and for bad arguments sends nothing", async () => {
    expect(() => createIngestionJobsClient({ apiKey: "" })).toThrow(IngestionError.InvalidInput)
    expect(() => createIngestionJobsClient({ apiKey: API_KEY, baseUrl: "http://example.test/v1" })).toThrow(
      /https/
    )
    expect(() => client({ requestTimeoutMs: -1 })).toThrow(IngestionError.InvalidInput)
    expect(() => client({ maxRetries: 1.5 })).toThrow(IngestionError.InvalidInput)

    const before = world.simulator.control.requestCount()
    const error = await rejection(client().list("kb_abc123", { limit: 1000 }))
    expect(error).toMatchObject({ _tag: "InvalidInput", param: "limit" })
    expect(world.simulator.control.requestCount()).toBe(before)
  })

  it("accepts the key as an Effect Redacted", async () => {
    const page = await client({ apiKey: Redacted.make(API_KEY) }).list("kb_abc123")
    expect(page.data.length).toBe(2)
  })

  it("uses the fetch it is given", async () => {
    const seen: Array<string> = []
    const page = await client({
      fetch: (input, init) => {
        seen.push(String(input))
        return fetch(input, init)
      }
    }).list("kb_abc123")
    expect(page.object).toBe("list")
    expect(seen).toStrictEqual([`${world.simulator.baseUrl}/knowledge-bases/kb_abc123/ingestion-jobs`])
  })
})

describe("createIngestionJobsClient", () => {
  it("uses the Effect HttpClient it is given; fetch and httpClient together are InvalidInput", async () => {
    const seen: Array<string> = []
    const platform = Effect.runSync(Effect.provide(HttpClient.HttpClient, FetchHttpClient.layer))
    const httpClient = HttpClient.tapRequest(platform, (request) => Effect.sync(() => seen.push(request.url)))
    const page = await client({ httpClient }).list("kb_abc123")
    expect(page.object).toBe("list")
    expect(seen).toStrictEqual([`${world.simulator.baseUrl}/knowledge-bases/kb_abc123/ingestion-jobs`])
    expect(() => client({ httpClient, fetch })).toThrow(expect.objectContaining({ param: "httpClient" }))
    const wait = await rejection(
      waitForIngestionJob({
        apiKey: API_KEY,
        baseUrl: world.simulator.baseUrl,
        knowledgeBaseId: "kb_abc123",
        jobId: "job_abc123",
        httpClient,
        fetch
      })
    )
    expect(wait).toBeInstanceOf(IngestionError.InvalidInput)
    expect(
      await waitForIngestionJob({
        apiKey: API_KEY,
        baseUrl: world.simulator.baseUrl,
        knowledgeBaseId: "kb_abc123",
        jobId: "job_abc123",
        httpClient
      })
    ).toMatchObject({ status: "completed" })
    expect(seen.length).toBe(2)
  })

  it("an aborted signal stops the request in flight and rejects with an AbortError", async () => {
    world.simulator.control.injectFault({ kind: "hang" })
    const controller = new AbortController()
    const pending = client({ maxRetries: 5 }).list("kb_abc123", { signal: controller.signal })
    await world.simulator.control.waitForRequests(1)
    const count = world.simulator.control.requestCount()
    controller.abort()
    const error = await rejection(pending)
    expect(error.name).toBe("AbortError")
    await expect.poll(() => world.simulator.control.requests.at(-1)?.outcome).toBe("hung")
    expect(world.simulator.control.requestCount()).toBe(count)
  })

  it("an already aborted signal sends nothing", async () => {
    const before = world.simulator.control.requestCount()
    const error = await rejection(client().get("kb_abc123", "job_abc123", { signal: AbortSignal.abort() }))
    expect(error.name).toBe("AbortError")
    expect(world.simulator.control.requestCount()).toBe(before)
  })

  it("aborting a listAll rejects the loop with the signal's reason", async () => {
    world.simulator.control.injectFault({ kind: "hang" })
    const controller = new AbortController()
    const iterate = async () => {
      for await (const _ of client().listAll("kb_abc123", { signal: controller.signal })) {
        // the first page hangs
      }
    }
    const done = rejection(iterate())
    await world.simulator.control.waitForRequests(1)
    controller.abort(new Error("user cancelled"))
    expect((await done).message).toBe("user cancelled")
  })
})

describe("waits on one client share one engine", () => {
  it("waitForAll resolves in the order of jobIds, allSettled-shaped, each with its own outcome", async () => {
    world.simulator.control.setScenario("failing")
    world.simulator.control.advanceToTerminal("kb_failing", "job_rejected")
    const c = client({ maxRetries: 0 })
    const [rejected, missing] = await c.waitForAll("kb_failing", ["job_rejected", "job_nope"], {
      pollIntervalMs: 1_000
    })
    expect(rejected?.status).toBe("rejected")
    expect(rejected?.status === "rejected" && rejected.reason).toBeInstanceOf(WaitError.IngestionJobFailed)
    expect(missing?.status === "rejected" && missing.reason).toBeInstanceOf(IngestionError.NotFound)
  })

  it("waitForAll rejects only on invalid input, before anything is sent", async () => {
    const error = await rejection(client().waitForAll("kb_abc123", ["job_abc123", "job/2"]))
    expect(error).toMatchObject({ _tag: "InvalidInput", param: "jobId" })
    expect(world.simulator.control.requestCount()).toBe(0)
  })

  it("many waits on one knowledge base poll as one loop: two jobs, one round of requests", async () => {
    const c = client()
    const [done, other] = await c.waitForAll("kb_abc123", ["job_abc123", "job_abc123"])
    expect(done?.status).toBe("fulfilled")
    expect(other?.status).toBe("fulfilled")
    // Two waits on one job: one GET answers both.
    expect(world.simulator.control.requestCount({ route: "get" })).toBe(1)
  })

  it("watch yields each change and ends with the terminal job", async () => {
    world.simulator.control.advanceToTerminal("kb_abc123", "job_def456")
    const statuses: Array<string> = []
    for await (const job of client().watch("kb_abc123", "job_def456")) statuses.push(String(job.status))
    expect(statuses).toStrictEqual(["completed"])
  })

  it("watchAll yields Changed and Ended updates and ends after the last", async () => {
    const updates: Array<string> = []
    for await (const update of client().watchAll("kb_abc123", ["job_abc123"])) {
      updates.push(
        update._tag === "Changed" ? `changed ${update.job.status}` : `ended ${update.result.status}`
      )
    }
    // The Ended result has waitForAll's shape: Promise.allSettled's, not an Effect Result.
    expect(updates).toStrictEqual(["changed completed", "ended fulfilled"])
  })

  it("reads the key and base URL from the environment when they are not given", async () => {
    const saved = { key: process.env.TENSORAS_API_KEY, url: process.env.TENSORAS_BASE_URL }
    process.env.TENSORAS_API_KEY = API_KEY
    process.env.TENSORAS_BASE_URL = world.simulator.baseUrl
    try {
      const job = await createIngestionJobsClient().get("kb_abc123", "job_abc123")
      expect(job.id).toBe("job_abc123")
      delete process.env.TENSORAS_API_KEY
      expect(() => createIngestionJobsClient()).toThrow(
        "No API key: pass apiKey, or set the TENSORAS_API_KEY environment variable"
      )
    } finally {
      if (saved.key === undefined) delete process.env.TENSORAS_API_KEY
      else process.env.TENSORAS_API_KEY = saved.key
      if (saved.url === undefined) delete process.env.TENSORAS_BASE_URL
      else process.env.TENSORAS_BASE_URL = saved.url
    }
  })
})

describe("the environment: a variable set to the empty string is unset", () => {
  it("readEnvironment reads both variables, the key as Redacted, and an empty one as unset", () => {
    expect([API_KEY_VARIABLE, BASE_URL_VARIABLE]).toStrictEqual(["TENSORAS_API_KEY", "TENSORAS_BASE_URL"])
    const read = readEnvironment({ TENSORAS_API_KEY: API_KEY, TENSORAS_BASE_URL: world.simulator.baseUrl })
    expect(String(read.apiKey)).toBe("<redacted>")
    expect(read.apiKey === undefined ? undefined : Redacted.value(read.apiKey)).toBe(API_KEY)
    expect(read.baseUrl).toBe(world.simulator.baseUrl)
    expect(readEnvironment({ TENSORAS_API_KEY: "", TENSORAS_BASE_URL: "" })).toStrictEqual({
      apiKey: undefined,
      baseUrl: undefined
    })
    expect(readEnvironment({})).toStrictEqual({ apiKey: undefined, baseUrl: undefined })
  })

  it("the Promise client takes an empty key for a missing one, and an empty base URL for the default", () => {
    const saved = { key: process.env.TENSORAS_API_KEY, url: process.env.TENSORAS_BASE_URL }
    try {
      process.env.TENSORAS_API_KEY = ""
      process.env.TENSORAS_BASE_URL = world.simulator.baseUrl
      expect(() => createIngestionJobsClient()).toThrow(
        "No API key: pass apiKey, or set the TENSORAS_API_KEY environment variable"
      )
      // An empty base URL is the production one: a valid client (nothing is sent here).
      process.env.TENSORAS_API_KEY = API_KEY
      process.env.TENSORAS_BASE_URL = ""
      expect(() => createIngestionJobsClient()).not.toThrow()
      // A key given in code is not a variable: an empty one is still an error of its own.
      expect(() => createIngestionJobsClient({ apiKey: "" })).toThrow("apiKey must not be empty")
    } finally {
      if (saved.key === undefined) delete process.env.TENSORAS_API_KEY
      else process.env.TENSORAS_API_KEY = saved.key
      if (saved.url === undefined) delete process.env.TENSORAS_BASE_URL
      else process.env.TENSORAS_BASE_URL = saved.url
    }
  })
})

const closedPort = NodeServer.closedPort

describe("what the Promise client tells of its requests (1.1)", () => {
  it("onRetry hears each retry of a call: the error, the attempt, the delay", async () => {
    world.simulator.control.injectFault({ kind: "server-error", status: 503, times: 2 })
    const retries: Array<IngestionJobs.RetryInfo> = []
    const job = await client({ maxRetries: 3 }).get("kb_abc123", "job_abc123", {
      onRetry: (retry) => retries.push(retry)
    })
    expect(job.id).toBe("job_abc123")
    expect(retries.map((retry) => [retry.error._tag, retry.attempt])).toStrictEqual([
      ["ServerError", 1],
      ["ServerError", 2]
    ])
    expect(retries.every((retry) => retry.delayMillis >= 0)).toBe(true)
    const listed: Array<number> = []
    world.simulator.control.injectFault({ kind: "rate-limit", retryAfterFormat: "none", times: 1 })
    await client({ maxRetries: 1 }).list("kb_abc123", { onRetry: (retry) => listed.push(retry.attempt) })
    expect(listed).toStrictEqual([1])
  })

  it('logLevel "debug" (or TENSORAS_LOG=debug) tells every attempt and retry to the logger, never the key', async () => {
    world.simulator.control.injectFault({ kind: "server-error", status: 500, times: 1 })
    const lines: Array<string> = []
    await client({ maxRetries: 1, logLevel: "debug", logger: (line) => lines.push(line) }).get(
      "kb_abc123",
      "job_abc123"
    )
    const url = `GET ${world.simulator.baseUrl}/knowledge-bases/kb_abc123/ingestion-jobs/job_abc123`
    // The delay is the default retries' (jittered): its digits vary.
    expect(
      lines.map((line) => line.replace(/ in \d+ ms$/, "").replace(/ in \d+\.\d s /, " in D s "))
    ).toStrictEqual([
      `${url} → HTTP 500 internal_server_error`,
      "retry 1 in D s after HTTP 500 internal_server_error",
      `${url} → 200`
    ])
    expect(lines.join("\n")).not.toContain(API_KEY)

    expect(LOG_VARIABLE).toBe("TENSORAS_LOG")
    expect(readEnvironment({ TENSORAS_LOG: " Debug " }).logLevel).toBe("debug")
    expect(readEnvironment({ TENSORAS_LOG: "info" })).toStrictEqual({ apiKey: undefined, baseUrl: undefined })
    const saved = process.env.TENSORAS_LOG
    process.env.TENSORAS_LOG = "debug"
    try {
      const fromEnv: Array<string> = []
      await client({ logger: (line) => fromEnv.push(line) }).get("kb_abc123", "job_abc123")
      expect(fromEnv).toHaveLength(1)
      // The option wins over the variable.
      const off: Array<string> = []
      await client({ logLevel: "off", logger: (line) => off.push(line) }).get("kb_abc123", "job_abc123")
      expect(off).toStrictEqual([])
    } finally {
      if (saved === undefined) delete process.env.TENSORAS_LOG
      else process.env.TENSORAS_LOG = saved
    }
  })

  it("bad logLevel, logger, onRetry or unreachableAfter: InvalidInput at once, nothing sent", async () => {
    expect(() => client({ logLevel: "verbose" as never })).toThrow(
      expect.objectContaining({ param: "logLevel" })
    )
    expect(() => client({ logLevel: "debug", logger: "stderr" as never })).toThrow(
      expect.objectContaining({ param: "logger" })
    )
    expect(() => client({ unreachableAfter: 0 })).toThrow(
      expect.objectContaining({ param: "unreachableAfter" })
    )
    const error = await rejection(client().waitFor("kb_abc123", "job_abc123", { onRetry: 5 as never }))
    expect(error).toMatchObject({ _tag: "InvalidInput", param: "onRetry" })
    expect(world.simulator.control.requestCount()).toBe(0)
  })

  it("a service that never answers rejects with Unreachable, naming the cause", async () => {
    const port = await closedPort()
    const unreachable = createIngestionJobsClient({
      apiKey: API_KEY,
      baseUrl: `http://127.0.0.1:${port}/v1`,
      maxRetries: 10,
      unreachableAfter: 2
    })
    const error = await rejection(unreachable.get("kb_abc123", "job_abc123"))
    expect(error).toBeInstanceOf(IngestionError.Unreachable)
    expect(error).toMatchObject({ reason: "Network", code: "ECONNREFUSED", attempts: 2 })
    // One wait (a GET each poll) rejects with it too, long before its 10 minutes.
    const one = await rejection(unreachable.waitFor("kb_abc123", "job_1", { timeoutMs: 600_000 }))
    expect(one).toBeInstanceOf(IngestionError.Unreachable)
    expect(one).toMatchObject({ code: "ECONNREFUSED" })
    // Many waits of one knowledge base (a sweep): each rejects with it, at once.
    const results = await unreachable.waitForAll("kb_abc123", ["job_1", "job_2", "job_3"], {
      timeoutMs: 600_000
    })
    expect(results.map((result) => result.status === "rejected" && result.reason._tag)).toStrictEqual([
      "Unreachable",
      "Unreachable",
      "Unreachable"
    ])
  })

  it("watchAll's Ended updates carry waitForAll's allSettled shape, failures included", async () => {
    const updates: Array<ClientJobUpdate> = []
    for await (const update of client().watchAll("kb_abc123", ["job_abc123", "job_missing"]))
      updates.push(update)
    const ended = updates.filter((update) => update._tag === "Ended")
    expect(ended.map((update) => `${update.jobId} ${update.result.status}`).sort()).toStrictEqual([
      "job_abc123 fulfilled",
      "job_missing rejected"
    ])
    const missing = ended.find((update) => update.jobId === "job_missing")
    expect(missing?.result.status === "rejected" && missing.result.reason).toBeInstanceOf(
      IngestionError.NotFound
    )
    const done = ended.find((update) => update.jobId === "job_abc123")
    expect(done?.result.status === "fulfilled" && done.result.value.partial).toBe(false)
  })
})
