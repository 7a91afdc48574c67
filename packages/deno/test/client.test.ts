import {
  IngestionError,
  IngestionJobs,
  PollSchedule,
  RetrySchedule,
  Wait,
  WaitEngine,
  WaitError
} from "@tensoras/ingestion"
import { serveSimulator } from "@tensoras/ingestion-deno/DenoSimulator"
import * as Canary from "@tensoras/ingestion-testkit/Canary"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import { assert, assertEquals, assertInstanceOf, assertMatch } from "./assert.ts"
import { clientLayer, failureOf, runExit } from "./helpers.ts"

/** The wait engine on the client against `sim`. */
const waitLayer = (sim: Parameters<typeof clientLayer>[0]) =>
  WaitEngine.layer().pipe(Layer.provideMerge(clientLayer(sim)))

Deno.test("list: one page of the docs' knowledge base", async () => {
  await using sim = await serveSimulator({ scenario: "docs", clock: "manual" })
  const exit = await runExit(IngestionJobs.list("kb_abc123"), clientLayer(sim))
  assert(Exit.isSuccess(exit))
  assertEquals(
    exit.value.data.map((job) => [job.id, job.status]),
    [
      ["job_abc123", "completed"],
      ["job_def456", "processing"]
    ]
  )
  assertEquals(exit.value.has_more, false)
  const [request] = sim.control.requests
  assertEquals(request?.route, "list")
  assertEquals(request?.authorized, true)
})

Deno.test("get: one job with its documents; an unknown job is NotFound", async () => {
  await using sim = await serveSimulator({ scenario: "docs", clock: "manual" })
  const layer = clientLayer(sim)
  const exit = await runExit(IngestionJobs.get("kb_abc123", "job_abc123"), layer)
  assert(Exit.isSuccess(exit))
  assertEquals(exit.value.chunks_created, 482)
  assertEquals(exit.value.document_details.length, 15)
  assertEquals(exit.value.document_details[0], {
    document_id: "doc_001",
    document_name: "product-guide.pdf",
    status: "completed",
    chunks_created: 32,
    error: null
  })

  const missing = failureOf(await runExit(IngestionJobs.get("kb_abc123", "job_nope"), layer))
  assertInstanceOf(missing, IngestionError.NotFound)
  assertEquals(missing.code, "ingestion_job_not_found")
  assertEquals(missing.status, 404)
})

Deno.test("listAll: every page of the paginated scenario, following the cursor", async () => {
  await using sim = await serveSimulator({ scenario: "paginated", clock: "manual" })
  const layer = clientLayer(sim)
  const exit = await runExit(Stream.runCollect(IngestionJobs.listAll("kb_paginated", { limit: 100 })), layer)
  assert(Exit.isSuccess(exit))
  const ids = exit.value.map((job) => job.id)
  assertEquals(ids.length, 250)
  assertEquals(new Set(ids).size, 250)
  assertEquals(ids[0], "job_page_001")
  assertEquals(ids[249], "job_page_250")
  assertEquals(
    sim.control.requests.map((request) => request.query.after ?? null),
    [null, "job_page_100", "job_page_200"]
  )

  // A status filter across pages: every job returned has it.
  const failed = await runExit(
    Stream.runCollect(IngestionJobs.listAll("kb_paginated", { limit: 25, status: "failed" })),
    layer
  )
  assert(Exit.isSuccess(failed))
  const statuses = new Set(failed.value.map((job) => job.status))
  assert(failed.value.length > 0)
  assertEquals([...statuses], ["failed"])
})

Deno.test("waitFor: polls until completed while the simulator's clock moves", async () => {
  await using sim = await serveSimulator({ scenario: "docs", clock: "manual" })
  // Each answered poll moves the world 10 s on: job_def456 completes 44 s after the start.
  const exit = await sim.control.advanceOnEachAnswer(
    10_000,
    runExit(
      Wait.waitFor("kb_abc123", "job_def456", { schedule: PollSchedule.fixed("10 millis") }),
      waitLayer(sim)
    )
  )
  assert(Exit.isSuccess(exit))
  assertEquals(exit.value.status, "completed")
  assertEquals(exit.value.id, "job_def456")
  assertEquals(exit.value.partial, true)
  assertEquals(exit.value.documents_failed, 1)
  assertEquals(exit.value.chunks_created, sim.control.getJob("kb_abc123", "job_def456").chunks_created)
  // Polls at 0, 10, 20, 30, 40 s saw it processing; the one at 50 s saw it completed.
  assertEquals(
    sim.control.requests.map((request) => request.status),
    [200, 200, 200, 200, 200, 200]
  )
})

Deno.test("waitFor: a failed job is IngestionJobFailed, with the job's error", async () => {
  await using sim = await serveSimulator({ scenario: "failing", clock: "manual" })
  const layer = waitLayer(sim)
  for (const jobId of ["job_failing", "job_rejected"]) {
    const terminal = sim.control.advanceToTerminal("kb_failing", jobId)
    const error = failureOf(
      await runExit(Wait.waitFor("kb_failing", jobId, { schedule: PollSchedule.fixed("10 millis") }), layer)
    )
    assertInstanceOf(error, WaitError.IngestionJobFailed)
    assertEquals(error.job.id, jobId)
    assertEquals(error.job.status, "failed")
    assert(terminal.error !== null)
    assertEquals(error.job.error?.code, terminal.error.code)
    assertEquals(error.message, terminal.error.message)
  }
  // The job was already terminal: one request each.
  assertEquals(sim.control.requestCount(), 2)
})

Deno.test("a 429 storm without Retry-After is retried on the retry schedule", async () => {
  await using sim = await serveSimulator({ scenario: "docs", clock: "manual" })
  sim.control.injectFault({ kind: "rate-limit", retryAfterFormat: "none", times: 3 })
  const exit = await runExit(IngestionJobs.get("kb_abc123", "job_abc123"), clientLayer(sim))
  assert(Exit.isSuccess(exit))
  assertEquals(exit.value.id, "job_abc123")
  assertEquals(
    sim.control.requests.map((request) => request.status),
    [429, 429, 429, 200]
  )

  // When the storm outlasts the retries, the typed RateLimited error comes back.
  sim.control.clearRequests()
  sim.control.injectFault({ kind: "rate-limit", retryAfterFormat: "none", times: Number.POSITIVE_INFINITY })
  const error = failureOf(
    await runExit(
      IngestionJobs.get("kb_abc123", "job_abc123"),
      clientLayer(sim, {
        retrySchedule: RetrySchedule.exponential({ base: "1 millis", retries: 2, jitter: 0 })
      })
    )
  )
  assertInstanceOf(error, IngestionError.RateLimited)
  assertEquals(error.status, 429)
  assertEquals(sim.control.requestCount(), 3)
})

Deno.test("interrupting a wait aborts the hanging request", async () => {
  await using sim = await serveSimulator({ scenario: "docs", clock: "manual" })
  sim.control.injectFault({ kind: "hang", route: "get" })
  const fiber = Effect.runFork(Effect.provide(Wait.waitFor("kb_abc123", "job_def456"), waitLayer(sim)))
  await sim.control.waitForRequests(1)
  await Effect.runPromise(Fiber.interrupt(fiber))
  const exit = await Effect.runPromise(Fiber.await(fiber))
  assert(Exit.hasInterrupts(exit))
  const [request] = await sim.control.waitForRequests(1, { settled: true })
  assertEquals(request?.outcome, "hung")
  assertEquals(
    request?.faults.map((fault) => fault.kind),
    ["hang"]
  )
  assertEquals(sim.control.requestCount(), 1)
})

Deno.test("a dropped connection looks like a network failure to the client", async () => {
  await using sim = await serveSimulator({ scenario: "docs", clock: "manual" })
  sim.control.injectFault({ kind: "drop", times: 2 })
  const exit = await runExit(IngestionJobs.get("kb_abc123", "job_abc123"), clientLayer(sim))
  assert(Exit.isSuccess(exit))
  assertEquals(
    sim.control.requests.map((request) => request.outcome),
    ["dropped", "dropped", "responded"]
  )

  sim.control.clearRequests()
  sim.control.injectFault({ kind: "drop" })
  const error = failureOf(
    await runExit(
      IngestionJobs.get("kb_abc123", "job_abc123"),
      clientLayer(sim, { retrySchedule: RetrySchedule.none })
    )
  )
  assertInstanceOf(error, IngestionError.TransportError)
  assertEquals(error.reason, "Network")
})

Deno.test("no secret from the server's own text: a job and an error body that echo the key", async () => {
  await using sim = await serveSimulator({ scenario: "failing", clock: "manual", apiKey: Canary.make() })
  sim.control.advanceToTerminal("kb_failing", "job_failing")
  sim.control.injectFault({ kind: "echo-key" })
  const layer = clientLayer(sim)
  const got = await runExit(IngestionJobs.get("kb_failing", "job_failing"), layer)
  assert(Exit.isSuccess(got))
  assertMatch(got.value.error?.message ?? "", /\[echo: <redacted> \| Authorization: Bearer <redacted>\]$/)
  sim.control.injectFault({ kind: "echo-key", status: 403 })
  const error = failureOf(await runExit(IngestionJobs.list("kb_failing"), layer))
  assertInstanceOf(error, IngestionError.Forbidden)
  assertEquals(Canary.leaks(sim.apiKey, got.value, error), [])
})

Deno.test("a redirect is not followed: a typed error, nothing sent to its target", async () => {
  await using sim = await serveSimulator({ scenario: "docs", clock: "manual" })
  sim.control.injectFault({ kind: "redirect" })
  const error = failureOf(await runExit(IngestionJobs.get("kb_abc123", "job_abc123"), clientLayer(sim)))
  assertInstanceOf(error, IngestionError.ResponseDecodeError)
  assertMatch(error.message, /^The service answered HTTP 302, a redirect to http:\/\/127\.0\.0\.1:\d+\/v1\//)
  assertEquals(sim.control.requestCount(), 1)
})
