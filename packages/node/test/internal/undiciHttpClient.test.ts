// The HttpClient on undici's Dispatcher.request as an `effect/http` HttpClient, for what the
// ingestion API does not exercise: request bodies, every way to read a response, and an abort in
// the middle of a body. Against a real HTTP server over loopback.
import { once } from "node:events"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import * as Stream from "effect/Stream"
import { Agent } from "undici"
import * as undiciHttpClient from "../../src/internal/undiciHttpClient.js"

/** Resolves when the server has sent half of `/stall`'s body: the client is then reading it. */
let stalled: Promise<http.ServerResponse>
let onStall: (response: http.ServerResponse) => void

const server = http.createServer((request, response) => {
  const chunks: Array<Buffer> = []
  request.on("data", (chunk: Buffer) => chunks.push(chunk))
  request.on("end", () => {
    switch (request.url) {
      case "/echo": {
        response.setHeader("content-type", "application/json")
        response.setHeader("set-cookie", ["a=1; Path=/", "b=2; Path=/"])
        response.end(
          JSON.stringify({
            method: request.method,
            contentType: request.headers["content-type"] ?? null,
            body: Buffer.concat(chunks).toString("utf8")
          })
        )
        return
      }
      case "/redirect": {
        response.writeHead(302, { location: "/echo" }).end("moved")
        return
      }
      case "/form": {
        response.setHeader("content-type", "application/x-www-form-urlencoded")
        response.end("a=1&b=two")
        return
      }
      case "/stall": {
        response.writeHead(200, { "content-type": "text/plain" })
        response.write("x".repeat(1024))
        onStall(response)
        return
      }
    }
  })
})

const agent = new Agent()
const client = undiciHttpClient.make(agent)
let base: string

beforeAll(async () => {
  server.listen(0, "127.0.0.1")
  await once(server, "listening")
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(async () => {
  await agent.destroy()
  server.closeAllConnections()
  server.close()
})

interface Echo {
  readonly method: string
  readonly contentType: string | null
  readonly body: string
}
const echo = (request: HttpClientRequest.HttpClientRequest) =>
  Effect.flatMap(
    client.execute(request),
    (response) => response.json
  ) as Effect.Effect<unknown> as Effect.Effect<Echo, unknown>

describe("undiciHttpClient", () => {
  it.effect("sends request bodies: none, text, bytes, JSON, a form and a stream", () =>
    Effect.gen(function* () {
      const post = HttpClientRequest.post(`${base}/echo`)
      expect(yield* echo(HttpClientRequest.get(`${base}/echo`))).toEqual({
        method: "GET",
        contentType: null,
        body: ""
      })
      expect(yield* echo(HttpClientRequest.bodyText(post, "héllo"))).toEqual({
        method: "POST",
        contentType: "text/plain",
        body: "héllo"
      })
      expect(
        yield* echo(HttpClientRequest.bodyUint8Array(post, new TextEncoder().encode("bytes")))
      ).toMatchObject({ contentType: "application/octet-stream", body: "bytes" })
      const json = yield* HttpClientRequest.bodyJson(post, { a: 1 })
      expect(yield* echo(json)).toMatchObject({ contentType: "application/json", body: '{"a":1}' })
      const form = new FormData()
      form.set("field", "value")
      const multipart = yield* echo(HttpClientRequest.bodyFormData(post, form))
      expect(multipart.contentType).toMatch(/^multipart\/form-data; boundary=/)
      expect(multipart.body).toContain('name="field"\r\n\r\nvalue')
      const streamed = HttpClientRequest.bodyStream(
        post,
        Stream.make("one ", "two").pipe(Stream.encodeText),
        { contentType: "text/plain" }
      )
      expect(yield* echo(streamed)).toMatchObject({ body: "one two" })
    })
  )

  it.effect(
    "reads a response every way: status, headers, cookies, text (twice), JSON, bytes, a stream, a form",
    () =>
      Effect.gen(function* () {
        const response = yield* client.get(`${base}/echo`)
        expect(response.status).toBe(200)
        expect(response.headers["content-type"]).toBe("application/json")
        expect(
          Object.values(response.cookies.cookies).map((cookie) => `${cookie.name}=${cookie.value}`)
        ).toEqual(["a=1", "b=2"])
        const text = yield* response.text
        expect(yield* response.text).toBe(text)
        expect(yield* response.json).toEqual(JSON.parse(text))
        const bytes = yield* Effect.flatMap(client.get(`${base}/echo`), (r) => r.arrayBuffer)
        expect(new TextDecoder().decode(bytes)).toBe(text)
        const streamed = yield* client.get(`${base}/echo`).pipe(
          Effect.flatMap((r) => Stream.runCollect(Stream.decodeText(r.stream))),
          Effect.map((chunks) => chunks.join(""))
        )
        expect(streamed).toBe(text)
        const params = yield* Effect.flatMap(client.get(`${base}/form`), (r) => r.urlParamsBody)
        expect(params.params).toEqual([
          ["a", "1"],
          ["b", "two"]
        ])
        expect(response.toJSON()).toMatchObject({ _id: "HttpClientResponse", status: 200 })
      })
  )

  it.effect("answers a redirect with the 3xx itself: never followed", () =>
    Effect.gen(function* () {
      const response = yield* client.get(`${base}/redirect`)
      expect([response.status, response.headers.location, yield* response.text]).toEqual([
        302,
        "/echo",
        "moved"
      ])
    })
  )

  it.live("interrupting the read of a body aborts it: the server sees its connection closed", () =>
    Effect.gen(function* () {
      stalled = new Promise((resolve) => {
        onStall = resolve
      })
      const response = yield* client.get(`${base}/stall`)
      // Started at once: the read is under way when it is interrupted.
      const reading = yield* Effect.forkChild(response.text, { startImmediately: true })
      const serverSide = yield* Effect.promise(() => stalled)
      const closed = once(serverSide, "close")
      yield* Fiber.interrupt(reading)
      yield* Effect.promise(() => closed)
      expect(serverSide.writableFinished).toBe(false)
    })
  )

  it.effect("a request that cannot be sent fails with an HttpClientError (TransportError)", () =>
    Effect.gen(function* () {
      const error = yield* client.get("http://127.0.0.1:1/nothing-listens-here").pipe(Effect.flip)
      expect([error._tag, error.reason._tag]).toEqual(["HttpClientError", "TransportError"])
    })
  )
})

describe("undiciHttpClient.makeDeferred", () => {
  it.effect("makes its dispatcher at the first request, once, however many requests are concurrent", () =>
    Effect.gen(function* () {
      const made: Array<Agent> = []
      const deferred = undiciHttpClient.makeDeferred(async () => {
        const dispatcher = new Agent()
        made.push(dispatcher)
        return dispatcher
      })
      expect(made).toEqual([])
      const first = yield* Effect.all(
        [1, 2, 3].map(() => Effect.flatMap(deferred.get(`${base}/echo`), (response) => response.json)),
        { concurrency: "unbounded" }
      )
      expect(first).toHaveLength(3)
      const later = yield* Effect.flatMap(deferred.get(`${base}/echo`), (response) => response.json)
      expect(later).toMatchObject({ method: "GET" })
      expect(made).toHaveLength(1)
      yield* Effect.promise(() => Promise.all(made.map((dispatcher) => dispatcher.destroy())))
    })
  )
})
