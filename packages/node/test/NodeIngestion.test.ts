import * as diagnostics from "node:diagnostics_channel"
import type { Socket } from "node:net"
import { fileURLToPath } from "node:url"
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "@effect/vitest"
import { IngestionJobs, Wait } from "@tensoras/ingestion"
import { NodeIngestion } from "@tensoras/ingestion-node"
import { NodeSimulator } from "@tensoras/ingestion-testkit"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import type { Agent } from "undici"
import { CANARY, spawnScript, WRONG_KEY } from "./helpers.js"

let simulator: NodeSimulator.RunningSimulator
beforeAll(async () => {
  simulator = await NodeSimulator.start({ scenario: "docs", clock: "manual", apiKey: CANARY })
})
afterAll(() => simulator.close())
// Clears the request log and the faults.
beforeEach(() => simulator.control.setScenario("docs"))

const options = () => ({ apiKey: Redacted.make(CANARY), baseUrl: simulator.baseUrl })
const waitForRequests = (n: number, settled = false) =>
  Effect.promise(() => simulator.control.waitForRequests(n, { settled }))

describe("NodeIngestion.layer", () => {
  it.live("serves the client on undici: a job, a page", () =>
    Effect.gen(function* () {
      const job = yield* IngestionJobs.get("kb_abc123", "job_abc123")
      expect([job.chunks_created, job.document_details.length]).toEqual([482, 15])
      const page = yield* IngestionJobs.list("kb_abc123", { limit: 10 })
      expect(page.data.map((each) => each.id)).toEqual(["job_abc123", "job_def456"])
      expect(simulator.control.requests.map((r) => [r.route, r.authorized])).toEqual([
        ["get", true],
        ["list", true]
      ])
    }).pipe(Effect.provide(NodeIngestion.layer(options())))
  )

  it.live(
    "a wrong key, a missing job and a redirect are typed errors, sent once: the redirect is not followed",
    () =>
      Effect.gen(function* () {
        const unauthorized = yield* IngestionJobs.get("kb_abc123", "job_abc123").pipe(
          Effect.provide(NodeIngestion.layer({ ...options(), apiKey: Redacted.make(WRONG_KEY) })),
          Effect.flip
        )
        expect(unauthorized._tag).toBe("Unauthorized")
        const jobs = NodeIngestion.layer(options())
        const notFound = yield* IngestionJobs.get("kb_abc123", "job_missing").pipe(
          Effect.provide(jobs),
          Effect.flip
        )
        expect(notFound).toMatchObject({ _tag: "NotFound", status: 404 })
        simulator.control.injectFault({ kind: "redirect", status: 307 })
        const redirect = yield* IngestionJobs.get("kb_abc123", "job_abc123").pipe(
          Effect.provide(jobs),
          Effect.flip
        )
        expect(redirect).toMatchObject({ _tag: "ResponseDecodeError", status: 307 })
        expect(redirect.message).toContain("does not follow redirects")
        // Three requests: none retried, and the redirect's target never asked.
        expect(simulator.control.requests.map((r) => r.status)).toEqual([401, 404, 307])
        for (const error of [unauthorized, notFound, redirect]) {
          expect(JSON.stringify([error, String(error), error.stack])).not.toMatch(/tns_(canary|wrong)_/)
        }
      })
  )

  it.live("reads Retry-After from a 429, and retries 429s and 5xx", () =>
    Effect.gen(function* () {
      simulator.control.injectFault({ kind: "rate-limit", retryAfter: 7 })
      const limited = yield* IngestionJobs.get("kb_abc123", "job_abc123").pipe(
        Effect.provide(NodeIngestion.layer({ ...options(), retrySchedule: Schedule.recurs(0) })),
        Effect.flip
      )
      expect(limited).toMatchObject({ _tag: "RateLimited", retryAfterMs: 7_000 })

      // Without Retry-After, on a schedule with no delay: three failures, then the job.
      simulator.control.injectFault({ kind: "rate-limit", retryAfterFormat: "none", times: 2 })
      simulator.control.injectFault({ kind: "server-error", status: 503 })
      const job = yield* IngestionJobs.get("kb_abc123", "job_abc123").pipe(
        Effect.provide(NodeIngestion.layer({ ...options(), retrySchedule: Schedule.recurs(5) }))
      )
      expect(job.status).toBe("completed")
      expect(simulator.control.requests.map((r) => r.status)).toEqual([429, 429, 429, 503, 200])
    })
  )

  it.live("reads a large body whole: a job of 5,000 documents", () =>
    Effect.gen(function* () {
      const { job } = simulator.control.addDataSource("kb_abc123", {
        documents: Array.from({ length: 5_000 }, (_, i) => ({ name: `doc-${i}.md`, chunks: 2 }))
      })
      simulator.control.advanceToTerminal("kb_abc123", job.id)
      const detail = yield* IngestionJobs.get("kb_abc123", job.id)
      expect(detail.document_details.length).toBe(5_000)
      expect(detail.document_details.at(-1)?.document_name).toBe("doc-4999.md")
    }).pipe(Effect.provide(NodeIngestion.layer(options())))
  )

  it.live("fails with InvalidInput, before any request, when an option is wrong", () =>
    Effect.gen(function* () {
      const error = yield* IngestionJobs.list("kb_abc123").pipe(
        Effect.provide(NodeIngestion.layer({ ...options(), baseUrl: "http://example.com/v1" })),
        Effect.flip
      )
      expect([error._tag, error._tag === "InvalidInput" && error.param]).toEqual(["InvalidInput", "baseUrl"])
      expect(simulator.control.requestCount()).toBe(0)
    })
  )

  it.live("provides the wait engine too: Wait.waitFor runs as is", () =>
    Effect.gen(function* () {
      const job = yield* Wait.waitFor("kb_abc123", "job_abc123", { timeout: "10 seconds" })
      expect([job.status, job.partial, job.document_details.length]).toEqual(["completed", false, 15])
      expect(simulator.control.requestCount({ route: "get" })).toBe(1)
    }).pipe(Effect.provide(NodeIngestion.layer(options())))
  )

  it.live("interrupting a call aborts the request in flight", () =>
    Effect.gen(function* () {
      simulator.control.injectFault({ kind: "hang" })
      const fiber = yield* Effect.forkChild(IngestionJobs.get("kb_abc123", "job_abc123"))
      yield* waitForRequests(1)
      yield* Fiber.interrupt(fiber)
      const [request] = yield* waitForRequests(1, true)
      expect(request?.outcome).toBe("hung")
    }).pipe(Effect.provide(NodeIngestion.layer(options())))
  )
})

describe("NodeIngestion.layerHttpClient / layerDispatcher / layerHttpClientWithoutDispatcher", () => {
  it.live("keeps connections alive across requests, and closes them with the layer", () =>
    Effect.gen(function* () {
      // Every TCP connection undici opens, whichever dispatcher opens it.
      let connects = 0
      const onConnect = () => {
        connects++
      }
      diagnostics.subscribe("undici:client:connected", onConnect)
      yield* Effect.addFinalizer(() =>
        Effect.sync(() => diagnostics.unsubscribe("undici:client:connected", onConnect))
      )
      const agent = yield* Effect.scoped(
        Effect.gen(function* () {
          const dispatcher = (yield* NodeIngestion.Dispatcher) as Agent
          const jobs = yield* IngestionJobs.make(options()).pipe(
            Effect.provide(NodeIngestion.layerHttpClientWithoutDispatcher)
          )
          for (let i = 0; i < 10; i++) yield* jobs.get("kb_abc123", "job_abc123")
          expect(dispatcher.destroyed).toBe(false)
          return dispatcher
        }).pipe(Effect.provide(NodeIngestion.layerDispatcher()))
      )
      expect(simulator.control.requestCount({ status: 200 })).toBe(10)
      // Ten polls, one after the other, over one or two connections (not ten).
      expect(connects).toBeGreaterThanOrEqual(1)
      expect(connects).toBeLessThanOrEqual(2)
      expect(agent.destroyed).toBe(true)
    }).pipe(Effect.scoped)
  )

  it.live(
    "a connection is reused after an error status; one aborted or timed out is closed, and the next request opens another",
    () =>
      Effect.gen(function* () {
        // The socket each request of undici is sent on.
        const sockets: Array<Socket> = []
        const onSend = (message: unknown) => {
          sockets.push((message as { readonly socket: Socket }).socket)
        }
        diagnostics.subscribe("undici:client:sendHeaders", onSend)
        yield* Effect.addFinalizer(() =>
          Effect.sync(() => diagnostics.unsubscribe("undici:client:sendHeaders", onSend))
        )
        const jobs = yield* IngestionJobs.make({
          ...options(),
          requestTimeout: "1 second",
          retrySchedule: Schedule.recurs(1)
        })
        const get = jobs.get("kb_abc123", "job_abc123")

        yield* get
        simulator.control.injectFault({ kind: "http-error", status: 404 })
        expect((yield* Effect.flip(get))._tag).toBe("NotFound")
        simulator.control.injectFault({ kind: "server-error", status: 500 })
        yield* get
        // OK, 404, 500 then its retry: each body read to its end, each connection handed back and
        // kept (undici may open a second one when a request leaves as the first is being handed back).
        expect(sockets.length).toBe(4)
        expect(new Set(sockets).size).toBeLessThanOrEqual(2)
        expect(sockets.filter((socket) => socket.destroyed)).toEqual([])

        // Aborted while the server has not answered: that connection is closed, not handed back.
        simulator.control.injectFault({ kind: "hang" })
        const fiber = yield* Effect.forkChild(get)
        yield* waitForRequests(5)
        yield* Fiber.interrupt(fiber)
        const aborted = sockets[4]!
        expect(aborted.destroyed).toBe(true)
        yield* get
        expect(sockets[5]).not.toBe(aborted)

        // Timed out (1 second), then retried on another connection, which stays.
        simulator.control.injectFault({ kind: "hang" })
        yield* get
        const [timedOut, retried] = sockets.slice(6)
        expect(timedOut?.destroyed).toBe(true)
        expect(retried).not.toBe(timedOut)
        // Every connection left is one of a complete exchange, kept for the next request.
        expect([...new Set(sockets)].filter((socket) => socket.destroyed)).toEqual([aborted, timedOut])
        yield* waitForRequests(8, true)
        expect(simulator.control.requests.map((r) => r.outcome)).toEqual([
          ...Array(4).fill("responded"),
          "hung",
          "responded",
          "hung",
          "responded"
        ])
      }).pipe(Effect.provide(NodeIngestion.layerHttpClient()), Effect.scoped)
  )

  it.live("rejects options that are not positive", () =>
    Effect.gen(function* () {
      const build = (agentOptions: NodeIngestion.AgentOptions) =>
        Effect.scoped(Layer.build(NodeIngestion.layerHttpClient(agentOptions))).pipe(Effect.flip)
      expect((yield* build({ keepAliveTimeout: 0 })).param).toBe("keepAliveTimeout")
      expect((yield* build({ keepAliveMaxTimeout: "-1 seconds" })).param).toBe("keepAliveMaxTimeout")
      expect((yield* build({ connections: 0.5 })).param).toBe("connections")
    })
  )
})

describe("NodeIngestion.layerConfig", () => {
  const withConfig = (entries: ReadonlyArray<readonly [string, string]>) =>
    Effect.provideService(
      ConfigProvider.ConfigProvider,
      ConfigProvider.fromUnknown(Object.fromEntries(entries))
    )

  it.live("reads TENSORAS_API_KEY and TENSORAS_BASE_URL", () =>
    Effect.gen(function* () {
      const page = yield* IngestionJobs.list("kb_abc123").pipe(
        Effect.provide(NodeIngestion.layerConfig()),
        withConfig([
          ["TENSORAS_API_KEY", CANARY],
          ["TENSORAS_BASE_URL", simulator.baseUrl]
        ])
      )
      expect(page.data.map((job) => job.id)).toEqual(["job_abc123", "job_def456"])
      expect(simulator.control.requestCount({ authorized: true })).toBe(1)
    })
  )

  it.live("fails with a ConfigError without a key, and the key stays redacted in errors", () =>
    Effect.gen(function* () {
      const missing = yield* IngestionJobs.list("kb_abc123").pipe(
        Effect.provide(NodeIngestion.layerConfig()),
        withConfig([["TENSORAS_BASE_URL", simulator.baseUrl]]),
        Effect.flip
      )
      expect(String(missing)).toContain("TENSORAS_API_KEY")
      const unauthorized = yield* IngestionJobs.list("kb_abc123").pipe(
        Effect.provide(NodeIngestion.layerConfig()),
        withConfig([
          ["TENSORAS_API_KEY", `${CANARY}_wrong`],
          ["TENSORAS_BASE_URL", simulator.baseUrl]
        ]),
        Effect.flip
      )
      expect(unauthorized._tag).toBe("Unauthorized")
      expect(JSON.stringify(unauthorized)).not.toContain(CANARY)
      expect(simulator.control.requestCount()).toBe(1)
    })
  )
})

describe.concurrent("NodeIngestion.runMain (a child process)", () => {
  const FIXTURE = fileURLToPath(new URL("./fixtures/runMain.ts", import.meta.url))
  // SIGINT (130) is tested through the command, which runs on runMain too.
  for (const [signal, code] of [["SIGTERM", 143]] as const) {
    it(`${signal} interrupts the program, runs its finalizers, exit ${code}`, async () => {
      const child = spawnScript(FIXTURE, ["never"])
      await child.printed("ready\n")
      child.kill(signal)
      const result = await child.exited
      expect(result.code).toBe(code)
      expect(result.stdout).toBe("ready\nfinalizers ran\n")
    })
  }

  it("exit 1 when the program fails with an error of its own", async () => {
    const failed = await spawnScript(FIXTURE, ["fail"]).exited
    expect([failed.code, failed.stdout]).toEqual([1, ""])
  })

  it("the library's exit code when it fails with one of the library's errors (NotFound: 4)", async () => {
    const failed = await spawnScript(FIXTURE, ["notFound"]).exited
    expect([failed.code, failed.stdout]).toEqual([4, ""])
  })
})
