import { describe, expect, it } from "@effect/vitest"
import { IngestionJobs } from "@tensoras/ingestion"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import { API_KEY, failure, useSimulator } from "./utils/ingestionJobs.js"

const world = useSimulator()
const { client, requests } = world

describe("IngestionJobs", () => {
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

    it.effect("a 404 says what is missing as a typed field: the job, the knowledge base, or neither", () =>
      Effect.gen(function* () {
        const job = yield* failure(IngestionJobs.get("kb_abc123", "job_missing"))
        const kb = yield* failure(IngestionJobs.get("kb_missing", "job_abc123"))
        const listed = yield* failure(IngestionJobs.list("kb_missing"))
        // A base URL without /v1: the simulator answers the API's 404 for a URL it does not serve.
        const url = yield* failure(
          IngestionJobs.list("kb_abc123").pipe(
            Effect.provide(client({ baseUrl: world.simulator.baseUrl.replace(/\/v1$/, "") }))
          )
        )
        expect([job, kb, listed, url].map((e) => (e._tag === "NotFound" ? e.missing : e._tag))).toStrictEqual(
          ["job", "knowledgeBase", "knowledgeBase", "unknown"]
        )
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
        world.simulator.control.injectFault({ kind: "http-error", status: 403, times: Infinity })
        const before = requests()
        const error = yield* failure(IngestionJobs.list("kb_abc123"))
        expect(error._tag).toBe("Forbidden")
        expect(requests() - before).toBe(1)
      }).pipe(Effect.provide(client()))
    )
  })
})

describe("IngestionJobs", () => {
  describe("errors from real responses", () => {
    it.effect("a 200 that is not JSON is a ResponseDecodeError with an excerpt", () =>
      Effect.gen(function* () {
        world.simulator.control.injectFault({ kind: "non-json", status: 200 })
        const error = yield* failure(IngestionJobs.list("kb_abc123"))
        expect(error._tag).toBe("ResponseDecodeError")
        if (error._tag !== "ResponseDecodeError") return
        expect(error.excerpt.length).toBeGreaterThan(0)
        expect(error.excerpt.length).toBeLessThanOrEqual(200)
      }).pipe(Effect.provide(client()))
    )

    it.effect("a truncated body is a ResponseDecodeError, not a crash", () =>
      Effect.gen(function* () {
        world.simulator.control.injectFault({ kind: "truncated", route: "get" })
        const error = yield* failure(IngestionJobs.get("kb_abc123", "job_abc123"))
        expect(error._tag).toBe("ResponseDecodeError")
      }).pipe(Effect.provide(client()))
    )

    it.effect("unknown extra fields and unknown statuses decode", () =>
      Effect.gen(function* () {
        world.simulator.control.injectFault({ kind: "extra-fields", route: "get" })
        world.simulator.control.injectFault({ kind: "unknown-status", route: "get" })
        const job = yield* IngestionJobs.get("kb_abc123", "job_abc123")
        expect(job).not.toHaveProperty("priority")
        const again = yield* IngestionJobs.get("kb_abc123", "job_abc123")
        expect(again.status).toStrictEqual({ _tag: "UnknownStatus", raw: "paused" })
        expect(again.document_details[0]?.status).toStrictEqual({ _tag: "UnknownStatus", raw: "skipped" })
      }).pipe(Effect.provide(client()))
    )
  })
})

describe("IngestionJobs", () => {
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
})
