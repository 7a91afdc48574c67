import { describe, expect, it } from "@effect/vitest"
import { IngestionError, IngestionJob, PollSchedule, Wait, WaitEngine, WaitError } from "@tensoras/ingestion"
import * as JobMachine from "@tensoras/ingestion/JobMachine"
import * as Cause from "effect/Cause"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import * as fc from "fast-check"
import { createActor } from "xstate"
import * as rules from "../../src/internal/waitRules.js"
import * as arbitraries from "../utils/arbitraries.js"

const START = Date.UTC(2026, 0, 1)
const THIRTY_MINUTES = 30 * 60_000

const detail = (
  overrides: Partial<IngestionJob.IngestionJobDetail> = {}
): IngestionJob.IngestionJobDetail => ({
  id: "job_rules",
  object: "ingestion_job",
  knowledge_base_id: "kb_rules",
  data_source_id: "ds_rules",
  status: "completed",
  documents_processed: 2,
  documents_failed: 0,
  chunks_created: 8,
  started_at: 1_700_000_000,
  completed_at: 1_700_000_060,
  created_at: 1_700_000_000,
  error: null,
  document_details: [
    { document_id: "doc_1", document_name: "a.pdf", status: "completed", chunks_created: 4, error: null },
    { document_id: "doc_2", document_name: "b.pdf", status: "completed", chunks_created: 4, error: null }
  ],
  ...overrides
})

describe("internal/waitRules", () => {
  describe("timeout → deadline", () => {
    it("a deadline wins; else the timeout from the start; else 30 minutes", () => {
      expect(rules.deadlineAt(START, 5_000, START + 1)).toBe(START + 1)
      expect(rules.deadlineAt(START, 5_000, undefined)).toBe(START + 5_000)
      expect(rules.deadlineAt(START, undefined, undefined)).toBe(START + THIRTY_MINUTES)
      expect(Duration.toMillis(rules.DEFAULT_TIMEOUT)).toBe(THIRTY_MINUTES)
      expect(WaitEngine.DEFAULT_TIMEOUT).toBe(rules.DEFAULT_TIMEOUT)
    })

    it("WaitEngine.deadlineOf reads every Duration input as the engine does", () => {
      expect(WaitEngine.deadlineOf({}, START)).toBe(START + THIRTY_MINUTES)
      expect(WaitEngine.deadlineOf({ timeout: "15 minutes" }, START)).toBe(START + 900_000)
      expect(WaitEngine.deadlineOf({ timeout: 2_500 }, START)).toBe(START + 2_500)
      expect(WaitEngine.deadlineOf({ timeout: Duration.seconds(3) }, START)).toBe(START + 3_000)
      expect(WaitEngine.deadlineOf({ timeout: "15 minutes", deadline: START - 1 }, START)).toBe(START - 1)
    })

    it("the machine's deadline is the same rule (timeoutMs, deadline, the default)", () => {
      // Not started: the initial snapshot (the context) is built, the poller is not invoked.
      const deadlineOf = (input: Omit<JobMachine.Input, "knowledgeBaseId" | "jobId">) => {
        const actor = createActor(JobMachine.ingestionJobMachine, {
          input: { knowledgeBaseId: "kb_rules", jobId: "job_rules", ...input }
        })
        const { startedAt, deadline } = actor.getSnapshot().context
        return { startedAt, deadline }
      }
      for (const input of [{}, { timeoutMs: 90_000 }, { timeoutMs: 90_000, deadline: 123 }]) {
        const { startedAt, deadline } = deadlineOf(input)
        expect(deadline).toBe(
          WaitEngine.deadlineOf(
            { timeout: input.timeoutMs, deadline: "deadline" in input ? input.deadline : undefined },
            startedAt
          )
        )
      }
    })
  })

  describe("a wait's options → its settings", () => {
    const invalidParam = (options: WaitEngine.WaitOptions) =>
      Effect.map(Effect.flip(rules.waitSettings(options)), (error) => [error._tag, error.param])

    it.effect("the defaults: 30 minutes, no deadline, the default schedule", () =>
      Effect.gen(function* () {
        const settings = yield* rules.waitSettings({})
        expect(settings).toStrictEqual({
          timeoutMs: THIRTY_MINUTES,
          deadline: undefined,
          schedule: PollSchedule.defaultSchedule
        })
      })
    )

    it.effect("a timeout, a deadline, a schedule of one's own", () =>
      Effect.gen(function* () {
        const schedule = PollSchedule.backoff()
        const settings = yield* rules.waitSettings({ timeout: "2 minutes", deadline: START, schedule })
        expect(settings).toStrictEqual({ timeoutMs: 120_000, deadline: START, schedule })
      })
    )

    it.effect("pollInterval is a fixed schedule", () =>
      Effect.gen(function* () {
        const settings = yield* rules.waitSettings({ pollInterval: "2 seconds" })
        expect(settings.schedule).not.toBe(PollSchedule.defaultSchedule)
      })
    )

    it.effect("InvalidInput for what the engine does not accept, in the order it checks", () =>
      Effect.gen(function* () {
        expect(yield* invalidParam({ timeout: -1 })).toStrictEqual(["InvalidInput", "timeout"])
        expect(yield* invalidParam({ timeout: "forever" as never })).toStrictEqual([
          "InvalidInput",
          "timeout"
        ])
        expect(yield* invalidParam({ deadline: Number.NaN })).toStrictEqual(["InvalidInput", "deadline"])
        expect(yield* invalidParam({ deadline: Number.POSITIVE_INFINITY })).toStrictEqual([
          "InvalidInput",
          "deadline"
        ])
        expect(yield* invalidParam({ schedule: PollSchedule.fixed(), pollInterval: 1_000 })).toStrictEqual([
          "InvalidInput",
          "pollInterval"
        ])
        expect(yield* invalidParam({ pollInterval: 0 })).toStrictEqual(["InvalidInput", "pollInterval"])
        expect(yield* invalidParam({ timeout: 0, deadline: Number.NaN })).toStrictEqual([
          "InvalidInput",
          "timeout"
        ])
      })
    )
  })

  describe("a terminal job → its outcome", () => {
    it("a failed job: the job's own message, or the one text when it gave none", () => {
      const failed = detail({
        status: "failed",
        error: { message: "Embedding quota exceeded", code: "quota" }
      })
      const error = rules.jobFailed(failed)
      expect(error).toBeInstanceOf(WaitError.IngestionJobFailed)
      expect(error.job).toStrictEqual(failed)
      expect(error.message).toBe("Embedding quota exceeded")
      expect(rules.jobFailed(detail({ status: "failed" })).message).toBe("Ingestion job 'job_rules' failed")
      expect(rules.jobFailed(failed, null).message).toBe("Ingestion job 'job_rules' failed")
      expect(Wait.jobFailed(failed)).toStrictEqual(error)
    })

    it("a completed job: partial exactly when a document failed", () => {
      const whole = rules.outcomeResult(detail())
      expect(Result.isSuccess(whole) && whole.success.partial).toBe(false)
      const notIngested = detail({
        documents_failed: 1,
        document_details: [
          {
            document_id: "doc_1",
            document_name: "a.pdf",
            status: "completed",
            chunks_created: 4,
            error: null
          },
          {
            document_id: "doc_2",
            document_name: "b.pdf",
            status: { _tag: "UnknownStatus", raw: "error" },
            chunks_created: 0,
            error: { message: "unreadable", code: null }
          }
        ]
      })
      const partial = rules.outcomeResult(notIngested)
      expect(
        Result.isSuccess(partial) && partial.success.partial && partial.success.failedDocuments
      ).toStrictEqual([notIngested.document_details[1]])
      // The job's count says a document failed, though no detail does.
      const counted = rules.outcomeResult(detail({ documents_failed: 1 }))
      expect(
        Result.isSuccess(counted) && counted.success.partial && counted.success.failedDocuments
      ).toStrictEqual([])
    })

    it("on any terminal job: failed ⇔ IngestionJobFailed; partial ⇔ a failed count or a document not ingested", () =>
      fc.assert(
        fc.property(
          arbitraries.jobDetail,
          fc.constantFrom(...IngestionJob.TERMINAL_STATUSES),
          (job, status) => {
            const terminal = { ...job, status }
            const result = rules.outcomeResult(terminal)
            expect(Wait.outcomeResult(terminal)).toStrictEqual(result)
            if (status === "failed") {
              expect(Result.isFailure(result) && result.failure.message).toBe(
                rules.jobFailed(terminal).message
              )
              return
            }
            expect(Result.isSuccess(result)).toBe(true)
            if (Result.isFailure(result)) return
            const notIngested = terminal.document_details.filter((d) => !IngestionJob.isDocumentIngested(d))
            expect(result.success.partial).toBe(notIngested.length > 0 || terminal.documents_failed > 0)
          }
        )
      ))
  })

  describe("a wait's exit → its result", () => {
    it("a terminal job's outcome, or the wait's typed error", () => {
      const timeout = WaitError.timedOut({
        lastJob: null,
        elapsedMs: 1_000,
        observed: { responses: 0, retries: 0, statuses: {}, httpStatuses: {} },
        reason: "deadline"
      })
      const notFound = new IngestionError.NotFound({
        method: "GET",
        url: "https://api.tensoras.ai/v1/knowledge-bases/kb_rules/ingestion-jobs/job_rules",
        status: 404,
        message: "No such job",
        param: "job_id"
      })
      const failed = detail({ status: "failed" })
      const exits: ReadonlyArray<WaitEngine.WaitExit> = [
        Exit.succeed(detail()),
        Exit.succeed(failed),
        Exit.fail(timeout),
        Exit.fail(notFound)
      ]
      const results = exits.map(rules.exitResult)
      expect(
        results.map((result) => (Result.isSuccess(result) ? "completed" : result.failure._tag))
      ).toStrictEqual(["completed", "IngestionJobFailed", "WaitTimeout", "NotFound"])
      expect(Result.isFailure(results[2]!) && results[2].failure).toBe(timeout)
      expect(Result.isFailure(results[3]!) && results[3].failure).toBe(notFound)
      expect(exits.map(Wait.exitResult)).toStrictEqual(results)
      // Every result is a WaitError or a completed job: it persists with the schema.
      for (const result of results) {
        if (Result.isFailure(result)) expect(Schema.is(WaitError.WaitError)(result.failure)).toBe(true)
      }
    })

    it("a defect is not a wait's result", () => {
      const defect = Exit.failCause(Cause.die(new Error("boom"))) as WaitEngine.WaitExit
      expect(() => rules.exitResult(defect)).toThrow("a wait ended without a typed error")
    })

    it("a wait's exit names only what a wait ends with: never a transient error", () => {
      const request = {
        method: "GET",
        url: "https://api.tensoras.ai/v1/knowledge-bases/kb_rules/ingestion-jobs"
      }
      const unreachable = new IngestionError.Unreachable({
        ...request,
        reason: "Network",
        attempts: 6,
        message: "m"
      })
      const ends: WaitEngine.WaitExit = Exit.fail(unreachable)
      expect(Result.isFailure(rules.exitResult(ends)) && rules.exitResult(ends)).toMatchObject({
        failure: unreachable
      })
      // A wait polls on through these: the type of its exit does not admit them.
      // @ts-expect-error RateLimited is no wait's end
      const rateLimited: WaitEngine.WaitExit = Exit.fail(
        new IngestionError.RateLimited({ ...request, status: 429, message: "m" })
      )
      // @ts-expect-error ServerError is no wait's end
      const serverError: WaitEngine.WaitExit = Exit.fail(
        new IngestionError.ServerError({ ...request, status: 503, message: "m" })
      )
      // @ts-expect-error TransportError is no wait's end
      const transport: WaitEngine.WaitExit = Exit.fail(
        new IngestionError.TransportError({ ...request, reason: "Network", message: "m" })
      )
      expect([rateLimited, serverError, transport].every(Exit.isFailure)).toBe(true)
    })
  })

  describe("the job statuses, defined once", () => {
    it("active, then terminal: the known statuses, and what KnownJobStatus and isTerminal accept", () => {
      expect(IngestionJob.KNOWN_STATUSES).toStrictEqual([
        ...IngestionJob.ACTIVE_STATUSES,
        ...IngestionJob.TERMINAL_STATUSES
      ])
      expect(IngestionJob.ACTIVE_STATUSES).toStrictEqual(["queued", "processing"])
      expect(IngestionJob.TERMINAL_STATUSES).toStrictEqual(["completed", "failed"])
      for (const status of IngestionJob.KNOWN_STATUSES) {
        expect(Schema.is(IngestionJob.KnownJobStatus)(status)).toBe(true)
        expect(IngestionJob.isTerminal({ status })).toBe(
          (IngestionJob.TERMINAL_STATUSES as ReadonlyArray<string>).includes(status)
        )
      }
      expect(Schema.is(IngestionJob.KnownJobStatus)("paused")).toBe(false)
    })
  })
})
