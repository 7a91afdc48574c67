import { describe, expect, it } from "@effect/vitest"
import * as IngestionJobs from "@tensoras/ingestion/IngestionJobs"
import * as PollSchedule from "@tensoras/ingestion/PollSchedule"
import * as Wait from "@tensoras/ingestion/Wait"
import * as Canary from "@tensoras/ingestion-testkit/Canary"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as TestClock from "effect/testing/TestClock"
import * as BrowserIngestion from "../src/BrowserIngestion.js"
import * as PageSignals from "../src/PageSignals.js"
import { sim, simApiKey, simBaseUrl } from "./helpers.js"

/**
 * A misconfigured service echoes the `Authorization` header into every string it sends (the
 * testkit's `echo-key` fault). In the page, the key must never come out of `BrowserIngestion`'s
 * client or waits: what arrives is the echo with the key masked (`<redacted>`), which shows the
 * echo did reach the client and was scrubbed, rather than never being sent.
 */
const options = { baseUrl: simBaseUrl, apiKey: simApiKey, dangerouslyAllowApiKeyInBrowser: true } as const
const SCRUBBED_ECHO = " [echo: <redacted> | Authorization: Bearer <redacted>]"

/** A job that has already completed, so its answer carries its document_details. */
const completedJob = Effect.promise(async () => {
  const { knowledgeBaseId, jobId } = await sim.newJob()
  await sim.toTerminal(knowledgeBaseId, jobId)
  return { knowledgeBaseId, jobId }
})

describe("canary: a key the server echoes never comes out of BrowserIngestion", () => {
  it.live("the client: every string arrives with the echo, the key masked", () =>
    Effect.gen(function* () {
      const { knowledgeBaseId, jobId } = yield* completedJob
      const fault = yield* Effect.promise(() => sim.injectFault(jobId, { kind: "echo-key", times: null }))
      const job = yield* IngestionJobs.get(knowledgeBaseId, jobId).pipe(
        Effect.provide(BrowserIngestion.layerClient(options))
      )
      expect(yield* Effect.promise(() => sim.applied(fault))).toBe(1)
      // The echo is there, scrubbed: in the document names (only a terminal job's answer has them),
      // and in the status, which therefore reads as unknown.
      expect(job.document_details.length).toBe(4)
      for (const document of job.document_details)
        expect(document.document_name).toMatch(/ \[echo: <redacted> \| Authorization: Bearer <redacted>\]$/)
      expect(job.status).toMatchObject({ _tag: "UnknownStatus", raw: `completed${SCRUBBED_ECHO}` })
      expect(Canary.leaks(simApiKey, job)).toEqual([])
    })
  )

  it.effect(
    "a wait: the echoed status never reads as terminal; its WaitTimeout and updates hold no key",
    () =>
      Effect.gen(function* () {
        const { knowledgeBaseId, jobId } = yield* completedJob
        const fault = yield* Effect.promise(() => sim.injectFault(jobId, { kind: "echo-key", times: null }))
        const updates: Array<unknown> = []
        const firstUpdate = yield* Deferred.make<void>()
        // The wait's time is the TestClock's: the first poll is answered (a real event), then the
        // clock jumps past the deadline.
        const wait = yield* Effect.forkChild(
          Effect.flip(
            Wait.waitFor(knowledgeBaseId, jobId, {
              schedule: PollSchedule.fixed("5 seconds"),
              timeout: "1 minute",
              onUpdate: (job) => {
                updates.push(job)
                Deferred.doneUnsafe(firstUpdate, Effect.void)
              }
            }).pipe(
              Effect.provide(
                BrowserIngestion.layer({
                  ...options,
                  signals: PageSignals.makeControlled(),
                  channelPrefix: `canary-${jobId}`
                })
              )
            )
          )
        )
        yield* Deferred.await(firstUpdate)
        yield* TestClock.adjust("1 minute")
        const error = yield* Fiber.join(wait)
        expect(error._tag).toBe("WaitTimeout")
        expect(yield* Effect.promise(() => sim.applied(fault))).toBeGreaterThan(0)
        expect(JSON.stringify(updates)).toContain(SCRUBBED_ECHO)
        expect(error._tag === "WaitTimeout" && JSON.stringify(error.lastJob)).toContain(SCRUBBED_ECHO)
        expect(Canary.leaks(simApiKey, error, updates)).toEqual([])
      })
  )

  it.live("an error body that echoes the key: Unauthorized, the key masked in every field", () =>
    Effect.gen(function* () {
      const { knowledgeBaseId, jobId } = yield* completedJob
      yield* Effect.promise(() => sim.injectFault(jobId, { kind: "echo-key", status: 401, times: null }))
      const error = yield* Wait.waitFor(knowledgeBaseId, jobId, { timeout: "1 minute" }).pipe(
        Effect.provide(
          BrowserIngestion.layer({
            ...options,
            signals: PageSignals.makeControlled(),
            channelPrefix: `canary-${jobId}`
          })
        ),
        Effect.flip
      )
      expect(error._tag).toBe("Unauthorized")
      expect(error.message).toContain("<redacted>")
      expect(Canary.leaks(simApiKey, error)).toEqual([])
    })
  )
})
