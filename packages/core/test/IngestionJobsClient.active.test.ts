import { describe, expect, it } from "@effect/vitest"
import { type ClientJobUpdate, IngestionError, WaitError } from "@tensoras/ingestion"
import {
  addNewJob,
  endsAt,
  fetchChangingWorld,
  idOf,
  KB,
  RUNNING,
  raceScenarioAt
} from "./utils/activeScenario.js"
import { clientOn, rejection, useSimulator } from "./utils/ingestionJobsClient.js"

const world = useSimulator()

/** Lets simulated time pass as the waits poll: every request moves the simulator's clock by `step`. */
const tickOnEveryRequest = (step: number) => {
  let seen = world.simulator.control.requestCount()
  const timer = setInterval(() => {
    const count = world.simulator.control.requestCount()
    if (count > seen) world.simulator.control.advance((count - seen) * step)
    seen = count
  }, 1)
  return () => clearInterval(timer)
}

/** An update in a few words: `Changed job status` or `Ended job fulfilled|<error tag>`. */
const describeUpdate = (update: ClientJobUpdate) =>
  update._tag === "Changed"
    ? `Changed ${update.jobId} ${update.job.status}`
    : `Ended ${update.jobId} ${update.result.status === "fulfilled" ? "fulfilled" : update.result.reason._tag}`

describe("client.waitForAll's onUpdate", () => {
  it("tells each job's end as it happens, in the Promise shape, before the slowest job ends", async () => {
    const updates: Array<string> = []
    const stop = tickOnEveryRequest(5_000)
    try {
      const results = await world.client().waitForAll("kb_abc123", ["job_abc123", "job_def456", "job_nope"], {
        pollIntervalMs: 5,
        onUpdate: (update) => void updates.push(describeUpdate(update))
      })
      expect(results.map((result) => result.status)).toStrictEqual(["fulfilled", "fulfilled", "rejected"])
      const at = (update: string) => updates.indexOf(update)
      expect(at("Ended job_abc123 fulfilled")).toBeGreaterThanOrEqual(0)
      expect(at("Ended job_nope NotFound")).toBeGreaterThanOrEqual(0)
      // job_abc123 had completed already: its end is told before job_def456 has moved on from processing.
      expect(at("Ended job_abc123 fulfilled")).toBeLessThan(at("Changed job_def456 completed"))
      expect(updates.at(-1)).toBe("Ended job_def456 fulfilled")
      expect(updates.filter((update) => update.startsWith("Ended")).length).toBe(3)
    } finally {
      stop()
    }
  })

  it("an onUpdate that is not a function is InvalidInput, before anything is sent", async () => {
    const error = await rejection(
      world.client().waitForAll("kb_abc123", ["job_abc123"], { onUpdate: "yes" as never })
    )
    expect(error).toBeInstanceOf(IngestionError.InvalidInput)
    expect(error.param).toBe("onUpdate")
    expect(world.simulator.control.requestCount()).toBe(0)
  })
})

describe("client.waitForActive", () => {
  // The client's clock is the machine's: the simulated world starts now (at a whole second).
  const start = () => {
    const epochMs = Math.floor(Date.now() / 1_000) * 1_000
    world.simulator.control.setScenario(raceScenarioAt(epochMs))
    return epochMs
  }
  const ALL = Array.from({ length: RUNNING }, (_, index) => idOf(index))

  it("waits for every job running when it began, those that ended while it listed them included", async () => {
    const epochMs = start()
    const changing = fetchChangingWorld(new RegExp(`after=${idOf(100)}(&|$)`), () => {
      world.simulator.control.advance(endsAt(epochMs) + 60_000 - world.simulator.control.now())
      addNewJob(world.simulator, "job_new", 30_000, epochMs)
    })
    const ended: Array<string> = []
    const results = await clientOn(world.simulator, { fetch: changing.fetch }).waitForActive(KB, {
      onUpdate: (update) => void (update._tag === "Ended" && ended.push(update.jobId))
    })
    expect(changing.fired()).toBe(true)
    expect(results.map((result) => result.jobId)).toStrictEqual(ALL)
    expect(results.every((result) => result.result.status === "fulfilled")).toBe(true)
    expect([...ended].sort()).toStrictEqual(ALL)
  })

  it("includeNew: the job created while it listed them too", async () => {
    const epochMs = start()
    const changing = fetchChangingWorld(new RegExp(`after=${idOf(100)}(&|$)`), () => {
      world.simulator.control.advance(endsAt(epochMs) + 60_000 - world.simulator.control.now())
      addNewJob(world.simulator, "job_new", 30_000, epochMs)
    })
    const results = await clientOn(world.simulator, { fetch: changing.fetch }).waitForActive(KB, {
      includeNew: true
    })
    expect(results.map((result) => result.jobId)).toStrictEqual([...ALL, "job_new"])
  })

  it("rejects with the knowledge base's NotFound", async () => {
    const error = await rejection(world.client().waitForActive("kb_nope"))
    expect(error).toBeInstanceOf(IngestionError.NotFound)
  })

  it("a deadline that passes while the list does not answer: WaitTimeout", async () => {
    start()
    world.simulator.control.injectFault({ kind: "hang", route: "list" })
    const error = await rejection(world.client().waitForActive(KB, { timeoutMs: 200 }))
    expect(error).toBeInstanceOf(WaitError.WaitTimeout)
  })

  it("abort: rejects with the signal's reason and closes the request in flight", async () => {
    start()
    world.simulator.control.injectFault({ kind: "hang", route: "list" })
    const controller = new AbortController()
    const waiting = world.client().waitForActive(KB, { signal: controller.signal })
    await world.simulator.control.waitForRequests(1)
    controller.abort()
    const error = await rejection(waiting)
    expect(error.name).toBe("AbortError")
    const [request] = await world.simulator.control.waitForRequests(1, { settled: true })
    expect(request?.outcome).toBe("hung")
    expect(world.simulator.control.requestCount()).toBe(1)
  })
})
