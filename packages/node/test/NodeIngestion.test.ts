import * as diagnostics from "node:diagnostics_channel"
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
import type { Agent } from "undici"
import { CANARY, spawnScript } from "./helpers.js"

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
  it.live("serves the client on undici", () =>
    Effect.gen(function* () {
      const job = yield* IngestionJobs.get("kb_abc123", "job_abc123")
      expect(job.chunks_created).toBe(482)
      expect(simulator.control.requests.map((r) => [r.route, r.authorized])).toEqual([["get", true]])
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
      const fiber = yield* Effect.fork(IngestionJobs.get("kb_abc123", "job_abc123"))
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
    Effect.withConfigProvider(ConfigProvider.fromMap(new Map(entries)))

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
      child.child.kill(signal)
      const result = await child.done
      expect(result.code).toBe(code)
      expect(result.stdout).toBe("ready\nfinalizers ran\n")
    })
  }

  it("exit 1 when the program fails with an error of its own", async () => {
    const failed = await spawnScript(FIXTURE, ["fail"]).done
    expect([failed.code, failed.stdout]).toEqual([1, ""])
  })

  it("the library's exit code when it fails with one of the library's errors (NotFound: 4)", async () => {
    const failed = await spawnScript(FIXTURE, ["notFound"]).done
    expect([failed.code, failed.stdout]).toEqual([4, ""])
  })
})
