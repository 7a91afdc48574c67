import { describe, expect, it } from "@effect/vitest"
import * as IngestionJobs from "@tensoras/ingestion/IngestionJobs"
import type * as JobMachine from "@tensoras/ingestion/JobMachine"
import * as PollSchedule from "@tensoras/ingestion/PollSchedule"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import * as BrowserIngestion from "../src/BrowserIngestion.js"
import { watchJob } from "../src/index.js"
import * as PageSignals from "../src/PageSignals.js"
import { countingFetch, sim, simApiKey, simBaseUrl } from "./helpers.js"

describe("BrowserIngestion in Chromium", () => {
  it.live("refuses an API key without the explicit opt-in, and sends nothing", () =>
    Effect.gen(function* () {
      const { knowledgeBaseId, jobId } = yield* Effect.promise(() => sim.newJob())
      const counter = countingFetch()
      const error = yield* IngestionJobs.get(knowledgeBaseId, jobId).pipe(
        Effect.provide(
          BrowserIngestion.layerClient({ baseUrl: simBaseUrl, apiKey: simApiKey, fetch: counter.fetch })
        ),
        Effect.flip
      )
      expect(error._tag).toBe("InvalidInput")
      expect(error._tag === "InvalidInput" && error.param).toBe("apiKey")
      expect(error.message).toContain("dangerouslyAllowApiKeyInBrowser")
      expect(error.message).not.toContain(simApiKey)
      expect(counter.calls).toBe(0)
      expect(yield* Effect.promise(() => sim.count(jobId))).toBe(0)
      // With the opt-in, the same call goes through.
      const job = yield* IngestionJobs.get(knowledgeBaseId, jobId).pipe(
        Effect.provide(
          BrowserIngestion.layerClient({
            baseUrl: simBaseUrl,
            apiKey: simApiKey,
            dangerouslyAllowApiKeyInBrowser: true
          })
        )
      )
      expect(job.id).toBe(jobId)
    })
  )

  it.live(
    "passes core's body limit and unreachable count through: a big body and a closed port end typed",
    () =>
      Effect.gen(function* () {
        const { knowledgeBaseId, jobId } = yield* Effect.promise(() => sim.newJob())
        const tooLarge = yield* IngestionJobs.get(knowledgeBaseId, jobId).pipe(
          Effect.provide(
            BrowserIngestion.layerClient({
              baseUrl: simBaseUrl,
              apiKey: simApiKey,
              dangerouslyAllowApiKeyInBrowser: true,
              maxResponseBytes: 64
            })
          ),
          Effect.flip
        )
        expect(tooLarge._tag === "ResponseDecodeError" && tooLarge.reason).toBe("TooLarge")
        // Nothing listens on the discard port: with unreachableAfter 1 its first attempt is Unreachable.
        const unreachable = yield* IngestionJobs.get(knowledgeBaseId, jobId).pipe(
          Effect.provide(
            BrowserIngestion.layerClient({
              baseUrl: "http://127.0.0.1:9/v1",
              apiKey: simApiKey,
              dangerouslyAllowApiKeyInBrowser: true,
              unreachableAfter: 1,
              // No retries: one attempt, which the count makes Unreachable (by default, a TransportError).
              retrySchedule: Schedule.recurs(0)
            })
          ),
          Effect.flip
        )
        expect(unreachable._tag).toBe("Unreachable")
      })
  )

  it.live("resolves a proxy path against the page and sends no key, only the app's own headers", () =>
    Effect.gen(function* () {
      const resolved = yield* BrowserIngestion.resolveOptions({ baseUrl: "/api/tensoras/v1" })
      expect(resolved.baseUrl.href).toBe(`${location.origin}/api/tensoras/v1`)
      expect(resolved.apiKey).toBeUndefined()
      const seen: Array<{ url: string; headers: Record<string, string>; credentials: string | undefined }> =
        []
      const fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
        seen.push({
          url: String(input),
          headers: Object.fromEntries(new Headers(init?.headers).entries()),
          credentials: init?.credentials
        })
        return new Response(JSON.stringify({ object: "list", data: [], has_more: false }), {
          headers: { "content-type": "application/json" }
        })
      }
      const page = yield* IngestionJobs.list("kb_abc123").pipe(
        Effect.provide(
          BrowserIngestion.layerClient({
            baseUrl: "/api/tensoras/v1",
            headers: { "x-csrf-token": "t0k" },
            fetch
          })
        )
      )
      expect(page.data).toEqual([])
      expect(seen).toHaveLength(1)
      expect(seen[0]?.url).toBe(`${location.origin}/api/tensoras/v1/knowledge-bases/kb_abc123/ingestion-jobs`)
      expect(seen[0]?.headers.authorization).toBeUndefined()
      expect(seen[0]?.headers["x-csrf-token"]).toBe("t0k")
      expect(seen[0]?.credentials).toBe("same-origin")
      const missing = yield* Effect.flip(BrowserIngestion.resolveOptions({} as BrowserIngestion.Options))
      expect(missing.param).toBe("baseUrl")
    })
  )

  it("watchJob delivers the lifecycle machine's snapshots until the job completes", async () => {
    const { knowledgeBaseId, jobId } = await sim.newJob()
    const snapshots: Array<JobMachine.Snapshot> = []
    const done = new Promise<JobMachine.Snapshot>((resolve) => {
      const stop = watchJob(
        {
          baseUrl: simBaseUrl,
          apiKey: simApiKey,
          dangerouslyAllowApiKeyInBrowser: true,
          knowledgeBaseId,
          jobId,
          schedule: PollSchedule.fixed("20 millis"),
          signals: PageSignals.makeControlled(),
          channelPrefix: `watch-${jobId}`
        },
        (snapshot) => {
          snapshots.push(snapshot)
          if (snapshot.status === "done") {
            stop()
            resolve(snapshot)
          }
        }
      )
    })
    await sim.waitForRequests(jobId, 1)
    await sim.toTerminal(knowledgeBaseId, jobId)
    const last = await done
    expect(last.value).toBe("completed")
    expect(last.output?._tag).toBe("Completed")
    // The ended job comes with its document_details, in the output (the context keeps its counters).
    const { output } = last
    expect(output?._tag === "Completed" && output.job.document_details).toHaveLength(4)
    expect(snapshots.some((s) => s.matches({ watching: { job: "queued" } }))).toBe(true)
  })
})
