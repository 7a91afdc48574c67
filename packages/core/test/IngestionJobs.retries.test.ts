import { describe, expect, it } from "@effect/vitest"
import { IngestionJobs } from "@tensoras/ingestion"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Schedule from "effect/Schedule"
import * as TestClock from "effect/testing/TestClock"
import { eventually, sleepScheduledAt } from "./utils/clock.js"
import { failure, useSimulator } from "./utils/ingestionJobs.js"

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
