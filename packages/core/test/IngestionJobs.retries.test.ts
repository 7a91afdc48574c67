import { describe, expect, it } from "@effect/vitest"
import { IngestionJobs } from "@tensoras/ingestion"
import { NodeServer } from "@tensoras/ingestion-testkit"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/testing/TestClock"
import { systemCode } from "../src/internal/response.js"
import { eventually, sleepScheduledAt } from "./utils/clock.js"
import { API_KEY, failure, useSimulator } from "./utils/ingestionJobs.js"

const world = useSimulator()
const { client, requests } = world

describe("IngestionJobs", () => {
  describe("retries", () => {
    it.effect("retries a 429 after exactly the Retry-After seconds it asked for", () =>
      Effect.gen(function* () {
        world.simulator.control.injectFault({
          kind: "rate-limit",
          retryAfter: 7,
          retryAfterFormat: "seconds"
        })
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
        yield* TestClock.setTime(world.simulator.control.now())
        const start = world.simulator.control.now()
        world.simulator.control.injectFault({
          kind: "rate-limit",
          retryAfter: 5,
          retryAfterFormat: "http-date"
        })
        const fiber = yield* Effect.forkChild(IngestionJobs.list("kb_abc123"))
        yield* sleepScheduledAt(start + 5_000)
        yield* TestClock.adjust("5 seconds")
        const page = yield* Fiber.join(fiber)
        expect(page.object).toBe("list")
      }).pipe(Effect.provide(client()))
    )

    it.effect("retries 503s on the schedule when it asks for longer than Retry-After", () =>
      Effect.gen(function* () {
        world.simulator.control.injectFault({ kind: "server-error", status: 503, times: 2, retryAfter: 0 })
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
        world.simulator.control.injectFault({ kind: "rate-limit", retryAfter: 3600 })
        const fiber = yield* Effect.forkChild(IngestionJobs.list("kb_abc123"))
        yield* sleepScheduledAt(2_000)
        yield* TestClock.adjust("2 seconds")
        yield* Fiber.join(fiber)
      }).pipe(Effect.provide(client({ maxRetryAfter: "2 seconds" })))
    )

    it.effect("gives up with the last transient error when the retries run out", () =>
      Effect.gen(function* () {
        world.simulator.control.injectFault({ kind: "server-error", status: 502, times: Infinity })
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
  })
})

describe("IngestionJobs", () => {
  describe("retries", () => {
    it.effect("retries a dropped connection as a TransportError", () =>
      Effect.gen(function* () {
        world.simulator.control.injectFault({ kind: "drop" })
        const fiber = yield* Effect.forkChild(IngestionJobs.list("kb_abc123"))
        yield* sleepScheduledAt(100)
        yield* TestClock.adjust("100 millis")
        expect((yield* Fiber.join(fiber)).object).toBe("list")
        expect(world.simulator.control.requests.at(-2)?.outcome).toBe("dropped")
      }).pipe(Effect.provide(client()))
    )

    it.effect("times out a hanging request, aborts it, and retries", () =>
      Effect.gen(function* () {
        world.simulator.control.injectFault({ kind: "hang" })
        const fiber = yield* Effect.forkChild(IngestionJobs.list("kb_abc123"))
        yield* sleepScheduledAt(1_000)
        yield* TestClock.adjust("1 second")
        yield* eventually(() => world.simulator.control.requests[0]?.outcome === "hung")
        yield* sleepScheduledAt(1_100)
        yield* TestClock.adjust("100 millis")
        expect((yield* Fiber.join(fiber)).object).toBe("list")
      }).pipe(Effect.provide(client({ requestTimeout: "1 second" })))
    )

    it.effect("without retries, a timeout is a TransportError with reason Timeout", () =>
      Effect.gen(function* () {
        world.simulator.control.injectFault({ kind: "hang" })
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
        world.simulator.control.injectFault({ kind: "hang" })
        const fiber = yield* Effect.forkChild(IngestionJobs.list("kb_abc123"))
        yield* eventually(() => world.simulator.control.requests.length === 1)
        yield* Fiber.interrupt(fiber)
        yield* eventually(() => world.simulator.control.requests[0]?.outcome === "hung")
      }).pipe(Effect.provide(client()))
    it.effect("interrupting a call aborts the request in flight", interruptAborts)
    it.live("on the real clock, interrupting a call aborts the request in flight", interruptAborts)

    // On the live clock a request's timeout is a plain timer that aborts it (no fiber per attempt):
    // the same behaviour, on real time. The timeout is short; the test waits for the outcome itself.
    it.live("on the real clock, a hanging request times out as TransportError Timeout and is aborted", () =>
      Effect.gen(function* () {
        world.simulator.control.injectFault({ kind: "hang" })
        const error = yield* failure(IngestionJobs.list("kb_abc123"))
        expect(error).toMatchObject({ _tag: "TransportError", reason: "Timeout" })
        yield* eventually(() => world.simulator.control.requests[0]?.outcome === "hung")
      }).pipe(Effect.provide(client({ requestTimeout: "200 millis", retrySchedule: Schedule.recurs(0) })))
    )

    it.live("on the real clock, a deadline cuts the attempt as TransportError Deadline", () =>
      Effect.gen(function* () {
        world.simulator.control.injectFault({ kind: "hang" })
        const deadline = Date.now() + 200
        const error = yield* failure(IngestionJobs.poll("kb_abc123", "job_abc123", { deadline }))
        expect(error).toMatchObject({ _tag: "TransportError", reason: "Deadline" })
        expect(Date.now()).toBeGreaterThanOrEqual(deadline)
      }).pipe(Effect.provide(client()))
    )
  })
})

const closedPort = () => Effect.promise(NodeServer.closedPort)

/** Retries at once, `n` times: real connection refusals, no delay to wait for. */
const retriesAtOnce = (n: number) => Schedule.recurs(n)

describe("IngestionJobs", () => {
  describe("a service that never answers: Unreachable", () => {
    it.live("gives up after unreachableAfter attempts without a response, naming the cause", () =>
      Effect.gen(function* () {
        const port = yield* closedPort()
        const error = yield* failure(
          IngestionJobs.get("kb_abc123", "job_abc123").pipe(
            Effect.provide(
              world.client({
                baseUrl: `http://127.0.0.1:${port}/v1`,
                retrySchedule: retriesAtOnce(10),
                unreachableAfter: 3
              })
            )
          )
        )
        expect(error).toMatchObject({
          _tag: "Unreachable",
          reason: "Network",
          code: "ECONNREFUSED",
          attempts: 3,
          method: "GET"
        })
        expect(error.isTransient).toBe(false)
        expect(error.message).toContain(`ECONNREFUSED 127.0.0.1:${port}`)
        expect(error.message).toContain(`http://127.0.0.1:${port}/v1/`)
      })
    )

    it.live("by default after 6 attempts, the first request's and its 5 retries; Infinity never", () =>
      Effect.gen(function* () {
        const port = yield* closedPort()
        const baseUrl = `http://127.0.0.1:${port}/v1`
        const byDefault = yield* failure(
          IngestionJobs.list("kb_abc123").pipe(
            Effect.provide(world.client({ baseUrl, retrySchedule: retriesAtOnce(10) }))
          )
        )
        expect(byDefault).toMatchObject({ _tag: "Unreachable", attempts: 6 })
        // Later calls of that client give up at their first attempt without an answer.
        const client = world.client({ baseUrl, retrySchedule: retriesAtOnce(10), unreachableAfter: 2 })
        const [first, second] = yield* Effect.all(
          [failure(IngestionJobs.list("kb_abc123")), failure(IngestionJobs.list("kb_abc123"))],
          { concurrency: 1 }
        ).pipe(Effect.provide(Layer.fresh(client)))
        expect([
          first._tag === "Unreachable" && first.attempts,
          second._tag === "Unreachable" && second.attempts
        ]).toStrictEqual([2, 3])
        const never = yield* failure(
          IngestionJobs.list("kb_abc123").pipe(
            Effect.provide(
              world.client({ baseUrl, retrySchedule: retriesAtOnce(7), unreachableAfter: Infinity })
            )
          )
        )
        expect(never).toMatchObject({ _tag: "TransportError", reason: "Network", code: "ECONNREFUSED" })
      })
    )

    it.live("a service that accepts connections but never answers: reason Timeout", () =>
      Effect.gen(function* () {
        world.simulator.control.injectFault({ kind: "hang", times: Number.POSITIVE_INFINITY })
        const error = yield* failure(
          IngestionJobs.list("kb_abc123").pipe(
            Effect.provide(
              world.client({
                requestTimeout: "50 millis",
                retrySchedule: retriesAtOnce(5),
                unreachableAfter: 2
              })
            )
          )
        )
        expect(error).toMatchObject({ _tag: "Unreachable", reason: "Timeout", attempts: 2 })
        expect(error).not.toHaveProperty("code")
        yield* eventually(
          () => world.simulator.control.requests.filter((r) => r.outcome === "hung").length === 2
        )
      })
    )

    it.live("once the service answered (any status), an outage is retried as before, never Unreachable", () =>
      Effect.gen(function* () {
        world.simulator.control.injectFault({ kind: "server-error", status: 503, times: 1 })
        world.simulator.control.injectFault({ kind: "drop", times: Number.POSITIVE_INFINITY })
        const error = yield* failure(IngestionJobs.list("kb_abc123"))
        // The 503 was an answer: the drops after it are a TransportError once the retries ran out.
        expect(error).toMatchObject({ _tag: "TransportError", reason: "Network" })
        expect(world.simulator.control.requestCount()).toBe(4)
      }).pipe(Effect.provide(world.client({ retrySchedule: retriesAtOnce(3), unreachableAfter: 1 })))
    )

    it.effect("unreachableAfter must be a whole number of at least 1, or Infinity", () =>
      Effect.gen(function* () {
        for (const unreachableAfter of [0, 1.5, -1, Number.NaN, "6" as unknown as number]) {
          const error = yield* Effect.flip(
            IngestionJobs.list("kb_abc123").pipe(Effect.provide(world.client({ unreachableAfter })))
          )
          expect(error).toMatchObject({ _tag: "InvalidInput", param: "unreachableAfter" })
        }
        expect(world.simulator.control.requestCount()).toBe(0)
      })
    )

    it("the system's code is found where the platforms put it, or not at all", () => {
      const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:9"), { code: "ECONNREFUSED" })
      // undici's Dispatcher: the error itself; Node's fetch: the cause of a TypeError; a host with
      // several addresses: an AggregateError (of one error per address) as the cause.
      expect(systemCode(refused)).toBe("ECONNREFUSED")
      expect(systemCode(new TypeError("fetch failed", { cause: refused }))).toBe("ECONNREFUSED")
      const aggregate = Object.assign(new AggregateError([refused]), { code: "ECONNREFUSED" })
      expect(systemCode(new TypeError("fetch failed", { cause: aggregate }))).toBe("ECONNREFUSED")
      expect(systemCode(new TypeError("fetch failed", { cause: new AggregateError([refused]) }))).toBe(
        "ECONNREFUSED"
      )
      expect(systemCode(Object.assign(new Error("other side closed"), { code: "UND_ERR_SOCKET" }))).toBe(
        "UND_ERR_SOCKET"
      )
      // Browsers and Deno say nothing more than this; an error's code that is not a system's is none.
      expect(systemCode(new TypeError("Failed to fetch"))).toBe(undefined)
      expect(systemCode(Object.assign(new Error("x"), { code: "not a system code" }))).toBe(undefined)
      expect(systemCode(Object.assign(new Error("x"), { code: 42 }))).toBe(undefined)
      expect(systemCode(undefined)).toBe(undefined)
    })
  })

  describe("debug lines and onRetry", () => {
    it.live("log: a line per attempt and per retry, with the cause, never the key", () =>
      Effect.gen(function* () {
        const lines: Array<string> = []
        world.simulator.control.injectFault({ kind: "server-error", status: 503, times: 1, route: "list" })
        const page = yield* IngestionJobs.list("kb_abc123", { status: "completed" }).pipe(
          Effect.provide(
            world.client({ retrySchedule: retriesAtOnce(1), log: (line) => void lines.push(line) })
          )
        )
        expect(page.data.length).toBe(1)
        const url = `GET ${world.simulator.baseUrl}/knowledge-bases/kb_abc123/ingestion-jobs?status=completed`
        expect(lines.map((line) => line.replace(/ in \d+ ms$/, " in N ms"))).toStrictEqual([
          `${url} → HTTP 503 service_unavailable in N ms`,
          "retry 1 in 0.0 s after HTTP 503 service_unavailable",
          `${url} → 200 in N ms`
        ])
        expect(lines.join("\n")).not.toContain(API_KEY)
      })
    )

    it.effect("log must be a function", () =>
      Effect.gen(function* () {
        const error = yield* Effect.flip(
          IngestionJobs.list("kb_abc123").pipe(Effect.provide(world.client({ log: "debug" as never })))
        )
        expect(error).toMatchObject({ _tag: "InvalidInput", param: "log" })
      })
    )

    it.live("listAll tells its pages' retries to onRetry", () =>
      Effect.gen(function* () {
        world.simulator.control.injectFault({ kind: "server-error", status: 502, times: 1 })
        const retries: Array<string> = []
        const jobs = yield* IngestionJobs.listAll("kb_abc123", {
          onRetry: (retry) => Effect.sync(() => retries.push(`${retry.error._tag} ${retry.attempt}`))
        }).pipe(Stream.runCollect)
        expect(jobs.length).toBe(2)
        expect(retries).toStrictEqual(["ServerError 1"])
      }).pipe(Effect.provide(world.client({ retrySchedule: retriesAtOnce(1) })))
    )
  })
})
