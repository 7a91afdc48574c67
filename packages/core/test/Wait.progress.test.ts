import { afterAll, beforeAll, beforeEach, describe, expect, it } from "@effect/vitest"
import { IngestionJobs, PollSchedule, Wait, WaitEngine } from "@tensoras/ingestion"
import { NodeSimulator } from "@tensoras/ingestion-testkit"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/testing/TestClock"
import { eventually, sleepScheduledAt } from "./utils/clock.js"

const API_KEY = "tns_canary_progress_9d3f"

let simulator: NodeSimulator.RunningSimulator
beforeAll(async () => {
  simulator = await NodeSimulator.start({ scenario: "docs", apiKey: API_KEY, clock: "manual" })
})
afterAll(() => simulator.close())
beforeEach(() => simulator.control.setScenario("docs"))

const provideClient = <A, E>(effect: Effect.Effect<A, E, WaitEngine.WaitEngine>) =>
  Effect.suspend(() =>
    Effect.provide(
      // The test clock starts where the simulator's is: both agree on "now".
      Effect.andThen(TestClock.setTime(simulator.control.now()), effect),
      WaitEngine.layer().pipe(
        Layer.provide(IngestionJobs.layer({ apiKey: Redacted.make(API_KEY), baseUrl: simulator.baseUrl })),
        Layer.provide(FetchHttpClient.layer)
      )
    )
  )

/** An update in a few words: `Changed job status` or `Ended job completed|<error tag>`. */
const describeUpdate = (update: Wait.JobUpdate) =>
  update._tag === "Changed"
    ? `Changed ${update.jobId} ${update.job.status}`
    : `Ended ${update.jobId} ${Result.isSuccess(update.result) ? update.result.success.status : update.result.failure._tag}`

const JOBS = ["job_abc123", "job_def456"]

describe("Wait.waitForAll's onUpdate", () => {
  it.effect("tells each change, and each job's end as it happens, not when the slowest has ended", () =>
    Effect.gen(function* () {
      const t0 = yield* Clock.currentTimeMillis
      const updates: Array<string> = []
      const fiber = yield* Effect.forkChild(
        Wait.waitForAll("kb_abc123", JOBS, {
          schedule: PollSchedule.fixed("1 second"),
          onUpdate: (update) => void updates.push(describeUpdate(update))
        })
      )
      // The first polls: job_abc123 had completed, job_def456 is processing.
      yield* eventually(() => updates.includes("Ended job_abc123 completed"))
      yield* eventually(() => updates.includes("Changed job_def456 processing"))
      yield* sleepScheduledAt(t0 + 1_000)
      expect(fiber.pollUnsafe()).toBeUndefined()
      expect(updates.filter((update) => update.includes("job_abc123"))).toStrictEqual([
        "Changed job_abc123 completed",
        "Ended job_abc123 completed"
      ])
      simulator.control.advanceToTerminal("kb_abc123", "job_def456")
      yield* TestClock.setTime(simulator.control.now())
      const results = yield* Fiber.join(fiber)
      expect(results.map((result) => Result.isSuccess(result) && result.success.id)).toStrictEqual(JOBS)
      expect(updates.filter((update) => update.includes("job_def456"))).toStrictEqual([
        "Changed job_def456 processing",
        "Changed job_def456 completed",
        "Ended job_def456 completed"
      ])
    }).pipe(provideClient)
  )

  it.effect("tells what watchAll emits, in the same order", () =>
    Effect.gen(function* () {
      simulator.control.advanceToTerminal("kb_abc123", "job_def456")
      const told: Array<string> = []
      yield* Wait.waitForAll("kb_abc123", ["job_def456", "job_nope"], {
        onUpdate: (update) => void told.push(describeUpdate(update))
      })
      const emitted = yield* Stream.runCollect(Wait.watchAll("kb_abc123", ["job_def456", "job_nope"]))
      expect(told.sort()).toStrictEqual(emitted.map(describeUpdate).sort())
      expect(told).toContain("Ended job_nope NotFound")
    }).pipe(provideClient)
  )
})
