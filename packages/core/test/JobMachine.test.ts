import { readFileSync } from "node:fs"
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "@effect/vitest"
import { createInspector, type StatelyInspectionEvent } from "@statelyai/inspect"
import {
  IngestionError,
  type IngestionJob,
  IngestionJobs,
  PollSchedule,
  WaitEngine,
  WaitError
} from "@tensoras/ingestion"
import * as JobActor from "@tensoras/ingestion/JobActor"
import * as JobMachine from "@tensoras/ingestion/JobMachine"
import { Canary, NodeSimulator } from "@tensoras/ingestion-testkit"
import { getShortestPaths } from "@xstate/graph"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import * as TestClock from "effect/testing/TestClock"
import { createActor, type EventObject, fromCallback, type InspectionEvent, toPromise } from "xstate"
import { eventually, sleepScheduledAt } from "./utils/clock.js"

// A canary: if this string shows up in a snapshot, an event or an inspection event, the key leaked.
const API_KEY = "tns_canary_machine_7c2e9a41"

let simulator: NodeSimulator.RunningSimulator
beforeAll(async () => {
  simulator = await NodeSimulator.start({ scenario: "docs", apiKey: API_KEY, clock: "manual" })
})
afterAll(() => simulator.close())
beforeEach(() => simulator.control.setScenario("docs"))

/** The engine and the client against the simulator, retrying on a short, jitter-free schedule. */
const client = () =>
  WaitEngine.layer().pipe(
    Layer.provide(
      IngestionJobs.layer({
        apiKey: Redacted.make(API_KEY),
        baseUrl: simulator.baseUrl,
        retrySchedule: Schedule.max([Schedule.exponential("100 millis"), Schedule.recurs(3)])
      })
    ),
    Layer.provide(FetchHttpClient.layer)
  )

/** The machine as one `Effect`: an actor in a scope, and its typed outcome. */
const run = (knowledgeBaseId: string, jobId: string, options?: JobActor.StartOptions) =>
  Effect.scoped(Effect.flatMap(JobActor.start(knowledgeBaseId, jobId, options), JobActor.result))

/** The docs' cadence: every 5 seconds, on the test's clock. */
const everyFiveSeconds = PollSchedule.fixed("5 seconds")

/**
 * Starts an actor of the machine bound to the test's services (its `TestClock` included), and
 * stops it when the test ends.
 */
const running = (create: (machine: JobMachine.IngestionJobMachine) => JobMachine.JobActor) =>
  Effect.gen(function* () {
    const context = yield* Effect.context<WaitEngine.WaitEngine>()
    const machine = JobMachine.make(context, { schedule: everyFiveSeconds })
    return yield* Effect.acquireRelease(
      Effect.sync(() => create(machine).start()),
      (actor) => Effect.sync(() => actor.stop())
    )
  })

/** Aligns the test's clock with the simulator's, and returns that instant. */
const alignClocks = Effect.gen(function* () {
  const now = simulator.control.now()
  yield* TestClock.setTime(now)
  return now
})

/**
 * A fresh actor from a persisted snapshot (JSON). XState's types ask for the input as well; it is
 * not used when a snapshot is given, so the persisted context serves.
 */
const restore = (machine: JobMachine.IngestionJobMachine, saved: string): JobMachine.JobActor => {
  const snapshot = JSON.parse(saved)
  return createActor(machine, { snapshot, input: snapshot.context })
}

const requests = () => simulator.control.requestCount()

/** Renders anything as JSON, cycles included (inspection events hold actor references). */
const render = (value: unknown): string => {
  const seen = new WeakSet<object>()
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === "object" && v !== null) {
      if (seen.has(v)) return "[cycle]"
      seen.add(v)
    }
    return typeof v === "function" ? `[function ${v.name}]` : v
  })
}

describe("JobMachine", () => {
  describe("the lifecycle, checked transition by transition (the poller scripted)", () => {
    // The poller is replaced by a scripted actor that records its runs: the machine's own logic,
    // isolated. Events are sent the way the real poller sends them.
    const job = (status: IngestionJob.JobStatus): IngestionJob.IngestionJobDetail => ({
      id: "job_model",
      object: "ingestion_job",
      knowledge_base_id: "kb_model",
      data_source_id: "ds_model",
      status,
      documents_processed: 3,
      documents_failed: 0,
      chunks_created: 12,
      started_at: null,
      completed_at: null,
      created_at: 1_700_000_000,
      error: status === "failed" ? { message: "Embedding quota exceeded", code: "quota_exceeded" } : null,
      document_details: []
    })
    const polled = (status: IngestionJob.JobStatus, stalled = false): JobMachine.PolledEvent => {
      const terminal = status === "completed" || status === "failed"
      return {
        type: "POLLED",
        job: job(status),
        at: 5_000,
        changed: true,
        stalled,
        nextPollAt: terminal ? null : 10_000
      }
    }
    const retrying = (error: JobMachine.RetriedErrorData): JobMachine.RetryingEvent => ({
      type: "RETRYING",
      error,
      attempt: 1,
      delayMs: 2_000,
      at: 6_000
    })
    const notFound: JobMachine.ErrorData = {
      _tag: "NotFound",
      method: "GET",
      url: "http://127.0.0.1/v1/knowledge-bases/kb_model/ingestion-jobs/job_model",
      status: 404,
      code: "ingestion_job_not_found",
      message: "Ingestion job 'job_model' not found"
    }
    const observed = { responses: 4, retries: 1, statuses: { processing: 4 }, httpStatuses: { "200": 4 } }
    const crash = new Error("the poller threw")
    const events = [
      polled("queued"),
      polled("queued", true),
      polled("processing"),
      polled("processing", true),
      polled({ _tag: "UnknownStatus", raw: "paused" }),
      polled({ _tag: "UnknownStatus", raw: "paused" }, true),
      polled("completed"),
      polled("failed"),
      retrying({
        _tag: "RateLimited",
        method: "GET",
        url: "u",
        status: 429,
        message: "slow down",
        retryAfterMs: 2_000
      }),
      retrying({ _tag: "ServerError", method: "GET", url: "u", status: 503, message: "unavailable" }),
      retrying({ _tag: "TransportError", method: "GET", url: "u", reason: "Timeout", message: "no answer" }),
      {
        type: "TIMED_OUT",
        lastJob: job("processing"),
        elapsedMs: 60_000,
        observed,
        reason: "deadline",
        message: "late",
        at: 61_000
      },
      { type: "ERRORED", error: notFound },
      { type: "CANCEL" },
      // What XState sends when the invoked poller itself throws.
      { type: "xstate.error.actor.poller", error: crash } as unknown as JobMachine.Event
    ] satisfies ReadonlyArray<JobMachine.Event>

    const label = (event: JobMachine.Event): string => {
      switch (event.type) {
        case "POLLED":
          return `POLLED ${typeof event.job.status === "string" ? event.job.status : event.job.status.raw}${event.stalled ? " (stalled)" : ""}`
        case "RETRYING":
          return `RETRYING after ${event.error._tag}`
        default:
          return event.type
      }
    }

    type Value = string | { readonly watching: { readonly job: string; readonly watcher: string } }

    /** The lifecycle as documented, written independently of the machine: the oracle. */
    const expectedValue = (from: Exclude<Value, string>, event: EventObject): Value => {
      const e = event as JobMachine.Event | { type: "xstate.error.actor.poller" }
      switch (e.type) {
        case "POLLED": {
          const status = typeof e.job.status === "string" ? e.job.status : "unrecognised"
          if (status === "completed" || status === "failed") return status
          return { watching: { job: status, watcher: e.stalled ? "stalled" : "polling" } }
        }
        case "RETRYING":
          return {
            watching: {
              ...from.watching,
              watcher: e.error._tag === "RateLimited" ? "rateLimited" : "retrying"
            }
          }
        case "TIMED_OUT":
          return "timedOut"
        case "CANCEL":
          return "cancelled"
        case "ERRORED":
        case "xstate.error.actor.poller":
          return "errored"
      }
    }

    const expectedOutput = (
      event: EventObject,
      before: JobMachine.Context
    ): JobMachine.Output | undefined => {
      const e = event as JobMachine.Event | { type: "xstate.error.actor.poller" }
      switch (e.type) {
        case "POLLED":
          if (e.job.status === "completed")
            return {
              _tag: "Completed",
              job: { ...(e.job as IngestionJob.IngestionJobDetail), status: "completed", partial: false }
            }
          if (e.job.status === "failed")
            return { _tag: "Failed", job: e.job as IngestionJob.IngestionJobDetail, error: e.job.error }
          return undefined
        case "TIMED_OUT":
          return {
            _tag: "TimedOut",
            lastJob: e.lastJob,
            elapsedMs: e.at - before.startedAt,
            observed: e.observed,
            reason: e.reason,
            message: e.message
          }
        case "CANCEL":
          return { _tag: "Cancelled", lastJob: before.job }
        case "ERRORED":
          return { _tag: "Errored", error: e.error }
        case "xstate.error.actor.poller":
          return { _tag: "Errored", error: { _tag: "Defect", message: crash.message } }
        default:
          return undefined
      }
    }

    const input: JobMachine.Input = { knowledgeBaseId: "kb_model", jobId: "job_model", timeoutMs: 60_000 }

    /** The machine with a poller that records each run (its input) and each stop. */
    const scripted = () => {
      const runs: Array<JobMachine.PollerInput> = []
      let stops = 0
      const poller: JobMachine.PollerLogic = fromCallback<EventObject, JobMachine.PollerInput>(
        ({ input }) => {
          runs.push(input)
          return () => {
            stops++
          }
        }
      )
      const machine = JobMachine.ingestionJobMachine.provide({ actors: { poller } })
      return { machine, runs, stops: () => stops }
    }

    // A path to every state the machine can reach. Its context holds counters: states are told
    // apart by value only, or the traversal never ends.
    const { machine: model } = scripted()
    const paths = getShortestPaths(model, {
      events,
      input,
      serializeState: (snapshot) => JSON.stringify(snapshot.value)
    })

    it("reaches every documented state, and no other", () => {
      const reached = paths.map((path) => JSON.stringify(path.state.value)).sort()
      const watching = (job: string, watchers: ReadonlyArray<string>) =>
        watchers.map((watcher) => JSON.stringify({ watching: { job, watcher } }))
      const expected = [
        // Before the first answer only retries can happen; after it, the job is never unseen again.
        ...watching("unseen", ["starting", "retrying", "rateLimited"]),
        ...["queued", "processing", "unrecognised"].flatMap((job) =>
          watching(job, ["polling", "stalled", "retrying", "rateLimited"])
        ),
        ...["completed", "failed", "timedOut", "cancelled", "errored"].map((final) => JSON.stringify(final))
      ]
      expect(reached).toStrictEqual(expected.sort())
    })

    // Every transition: each reachable state that is not final, then each event from there, on a
    // live actor. (A final state is checked on the way in: its output.)
    const unsettled = paths.filter((path) => path.state.status === "active")
    describe.each(unsettled.map((path) => [JSON.stringify(path.state.value), path] as const))(
      "from %s",
      (_, path) => {
        it.each(events.map((event) => [label(event), event] as const))("on %s", (_label, event) => {
          const { machine, runs, stops } = scripted()
          const actor = createActor(machine, { input }).start()
          for (const step of path.steps.slice(1)) actor.send(step.event)
          const before = actor.getSnapshot()
          expect(before.value).toStrictEqual(path.state.value)

          actor.send(event)
          const after = actor.getSnapshot()

          const expected = expectedValue(before.value as Exclude<Value, string>, event)
          expect(after.value).toStrictEqual(expected)
          // The poller ran once, with the absolute deadline; it stops exactly when the wait settles.
          expect(runs).toStrictEqual([
            { knowledgeBaseId: "kb_model", jobId: "job_model", deadline: before.context.startedAt + 60_000 }
          ])
          const settled = typeof expected === "string"
          expect(stops()).toBe(settled ? 1 : 0)
          expect(after.status).toBe(settled ? "done" : "active")

          const e = event as JobMachine.Event
          expect(after.context.polls).toBe(before.context.polls + (e.type === "POLLED" ? 1 : 0))
          expect(after.context.retries).toBe(before.context.retries + (e.type === "RETRYING" ? 1 : 0))
          // The context keeps the job's status and counters; its documents go to the output only.
          if (e.type === "POLLED") {
            const { document_details: _documents, ...counters } = e.job as IngestionJob.IngestionJobDetail
            expect(after.context.job).toStrictEqual(counters)
          }
          if (e.type === "RETRYING") {
            expect(after.context.lastError).toStrictEqual(e.error)
            expect(after.context.nextPollAt).toBe(e.at + e.delayMs)
          }
          if (e.type === "POLLED" && !settled) expect(after.context.nextPollAt).toBe(e.nextPollAt)
          if (settled) {
            const output = expectedOutput(event, before.context)
            expect(after.output).toStrictEqual(output)
            expect(after.context.nextPollAt).toBeNull()
            // The outcome is the output's alone: the context holds no copy of it.
            expect(Object.keys(after.context).sort()).toStrictEqual(Object.keys(before.context).sort())
            expect(JSON.stringify(after.context)).not.toContain("document_details")
          } else {
            expect(after.output).toBeUndefined()
          }
          actor.stop()
        })
      }
    )

    it("counts its polls and retries, and keeps the last retried error", () => {
      const { machine } = scripted()
      const actor = createActor(machine, { input }).start()
      const rateLimited = events.find((e) => e.type === "RETRYING") as JobMachine.RetryingEvent
      for (const event of [polled("queued"), rateLimited, polled("processing"), polled("processing", true)]) {
        actor.send(event)
      }
      const { context, value } = actor.getSnapshot()
      expect(value).toStrictEqual({ watching: { job: "processing", watcher: "stalled" } })
      expect(context).toMatchObject({
        polls: 3,
        retries: 1,
        lastError: rateLimited.error,
        lastPolledAt: 5_000
      })
      actor.stop()
    })

    it("starts its clock and deadline when created; an absolute deadline wins over timeoutMs", () => {
      const { machine, runs } = scripted()
      const before = Date.now()
      const relative = createActor(machine, { input }).start()
      const { startedAt, deadline } = relative.getSnapshot().context
      expect(startedAt).toBeGreaterThanOrEqual(before)
      expect(deadline).toBe(startedAt + 60_000)

      const absolute = createActor(machine, { input: { ...input, deadline: 1_234 } }).start()
      expect(absolute.getSnapshot().context.deadline).toBe(1_234)
      expect(runs.at(-1)?.deadline).toBe(1_234)

      const byDefault = createActor(machine, { input: { knowledgeBaseId: "kb", jobId: "job" } }).start()
      const context = byDefault.getSnapshot().context
      expect(context.deadline - context.startedAt).toBe(30 * 60_000)
      for (const actor of [relative, absolute, byDefault]) actor.stop()
    })
  })

  describe("against the simulator, over HTTP", () => {
    it.effect("follows a job from processing to completed, then outputs the completed job", () =>
      Effect.gen(function* () {
        const start = yield* alignClocks
        const actor = yield* running((machine) =>
          createActor(machine, { input: { knowledgeBaseId: "kb_abc123", jobId: "job_def456" } })
        )
        expect(actor.getSnapshot().value).toStrictEqual({ watching: { job: "unseen", watcher: "starting" } })

        yield* eventually(() => actor.getSnapshot().context.polls === 1)
        const { value, context } = actor.getSnapshot()
        expect(value).toStrictEqual({ watching: { job: "processing", watcher: "polling" } })
        expect(context).toMatchObject({
          startedAt: start,
          deadline: start + 30 * 60_000,
          lastPolledAt: start,
          nextPollAt: start + 5_000,
          job: { status: "processing", documents_processed: 8, chunks_created: 245 }
        })

        simulator.control.advance(44_000) // the job completes on the server
        yield* sleepScheduledAt(start + 5_000)
        yield* TestClock.adjust("5 seconds")
        const output = yield* JobActor.output(actor)

        expect(actor.getSnapshot().value).toBe("completed")
        expect(output).toMatchObject({
          _tag: "Completed",
          job: { id: "job_def456", status: "completed", chunks_created: 542, partial: true }
        })
        if (output._tag === "Completed" && output.job.partial) {
          expect(output.job.failedDocuments.map((d) => d.document_name)).toStrictEqual([
            "legacy-manual-2019.pdf"
          ])
        }
        expect(requests()).toBe(2)
      }).pipe(Effect.provide(client()))
    )

    it.effect("ends `failed` with the job's error when the job fails", () =>
      Effect.gen(function* () {
        simulator.control.setScenario("failing")
        const start = yield* alignClocks
        const actor = yield* running((machine) =>
          createActor(machine, { input: { knowledgeBaseId: "kb_failing", jobId: "job_failing" } })
        )
        yield* eventually(() => actor.getSnapshot().context.polls === 1)
        expect(actor.getSnapshot().value).toMatchObject({ watching: { job: "queued" } })

        simulator.control.advance(6_000)
        yield* sleepScheduledAt(start + 5_000)
        yield* TestClock.adjust("5 seconds")
        const output = yield* JobActor.output(actor)

        expect(actor.getSnapshot().value).toBe("failed")
        expect(output).toMatchObject({
          _tag: "Failed",
          job: { status: "failed" },
          error: {
            message: "Embedding service unavailable after 3 attempts",
            code: "embedding_service_unavailable"
          }
        })
        const error = yield* Effect.flip(JobActor.fromOutput(output))
        expect(error).toBeInstanceOf(WaitError.IngestionJobFailed)
        expect(error.message).toBe("Embedding service unavailable after 3 attempts")
      }).pipe(Effect.provide(client()))
    )

    it.effect("ends `errored` with NotFound, as plain data, when the job does not exist", () =>
      Effect.gen(function* () {
        const actor = yield* running((machine) =>
          createActor(machine, { input: { knowledgeBaseId: "kb_abc123", jobId: "job_missing" } })
        )
        const output = yield* JobActor.output(actor)
        expect(actor.getSnapshot().value).toBe("errored")
        expect(output).toStrictEqual({
          _tag: "Errored",
          error: {
            _tag: "NotFound",
            method: "GET",
            url: `${simulator.baseUrl}/knowledge-bases/kb_abc123/ingestion-jobs/job_missing`,
            status: 404,
            type: "not_found_error",
            code: "ingestion_job_not_found",
            param: "job_id",
            message: "Ingestion job 'job_missing' not found"
          }
        })
        expect(actor.getSnapshot().context.lastError).toStrictEqual(output._tag === "Errored" && output.error)
        // Back in Effect, the plain data is the error class again.
        const error = yield* Effect.flip(JobActor.fromOutput(output))
        expect(error).toBeInstanceOf(IngestionError.NotFound)
        expect(requests()).toBe(1)
      }).pipe(Effect.provide(client()))
    )

    it.effect("ends `errored` with InvalidInput, before any request, when an ID is not acceptable", () =>
      Effect.gen(function* () {
        const actor = yield* running((machine) =>
          createActor(machine, { input: { knowledgeBaseId: "kb_abc123", jobId: "../admin" } })
        )
        const output = yield* JobActor.output(actor)
        expect(output).toMatchObject({ _tag: "Errored", error: { _tag: "InvalidInput", param: "jobId" } })
        expect(requests()).toBe(0)
      }).pipe(Effect.provide(client()))
    )

    it.effect("shows the client's retries: rateLimited for a 429 until Retry-After, retrying for a 503", () =>
      Effect.gen(function* () {
        const start = yield* alignClocks
        simulator.control.injectFault({ kind: "rate-limit", retryAfter: 7, route: "get" })
        const actor = yield* running((machine) =>
          createActor(machine, { input: { knowledgeBaseId: "kb_abc123", jobId: "job_def456" } })
        )
        yield* eventually(() => actor.getSnapshot().context.retries === 1)
        expect(actor.getSnapshot().value).toStrictEqual({
          watching: { job: "unseen", watcher: "rateLimited" }
        })
        expect(actor.getSnapshot().context).toMatchObject({
          nextPollAt: start + 7_000,
          lastError: { _tag: "RateLimited", status: 429, retryAfterMs: 7_000 }
        })

        yield* sleepScheduledAt(start + 7_000)
        yield* TestClock.adjust("7 seconds")
        yield* eventually(() => actor.getSnapshot().context.polls === 1)
        expect(actor.getSnapshot().value).toStrictEqual({
          watching: { job: "processing", watcher: "polling" }
        })

        simulator.control.injectFault({ kind: "server-error", status: 503, route: "get" })
        yield* sleepScheduledAt(start + 12_000)
        yield* TestClock.adjust("5 seconds")
        yield* eventually(() => actor.getSnapshot().context.retries === 2)
        expect(actor.getSnapshot().value).toStrictEqual({
          watching: { job: "processing", watcher: "retrying" }
        })
        expect(actor.getSnapshot().context.lastError).toMatchObject({ _tag: "ServerError", status: 503 })
      }).pipe(Effect.provide(client()))
    )

    it.effect(
      "resumes from a persisted snapshot in a fresh actor, with what is left of the deadline, and settles once",
      () =>
        Effect.gen(function* () {
          const start = yield* alignClocks
          const outputs: Array<unknown> = []
          const first = yield* running((machine) =>
            createActor(machine, {
              input: { knowledgeBaseId: "kb_abc123", jobId: "job_def456", timeoutMs: 60_000 }
            })
          )
          first.subscribe((snapshot) => snapshot.status === "done" && outputs.push(snapshot.output))
          yield* eventually(() => first.getSnapshot().context.polls === 1)

          // Persisted as JSON: no key in it, only plain data.
          const saved = JSON.stringify(first.getPersistedSnapshot())
          expect(saved).not.toContain(API_KEY)
          first.stop()
          const atStop = requests()

          // The process is gone for 20 seconds: nothing polls.
          simulator.control.advance(20_000)
          yield* TestClock.adjust("20 seconds")
          expect(requests()).toBe(atStop)

          const second = yield* running((machine) => restore(machine, saved))
          second.subscribe((snapshot) => snapshot.status === "done" && outputs.push(snapshot.output))
          // It polls again at once, and gives up at the original deadline, 40 s from now: its poller
          // is restarted with that deadline (that the engine then ends the wait at it is pinned by
          // "a restored wait gives up at the original deadline" below).
          yield* eventually(() => second.getSnapshot().context.polls === 2)
          expect(second.getSnapshot().children.poller?.getSnapshot().input).toStrictEqual({
            knowledgeBaseId: "kb_abc123",
            jobId: "job_def456",
            deadline: start + 60_000
          })
          expect(second.getSnapshot().context).toMatchObject({ startedAt: start, deadline: start + 60_000 })

          simulator.control.advance(25_000) // 45 s after the start: completed on the server
          yield* sleepScheduledAt(start + 25_000)
          yield* TestClock.adjust("5 seconds")
          const output = yield* JobActor.output(second)
          expect(output._tag).toBe("Completed")
          expect(outputs).toStrictEqual([output])
          expect(first.getSnapshot().status).toBe("stopped")

          // A settled snapshot restores settled: same output, no poller, no request.
          const done = JSON.stringify(second.getPersistedSnapshot())
          const atDone = requests()
          const third = yield* running((machine) => restore(machine, done))
          expect(third.getSnapshot().status).toBe("done")
          expect(third.getSnapshot().output).toStrictEqual(output)
          expect(third.getSnapshot().children).toStrictEqual({})
          yield* TestClock.adjust("1 minute")
          expect(requests()).toBe(atDone)
        }).pipe(Effect.provide(client()))
    )

    it.effect("a restored wait gives up at the original deadline: what was left of it, not a new one", () =>
      Effect.gen(function* () {
        const start = yield* alignClocks
        const first = yield* running((machine) =>
          createActor(machine, {
            input: { knowledgeBaseId: "kb_abc123", jobId: "job_def456", timeoutMs: 60_000 }
          })
        )
        yield* eventually(() => first.getSnapshot().context.polls === 1)
        const saved = JSON.stringify(first.getPersistedSnapshot())
        first.stop()
        yield* TestClock.adjust("20 seconds")

        const second = yield* running((machine) => restore(machine, saved))
        yield* eventually(() => second.getSnapshot().context.polls === 2)
        // The job stays processing (the simulator's clock stands still): a poll every 5 s, and at
        // the deadline, 40 s after the restore, the engine ends the wait.
        for (let at = start + 25_000; at <= start + 60_000; at += 5_000) {
          yield* sleepScheduledAt(at)
          yield* TestClock.adjust("5 seconds")
        }
        const output = yield* JobActor.output(second)
        expect(second.getSnapshot().value).toBe("timedOut")
        expect(output).toMatchObject({
          _tag: "TimedOut",
          reason: "deadline",
          elapsedMs: 60_000,
          lastJob: { id: "job_def456", status: "processing" }
        })
        expect(yield* Clock.currentTimeMillis).toBe(start + 60_000)
      }).pipe(Effect.provide(client()))
    )

    it.effect("a restored wait whose deadline has passed times out, counting from the original start", () =>
      Effect.gen(function* () {
        const start = yield* alignClocks
        const first = yield* running((machine) =>
          createActor(machine, {
            input: { knowledgeBaseId: "kb_abc123", jobId: "job_def456", timeoutMs: 10_000 }
          })
        )
        yield* eventually(() => first.getSnapshot().context.polls === 1)
        const saved = JSON.stringify(first.getPersistedSnapshot())
        first.stop()

        yield* TestClock.adjust("15 seconds")
        const second = yield* running((machine) => restore(machine, saved))
        const output = yield* JobActor.output(second)
        expect(second.getSnapshot().value).toBe("timedOut")
        expect(output).toMatchObject({
          _tag: "TimedOut",
          lastJob: { id: "job_def456", status: "processing" },
          elapsedMs: 15_000
        })
        expect(start + 15_000).toBe(yield* Clock.currentTimeMillis)
      }).pipe(Effect.provide(client()))
    )

    it.effect("CANCEL stops polling at once and aborts the request in flight", () =>
      Effect.gen(function* () {
        simulator.control.injectFault({ kind: "hang", route: "get" })
        const actor = yield* running((machine) =>
          createActor(machine, { input: { knowledgeBaseId: "kb_abc123", jobId: "job_def456" } })
        )
        yield* Effect.promise(() => simulator.control.waitForRequests(1))
        expect(simulator.control.requests[0]?.outcome).toBe("pending")

        actor.send({ type: "CANCEL" })
        expect(actor.getSnapshot().value).toBe("cancelled")
        expect(actor.getSnapshot().output).toStrictEqual({ _tag: "Cancelled", lastJob: null })
        // The client aborted: the simulator logs the hanging request as ended by the client.
        yield* eventually(() => simulator.control.requests[0]?.outcome === "hung")
        yield* TestClock.adjust("1 hour")
        expect(requests()).toBe(1)
      }).pipe(Effect.provide(client()))
    )

    it.effect("CANCEL between polls: the request count stops growing", () =>
      Effect.gen(function* () {
        const start = yield* alignClocks
        const actor = yield* running((machine) =>
          createActor(machine, { input: { knowledgeBaseId: "kb_abc123", jobId: "job_def456" } })
        )
        for (const poll of [1, 2, 3]) {
          yield* eventually(() => actor.getSnapshot().context.polls === poll)
          yield* sleepScheduledAt(start + poll * 5_000)
          if (poll < 3) yield* TestClock.adjust("5 seconds")
        }
        actor.send({ type: "CANCEL" })
        yield* TestClock.adjust("10 minutes")
        expect(requests()).toBe(3)
        expect(actor.getSnapshot().output).toMatchObject({
          _tag: "Cancelled",
          lastJob: { status: "processing" }
        })
      }).pipe(Effect.provide(client()))
    )
  })

  describe("the Effect bridge", () => {
    it.effect("run: resolves with the completed job", () =>
      Effect.gen(function* () {
        const job = yield* run("kb_abc123", "job_abc123")
        expect(job).toMatchObject({
          id: "job_abc123",
          status: "completed",
          chunks_created: 482,
          partial: false
        })
        expect(requests()).toBe(1)
      }).pipe(Effect.provide(client()))
    )

    it.effect("run: fails with IngestionJobFailed, WaitTimeout or the client's error, typed", () =>
      Effect.gen(function* () {
        simulator.control.setScenario("failing")
        simulator.control.advanceToTerminal("kb_failing", "job_rejected")
        const failed = yield* Effect.flip(run("kb_failing", "job_rejected"))
        expect(failed._tag).toBe("IngestionJobFailed")

        const missing = yield* Effect.flip(run("kb_failing", "job_nope"))
        expect(missing).toMatchObject({ _tag: "NotFound", code: "ingestion_job_not_found" })

        const invalid = yield* Effect.flip(run("kb_failing", "job_failing", { timeout: -1 }))
        expect(invalid).toMatchObject({ _tag: "InvalidInput", param: "timeout" })

        simulator.control.setScenario("docs")
        const start = yield* alignClocks
        const fiber = yield* Effect.forkChild(
          Effect.flip(run("kb_abc123", "job_def456", { timeout: "8 seconds", schedule: everyFiveSeconds }))
        )
        yield* sleepScheduledAt(start + 5_000)
        yield* TestClock.adjust("5 seconds")
        // The next poll (+10 s) would be past the deadline (+8 s): the engine wakes at the deadline.
        yield* sleepScheduledAt(start + 8_000)
        yield* TestClock.adjust("3 seconds")
        const timeout = yield* Fiber.join(fiber)
        expect(timeout).toBeInstanceOf(WaitError.WaitTimeout)
        expect(timeout).toMatchObject({ elapsedMs: 8_000, lastJob: { status: "processing" } })
      }).pipe(Effect.provide(client()))
    )

    it.effect("interrupting the wait stops the actor and aborts the request in flight", () =>
      Effect.gen(function* () {
        simulator.control.injectFault({ kind: "hang", route: "get" })
        let actor: JobMachine.JobActor | undefined
        const fiber = yield* Effect.forkChild(
          Effect.scoped(
            Effect.flatMap(JobActor.start("kb_abc123", "job_def456"), (started) => {
              actor = started
              return JobActor.result(started)
            })
          )
        )
        yield* Effect.promise(() => simulator.control.waitForRequests(1))
        expect(actor?.getSnapshot().status).toBe("active")

        yield* Fiber.interrupt(fiber)
        const exit = yield* Fiber.await(fiber)
        expect(Exit.hasInterrupts(exit)).toBe(true)
        expect(actor?.getSnapshot().status).toBe("stopped")
        yield* eventually(() => simulator.control.requests[0]?.outcome === "hung")
      }).pipe(Effect.provide(client()))
    )

    it.effect("interrupting run aborts the request in flight too", () =>
      Effect.gen(function* () {
        simulator.control.injectFault({ kind: "hang", route: "get" })
        const fiber = yield* Effect.forkChild(run("kb_abc123", "job_def456"))
        yield* Effect.promise(() => simulator.control.waitForRequests(1))
        yield* Fiber.interrupt(fiber)
        yield* eventually(() => simulator.control.requests[0]?.outcome === "hung")
        expect(requests()).toBe(1)
      }).pipe(Effect.provide(client()))
    )
  })

  describe("ingestionJobMachine, configured from the environment", () => {
    const withEnv = async <A>(env: Record<string, string | undefined>, f: () => Promise<A>): Promise<A> => {
      const saved = Object.fromEntries(Object.keys(env).map((key) => [key, process.env[key]]))
      const set = (values: Record<string, string | undefined>) => {
        for (const [key, value] of Object.entries(values)) {
          if (value === undefined) delete process.env[key]
          else process.env[key] = value
        }
      }
      set(env)
      try {
        return await f()
      } finally {
        set(saved)
      }
    }

    it("waits with TENSORAS_API_KEY and TENSORAS_BASE_URL", async () => {
      const output = await withEnv({ TENSORAS_API_KEY: API_KEY, TENSORAS_BASE_URL: simulator.baseUrl }, () =>
        toPromise(
          createActor(JobMachine.ingestionJobMachine, {
            input: { knowledgeBaseId: "kb_abc123", jobId: "job_abc123" }
          }).start()
        )
      )
      expect(output).toMatchObject({ _tag: "Completed", job: { id: "job_abc123", chunks_created: 482 } })
    })

    it("ends errored with InvalidInput naming the missing variable when there is no key", async () => {
      const output = await withEnv({ TENSORAS_API_KEY: undefined }, () =>
        toPromise(
          createActor(JobMachine.ingestionJobMachine, {
            input: { knowledgeBaseId: "kb_abc123", jobId: "job_abc123" }
          }).start()
        )
      )
      expect(output).toMatchObject({ _tag: "Errored", error: { _tag: "InvalidInput", param: "config" } })
      expect(output._tag === "Errored" && output.error.message).toContain("TENSORAS_API_KEY")
      expect(requests()).toBe(0)
    })
  })

  describe("snapshots persisted by 0.1 (Effect 3)", () => {
    // Persisted by the 0.x library on Effect 3 (its build, on effect 3.22.4, against the simulator's
    // `docs` and `failing` scenarios; the simulator's address replaced by 127.0.0.1:4010): what
    // users have stored must restore on 1.0, and its errors decode back into the error classes.
    const persisted: Record<
      "rateLimited" | "completed" | "failed" | "notFound" | "timedOut" | "cancelled",
      JobMachine.Snapshot
    > = JSON.parse(readFileSync(new URL("./fixtures/jobMachine-0.1-snapshots.json", import.meta.url), "utf8"))
    const saved = (name: keyof typeof persisted): string => JSON.stringify(persisted[name])

    it.effect("a settled one restores settled: same output, no poller, no request", () =>
      Effect.gen(function* () {
        for (const name of ["completed", "failed", "notFound", "timedOut", "cancelled"] as const) {
          const actor = yield* running((machine) => restore(machine, saved(name)))
          expect(actor.getSnapshot().status).toBe("done")
          expect(actor.getSnapshot().value).toBe(persisted[name].value)
          expect(actor.getSnapshot().output).toStrictEqual(persisted[name].output)
          expect(actor.getSnapshot().children).toStrictEqual({})
        }
        yield* TestClock.adjust("1 hour")
        expect(requests()).toBe(0)
      }).pipe(Effect.provide(client()))
    )

    it.effect("its outputs are the same typed results in Effect", () =>
      Effect.gen(function* () {
        const outputOf = (name: keyof typeof persisted) =>
          running((machine) => restore(machine, saved(name))).pipe(Effect.flatMap(JobActor.output))

        const completed = yield* Effect.flatMap(outputOf("completed"), JobActor.fromOutput)
        expect(completed).toMatchObject({
          id: "job_def456",
          status: "completed",
          chunks_created: 542,
          partial: true
        })
        if (completed.partial) {
          expect(completed.failedDocuments.map((d) => d.document_name)).toStrictEqual([
            "legacy-manual-2019.pdf"
          ])
        }

        const failed = yield* Effect.flip(Effect.flatMap(outputOf("failed"), JobActor.fromOutput))
        expect(failed).toBeInstanceOf(WaitError.IngestionJobFailed)
        expect(failed).toMatchObject({
          job: { id: "job_rejected", status: "failed", error: { code: "data_source_access_denied" } },
          message: "Access denied to s3://acme-docs: check the data source credentials"
        })

        const notFound = yield* Effect.flip(Effect.flatMap(outputOf("notFound"), JobActor.fromOutput))
        expect(notFound).toBeInstanceOf(IngestionError.NotFound)
        expect(notFound).toMatchObject({
          _tag: "NotFound",
          method: "GET",
          url: "http://127.0.0.1:4010/v1/knowledge-bases/kb_abc123/ingestion-jobs/job_missing",
          status: 404,
          type: "not_found_error",
          code: "ingestion_job_not_found",
          param: "job_id",
          message: "Ingestion job 'job_missing' not found"
        })

        const timedOut = yield* Effect.flip(Effect.flatMap(outputOf("timedOut"), JobActor.fromOutput))
        expect(timedOut).toBeInstanceOf(WaitError.WaitTimeout)
        expect(timedOut).toMatchObject({
          elapsedMs: 501,
          reason: "deadline",
          lastJob: { id: "job_def456", status: "processing" },
          observed: { responses: 3, retries: 0, statuses: { processing: 3 }, httpStatuses: { "200": 3 } }
        })

        const cancelled = yield* Effect.exit(Effect.flatMap(outputOf("cancelled"), JobActor.fromOutput))
        expect(Exit.hasInterrupts(cancelled)).toBe(true)
        expect(requests()).toBe(0)
      }).pipe(Effect.provide(client()))
    )

    it.effect("one in progress (rate limited) restores and goes on to the end, from its own start", () =>
      Effect.gen(function* () {
        const { context } = persisted.rateLimited
        // Restored 3 s after it was persisted, well before its deadline (60 s after its start).
        const restoredAt = (context.lastPolledAt ?? context.startedAt) + 3_000
        yield* TestClock.setTime(restoredAt)
        const actor = yield* running((machine) => restore(machine, saved("rateLimited")))
        expect(actor.getSnapshot().value).toStrictEqual({
          watching: { job: "processing", watcher: "rateLimited" }
        })
        expect(actor.getSnapshot().context).toMatchObject({
          polls: 1,
          retries: 1,
          lastError: { _tag: "RateLimited", status: 429, retryAfterMs: 7_000 }
        })

        // The restarted poller asks at once, and its deadline is the persisted one.
        yield* eventually(() => actor.getSnapshot().context.polls === 2)
        expect(actor.getSnapshot().value).toStrictEqual({
          watching: { job: "processing", watcher: "polling" }
        })
        expect(actor.getSnapshot().context).toMatchObject({
          startedAt: context.startedAt,
          deadline: context.deadline,
          lastPolledAt: restoredAt,
          nextPollAt: restoredAt + 5_000
        })

        simulator.control.advance(44_000) // the job completes on the server
        yield* sleepScheduledAt(restoredAt + 5_000)
        yield* TestClock.adjust("5 seconds")
        const output = yield* JobActor.output(actor)
        expect(output).toMatchObject({ _tag: "Completed", job: { id: "job_def456", status: "completed" } })
        expect(requests()).toBe(2)
      }).pipe(Effect.provide(client()))
    )

    it.effect("one in progress whose deadline has passed times out, counting from its own start", () =>
      Effect.gen(function* () {
        const { context } = persisted.rateLimited
        yield* TestClock.setTime(context.deadline + 1_000)
        const actor = yield* running((machine) => restore(machine, saved("rateLimited")))
        const output = yield* JobActor.output(actor)
        expect(actor.getSnapshot().value).toBe("timedOut")
        expect(output).toMatchObject({
          _tag: "TimedOut",
          reason: "deadline",
          lastJob: { id: "job_def456", status: "processing" },
          elapsedMs: context.deadline + 1_000 - context.startedAt
        })
      }).pipe(Effect.provide(client()))
    )
  })

  describe("canary", () => {
    it.effect(
      "a key the server echoes in every string reaches no context, snapshot or inspection event",
      () =>
        Effect.gen(function* () {
          simulator.control.injectFault({ kind: "echo-key", times: Infinity })
          const inspected: Array<InspectionEvent> = []
          const actor = yield* running((machine) =>
            createActor(machine, {
              input: { knowledgeBaseId: "kb_abc123", jobId: "job_def456" },
              inspect: (event) => void inspected.push(event)
            })
          )
          yield* eventually(() => actor.getSnapshot().context.polls === 1)
          const context = actor.getSnapshot().context
          expect(JSON.stringify(context.job)).toContain("[echo:")
          expect(Canary.leaks(API_KEY, context, actor.getPersistedSnapshot(), render(inspected))).toEqual([])
        }).pipe(Effect.provide(client()))
    )
  })

  describe("inspection", () => {
    it.effect("inspection events carry the lifecycle, and never the key", () =>
      Effect.gen(function* () {
        const start = yield* alignClocks
        simulator.control.injectFault({ kind: "server-error", status: 503, route: "get" })
        const raw: Array<InspectionEvent> = []
        const sent: Array<StatelyInspectionEvent> = []
        // What @statelyai/inspect would send to Stately (over a websocket or postMessage).
        const inspector = createInspector({ send: (event) => sent.push(event) })
        const actor = yield* running((machine) =>
          createActor(machine, {
            input: { knowledgeBaseId: "kb_abc123", jobId: "job_def456" },
            inspect: (event) => {
              raw.push(event)
              inspector.inspect.next?.(event)
            }
          })
        )
        yield* eventually(() => actor.getSnapshot().context.retries === 1)
        yield* sleepScheduledAt(start + 100)
        yield* TestClock.adjust("100 millis")
        yield* eventually(() => actor.getSnapshot().context.polls === 1)
        simulator.control.advance(44_000)
        yield* sleepScheduledAt(start + 5_100)
        yield* TestClock.adjust("5 seconds")
        yield* JobActor.output(actor)

        const types = new Set(raw.map((event) => (event.type === "@xstate.event" ? event.event.type : "")))
        for (const type of ["POLLED", "RETRYING"]) expect(types).toContain(type)
        const everything = render(raw) + render(sent)
        expect(everything).toContain("job_def456")
        expect(everything).toContain("ServerError")
        expect(everything).not.toContain(API_KEY)
      }).pipe(Effect.provide(client()))
    )
  })
})
