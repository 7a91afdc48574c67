import { describe, expect, it } from "@effect/vitest"
import { Eventually, NodeSimulator } from "@tensoras/ingestion-testkit"
import { API_KEY, clientOn, rejection } from "./utils/ingestionJobsClient.js"
import { useSimulatorOf } from "./utils/simulator.js"

/**
 * Four Promise waits on one knowledge base, on real timers and real HTTP: one job's GET hangs, one
 * job's answer is cut short, one job's body is endless. Each ends as its own job's answer says, the
 * others are not held, and nothing is left running.
 */

const KB = "kb_isolated"
const EPOCH = Date.UTC(2025, 0, 1)

const world = useSimulatorOf(() =>
  NodeSimulator.start({ scenario: "empty", apiKey: API_KEY, clock: "manual", epochMs: EPOCH })
)

const requestsFor = (jobId: string) =>
  world.simulator.control.requests.filter((request) => request.kbId === KB && request.jobId === jobId)

describe("a Promise client's waits on one knowledge base, one job misbehaving each", () => {
  it("a hung GET, a malformed body and an endless body end their own jobs' waits, hold no other, and leave nothing running", async () => {
    const { control } = world.simulator
    control.setScenario({
      name: "isolation",
      description: "four jobs, each ends at +2 s",
      epochMs: EPOCH,
      setup: (engine) => {
        engine.addKnowledgeBase(KB)
        for (const jobId of ["job_ok", "job_hang", "job_bad", "job_huge"]) {
          engine.addDataSource(KB, {
            jobId,
            queuedMs: 1_000,
            documents: [{ name: `${jobId}.md`, durationMs: 1_000 }]
          })
        }
      }
    })
    control.injectFault({ kind: "hang", route: "get", jobId: "job_hang", times: Number.POSITIVE_INFINITY })
    control.injectFault({
      kind: "truncated",
      route: "get",
      jobId: "job_bad",
      times: Number.POSITIVE_INFINITY
    })
    control.injectFault({
      kind: "huge-body",
      route: "get",
      jobId: "job_huge",
      times: Number.POSITIVE_INFINITY
    })
    const client = clientOn(world.simulator, { maxRetries: 2, maxResponseBytes: 1024 * 1024 })
    const abort = new AbortController()
    const options = { pollIntervalMs: 100, timeoutMs: 600_000 }
    const ok = client.waitFor(KB, "job_ok", options)
    const bad = client.waitFor(KB, "job_bad", options)
    const huge = client.waitFor(KB, "job_huge", options)
    let hangEnded = false
    const hang = client.waitFor(KB, "job_hang", { ...options, signal: abort.signal })
    hang.then(
      () => (hangEnded = true),
      () => (hangEnded = true)
    )
    // Four jobs cost more as GETs than a sweep: the waits sweep. Once a sweep has listed them all
    // queued, every job ends: the next sweep misses them, and GETs each.
    await Eventually.until("a first sweep", () =>
      control.requests.some((request) => request.route === "list")
    )
    control.advance(2_000)
    expect(await ok).toMatchObject({ id: "job_ok", status: "completed", partial: false })
    expect(await rejection(bad)).toMatchObject({ _tag: "ResponseDecodeError", reason: "Malformed" })
    expect(await rejection(huge)).toMatchObject({ _tag: "ResponseDecodeError", reason: "TooLarge" })
    // The hung GET holds its own wait only.
    expect(hangEnded).toBe(false)
    expect(requestsFor("job_hang").map((request) => request.outcome)).toStrictEqual(["pending"])
    abort.abort()
    expect(await rejection(hang)).toMatchObject({ name: "AbortError" })
    await Eventually.until("no request left open", () =>
      control.requests.every((request) => request.outcome !== "pending")
    )
    expect(requestsFor("job_hang").map((request) => request.outcome)).toStrictEqual(["hung"])
    // The endless body was cut off at the limit: the simulator had sent a few chunks over it, not 4 GiB.
    await Eventually.until("the endless body given up by the client", () =>
      requestsFor("job_huge").every((request) => request.outcome === "aborted")
    )
    expect(requestsFor("job_huge")[0]!.bodyBytes).toBeLessThan(8 * 1024 * 1024)
    // One GET each: an answer that cannot be read is not retried.
    expect(requestsFor("job_bad").length).toBe(1)
    expect(requestsFor("job_huge").length).toBe(1)
  })
})
