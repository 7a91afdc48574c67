import { afterAll, beforeAll, beforeEach, describe, expect, it } from "@effect/vitest"
import { createIngestionJobsClient, IngestionError } from "@tensoras/ingestion"
import { type RunningSimulator, startSimulator } from "@tensoras/ingestion-testkit"
import * as Redacted from "effect/Redacted"

const API_KEY = "tns_canary_promise_4c2a9e"

let simulator: RunningSimulator
beforeAll(async () => {
  simulator = await startSimulator({ scenario: "docs", apiKey: API_KEY, clock: "manual" })
})
afterAll(() => simulator.close())
beforeEach(() => simulator.control.setScenario("docs"))

const client = (options: Partial<Parameters<typeof createIngestionJobsClient>[0]> = {}) =>
  createIngestionJobsClient({ apiKey: API_KEY, baseUrl: simulator.baseUrl, maxRetries: 0, ...options })

/** Awaits a rejection and returns it; the key must not appear in it anywhere. */
const rejection = async (promise: Promise<unknown>): Promise<any> => {
  try {
    await promise
  } catch (error) {
    expect(JSON.stringify([String(error), JSON.stringify(error), (error as Error).stack])).not.toContain(
      API_KEY
    )
    return error
  }
  return expect.fail("expected a rejection")
}

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

    simulator.control.setScenario("paginated")
    const kb = simulator.control.knowledgeBases()[0]!
    const before = simulator.control.requestCount()
    const ids: Array<string> = []
    for await (const each of c.listAll(kb, { limit: 100 })) ids.push(each.id)
    expect(ids.length).toBeGreaterThan(200)
    expect(simulator.control.requestCount() - before).toBeGreaterThanOrEqual(3)
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
    expect(() => client({ timeoutMs: -1 })).toThrow(IngestionError.InvalidInput)
    expect(() => client({ maxRetries: 1.5 })).toThrow(IngestionError.InvalidInput)

    const before = simulator.control.requestCount()
    const error = await rejection(client().list("kb_abc123", { limit: 1000 }))
    expect(error).toMatchObject({ _tag: "InvalidInput", param: "limit" })
    expect(simulator.control.requestCount()).toBe(before)
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
    expect(seen).toStrictEqual([`${simulator.baseUrl}/knowledge-bases/kb_abc123/ingestion-jobs`])
  })

  it("an aborted signal stops the request in flight and rejects with an AbortError", async () => {
    simulator.control.injectFault({ kind: "hang" })
    const controller = new AbortController()
    const pending = client({ maxRetries: 5 }).list("kb_abc123", { signal: controller.signal })
    await simulator.control.waitForRequests(1)
    const count = simulator.control.requestCount()
    controller.abort()
    const error = await rejection(pending)
    expect(error.name).toBe("AbortError")
    await expect.poll(() => simulator.control.requests.at(-1)?.outcome).toBe("hung")
    expect(simulator.control.requestCount()).toBe(count)
  })

  it("an already aborted signal sends nothing", async () => {
    const before = simulator.control.requestCount()
    const error = await rejection(client().get("kb_abc123", "job_abc123", { signal: AbortSignal.abort() }))
    expect(error.name).toBe("AbortError")
    expect(simulator.control.requestCount()).toBe(before)
  })

  it("aborting a listAll rejects the loop with the signal's reason", async () => {
    simulator.control.injectFault({ kind: "hang" })
    const controller = new AbortController()
    const iterate = async () => {
      for await (const _ of client().listAll("kb_abc123", { signal: controller.signal })) {
        // the first page hangs
      }
    }
    const done = rejection(iterate())
    await simulator.control.waitForRequests(1)
    controller.abort(new Error("user cancelled"))
    expect((await done).message).toBe("user cancelled")
  })
})
