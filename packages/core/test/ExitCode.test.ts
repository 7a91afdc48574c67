import { describe, expect, it } from "@effect/vitest"
import { ExitCode, IngestionError, WaitError } from "@tensoras/ingestion"
import * as Cause from "effect/Cause"
import * as Exit from "effect/Exit"

const request = { method: "GET", url: "https://api.tensoras.ai/v1/knowledge-bases/kb/ingestion-jobs/job" }
const timedOut = WaitError.timedOut({
  lastJob: null,
  elapsedMs: 1_000,
  observed: { responses: 0, retries: 0, statuses: {}, httpStatuses: {} }
})

describe("ExitCode", () => {
  it("a signal is 128 + its number", () => {
    expect([ExitCode.ofSignal("SIGINT"), ExitCode.ofSignal("SIGTERM")]).toEqual([130, 143])
  })

  it("each error of the library has its code: input 2, a failed job 1, a wait that ended 3, the API 4", () => {
    expect(ExitCode.ofError(new IngestionError.InvalidInput({ param: "jobId", message: "bad" }))).toBe(2)
    expect(ExitCode.ofError(timedOut)).toBe(3)
    expect(ExitCode.ofError(new IngestionError.NotFound({ ...request, status: 404, message: "gone" }))).toBe(
      4
    )
    expect(
      ExitCode.ofError(new IngestionError.ServerError({ ...request, status: 503, message: "busy" }))
    ).toBe(4)
    expect(
      ExitCode.ofError(new IngestionError.TransportError({ ...request, reason: "Timeout", message: "slow" }))
    ).toBe(4)
    const unreachable = new IngestionError.Unreachable({
      ...request,
      reason: "Network",
      attempts: 6,
      message: "no"
    })
    expect(ExitCode.ofError(unreachable)).toBe(4)
    expect(ExitCode.ofExit(Exit.fail(unreachable), undefined)).toBe(4)
  })

  it("ofExit: 0 on success; the signal's code when a signal interrupted; the library's code; else 1", () => {
    const interrupted = Exit.interrupt()
    expect(ExitCode.ofExit(Exit.succeed("done"), undefined)).toBe(0)
    expect(ExitCode.ofExit(interrupted, "SIGINT")).toBe(130)
    expect(ExitCode.ofExit(interrupted, "SIGTERM")).toBe(143)
    // Interrupted without a signal, or failed after one: not a signal's doing.
    expect(ExitCode.ofExit(interrupted, undefined)).toBe(1)
    expect(ExitCode.ofExit(Exit.fail("boom"), "SIGINT")).toBe(1)
    expect(ExitCode.ofExit(Exit.fail(timedOut), undefined)).toBe(3)
    expect(
      ExitCode.ofExit(Exit.fail(new IngestionError.InvalidInput({ param: "x", message: "bad" })), undefined)
    ).toBe(2)
    // An error that only looks like one of the library's, and a defect, are plain failures.
    expect(ExitCode.ofExit(Exit.fail({ _tag: "WaitTimeout" }), undefined)).toBe(1)
    expect(ExitCode.ofExit(Exit.failCause(Cause.die(timedOut)), undefined)).toBe(1)
  })
})
