import { afterAll, beforeAll, beforeEach, describe, expect, it } from "@effect/vitest"
import {
  type IngestionJob,
  IngestionJobs,
  PollSchedule,
  Wait,
  WaitEngine,
  type WaitError
} from "@tensoras/ingestion"
import { NodeSimulator } from "@tensoras/ingestion-testkit"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import * as Layer from "effect/Layer"
import * as Queue from "effect/Queue"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/testing/TestClock"
import { eventually, sleepScheduledAt } from "./utils/clock.js"

const API_KEY = "tns_canary_poller_71d0"

let simulator: NodeSimulator.RunningSimulator
beforeAll(async () => {
  simulator = await NodeSimulator.start({ scenario: "docs", apiKey: API_KEY, clock: "manual" })
})
afterAll(() => simulator.close())
beforeEach(() => simulator.control.setScenario("docs"))

// Built per test: the simulator's port is known only once it has started.
const provideClient = <A, E>(
  effect: Effect.Effect<A, E, WaitEngine.WaitEngine | IngestionJobs.IngestionJobs>
) =>
  Effect.suspend(() =>
    Effect.provide(
      effect,
      WaitEngine.layer().pipe(
        Layer.provideMerge(
          IngestionJobs.layer({
            apiKey: Redacted.make(API_KEY),
            baseUrl: simulator.baseUrl,
            retrySchedule: Schedule.max([Schedule.exponential("100 millis"), Schedule.recurs(3)])
          })
        ),
        Layer.provide(FetchHttpClient.layer)
      )
    )
  )

/** Every event a wait hears, and how it ended: the engine's own listener, as a stream. */
const eventsOf = (knowledgeBaseId: string, jobId: string, options: WaitEngine.WaitOptions = {}) =>
  Stream.callback<WaitEngine.WaitEvent, unknown, WaitEngine.WaitEngine>((queue) =>
    Effect.flatMap(WaitEngine.WaitEngine, (engine) =>
      Effect.acquireRelease(
        engine.register(knowledgeBaseId, jobId, options, {
          onEvent: (event) => void Queue.offerUnsafe(queue, event),
          onExit: (exit) => {
            if (exit._tag === "Success") Queue.endUnsafe(queue)
            else Queue.failCauseUnsafe(queue, exit.cause)
          }
        }),
        (registration) => registration.leave
      )
    )
  )

/** The test clock starts where the simulator's clock is, so both agree on "now". */
const alignClocks = Effect.suspend(() => TestClock.setTime(simulator.control.now()))

/** Moves both clocks to `at`: first the simulated world, then the client's time. */
const moveTo = (at: number) =>
  Effect.gen(function* () {
    const now = yield* Clock.currentTimeMillis
    simulator.control.advance(at - now)
    yield* TestClock.setTime(at)
  })

const getTimes = () => simulator.control.requests.filter((r) => r.route === "get").map((r) => r.at)

/**
 * Waits until the server has received a request after the `sent` it had: a request is sent on the
 * real event loop, so the clocks must not move on before it arrives (the server would log it later).
 * Effect 4's `TestClock` returns from `setTime` once the fibers it woke are suspended, the request
 * on its way; a sleep until the deadline (the attempt's own timer) is already there meanwhile.
 */
const received = (sent: number) => eventually(() => getTimes().length > sent)

/** Waits for the poller to schedule its next poll at `at`, lets that much time pass, and waits for the poll to arrive. */
const nextPollAt = (at: number) =>
  Effect.gen(function* () {
    yield* sleepScheduledAt(at)
    const sent = getTimes().length
    yield* moveTo(at)
    yield* received(sent)
  })

describe("Wait", () => {
  it.effect("polls at once, then at the schedule's exact delays, until the job is terminal", () =>
    Effect.gen(function* () {
      yield* alignClocks
      const t0 = yield* Clock.currentTimeMillis
      const terminalAt = simulator.control.jobTerminalAt("kb_abc123", "job_def456")
      const fiber = yield* Effect.forkChild(
        Stream.runCollect(eventsOf("kb_abc123", "job_def456", { schedule: PollSchedule.fixed("5 seconds") }))
      )
      const polls = Math.ceil((terminalAt - t0) / 5000)
      for (let i = 1; i <= polls; i++) yield* nextPollAt(t0 + i * 5000)
      const events = yield* Fiber.join(fiber)

      expect(getTimes()).toStrictEqual(Array.from({ length: polls + 1 }, (_, i) => t0 + i * 5000))
      const last = events.at(-1)
      expect(last?._tag).toBe("Polled")
      if (last?._tag !== "Polled") return
      expect(last.job.status).toBe("completed")
      expect(last.nextPollAt).toBeNull()
      expect((last.job as { document_details?: ReadonlyArray<unknown> }).document_details?.length).toBe(20)
      expect(events.filter((e) => e._tag === "Polled").length).toBe(polls + 1)
    }).pipe(provideClient)
  )

  it.effect("watch emits the job only when it changed, and ends with the terminal job", () =>
    Effect.gen(function* () {
      yield* alignClocks
      const t0 = yield* Clock.currentTimeMillis
      // A frozen job: no progress for 3 polls, then the clock jumps to the end.
      const fiber = yield* Effect.forkChild(
        Stream.runCollect(Wait.watch("kb_abc123", "job_def456", { schedule: PollSchedule.fixed("1 second") }))
      )
      yield* sleepScheduledAt(t0 + 1000)
      yield* TestClock.setTime(t0 + 1000) // the simulator does not move: same job
      yield* sleepScheduledAt(t0 + 2000)
      yield* TestClock.setTime(t0 + 2000)
      yield* sleepScheduledAt(t0 + 3000)
      simulator.control.advanceToTerminal("kb_abc123", "job_def456")
      yield* TestClock.setTime(t0 + 3000)
      const jobs = yield* Fiber.join(fiber)
      expect(jobs.map((job) => job.status)).toStrictEqual(["processing", "completed"])
      expect(getTimes().length).toBe(4)
      // Polled by GET while running: the progress counted from `document_details` comes along.
      const [running, terminal] = jobs as [(typeof jobs)[number], (typeof jobs)[number]]
      expect("document_details" in running).toBe(false)
      expect(running.documents).toStrictEqual({
        ended: running.documents_processed + running.documents_failed,
        total:
          "document_details" in terminal
            ? (terminal as IngestionJob.IngestionJobDetail).document_details.length
            : -1
      })
    }).pipe(provideClient)
  )

  it.effect("waitFor succeeds with the completed job, its document_details, and partial: false", () =>
    Effect.gen(function* () {
      const job = yield* Wait.waitFor("kb_abc123", "job_abc123")
      expect(job.status).toBe("completed")
      expect(job.partial).toBe(false)
      expect(job.chunks_created).toBe(482)
      expect(job.document_details.length).toBe(15)
      expect(getTimes().length).toBe(1) // the first response was already terminal
    }).pipe(provideClient)
  )

  it.effect("a completed job with failed documents is a partial success that lists them", () =>
    Effect.gen(function* () {
      simulator.control.setScenario("partial")
      simulator.control.advanceToTerminal("kb_partial", "job_partial")
      const job = yield* Wait.waitFor("kb_partial", "job_partial")
      expect(job.partial).toBe(true)
      if (!job.partial) return
      expect(job.failedDocuments.length).toBe(job.documents_failed)
      expect(job.failedDocuments.every((d) => d.error !== null)).toBe(true)
    }).pipe(provideClient)
  )

  it.effect("a failed job fails the wait with IngestionJobFailed, carrying the job and its error", () =>
    Effect.gen(function* () {
      simulator.control.setScenario("failing")
      const final = simulator.control.advanceToTerminal("kb_failing", "job_failing")
      const error = yield* Effect.flip(Wait.waitFor("kb_failing", "job_failing"))
      expect(error._tag).toBe("IngestionJobFailed")
      if (error._tag !== "IngestionJobFailed") return
      expect(error.job.status).toBe("failed")
      expect(error.job.error?.code).toBe(final.error?.code)
      expect(error.message).toBe(final.error?.message)
    }).pipe(provideClient)
  )

  it.effect("the deadline fails the wait with WaitTimeout: the last job and what was observed", () =>
    Effect.gen(function* () {
      yield* alignClocks
      const t0 = yield* Clock.currentTimeMillis
      simulator.control.injectFault({ kind: "server-error", status: 503, route: "get" })
      const fiber = yield* Effect.forkChild(
        Effect.flip(
          Wait.waitFor("kb_abc123", "job_def456", {
            schedule: PollSchedule.fixed("4 seconds"),
            timeout: "10 seconds"
          })
        )
      )
      // The first request gets a 503, retried after 100 ms; then polls at +4.1 s and +8.1 s.
      yield* sleepScheduledAt(t0 + 100)
      yield* TestClock.setTime(t0 + 100)
      yield* nextPollAt(t0 + 4100)
      yield* nextPollAt(t0 + 8100)
      // The next poll (+12.1 s) would be past the deadline: the loop wakes at the deadline instead.
      yield* sleepScheduledAt(t0 + 10000)
      yield* moveTo(t0 + 10000)
      const error = yield* Fiber.join(fiber)
      expect(error._tag).toBe("WaitTimeout")
      if (error._tag !== "WaitTimeout") return
      expect(error.elapsedMs).toBe(10000)
      expect(error.lastJob?.status).toBe("processing")
      expect(error.observed).toStrictEqual({
        responses: 3,
        retries: 1,
        statuses: { processing: 3 },
        httpStatuses: { "200": 3, "503": 1 }
      })
      expect(getTimes().length).toBe(4) // no request after the deadline
    }).pipe(provideClient)
  )

  it.effect("a poll due at the deadline is not made: the deadline is checked before every request", () =>
    Effect.gen(function* () {
      yield* alignClocks
      const t0 = yield* Clock.currentTimeMillis
      let answers = 0
      const fiber = yield* Effect.forkChild(
        Effect.flip(
          Wait.waitFor("kb_abc123", "job_def456", {
            schedule: PollSchedule.fixed("5 seconds"),
            timeout: "5 seconds",
            onUpdate: () => answers++
          })
        )
      )
      // The first answer is handled (the loop's timer is the deadline's from the start: wait for the answer itself).
      yield* eventually(() => answers === 1)
      yield* sleepScheduledAt(t0 + 5000)
      simulator.control.advanceToTerminal("kb_abc123", "job_def456")
      // The poll and the deadline are due at the same instant: the deadline wins, nothing is sent.
      yield* TestClock.setTime(t0 + 5000)
      const error = yield* Fiber.join(fiber)
      expect(error).toMatchObject({ _tag: "WaitTimeout", reason: "deadline", elapsedMs: 5000 })
      expect(getTimes()).toStrictEqual([t0])
    }).pipe(provideClient)
  )

  it.effect("when a poll and the deadline are both overdue (a blocked event loop), the deadline wins", () =>
    Effect.gen(function* () {
      yield* alignClocks
      // A clock that can jump ahead while no timer fires: what a long synchronous task or GC
      // pause does to a real event loop. TestClock alone would fire each timer at its own instant.
      const testClock = yield* Clock.Clock
      let blockedMs = 0
      const blockable: Clock.Clock = {
        currentTimeMillis: Effect.map(testClock.currentTimeMillis, (now) => now + blockedMs),
        currentTimeMillisUnsafe: () => testClock.currentTimeMillisUnsafe() + blockedMs,
        currentTimeNanos: Effect.map(
          testClock.currentTimeNanos,
          (now) => now + BigInt(blockedMs) * 1_000_000n
        ),
        currentTimeNanosUnsafe: () => testClock.currentTimeNanosUnsafe() + BigInt(blockedMs) * 1_000_000n,
        monotonicTimeNanos: Effect.map(
          testClock.monotonicTimeNanos,
          (now) => now + BigInt(blockedMs) * 1_000_000n
        ),
        monotonicTimeNanosUnsafe: () => testClock.monotonicTimeNanosUnsafe() + BigInt(blockedMs) * 1_000_000n,
        sleep: (duration) => testClock.sleep(duration)
      }
      const t0 = yield* Clock.currentTimeMillis
      let answers = 0
      const fiber = yield* Effect.forkChild(
        Effect.provideService(
          Effect.flip(
            Wait.waitFor("kb_abc123", "job_def456", {
              schedule: PollSchedule.fixed("100 millis"),
              timeout: "300 millis",
              onUpdate: () => answers++
            })
          ),
          Clock.Clock,
          blockable
        )
      )
      yield* eventually(() => answers === 1)
      yield* sleepScheduledAt(t0 + 100)
      // The loop is blocked for 400 ms: when the poll's timer finally fires, the clock reads +500 ms.
      blockedMs = 400
      simulator.control.advance(500)
      yield* TestClock.adjust("100 millis")
      const error = yield* Fiber.join(fiber)
      expect(error).toMatchObject({ _tag: "WaitTimeout", reason: "deadline", elapsedMs: 500 })
      // Nothing went out after the deadline: a later request of ours is the next the server sees.
      yield* IngestionJobs.get("kb_abc123", "job_abc123")
      expect(simulator.control.requests.map((r) => [r.jobId, r.at])).toStrictEqual([
        ["job_def456", t0],
        ["job_abc123", t0 + 500]
      ])
    }).pipe(provideClient)
  )

  it.effect("a client retry whose delay would end past the deadline is not attempted", () =>
    Effect.gen(function* () {
      yield* alignClocks
      const t0 = yield* Clock.currentTimeMillis
      // Every answer is a 503: the client retries after 100, 200, 400 ms (its schedule here).
      simulator.control.injectFault({ kind: "server-error", status: 503, route: "get", times: Infinity })
      const fiber = yield* Effect.forkChild(
        Effect.flip(Wait.waitFor("kb_abc123", "job_def456", { timeout: "250 millis" }))
      )
      yield* sleepScheduledAt(t0 + 100)
      yield* moveTo(t0 + 100)
      yield* received(1)
      // The next retry would be at +300 ms, past the deadline: the wait ends at +250 ms instead.
      yield* sleepScheduledAt(t0 + 250)
      yield* moveTo(t0 + 250)
      const error = yield* Fiber.join(fiber)
      expect(error).toMatchObject({ _tag: "WaitTimeout", elapsedMs: 250 })
      yield* TestClock.adjust("1 minute")
      expect(getTimes()).toStrictEqual([t0, t0 + 100])
    }).pipe(provideClient)
  )

  it.effect("Retry-After wins over the client's retry delay, and the wait reports it", () =>
    Effect.gen(function* () {
      yield* alignClocks
      const t0 = yield* Clock.currentTimeMillis
      simulator.control.injectFault({ kind: "rate-limit", retryAfter: 7, route: "get" })
      const fiber = yield* Effect.forkChild(
        Stream.runCollect(eventsOf("kb_abc123", "job_abc123", { schedule: PollSchedule.fixed() }))
      )
      yield* sleepScheduledAt(t0 + 7000)
      yield* TestClock.setTime(t0 + 7000)
      const events = yield* Fiber.join(fiber)
      expect(events[0]).toMatchObject({ _tag: "Retrying", attempt: 1, delayMs: 7000, at: t0 })
      expect(events[0]?._tag === "Retrying" && events[0].error._tag).toBe("RateLimited")
      expect(events[1]).toMatchObject({ _tag: "Polled", at: t0 + 7000 })
    }).pipe(provideClient)
  )

  it.effect("progress-aware polling reports a stalled job", () =>
    Effect.gen(function* () {
      yield* alignClocks
      const t0 = yield* Clock.currentTimeMillis
      const schedule = PollSchedule.progressive({
        jitter: 0,
        fast: "1 second",
        max: "1 second",
        stallAfter: "2 seconds"
      })
      const fiber = yield* Effect.forkChild(
        eventsOf("kb_abc123", "job_def456", { schedule }).pipe(
          Stream.filter((e) => e._tag === "Polled"),
          Stream.take(4),
          Stream.runCollect
        )
      )
      for (const at of [1000, 2000, 3000]) {
        yield* sleepScheduledAt(t0 + at)
        yield* TestClock.setTime(t0 + at) // the job does not move
      }
      const polled = yield* Fiber.join(fiber)
      expect(polled.map((e) => e._tag === "Polled" && e.stalled)).toStrictEqual([false, false, true, true])
    }).pipe(provideClient)
  )

  it.effect(
    "an unknown status keeps the wait going on the schedule until the deadline, never a hot loop",
    () =>
      Effect.gen(function* () {
        yield* alignClocks
        const t0 = yield* Clock.currentTimeMillis
        simulator.control.injectFault({ kind: "unknown-status", route: "get", times: Infinity })
        const fiber = yield* Effect.forkChild(
          Effect.flip(
            Wait.waitFor("kb_abc123", "job_abc123", {
              schedule: PollSchedule.backoff({ jitter: 0, initial: "1 second", factor: 2 }),
              timeout: "10 seconds"
            })
          )
        )
        yield* nextPollAt(t0 + 1000)
        yield* nextPollAt(t0 + 3000)
        yield* nextPollAt(t0 + 7000)
        yield* sleepScheduledAt(t0 + 10000)
        yield* moveTo(t0 + 10000)
        const error = yield* Fiber.join(fiber)
        expect(error._tag).toBe("WaitTimeout")
        if (error._tag !== "WaitTimeout") return
        expect(error.observed.statuses).toStrictEqual({ paused: 4 })
        expect(getTimes()).toStrictEqual([t0, t0 + 1000, t0 + 3000, t0 + 7000])
      }).pipe(provideClient)
  )

  it.effect("a job that does not exist fails at once with NotFound", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(Wait.waitFor("kb_abc123", "job_missing"))
      expect(error).toMatchObject({ _tag: "NotFound", code: "ingestion_job_not_found" })
      expect(getTimes().length).toBe(1)
    }).pipe(provideClient)
  )

  it.effect("bad input fails before any request", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(Wait.waitFor("kb_abc123", "job/1"))
      expect(error).toMatchObject({ _tag: "InvalidInput", param: "jobId" })
      const timeout = yield* Effect.flip(Wait.waitFor("kb_abc123", "job_1", { timeout: -1 }))
      expect(timeout).toMatchObject({ _tag: "InvalidInput", param: "timeout" })
      expect(simulator.control.requestCount()).toBe(0)
    }).pipe(provideClient)
  )

  it.effect("interrupting a wait aborts the request in flight and sends nothing more", () =>
    Effect.gen(function* () {
      simulator.control.injectFault({ kind: "hang" })
      const fiber = yield* Effect.forkChild(Wait.waitFor("kb_abc123", "job_def456"))
      yield* eventually(() => simulator.control.requestCount() === 1)
      yield* Fiber.interrupt(fiber)
      yield* eventually(() => simulator.control.requests[0]?.outcome === "hung")
      yield* TestClock.adjust("1 hour")
      expect(simulator.control.requestCount()).toBe(1)
    }).pipe(provideClient)
  )

  it.effect("a resumed wait keeps its absolute deadline", () =>
    Effect.gen(function* () {
      yield* alignClocks
      const t0 = yield* Clock.currentTimeMillis
      const fiber = yield* Effect.forkChild(
        Effect.flip(
          Wait.waitFor("kb_abc123", "job_def456", {
            schedule: PollSchedule.fixed("5 seconds"),
            deadline: t0 + 3000
          })
        )
      )
      yield* sleepScheduledAt(t0 + 3000)
      yield* moveTo(t0 + 3000)
      const error = yield* Fiber.join(fiber)
      expect(error).toMatchObject({ _tag: "WaitTimeout", elapsedMs: 3000 })
    }).pipe(provideClient)
  )
})

describe("Wait: outcomes as precise as the behaviour (1.1)", () => {
  it.effect("onRetry hears each retry of the requests that serve the wait, and the wait goes on", () =>
    Effect.gen(function* () {
      yield* alignClocks
      const t0 = yield* Clock.currentTimeMillis
      simulator.control.injectFault({ kind: "rate-limit", retryAfter: 2, route: "get" })
      const retries: Array<WaitEngine.Retrying> = []
      const fiber = yield* Effect.forkChild(
        Wait.waitFor("kb_abc123", "job_abc123", { onRetry: (retry) => void retries.push(retry) })
      )
      yield* sleepScheduledAt(t0 + 2000)
      yield* TestClock.setTime(t0 + 2000)
      const job = yield* Fiber.join(fiber)
      expect(job.status).toBe("completed")
      expect(retries).toHaveLength(1)
      expect(retries[0]).toMatchObject({ _tag: "Retrying", attempt: 1, delayMs: 2000, at: t0 })
      expect(retries[0]?.error._tag).toBe("RateLimited")
    }).pipe(provideClient)
  )

  it.effect("watch, waitForAll and watchAll tell their retries too", () =>
    Effect.gen(function* () {
      yield* alignClocks
      const t0 = yield* Clock.currentTimeMillis
      simulator.control.injectFault({ kind: "server-error", status: 503, retryAfter: 1, route: "get" })
      const heard: Array<string> = []
      const onRetry = (retry: WaitEngine.Retrying) => void heard.push(retry.error._tag)
      const fiber = yield* Effect.forkChild(
        Effect.all(
          [
            Stream.runCollect(Wait.watch("kb_abc123", "job_abc123", { onRetry })),
            Wait.waitForAll("kb_abc123", ["job_abc123"], { onRetry }),
            Stream.runCollect(Wait.watchAll("kb_abc123", ["job_abc123"], { onRetry }))
          ],
          { concurrency: "unbounded" }
        )
      )
      yield* sleepScheduledAt(t0 + 1000)
      yield* TestClock.setTime(t0 + 1000)
      const [watched, all, updates] = yield* Fiber.join(fiber)
      expect(watched.at(-1)?.status).toBe("completed")
      expect(all[0]?._tag).toBe("Success")
      expect(updates.at(-1)?._tag).toBe("Ended")
      // One GET serves the three waits of the job: its retry is told to each.
      expect(heard).toStrictEqual(["ServerError", "ServerError", "ServerError"])
    }).pipe(provideClient)
  )

  it.effect(
    "the error types list exactly what a wait ends with: no RateLimited, ServerError or TransportError",
    () =>
      Effect.gen(function* () {
        // The type checker pins the set: a tag more or less in either error type fails to compile.
        type Tags<T> =
          T extends Effect.Effect<unknown, infer E, unknown>
            ? E extends { readonly _tag: infer Tag }
              ? Tag
              : never
            : never
        type StreamTags<T> =
          T extends Stream.Stream<unknown, infer E, unknown>
            ? E extends { readonly _tag: infer Tag }
              ? Tag
              : never
            : never
        const waitFor: Record<Tags<ReturnType<typeof Wait.waitFor>>, true> = {
          InvalidInput: true,
          Unauthorized: true,
          Forbidden: true,
          NotFound: true,
          InvalidRequest: true,
          ResponseDecodeError: true,
          Unreachable: true,
          IngestionJobFailed: true,
          WaitTimeout: true
        }
        const watch: Record<StreamTags<ReturnType<typeof Wait.watch>>, true> = {
          InvalidInput: true,
          Unauthorized: true,
          Forbidden: true,
          NotFound: true,
          InvalidRequest: true,
          ResponseDecodeError: true,
          Unreachable: true,
          WaitTimeout: true
        }
        const handled: Record<WaitError.WaitError["_tag"], true> = waitFor
        expect(Object.keys(handled)).toHaveLength(9)
        expect(Object.keys(watch)).toHaveLength(8)
        // At run time too: a job that does not exist is NotFound, with what is missing typed.
        const error = yield* Effect.flip(Wait.waitFor("kb_abc123", "job_missing"))
        expect(error._tag === "NotFound" && error.missing).toBe("job")
        const gone = yield* Effect.flip(Wait.waitFor("kb_missing", "job_abc123"))
        expect(gone._tag === "NotFound" && gone.missing).toBe("knowledgeBase")
      }).pipe(provideClient)
  )
})
