import { afterAll, beforeAll, beforeEach, describe, expect, it } from "@effect/vitest"
import { createIngestionJobsClient, IngestionError, IngestionJob, IngestionJobs } from "@tensoras/ingestion"
import * as Redaction from "@tensoras/ingestion/Redaction"
import { Canary, NodeSimulator } from "@tensoras/ingestion-testkit"
import * as Effect from "effect/Effect"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import type * as HttpClient from "effect/http/HttpClient"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"

const KEY = Canary.make()

let simulator: NodeSimulator.RunningSimulator
beforeAll(async () => {
  simulator = await NodeSimulator.start({ scenario: "failing", apiKey: KEY, clock: "manual" })
})
afterAll(() => simulator.close())
beforeEach(() => {
  simulator.control.setScenario("failing")
  // job_failing failed: a job error, documents done, failed and left queued.
  simulator.control.advanceToTerminal("kb_failing", "job_failing")
})

const layer = (http: Layer.Layer<HttpClient.HttpClient> = FetchHttpClient.layer) =>
  IngestionJobs.layer({
    apiKey: Redacted.make(KEY),
    baseUrl: simulator.baseUrl,
    retrySchedule: undefined
  }).pipe(Layer.provide(http))

describe("Redaction.makeScrub", () => {
  const scrub = Redaction.makeScrub("tns_k/ey+1")

  it("masks the key as sent, percent-encoded and JSON-escaped, and the token of any Bearer", () => {
    expect(scrub("a tns_k/ey+1 b")).toBe("a <redacted> b")
    expect(scrub(`a ${encodeURIComponent("tns_k/ey+1")} b`)).toBe("a <redacted> b")
    expect(scrub(JSON.stringify({ m: "tns_k/ey+1" }).replace("/", "\\/"))).toBe(
      JSON.stringify({ m: "<redacted>" })
    )
    expect(scrub("Authorization: Bearer someone_elses_key, then")).toBe(
      "Authorization: Bearer <redacted>, then"
    )
    expect(scrub('{"m":"bearer abc"}')).toBe('{"m":"bearer <redacted>"}')
  })

  it("is idempotent, and leaves text without secrets alone", () => {
    const once = scrub("x tns_k/ey+1 Bearer abc")
    expect(scrub(once)).toBe(once)
    expect(scrub("Bearer")).toBe("Bearer")
    expect(scrub("nothing secret here")).toBe("nothing secret here")
  })

  it("several secrets: each in every form, the longest first, empty ones ignored", () => {
    const scrubBoth = Redaction.makeScrub(["tns_k/ey+1", "", "p@ss", "p@ss word"])
    expect(scrubBoth("key tns_k/ey+1, password p@ss word")).toBe("key <redacted>, password <redacted>")
    expect(scrubBoth(`postgres://app:${encodeURIComponent("p@ss")}@db/app`)).toBe(
      "postgres://app:<redacted>@db/app"
    )
    expect(scrubBoth("nothing secret here")).toBe("nothing secret here")
    expect(Redaction.makeScrub([])("Bearer abc")).toBe("Bearer <redacted>")
  })

  it("a blank secret (a key variable set to spaces) is ignored: the text's own spaces stay", () => {
    const scrubBlank = Redaction.makeScrub(["  ", "\t", "tns_key"])
    expect(scrubBlank("job  done\tin 3 s, key tns_key")).toBe("job  done\tin 3 s, key <redacted>")
  })

  it("scrubJson: every string of a parsed value, property names too", () => {
    const parsed = JSON.parse('{"m":"tns_k\\/ey+1","tns_k/ey+1":["Bearer x"]}')
    expect(Redaction.scrubJson(parsed, scrub)).toEqual({
      m: "<redacted>",
      "<redacted>": ["Bearer <redacted>"]
    })
  })
})

describe("no secret from the server's own text (a service that echoes the Authorization header)", () => {
  it.effect("IngestionJobs.get: the job, its documents and its error hold no key, in any form", () =>
    Effect.gen(function* () {
      simulator.control.injectFault({ kind: "echo-key" })
      const job = yield* IngestionJobs.get("kb_failing", "job_failing")
      // The echo arrived (scrubbed), so this test would see a leak.
      expect(job.error?.message).toContain("[echo: <redacted> | Authorization: Bearer <redacted>]")
      expect(job.document_details.length).toBeGreaterThan(0)
      const encoded = Schema.encodeSync(IngestionJob.IngestionJobDetail)(job)
      expect(Canary.leaks(KEY, job, encoded, String(job))).toEqual([])
    }).pipe(Effect.provide(layer()))
  )

  it.effect("IngestionJobs.list and listAll: every job of every page", () =>
    Effect.gen(function* () {
      simulator.control.injectFault({ kind: "echo-key", times: 2 })
      const page = yield* IngestionJobs.list("kb_failing")
      const all = yield* Stream.runCollect(IngestionJobs.listAll("kb_failing"))
      expect(page.data.every((job) => job.id.endsWith("Bearer <redacted>]"))).toBe(true)
      expect(Canary.leaks(KEY, page, all)).toEqual([])
    }).pipe(Effect.provide(layer()))
  )

  it.effect("an error body: message, type, code and param of the typed error hold no key", () =>
    Effect.gen(function* () {
      simulator.control.injectFault({ kind: "echo-key", status: 403 })
      const error = yield* Effect.flip(IngestionJobs.get("kb_failing", "job_failing"))
      expect(error).toBeInstanceOf(IngestionError.Forbidden)
      expect(error.message).toContain("<redacted>")
      const encoded = Schema.encodeSync(IngestionError.IngestionError)(error)
      expect(Canary.leaks(KEY, error, encoded)).toEqual([])
    }).pipe(Effect.provide(layer()))
  )

  it("the Promise client: client.get and a rejected call", async () => {
    const client = createIngestionJobsClient({ apiKey: KEY, baseUrl: simulator.baseUrl })
    simulator.control.injectFault({ kind: "echo-key" })
    const job = await client.get("kb_failing", "job_failing")
    expect(job.error?.message).toContain("<redacted>")
    simulator.control.injectFault({ kind: "echo-key", status: 404 })
    const error = await client.get("kb_failing", "job_failing").catch((e: unknown) => e)
    expect(error).toBeInstanceOf(IngestionError.NotFound)
    expect(Canary.leaks(KEY, job, error)).toEqual([])
  })
})

describe("redirects are not followed", () => {
  const manual = FetchHttpClient.layer.pipe(
    Layer.provide(Layer.succeed(FetchHttpClient.RequestInit, { redirect: "manual" }))
  )

  it.effect("a 302 is a ResponseDecodeError saying so and naming the target; nothing is sent there", () =>
    Effect.gen(function* () {
      simulator.control.injectFault({ kind: "redirect", location: `https://elsewhere.example/v1?key=${KEY}` })
      const error = yield* Effect.flip(IngestionJobs.get("kb_failing", "job_failing"))
      expect(error).toBeInstanceOf(IngestionError.ResponseDecodeError)
      expect(error.message).toBe(
        "The service answered HTTP 302, a redirect to https://elsewhere.example/v1: the client does not follow redirects (the API key is sent to the base URL only); set baseUrl to where the API now is"
      )
      expect(error.isTransient).toBe(false)
      expect(simulator.control.requestCount()).toBe(1)
    }).pipe(Effect.provide(layer(manual)))
  )

  it.effect("with fetch's default (follow), the same typed error once the platform has followed", () =>
    Effect.gen(function* () {
      simulator.control.injectFault({ kind: "redirect", status: 307 })
      const error = yield* Effect.flip(IngestionJobs.get("kb_failing", "job_failing"))
      expect(error).toBeInstanceOf(IngestionError.ResponseDecodeError)
      expect(error.message).toMatch(/^The service answered a redirect: the client does not follow redirects/)
    }).pipe(Effect.provide(layer()))
  )
})
