import { createIngestionJobsClient, IngestionError } from "@tensoras/ingestion"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest"
import { Eventually, NodeSimulator } from "../src/index.js"
import * as SimulatorControl from "../src/SimulatorControl.js"

const TOKEN = "ctl_test_token"
const DEF456 = "job_def456"

let sim: NodeSimulator.RunningSimulator
let control: SimulatorControl.RemoteControl
beforeAll(async () => {
  sim = await NodeSimulator.start({ scenario: "docs", clock: "manual", controlToken: TOKEN })
  control = SimulatorControl.connect({ url: sim.baseUrl, token: TOKEN })
})
afterAll(() => sim.close())
beforeEach(() => sim.control.reset())

/** The client under test: the library's Promise client, without retries, so each fault shows. */
const client = () => createIngestionJobsClient({ apiKey: sim.apiKey, baseUrl: sim.baseUrl, maxRetries: 0 })

/** The error a promise rejects with. */
const rejection = (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    () => {
      throw new Error("it resolved")
    },
    (error: unknown) => error
  )

describe("the control API's guard", () => {
  it("answers only under /_simulator, and only to the control token (not the API key)", async () => {
    const origin = new URL(sim.baseUrl).origin
    const statusOf = async (headers: Record<string, string>) =>
      (await fetch(`${origin}/_simulator`, { headers })).status
    expect(sim.controlUrl).toBe(`${origin}/_simulator`)
    expect(control.url).toBe(`${origin}/_simulator`)
    expect(await statusOf({})).toBe(401)
    expect(await statusOf({ authorization: `Bearer ${sim.apiKey}` })).toBe(401)
    expect(await statusOf({ authorization: `Bearer ${TOKEN}` })).toBe(401)
    expect(await statusOf({ "x-simulator-token": "ctl_wrong" })).toBe(401)
    expect(await statusOf({ "x-simulator-token": TOKEN })).toBe(200)
    // Nothing under the API's base URL reaches it, and control calls stay out of the request log.
    const underBase = await fetch(`${sim.baseUrl}/_simulator/advance?ms=1000`, {
      method: "POST",
      headers: { authorization: `Bearer ${sim.apiKey}`, "x-simulator-token": TOKEN }
    })
    expect(underBase.status).toBe(404)
    expect((await control.requests()).map((record) => record.path)).toEqual(["/v1/_simulator/advance"])
    expect((await control.state()).now).toBe(sim.control.now())
  })

  it("a client that follows a redirect there, with its key, cannot drive it", async () => {
    const origin = new URL(sim.baseUrl).origin
    await control.injectFault({ kind: "redirect", location: `${origin}/_simulator/reset`, route: "get" })
    const before = await control.advance(1_000)
    const followed = await fetch(`${sim.baseUrl}/knowledge-bases/kb_abc123/ingestion-jobs/${DEF456}`, {
      headers: { authorization: `Bearer ${sim.apiKey}` }
    })
    expect(followed.status).toBe(401)
    expect((await control.state()).now).toBe(before)
  })

  it("is not served without a control token", async () => {
    const plain = await NodeSimulator.start({ scenario: "docs" })
    const response = await fetch(`${new URL(plain.baseUrl).origin}/_simulator`, {
      headers: { "x-simulator-token": TOKEN }
    })
    expect([plain.controlUrl, response.status]).toEqual([undefined, 404])
    await plain.close()
  })
})

describe("driving the world from outside", () => {
  it("advance and setTime move the manual clock: the client sees the job move", async () => {
    expect((await client().get("kb_abc123", DEF456)).status).toBe("processing")
    const start = sim.control.now()
    expect(await control.advance(40_000)).toBe(start + 40_000)
    expect((await control.getJob("kb_abc123", DEF456)).status).toBe("processing")
    expect(await control.setTime(start + 44_000)).toBe(start + 44_000)
    expect(await client().get("kb_abc123", DEF456)).toMatchObject({
      status: "completed",
      chunks_created: 542
    })
  })

  it("adds a knowledge base and a job whose faults the client meets", async () => {
    expect(await control.addKnowledgeBase("kb_new")).toBe("kb_new")
    const added = await control.addJob("kb_new", {
      id: "job_new",
      queuedMs: 1_000,
      documents: [
        { name: "a.md", chunks: 4, durationMs: 1_000 },
        { name: "b.pdf", fail: "Scanned image, no text" }
      ],
      faults: [{ kind: "rate-limit", retryAfter: 2 }]
    })
    expect(added.job).toMatchObject({ id: "job_new", knowledgeBaseId: "kb_new", outcome: "completed" })
    expect(added.faults).toMatchObject([{ kind: "rate-limit", remaining: 1, fault: { jobId: "job_new" } }])
    const limited = await rejection(client().get("kb_new", "job_new"))
    expect(limited).toBeInstanceOf(IngestionError.RateLimited)
    expect(limited).toMatchObject({ status: 429, retryAfterMs: 2_000 })
    await control.advance(added.job.terminalAt - sim.control.now())
    const job = await client().get("kb_new", "job_new")
    expect(job).toMatchObject({
      status: "completed",
      documents_processed: 1,
      documents_failed: 1,
      chunks_created: 4
    })
    expect(job.document_details[1]?.error?.message).toBe("Scanned image, no text")
  })

  it("injects, lists and clears faults (Infinity travels as 'always')", async () => {
    const injected = await control.injectFault({
      kind: "server-error",
      status: 503,
      jobId: DEF456,
      times: Infinity
    })
    expect(injected).toMatchObject({ kind: "server-error", remaining: "always", fault: { times: "always" } })
    expect(await rejection(client().get("kb_abc123", DEF456))).toBeInstanceOf(IngestionError.ServerError)
    expect(await control.faults()).toMatchObject([{ id: injected.id, applied: 1, remaining: "always" }])
    await control.clearFaults()
    expect(await control.faults()).toEqual([])
    expect((await client().get("kb_abc123", DEF456)).status).toBe("processing")
  })

  it("refuses bad input with a ControlError naming the parameter", async () => {
    const refused = async (call: Promise<unknown>) => {
      const error = await rejection(call)
      expect(error).toBeInstanceOf(SimulatorControl.ControlError)
      const { status, field, message } = error as SimulatorControl.ControlError
      return { status, field, message }
    }
    expect(await refused(control.injectFault({ kind: "server-error", status: 501 as 500 }))).toEqual({
      status: 400,
      field: "fault.status",
      message: "fault.status: Expected 500 | 502 | 503 | 504, got 501"
    })
    expect(await refused(control.advance(-1))).toMatchObject({ status: 400, field: "ms" })
    expect(await refused(control.addJob("kb_nope"))).toMatchObject({ status: 404, field: "kbId" })
    expect(await refused(control.addJob("kb_abc123", { queuedMs: -5 }))).toMatchObject({
      field: "job.queuedMs"
    })
    expect(await refused(control.getJob("kb_abc123", "job_nope"))).toMatchObject({
      status: 404,
      field: "jobId"
    })
    expect(await refused(control.setTime(0))).toMatchObject({
      status: 400,
      message: expect.stringMatching(/only moves forward/)
    })
    expect(await refused(control.requests({ route: "put" as "get" }))).toMatchObject({ field: "route" })
  })

  it("reset reloads the scenario: clock, world and faults", async () => {
    await control.advance(60_000)
    await control.addKnowledgeBase("kb_extra")
    const state = await control.reset()
    expect(state).toMatchObject({
      scenario: "docs",
      clock: "manual",
      now: 1_709_125_040_000,
      faults: [],
      requests: 0
    })
    expect(state.knowledgeBases.map((kb) => kb.jobs.map((job) => `${job.id} ${job.status}`))).toEqual([
      ["job_abc123 completed", "job_def456 processing"]
    ])
  })
})

describe("reading the request log", () => {
  it("waits for the client's polls, then the clock moved from outside ends its wait", async () => {
    const waiting = client().waitFor("kb_abc123", DEF456, { pollIntervalMs: 5 })
    const polls = await control.waitForRequests(2, { filter: { route: "get", jobId: DEF456 }, settled: true })
    expect(polls.map((record) => [record.status, record.outcome, record.authorized])).toEqual([
      [200, "responded", true],
      [200, "responded", true]
    ])
    await control.advance(44_000)
    expect(await Eventually.within("the client's wait", waiting)).toMatchObject({
      id: DEF456,
      status: "completed"
    })
    const log = await control.requests({ route: "get", status: 200 })
    expect(log.length).toBeGreaterThanOrEqual(3)
    expect(log.every((record) => record.jobId === DEF456 && record.userAgent !== null)).toBe(true)
    await control.clearRequests()
    expect(await control.requests()).toEqual([])
  })

  it("a wait that runs out is a 408 saying what the simulator saw", async () => {
    await client().list("kb_abc123")
    const error = await rejection(control.waitForRequests(5, { timeoutMs: 50 }))
    expect(error).toMatchObject({ _tag: "ControlError", status: 408 })
    expect((error as Error).message).toMatch(
      /waiting for 5 request\(s\); saw 1: #1 GET \/v1\/knowledge-bases\/kb_abc123\/ingestion-jobs -> 200/
    )
  })
})

describe("the Effect client", () => {
  it("calls through the SimulatorControl service and fails with ControlError", async () => {
    const program = Effect.gen(function* () {
      const remote = yield* SimulatorControl.SimulatorControl
      const now = yield* remote.advance(44_000)
      const job = yield* remote.getJob("kb_abc123", DEF456)
      const refused = yield* Effect.flip(remote.advance(Number.NaN))
      return { now, status: job.status, refused: [refused._tag, refused.field] }
    })
    const result = await Effect.runPromise(
      program.pipe(Effect.provide(SimulatorControl.layer({ url: sim.baseUrl, token: TOKEN })))
    )
    expect(result).toEqual({ now: 1_709_125_084_000, status: "completed", refused: ["ControlError", "ms"] })
  })

  it("interrupting a call aborts its request", async () => {
    const signals: Array<AbortSignal> = []
    const remote = SimulatorControl.make({
      url: sim.baseUrl,
      token: TOKEN,
      fetch: (input, init) => {
        if (init?.signal) signals.push(init.signal)
        return fetch(input, init)
      }
    })
    const fiber = Effect.runFork(remote.waitForRequests(1, { filter: { jobId: "job_never" } }))
    await Eventually.until("the wait's request to be sent", () => signals.length === 1)
    await Effect.runPromise(Fiber.interrupt(fiber))
    expect(signals[0]?.aborted).toBe(true)
  })
})
