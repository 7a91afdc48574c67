import { describe, expect, it } from "@effect/vitest"
import { IngestionJob, IngestionJobs } from "@tensoras/ingestion"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import * as Tracer from "effect/Tracer"
import { API_KEY, failure, useSimulator } from "./utils/ingestionJobs.js"

const world = useSimulator()
const { client, requests } = world

describe("IngestionJobs", () => {
  describe("without a key (apiKey: null)", () => {
    it.effect("sends no Authorization header at all: a same-origin proxy adds it server-side", () =>
      Effect.gen(function* () {
        const error = yield* failure(IngestionJobs.get("kb_abc123", "job_abc123"))
        expect(error).toMatchObject({ _tag: "Unauthorized" })
        expect(world.simulator.control.requests.map((r) => r.authorized)).toStrictEqual([false])
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
})

describe("IngestionJobs", () => {
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

        const last = world.simulator.control.requests.at(-1)
        expect(last?.query).toMatchObject({ status: "completed" })
      }).pipe(Effect.provide(client()))
    )
  })
})

describe("IngestionJobs", () => {
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
        expect(world.simulator.control.requests.at(-1)?.path).toBe(
          "/v1/knowledge-bases/kb_abc123/ingestion-jobs/job_%C3%A9%2B%C3%BC"
        )
      }).pipe(Effect.provide(client()))
    )
  })

  describe("listAll", () => {
    it.effect("streams every job across pages, following the after cursor while has_more", () =>
      Effect.gen(function* () {
        world.simulator.control.setScenario("paginated")
        const kb = world.simulator.control.knowledgeBases()[0]!
        const expected = (yield* IngestionJobs.list(kb, { limit: 100 })).has_more
        expect(expected).toBe(true)
        const before = requests()

        const jobs = yield* IngestionJobs.listAll(kb, { limit: 100 }).pipe(Stream.runCollect)
        const ids = jobs.map((job) => job.id)
        const pages = requests() - before
        expect(pages).toBeGreaterThanOrEqual(3)
        expect(ids.length).toBe(new Set(ids).size)
        expect(ids.length).toBeGreaterThan(200)
        const cursors = world.simulator.control.requests.slice(-pages).map((r) => r.query.after ?? null)
        expect(cursors[0]).toBeNull()
        expect(cursors.slice(1)).toStrictEqual(
          [1, 2, 3].slice(0, pages - 1).map((page) => ids[page * 100 - 1] ?? "")
        )
      }).pipe(Effect.provide(client()))
    )

    it.effect("applies the status filter to every page", () =>
      Effect.gen(function* () {
        world.simulator.control.setScenario("paginated")
        const kb = world.simulator.control.knowledgeBases()[0]!
        const failed = yield* IngestionJobs.listAll(kb, { status: "failed", limit: 10 }).pipe(
          Stream.runCollect
        )
        expect(failed.length).toBeGreaterThan(10)
        expect(failed.every((job) => job.status === "failed")).toBe(true)
      }).pipe(Effect.provide(client()))
    )
  })
})

describe("IngestionJobs", () => {
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
})

describe("IngestionJobs", () => {
  describe("configuration", () => {
    const fromEnv = (env: Record<string, string>) =>
      IngestionJobs.layerConfig({ retrySchedule: Schedule.recurs(0) }).pipe(
        Layer.provide(FetchHttpClient.layer),
        Layer.provide(ConfigProvider.layer(ConfigProvider.fromUnknown(env)))
      )

    it.effect("reads TENSORAS_API_KEY and TENSORAS_BASE_URL", () =>
      Effect.gen(function* () {
        const page = yield* IngestionJobs.list("kb_abc123").pipe(
          Effect.provide(fromEnv({ TENSORAS_API_KEY: API_KEY, TENSORAS_BASE_URL: world.simulator.baseUrl }))
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

    it.effect("an empty variable is unset, even from a provider that keeps empty strings", () =>
      Effect.gen(function* () {
        const keeping = (env: Record<string, string>) =>
          ConfigProvider.fromEnv({ env, preserveEmptyStrings: true })
        const config = yield* IngestionJobs.config.parse(
          keeping({ TENSORAS_API_KEY: API_KEY, TENSORAS_BASE_URL: "" })
        )
        expect(config.baseUrl).toBe(IngestionJobs.DEFAULT_BASE_URL)
        const empty = yield* Effect.flip(IngestionJobs.config.parse(keeping({ TENSORAS_API_KEY: "" })))
        const missing = yield* Effect.flip(IngestionJobs.config.parse(keeping({})))
        expect(String(empty)).toContain("TENSORAS_API_KEY")
        expect(String(empty)).toBe(String(missing))
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
      const last = world.simulator.control.requests.at(-1)
      expect(last?.authorized).toBe(true)
      expect(last?.userAgent).toBe(IngestionJobs.USER_AGENT)
      expect(IngestionJob.isTerminal({ status: "completed" })).toBe(true)
    }).pipe(Effect.provide(client()))
  )
})
