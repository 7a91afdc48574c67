import { afterAll, beforeAll, beforeEach, describe, expect, it } from "@effect/vitest"
import { IngestionJob, IngestionJobs } from "@tensoras/ingestion"
import { NodeSimulator } from "@tensoras/ingestion-testkit"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import * as Tracer from "effect/Tracer"
import * as TestClock from "effect/testing/TestClock"
import { eventually, sleepScheduledAt } from "./utils/clock.js"

// A canary: if this string shows up in any error, the key leaked.
const API_KEY = "tns_canary_9f3b1c7e5a2d4f6b"

let simulator: NodeSimulator.RunningSimulator
beforeAll(async () => {
  simulator = await NodeSimulator.start({ scenario: "docs", apiKey: API_KEY, clock: "manual" })
})
afterAll(() => simulator.close())
beforeEach(() => simulator.control.setScenario("docs"))

/** The client against the simulator, retrying on a fixed, jitter-free schedule the tests can time. */
const client = (options: Partial<IngestionJobs.Options> = {}) =>
  IngestionJobs.layer({
    apiKey: Redacted.make(API_KEY),
    baseUrl: simulator.baseUrl,
    retrySchedule: Schedule.max([Schedule.exponential("100 millis"), Schedule.recurs(3)]),
    ...options
  }).pipe(Layer.provide(FetchHttpClient.layer))

const requests = () => simulator.control.requestCount()

/** Expects the effect to fail, and returns the error (the key must not appear in it anywhere). */
const failure = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function* () {
    const exit = yield* Effect.exit(effect)
    if (Exit.isSuccess(exit)) return expect.fail("expected a failure")
    const error = yield* Effect.flip(exit)
    const rendered = [
      String(error),
      JSON.stringify(error),
      (error as Error).stack ?? "",
      Object.values(error as object)
    ]
    expect(JSON.stringify(rendered)).not.toContain(API_KEY)
    return error
  })

describe("IngestionJobs", () => {
  describe("without a key (apiKey: null)", () => {
    it.effect("sends no Authorization header at all: a same-origin proxy adds it server-side", () =>
      Effect.gen(function* () {
        const error = yield* failure(IngestionJobs.get("kb_abc123", "job_abc123"))
        expect(error).toMatchObject({ _tag: "Unauthorized" })
        expect(simulator.control.requests.map((r) => r.authorized)).toStrictEqual([false])
      }).pipe(Effect.provide(client({ apiKey: null })))
    )
  })

  describe("poll", () => {
    it.effect("decodes a running job without document_details, a terminal one with them", () =>
      Effect.gen(function* () {
        const running = yield* IngestionJobs.poll("kb_abc123", "job_def456")
        expect(running.status).toBe("processing")
        expect("document_details" in running).toBe(false)
        const done = yield* IngestionJobs.poll("kb_abc123", "job_abc123")
        expect(done.status).toBe("completed")
        expect("document_details" in done && done.document_details.length).toBe(15)
      }).pipe(Effect.provide(client()))
    )

    it.effect("counts the ended documents of a running job, for the poll schedule", () =>
      Effect.gen(function* () {
        // job_def456: 8 processed and 1 failed of its 20 documents.
        const running = yield* IngestionJobs.poll("kb_abc123", "job_def456")
        expect(running.status).toBe("processing")
        expect("documents" in running && running.documents).toStrictEqual({ ended: 9, total: 20 })
      }).pipe(Effect.provide(client()))
    )
  })

  describe("list", () => {
    it.effect("returns the documented list of a knowledge base, without document_details", () =>
      Effect.gen(function* () {
        const page = yield* IngestionJobs.list("kb_abc123")
        expect(page.object).toBe("list")
        expect(page.has_more).toBe(false)
        expect(page.data.map((job) => job.id)).toStrictEqual(["job_abc123", "job_def456"])
        expect(page.data[0]).toMatchObject({
          status: "completed",
          documents_processed: 15,
          documents_failed: 0,
          chunks_created: 482,
          started_at: 1709123456,
          completed_at: 1709124056,
          created_at: 1709123450,
          error: null
        })
        expect(page.data[1]).toMatchObject({
          status: "processing",
          documents_processed: 8,
          documents_failed: 1,
          chunks_created: 245,
          started_at: 1709125000,
          completed_at: null
        })
        expect(page.data[0]).not.toHaveProperty("document_details")
      }).pipe(Effect.provide(client()))
    )

    it.effect("sends limit, after and status as query parameters", () =>
      Effect.gen(function* () {
        const first = yield* IngestionJobs.list("kb_abc123", { limit: 1 })
        expect(first.data.map((job) => job.id)).toStrictEqual(["job_abc123"])
        expect(first.has_more).toBe(true)

        const next = yield* IngestionJobs.list("kb_abc123", { limit: 1, after: "job_abc123" })
        expect(next.data.map((job) => job.id)).toStrictEqual(["job_def456"])
        expect(next.has_more).toBe(false)

        const completed = yield* IngestionJobs.list("kb_abc123", { status: "completed" })
        expect(completed.data.map((job) => job.id)).toStrictEqual(["job_abc123"])

        const last = simulator.control.requests.at(-1)
        expect(last?.query).toMatchObject({ status: "completed" })
      }).pipe(Effect.provide(client()))
    )
  })

  describe("get", () => {
    it.effect("returns one job with its document_details", () =>
      Effect.gen(function* () {
        const job = yield* IngestionJobs.get("kb_abc123", "job_abc123")
        expect(job.status).toBe("completed")
        expect(job.document_details.slice(0, 2)).toStrictEqual([
          {
            document_id: "doc_001",
            document_name: "product-guide.pdf",
            status: "completed",
            chunks_created: 32,
            error: null
          },
          {
            document_id: "doc_002",
            document_name: "api-reference.md",
            status: "completed",
            chunks_created: 18,
            error: null
          }
        ])
        expect(job.document_details.reduce((sum, d) => sum + d.chunks_created, 0)).toBe(482)
      }).pipe(Effect.provide(client()))
    )

    it.effect("percent-encodes IDs in the path", () =>
      Effect.gen(function* () {
        const error = yield* failure(IngestionJobs.get("kb_abc123", "job_é+ü"))
        expect(error._tag).toBe("NotFound")
        expect(simulator.control.requests.at(-1)?.path).toBe(
          "/v1/knowledge-bases/kb_abc123/ingestion-jobs/job_%C3%A9%2B%C3%BC"
        )
      }).pipe(Effect.provide(client()))
    )
  })

  describe("listAll", () => {
    it.effect("streams every job across pages, following the after cursor while has_more", () =>
      Effect.gen(function* () {
        simulator.control.setScenario("paginated")
        const kb = simulator.control.knowledgeBases()[0]!
        const expected = (yield* IngestionJobs.list(kb, { limit: 100 })).has_more
        expect(expected).toBe(true)
        const before = requests()

        const jobs = yield* IngestionJobs.listAll(kb, { limit: 100 }).pipe(Stream.runCollect)
        const ids = jobs.map((job) => job.id)
        const pages = requests() - before
        expect(pages).toBeGreaterThanOrEqual(3)
        expect(ids.length).toBe(new Set(ids).size)
        expect(ids.length).toBeGreaterThan(200)
        const cursors = simulator.control.requests.slice(-pages).map((r) => r.query.after ?? null)
        expect(cursors[0]).toBeNull()
        expect(cursors.slice(1)).toStrictEqual(
          [1, 2, 3].slice(0, pages - 1).map((page) => ids[page * 100 - 1] ?? "")
        )
      }).pipe(Effect.provide(client()))
    )

    it.effect("applies the status filter to every page", () =>
      Effect.gen(function* () {
        simulator.control.setScenario("paginated")
        const kb = simulator.control.knowledgeBases()[0]!
        const failed = yield* IngestionJobs.listAll(kb, { status: "failed", limit: 10 }).pipe(
          Stream.runCollect
        )
        expect(failed.length).toBeGreaterThan(10)
        expect(failed.every((job) => job.status === "failed")).toBe(true)
      }).pipe(Effect.provide(client()))
    )
  })

  describe("errors from real responses", () => {
    it.effect("401 with a wrong key is Unauthorized, and the key is in no part of it", () =>
      Effect.gen(function* () {
        const error = yield* failure(
          IngestionJobs.list("kb_abc123").pipe(
            Effect.provide(client({ apiKey: Redacted.make(`${API_KEY}_wrong`) }))
          )
        )
        expect(error).toMatchObject({ _tag: "Unauthorized", status: 401, code: "invalid_api_key" })
        expect(JSON.stringify(error)).not.toContain(`${API_KEY}_wrong`)
      })
    )

    it.effect("404 of a job is NotFound with the API's type, code, param and message", () =>
      Effect.gen(function* () {
        const error = yield* failure(IngestionJobs.get("kb_abc123", "job_missing"))
        expect(error).toMatchObject({
          _tag: "NotFound",
          status: 404,
          type: "not_found_error",
          code: "ingestion_job_not_found",
          param: "job_id",
          message: "Ingestion job 'job_missing' not found",
          method: "GET"
        })
        expect(error.isTransient).toBe(false)
      }).pipe(Effect.provide(client()))
    )

    it.effect("404 of a knowledge base is NotFound with its own code", () =>
      Effect.gen(function* () {
        const error = yield* failure(IngestionJobs.list("kb_missing"))
        expect(error).toMatchObject({ _tag: "NotFound", code: "knowledge_base_not_found", param: "kb_id" })
      }).pipe(Effect.provide(client()))
    )

    it.effect("400 is InvalidRequest naming the parameter (an unknown cursor)", () =>
      Effect.gen(function* () {
        const error = yield* failure(IngestionJobs.list("kb_abc123", { after: "job_nope" }))
        expect(error).toMatchObject({ _tag: "InvalidRequest", status: 400, param: "after" })
      }).pipe(Effect.provide(client()))
    )

    it.effect("403 is Forbidden, and is not retried", () =>
      Effect.gen(function* () {
        simulator.control.injectFault({ kind: "http-error", status: 403, times: Infinity })
        const before = requests()
        const error = yield* failure(IngestionJobs.list("kb_abc123"))
        expect(error._tag).toBe("Forbidden")
        expect(requests() - before).toBe(1)
      }).pipe(Effect.provide(client()))
    )

    it.effect("a 200 that is not JSON is a ResponseDecodeError with an excerpt", () =>
      Effect.gen(function* () {
        simulator.control.injectFault({ kind: "non-json", status: 200 })
        const error = yield* failure(IngestionJobs.list("kb_abc123"))
        expect(error._tag).toBe("ResponseDecodeError")
        if (error._tag !== "ResponseDecodeError") return
        expect(error.excerpt.length).toBeGreaterThan(0)
        expect(error.excerpt.length).toBeLessThanOrEqual(200)
      }).pipe(Effect.provide(client()))
    )

    it.effect("a truncated body is a ResponseDecodeError, not a crash", () =>
      Effect.gen(function* () {
        simulator.control.injectFault({ kind: "truncated", route: "get" })
        const error = yield* failure(IngestionJobs.get("kb_abc123", "job_abc123"))
        expect(error._tag).toBe("ResponseDecodeError")
      }).pipe(Effect.provide(client()))
    )

    it.effect("unknown extra fields and unknown statuses decode", () =>
      Effect.gen(function* () {
        simulator.control.injectFault({ kind: "extra-fields", route: "get" })
        simulator.control.injectFault({ kind: "unknown-status", route: "get" })
        const job = yield* IngestionJobs.get("kb_abc123", "job_abc123")
        expect(job).not.toHaveProperty("priority")
        const again = yield* IngestionJobs.get("kb_abc123", "job_abc123")
        expect(again.status).toStrictEqual({ _tag: "UnknownStatus", raw: "paused" })
        expect(again.document_details[0]?.status).toStrictEqual({ _tag: "UnknownStatus", raw: "skipped" })
      }).pipe(Effect.provide(client()))
    )
  })

  describe("retries", () => {
    it.effect("retries a 429 after exactly the Retry-After seconds it asked for", () =>
      Effect.gen(function* () {
        simulator.control.injectFault({ kind: "rate-limit", retryAfter: 7, retryAfterFormat: "seconds" })
        const before = requests()
        const fiber = yield* Effect.forkChild(IngestionJobs.list("kb_abc123"))
        // The schedule alone would wait 100 ms; Retry-After asks for 7 s and wins.
        yield* sleepScheduledAt(7_000)
        yield* TestClock.adjust("6999 millis")
        expect(requests() - before).toBe(1)
        yield* TestClock.adjust("1 millis")
        const page = yield* Fiber.join(fiber)
        expect(page.data.length).toBe(2)
        expect(requests() - before).toBe(2)
      }).pipe(Effect.provide(client()))
    )

    it.effect("honours a Retry-After given as an HTTP date, against the Effect clock", () =>
      Effect.gen(function* () {
        // Align the test clock with the simulator's: the date is the simulator's now + 5 s.
        yield* TestClock.setTime(simulator.control.now())
        const start = simulator.control.now()
        simulator.control.injectFault({ kind: "rate-limit", retryAfter: 5, retryAfterFormat: "http-date" })
        const fiber = yield* Effect.forkChild(IngestionJobs.list("kb_abc123"))
        yield* sleepScheduledAt(start + 5_000)
        yield* TestClock.adjust("5 seconds")
        const page = yield* Fiber.join(fiber)
        expect(page.object).toBe("list")
      }).pipe(Effect.provide(client()))
    )

    it.effect("retries 503s on the schedule when it asks for longer than Retry-After", () =>
      Effect.gen(function* () {
        simulator.control.injectFault({ kind: "server-error", status: 503, times: 2, retryAfter: 0 })
        const before = requests()
        const fiber = yield* Effect.forkChild(IngestionJobs.get("kb_abc123", "job_abc123"))
        yield* sleepScheduledAt(100)
        yield* TestClock.adjust("100 millis")
        yield* sleepScheduledAt(300)
        yield* TestClock.adjust("200 millis")
        const job = yield* Fiber.join(fiber)
        expect(job.id).toBe("job_abc123")
        expect(requests() - before).toBe(3)
      }).pipe(Effect.provide(client()))
    )

    it.effect("caps a Retry-After at maxRetryAfter", () =>
      Effect.gen(function* () {
        simulator.control.injectFault({ kind: "rate-limit", retryAfter: 3600 })
        const fiber = yield* Effect.forkChild(IngestionJobs.list("kb_abc123"))
        yield* sleepScheduledAt(2_000)
        yield* TestClock.adjust("2 seconds")
        yield* Fiber.join(fiber)
      }).pipe(Effect.provide(client({ maxRetryAfter: "2 seconds" })))
    )

    it.effect("gives up with the last transient error when the retries run out", () =>
      Effect.gen(function* () {
        simulator.control.injectFault({ kind: "server-error", status: 502, times: Infinity })
        const before = requests()
        const fiber = yield* Effect.forkChild(Effect.flip(IngestionJobs.list("kb_abc123")))
        for (const at of [100, 300, 700]) {
          yield* sleepScheduledAt(at)
          yield* TestClock.setTime(at)
        }
        const error = yield* Fiber.join(fiber)
        expect(error).toMatchObject({ _tag: "ServerError", status: 502 })
        expect(requests() - before).toBe(4)
      }).pipe(Effect.provide(client()))
    )

    it.effect("retries a dropped connection as a TransportError", () =>
      Effect.gen(function* () {
        simulator.control.injectFault({ kind: "drop" })
        const fiber = yield* Effect.forkChild(IngestionJobs.list("kb_abc123"))
        yield* sleepScheduledAt(100)
        yield* TestClock.adjust("100 millis")
        expect((yield* Fiber.join(fiber)).object).toBe("list")
        expect(simulator.control.requests.at(-2)?.outcome).toBe("dropped")
      }).pipe(Effect.provide(client()))
    )

    it.effect("times out a hanging request, aborts it, and retries", () =>
      Effect.gen(function* () {
        simulator.control.injectFault({ kind: "hang" })
        const fiber = yield* Effect.forkChild(IngestionJobs.list("kb_abc123"))
        yield* sleepScheduledAt(1_000)
        yield* TestClock.adjust("1 second")
        yield* eventually(() => simulator.control.requests[0]?.outcome === "hung")
        yield* sleepScheduledAt(1_100)
        yield* TestClock.adjust("100 millis")
        expect((yield* Fiber.join(fiber)).object).toBe("list")
      }).pipe(Effect.provide(client({ requestTimeout: "1 second" })))
    )

    it.effect("without retries, a timeout is a TransportError with reason Timeout", () =>
      Effect.gen(function* () {
        simulator.control.injectFault({ kind: "hang" })
        const fiber = yield* Effect.forkChild(Effect.flip(IngestionJobs.list("kb_abc123")))
        yield* sleepScheduledAt(2_000)
        yield* TestClock.adjust("2 seconds")
        const error = yield* Fiber.join(fiber)
        expect(error).toMatchObject({ _tag: "TransportError", reason: "Timeout" })
      }).pipe(Effect.provide(client({ requestTimeout: "2 seconds", retrySchedule: Schedule.recurs(0) })))
    )

    // Both clocks: TestClock's timeout is Effect's, the real clock's a timer that aborts (see below).
    const interruptAborts = () =>
      Effect.gen(function* () {
        simulator.control.injectFault({ kind: "hang" })
        const fiber = yield* Effect.forkChild(IngestionJobs.list("kb_abc123"))
        yield* eventually(() => simulator.control.requests.length === 1)
        yield* Fiber.interrupt(fiber)
        yield* eventually(() => simulator.control.requests[0]?.outcome === "hung")
      }).pipe(Effect.provide(client()))
    it.effect("interrupting a call aborts the request in flight", interruptAborts)
    it.live("on the real clock, interrupting a call aborts the request in flight", interruptAborts)

    // On the live clock a request's timeout is a plain timer that aborts it (no fiber per attempt):
    // the same behaviour, on real time. The timeout is short; the test waits for the outcome itself.
    it.live("on the real clock, a hanging request times out as TransportError Timeout and is aborted", () =>
      Effect.gen(function* () {
        simulator.control.injectFault({ kind: "hang" })
        const error = yield* failure(IngestionJobs.list("kb_abc123"))
        expect(error).toMatchObject({ _tag: "TransportError", reason: "Timeout" })
        yield* eventually(() => simulator.control.requests[0]?.outcome === "hung")
      }).pipe(Effect.provide(client({ requestTimeout: "200 millis", retrySchedule: Schedule.recurs(0) })))
    )

    it.live("on the real clock, a deadline cuts the attempt as TransportError Deadline", () =>
      Effect.gen(function* () {
        simulator.control.injectFault({ kind: "hang" })
        const deadline = Date.now() + 200
        const error = yield* failure(IngestionJobs.poll("kb_abc123", "job_abc123", { deadline }))
        expect(error).toMatchObject({ _tag: "TransportError", reason: "Deadline" })
        expect(Date.now()).toBeGreaterThanOrEqual(deadline)
      }).pipe(Effect.provide(client()))
    )
  })

  describe("validation: bad input fails with InvalidInput and sends nothing", () => {
    const cases: ReadonlyArray<
      readonly [string, string, Effect.Effect<unknown, unknown, IngestionJobs.IngestionJobs>]
    > = [
      ["knowledgeBaseId", "empty", IngestionJobs.list("")],
      ["knowledgeBaseId", "a slash", IngestionJobs.list("kb/../admin")],
      ["knowledgeBaseId", "dot-dot", IngestionJobs.list("..")],
      ["knowledgeBaseId", "a query", IngestionJobs.list("kb?x=1")],
      ["knowledgeBaseId", "a percent", IngestionJobs.list("kb%2F")],
      ["knowledgeBaseId", "whitespace", IngestionJobs.list("kb abc")],
      ["knowledgeBaseId", "a control character", IngestionJobs.list("kb\u0000")],
      ["knowledgeBaseId", "257 characters", IngestionJobs.list("k".repeat(257))],
      ["jobId", "a backslash", IngestionJobs.get("kb_abc123", "job\\1")],
      ["jobId", "a hash", IngestionJobs.get("kb_abc123", "job#1")],
      ["jobId", "not a string", IngestionJobs.get("kb_abc123", 42 as unknown as string)],
      ["limit", "0", IngestionJobs.list("kb_abc123", { limit: 0 })],
      ["limit", "101", IngestionJobs.list("kb_abc123", { limit: 101 })],
      ["limit", "2.5", IngestionJobs.list("kb_abc123", { limit: 2.5 })],
      ["after", "a slash", IngestionJobs.list("kb_abc123", { after: "a/b" })],
      ["status", "an unknown status", IngestionJobs.list("kb_abc123", { status: "done" as "completed" })],
      ["limit", "a listAll limit of 500", Stream.runDrain(IngestionJobs.listAll("kb_abc123", { limit: 500 }))]
    ]
    for (const [param, what, effect] of cases) {
      it.effect(`${param} with ${what}`, () =>
        Effect.gen(function* () {
          const before = requests()
          const error = yield* failure(effect)
          expect(error).toMatchObject({ _tag: "InvalidInput", param })
          expect(requests()).toBe(before)
        }).pipe(Effect.provide(client()))
      )
    }

    const badOptions: ReadonlyArray<readonly [string, string, Partial<IngestionJobs.Options>]> = [
      ["baseUrl", "plain http to a remote host", { baseUrl: "http://api.example.test/v1" }],
      ["baseUrl", "not a URL", { baseUrl: "api.tensoras.ai/v1" }],
      ["baseUrl", "credentials in the URL", { baseUrl: "https://user:secret@api.example.test/v1" }],
      ["baseUrl", "another scheme", { baseUrl: "ftp://api.example.test/v1" }],
      ["apiKey", "an empty key", { apiKey: Redacted.make("") }],
      ["apiKey", "a newline in the key", { apiKey: Redacted.make("tns_abc\nX-Injected: 1") }],
      ["requestTimeout", "a zero timeout", { requestTimeout: 0 }],
      ["requestTimeout", "an infinite timeout", { requestTimeout: "Infinity" as never }],
      ["tracing", "an unknown tracing mode", { tracing: "all" as never }]
    ]
    for (const [param, what, options] of badOptions) {
      it.effect(`the layer rejects ${what}`, () =>
        Effect.gen(function* () {
          const before = requests()
          const error = yield* failure(IngestionJobs.list("kb_abc123").pipe(Effect.provide(client(options))))
          expect(error).toMatchObject({ _tag: "InvalidInput", param })
          expect(requests()).toBe(before)
        })
      )
    }

    it.effect("plain http is accepted for a remote host only with allowInsecureHttp", () =>
      Effect.gen(function* () {
        const layer = IngestionJobs.layer({
          apiKey: Redacted.make(API_KEY),
          baseUrl: "http://ingest.internal.test/v1",
          allowInsecureHttp: true
        }).pipe(Layer.provide(FetchHttpClient.layer))
        const built = yield* Effect.exit(Effect.provide(IngestionJobs.IngestionJobs, layer))
        expect(Exit.isSuccess(built)).toBe(true)
      })
    )
  })

  describe("tracing", () => {
    /** The real fetch, noting the headers of every request it sends. */
    const recordingFetch =
      (sent: Array<globalThis.Headers>): typeof globalThis.fetch =>
      (input, init) => {
        sent.push(new globalThis.Headers(init?.headers))
        return globalThis.fetch(input, init)
      }
    /** A tracer of one's own (as an exporter installs), recording the names of the spans it starts. */
    const recordingTracer = (names: Array<string>) => {
      const native = Effect.runSync(Effect.tracer)
      return Tracer.make({
        span: (options) => {
          names.push(options.name)
          return native.span(options)
        }
      })
    }
    const getWith = (options: Partial<IngestionJobs.Options>, sent: Array<globalThis.Headers>) =>
      IngestionJobs.get("kb_abc123", "job_abc123").pipe(
        Effect.provide(client(options)),
        Effect.provideService(FetchHttpClient.Fetch, recordingFetch(sent))
      )
    const traceHeaders = (headers: globalThis.Headers) =>
      [...headers.keys()].filter((name) => name === "traceparent" || name === "b3")

    it.live("by default no trace header is sent, and a span per request only when a tracer records it", () =>
      Effect.gen(function* () {
        const sent: Array<globalThis.Headers> = []
        const names: Array<string> = []
        yield* getWith({}, sent)
        yield* getWith({}, sent).pipe(Effect.withTracer(recordingTracer(names)))
        expect(sent.map(traceHeaders)).toStrictEqual([[], []])
        expect(names).toStrictEqual(["http.client GET"])
      })
    )

    it.live('"propagate" sends the trace context of the request\'s span to the API', () =>
      Effect.gen(function* () {
        const sent: Array<globalThis.Headers> = []
        yield* getWith({ tracing: "propagate" }, sent)
        expect(sent[0]?.get("traceparent")).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/)
      })
    )

    it.live('"spans" records a span per request without sending its context; "none" records none', () =>
      Effect.gen(function* () {
        const sent: Array<globalThis.Headers> = []
        const spans: Array<string> = []
        const none: Array<string> = []
        yield* getWith({ tracing: "spans" }, sent).pipe(Effect.withTracer(recordingTracer(spans)))
        yield* getWith({ tracing: "none" }, sent).pipe(Effect.withTracer(recordingTracer(none)))
        expect(spans).toStrictEqual(["http.client GET"])
        expect(none).toStrictEqual([])
        expect(sent.map(traceHeaders)).toStrictEqual([[], []])
      })
    )
  })

  describe("configuration", () => {
    const fromEnv = (env: Record<string, string>) =>
      IngestionJobs.layerConfig({ retrySchedule: Schedule.recurs(0) }).pipe(
        Layer.provide(FetchHttpClient.layer),
        Layer.provide(ConfigProvider.layer(ConfigProvider.fromUnknown(env)))
      )

    it.effect("reads TENSORAS_API_KEY and TENSORAS_BASE_URL", () =>
      Effect.gen(function* () {
        const page = yield* IngestionJobs.list("kb_abc123").pipe(
          Effect.provide(fromEnv({ TENSORAS_API_KEY: API_KEY, TENSORAS_BASE_URL: simulator.baseUrl }))
        )
        expect(page.data.length).toBe(2)
      })
    )

    it.effect("reads the key as Redacted: it prints as <redacted>", () =>
      Effect.gen(function* () {
        const config = yield* IngestionJobs.config.pipe(
          Effect.provideService(
            ConfigProvider.ConfigProvider,
            ConfigProvider.fromUnknown({ TENSORAS_API_KEY: API_KEY })
          )
        )
        expect(config.baseUrl).toBe(IngestionJobs.DEFAULT_BASE_URL)
        expect(String(config.apiKey)).toBe("<redacted>")
        expect(JSON.stringify(config)).not.toContain(API_KEY)
        expect(Redacted.value(config.apiKey)).toBe(API_KEY)
      })
    )

    it.effect("a missing key is a ConfigError naming the variable", () =>
      Effect.gen(function* () {
        const error = yield* Effect.flip(Effect.provide(IngestionJobs.IngestionJobs, fromEnv({})))
        expect(String(error)).toContain("TENSORAS_API_KEY")
      })
    )
  })

  it.effect("sends the key as a bearer token and a User-Agent naming the library", () =>
    Effect.gen(function* () {
      yield* IngestionJobs.list("kb_abc123")
      const last = simulator.control.requests.at(-1)
      expect(last?.authorized).toBe(true)
      expect(last?.userAgent).toBe(IngestionJobs.USER_AGENT)
      expect(IngestionJob.isTerminal({ status: "completed" })).toBe(true)
    }).pipe(Effect.provide(client()))
  )
})
