/**
 * `maxResponseBytes` (`internal/responseBody.ts`) against the simulator over loopback: its `huge-body`
 * fault streams a body of gigabytes chunk by chunk, and its request log tells how much of it was sent
 * before the client closed the connection (`outcome: "aborted"`, `bodyBytes`).
 */
import { describe, expect, it } from "@effect/vitest"
import {
  createIngestionJobsClient,
  IngestionError,
  IngestionJobs,
  waitForIngestionJob
} from "@tensoras/ingestion"
import type { RequestLog } from "@tensoras/ingestion-testkit"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import { API_KEY, failure, useSimulator } from "../utils/ingestionJobs.js"

const world = useSimulator()
const { client, requests } = world

const KIB = 1024
const MIB = 1024 * KIB
const GIB = 1024 * MIB
/** The limit most tests set: small, so that a body over it is cut off early. */
const LIMIT = 256 * KIB
/**
 * What can have left the simulator before the client's abort reached it: the limit, plus what the
 * loopback connection's buffers hold (a few MiB on Linux). A body read whole would be gigabytes.
 */
const SENT_AT_MOST = 64 * MIB

/** The request the client gave up reading, once the simulator has seen the connection closed. */
const abandoned = Effect.promise(() =>
  world.simulator.control.waitForRequests(1, { filter: { outcome: "aborted" } })
).pipe(Effect.map(([record]) => record as RequestLog.RequestRecord))

/** Every request has ended on the simulator's side: none left streaming or waiting. */
const nothingPending = () =>
  expect(world.simulator.control.requests.filter((record) => record.outcome === "pending")).toStrictEqual([])

const tooLarge = (error: unknown) => {
  expect(error).toBeInstanceOf(IngestionError.ResponseDecodeError)
  const decodeError = error as IngestionError.ResponseDecodeError
  expect(decodeError.reason).toBe("TooLarge")
  expect(decodeError.isTransient).toBe(false)
  return decodeError
}

describe("internal/responseBody: maxResponseBytes", () => {
  it.effect(
    "a 4 GiB body streamed without Content-Length is cut off past the limit: TooLarge, its connection closed",
    () =>
      Effect.gen(function* () {
        world.simulator.control.injectFault({ kind: "huge-body", route: "get", jobId: "job_abc123" })
        const before = requests()
        const error = tooLarge(yield* failure(IngestionJobs.get("kb_abc123", "job_abc123")))
        expect(error).toMatchObject({ status: 200, method: "GET" })
        expect(error.message).toContain(`larger than maxResponseBytes (${LIMIT} bytes): cut off after`)
        expect(error.excerpt.startsWith('{"padding":["xxxx')).toBe(true)
        expect(error.excerpt.length).toBe(200)
        // Not retried: the same request would get the same body.
        expect(requests() - before).toBe(1)
        const record = yield* abandoned
        expect(record.bodyBytes).toBeGreaterThan(LIMIT)
        expect(record.bodyBytes).toBeLessThan(SENT_AT_MOST)
        nothingPending()
      }).pipe(Effect.provide(client({ maxResponseBytes: LIMIT })))
  )

  it.effect("a Content-Length over the limit fails before the body is read, the true one or a lie", () =>
    Effect.gen(function* () {
      world.simulator.control.injectFault({ kind: "huge-body", route: "get", contentLength: true })
      const declared = tooLarge(yield* failure(IngestionJobs.get("kb_abc123", "job_abc123")))
      expect(declared.message).toContain(`its Content-Length is ${4 * GIB}; not read`)
      expect(declared.excerpt).toBe("")
      const record = yield* abandoned
      expect(record.bodyBytes ?? 0).toBeLessThan(SENT_AT_MOST)
      // A small body that claims 10 GiB: the header alone decides.
      world.simulator.control.injectFault({ kind: "huge-body", bytes: 4 * KIB, contentLength: 10 * GIB })
      const lie = tooLarge(yield* failure(IngestionJobs.list("kb_abc123")))
      expect(lie.message).toContain(`its Content-Length is ${10 * GIB}`)
      nothingPending()
    }).pipe(Effect.provide(client({ maxResponseBytes: LIMIT })))
  )

  it.effect(
    "a body of exactly the limit decodes, chunked or with its Content-Length; one byte more does not",
    () =>
      Effect.gen(function* () {
        const { control } = world.simulator
        const plain = yield* IngestionJobs.get("kb_abc123", "job_def456")
        control.injectFault({ kind: "huge-body", route: "get", bytes: LIMIT, chunkBytes: 4 * KIB })
        expect(yield* IngestionJobs.get("kb_abc123", "job_def456")).toStrictEqual(plain)
        control.injectFault({ kind: "huge-body", route: "get", bytes: LIMIT, contentLength: true })
        expect(yield* IngestionJobs.get("kb_abc123", "job_def456")).toStrictEqual(plain)
        const sent = control.requests.slice(-2).map((record) => [record.bodyBytes, record.outcome])
        expect(sent).toStrictEqual([
          [LIMIT, "responded"],
          [LIMIT, "responded"]
        ])
        control.injectFault({ kind: "huge-body", route: "get", bytes: LIMIT + 1 })
        tooLarge(yield* failure(IngestionJobs.get("kb_abc123", "job_def456")))
        control.injectFault({ kind: "huge-body", route: "get", bytes: LIMIT + 1, contentLength: true })
        tooLarge(yield* failure(IngestionJobs.get("kb_abc123", "job_def456")))
      }).pipe(Effect.provide(client({ maxResponseBytes: LIMIT })))
  )

  it.effect("by default the limit is 8 MiB: a 9 MiB answer fails, a 7 MiB one decodes", () =>
    Effect.gen(function* () {
      world.simulator.control.injectFault({ kind: "huge-body", route: "list", bytes: 9 * MIB })
      const error = tooLarge(yield* failure(IngestionJobs.list("kb_abc123")))
      expect(error.message).toContain(`maxResponseBytes (${8 * MIB} bytes)`)
      world.simulator.control.injectFault({ kind: "huge-body", route: "list", bytes: 7 * MIB })
      const page = yield* IngestionJobs.list("kb_abc123")
      expect(page.data.length).toBe(2)
    }).pipe(Effect.provide(client()))
  )

  it.live(
    "an error status with a body over the limit is that status's error: a 503 is retried, a 404 is NotFound",
    () =>
      Effect.gen(function* () {
        const { control } = world.simulator
        control.injectFault({ kind: "huge-body", route: "get", status: 503 })
        const before = requests()
        const job = yield* IngestionJobs.get("kb_abc123", "job_abc123")
        expect(job.id).toBe("job_abc123")
        expect(requests() - before).toBe(2)
        expect((yield* abandoned).bodyBytes).toBeLessThan(SENT_AT_MOST)
        control.injectFault({ kind: "huge-body", route: "get", status: 404 })
        const missing = yield* failure(IngestionJobs.get("kb_abc123", "job_abc123"))
        expect(missing).toMatchObject({ _tag: "NotFound", status: 404, message: "HTTP 404 Not Found" })
      }).pipe(Effect.provide(client({ maxResponseBytes: LIMIT, retrySchedule: Schedule.recurs(1) })))
  )

  it.effect("maxResponseBytes must be a whole number of bytes, at least 1: InvalidInput, nothing sent", () =>
    Effect.gen(function* () {
      const before = requests()
      for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, "8 MiB"]) {
        const error = yield* failure(
          IngestionJobs.list("kb_abc123").pipe(Effect.provide(client({ maxResponseBytes: bad as number })))
        )
        expect(error).toMatchObject({ _tag: "InvalidInput", param: "maxResponseBytes" })
      }
      expect(requests()).toBe(before)
      expect(() => createIngestionJobsClient({ apiKey: API_KEY, maxResponseBytes: 0 })).toThrow(
        IngestionError.InvalidInput
      )
      expect(requests()).toBe(before)
    })
  )

  it("the Promise client rejects with it; a wait whose job's GET answers a huge body ends with it", async () => {
    const { control } = world.simulator
    const options = { apiKey: API_KEY, baseUrl: world.simulator.baseUrl, maxResponseBytes: LIMIT }
    control.injectFault({ kind: "huge-body", route: "get", jobId: "job_abc123" })
    const call = createIngestionJobsClient(options).get("kb_abc123", "job_abc123")
    tooLarge(await call.catch((error: unknown) => error))
    await control.waitForRequests(1, { filter: { outcome: "aborted" } })

    // A running job: the wait polls it with GETs, and its first one is cut off.
    control.clearRequests()
    control.injectFault({
      kind: "huge-body",
      route: "get",
      jobId: "job_def456",
      times: Number.POSITIVE_INFINITY
    })
    const wait = waitForIngestionJob({ ...options, knowledgeBaseId: "kb_abc123", jobId: "job_def456" })
    const ended = tooLarge(await wait.catch((error: unknown) => error))
    expect(ended.url).toContain("/ingestion-jobs/job_def456")
    const [record] = await control.waitForRequests(1, { filter: { outcome: "aborted" } })
    expect(record?.bodyBytes).toBeLessThan(SENT_AT_MOST)
    expect(control.requests.map((request) => request.route)).toStrictEqual(["get"])
    nothingPending()
  })
})
