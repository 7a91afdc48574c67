import { afterAll, beforeAll, beforeEach, describe, expect, it } from "@effect/vitest"
import { ExitCode, IngestionError, IngestionPlatform, Wait } from "@tensoras/ingestion"
import type { NodeSimulator } from "@tensoras/ingestion-testkit"
import * as Cause from "effect/Cause"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Runtime from "effect/Runtime"
import { API_KEY, startSimulator } from "./utils/ingestionJobs.js"

let simulator: NodeSimulator.RunningSimulator
beforeAll(async () => {
  simulator = await startSimulator()
})
afterAll(() => simulator.close())
beforeEach(() => simulator.control.setScenario("docs"))

class Refused extends Error {
  readonly _tag = "Refused"
}

/** A platform on `fetch`, whose base-URL check and HTTP layer record what they were given. */
const makePlatform = (options: { readonly refuse?: boolean; readonly env?: Record<string, string> } = {}) => {
  const checked: Array<string> = []
  const httpOptions: Array<unknown> = []
  const platform: IngestionPlatform.Http<{ readonly tag?: string }, Refused> &
    IngestionPlatform.Environment<Refused> = {
    layerHttpClient: (given) => {
      httpOptions.push(given.tag)
      return FetchHttpClient.layer.pipe(
        Layer.provide(Layer.succeed(FetchHttpClient.RequestInit, { redirect: "manual" }))
      )
    },
    checkBaseUrl: (baseUrl) =>
      Effect.suspend(() => {
        checked.push(String(baseUrl))
        return options.refuse === true ? Effect.fail(new Refused("no network")) : Effect.void
      }),
    configProvider: Effect.succeed(ConfigProvider.fromUnknown(options.env ?? {}))
  }
  return { platform, checked, httpOptions }
}

describe("IngestionPlatform.layer", () => {
  it.live("the client and the engine on the platform's HttpClient, its options handed to it", () =>
    Effect.gen(function* () {
      const { platform, checked, httpOptions } = makePlatform()
      const job = yield* Wait.waitFor("kb_abc123", "job_abc123").pipe(
        Effect.provide(
          IngestionPlatform.layer(platform, {
            apiKey: Redacted.make(API_KEY),
            baseUrl: simulator.baseUrl,
            tag: "mine"
          })
        )
      )
      expect(job.status).toBe("completed")
      expect(httpOptions).toStrictEqual(["mine"])
      expect(checked).toStrictEqual([simulator.baseUrl])
    })
  )

  it.live("checks the base URL only once the options are good, and nothing is sent when it fails", () =>
    Effect.gen(function* () {
      const { platform, checked } = makePlatform({ refuse: true })
      const refused = yield* Wait.waitFor("kb_abc123", "job_abc123").pipe(
        Effect.provide(
          IngestionPlatform.layer(platform, { apiKey: Redacted.make(API_KEY), baseUrl: simulator.baseUrl })
        ),
        Effect.flip
      )
      expect(refused).toBeInstanceOf(Refused)
      const invalid = yield* Wait.waitFor("kb_abc123", "job_abc123").pipe(
        Effect.provide(
          IngestionPlatform.layer(platform, { apiKey: Redacted.make(API_KEY), baseUrl: "ftp://x" })
        ),
        Effect.flip
      )
      expect(invalid).toMatchObject({ _tag: "InvalidInput", param: "baseUrl" })
      // The default base URL is the one checked when none is given.
      yield* Effect.flip(Layer.build(IngestionPlatform.layer(platform, { apiKey: Redacted.make(API_KEY) })))
      expect(checked).toStrictEqual([simulator.baseUrl, "https://api.tensoras.ai/v1"])
      expect(simulator.control.requestCount()).toBe(0)
    }).pipe(Effect.scoped)
  )
})

describe("IngestionPlatform.layerConfig", () => {
  it.live("reads the key and base URL from the platform's provider, not the one in context", () =>
    Effect.gen(function* () {
      const { platform } = makePlatform({
        env: { TENSORAS_API_KEY: API_KEY, TENSORAS_BASE_URL: simulator.baseUrl }
      })
      const page = yield* Effect.provide(
        Effect.flatMap(Wait.waitFor("kb_abc123", "job_abc123"), (job) => Effect.succeed(job.id)),
        IngestionPlatform.layerConfig(platform, {})
      ).pipe(Effect.provideService(ConfigProvider.ConfigProvider, ConfigProvider.fromUnknown({})))
      expect(page).toBe("job_abc123")
      expect(simulator.control.requestCount({ authorized: true })).toBe(1)
    })
  )

  it.live("an empty key is a missing one (core's rule): a ConfigError naming the variable", () =>
    Effect.gen(function* () {
      const { platform } = makePlatform({
        env: { TENSORAS_API_KEY: "", TENSORAS_BASE_URL: simulator.baseUrl }
      })
      const error = yield* Effect.flip(Layer.build(IngestionPlatform.layerConfig(platform, {})))
      expect(String(error)).toContain("TENSORAS_API_KEY")
      expect(simulator.control.requestCount()).toBe(0)
    }).pipe(Effect.scoped)
  )
})

/** A process whose signals the test sends, and what `runMain` did with it. */
const makeProcess = () => {
  let listener: ((signal: IngestionPlatform.Signal) => void) | undefined
  const events: Array<string> = []
  const process: IngestionPlatform.Process = {
    signals: (onSignal) => {
      events.push("listen")
      listener = onSignal
      return () => {
        events.push("unlisten")
        listener = undefined
      }
    },
    exit: (code) => events.push(`exit ${code}`),
    reportFailure: (report) => events.push(`report ${report}`)
  }
  return { process, events, send: (signal: IngestionPlatform.Signal) => listener?.(signal) }
}

/** Runs `effect` with `runMain` on `process`, resolving with the exit code once it has been computed. */
const run = <A, E>(
  process: IngestionPlatform.Process,
  effect: Effect.Effect<A, E>,
  options: IngestionPlatform.RunMainOptions<A, E> = {}
): Promise<number> =>
  new Promise((resolve) =>
    IngestionPlatform.runMain(process, effect, {
      ...options,
      exitCode: (exit, signal) => {
        const code = (options.exitCode ?? ExitCode.ofExit)(exit, signal)
        // After the platform's exit (if any): teardown calls back synchronously.
        queueMicrotask(() => resolve(code))
        return code
      }
    })
  )

describe("IngestionPlatform.runMain", () => {
  it("a program that ends well: no report, no exit (the runtime ends by itself)", async () => {
    const { process, events } = makeProcess()
    expect(await run(process, Effect.succeed("done"))).toBe(0)
    expect(events).toStrictEqual(["listen", "unlisten"])
  })

  it("a typed failure: one line `Tag: message`, then the exit with ExitCode.ofExit's code", async () => {
    const { process, events } = makeProcess()
    const notFound = new IngestionError.NotFound({
      method: "GET",
      url: "http://127.0.0.1/v1/x",
      status: 404,
      message: "not found"
    })
    expect(await run(process, Effect.fail(notFound))).toBe(4)
    expect(events).toStrictEqual(["listen", "unlisten", "report NotFound: not found", "exit 4"])
    const other = makeProcess()
    expect(await run(other.process, Effect.fail("boom"))).toBe(1)
    expect(other.events).toStrictEqual(["listen", "unlisten", "report Error: boom", "exit 1"])
  })

  it("disableErrorReporting, or an error marked as reported, reports nothing", async () => {
    const { process, events } = makeProcess()
    expect(await run(process, Effect.fail("boom"), { disableErrorReporting: true })).toBe(1)
    expect(events).toStrictEqual(["listen", "unlisten", "exit 1"])
    class Reported extends Error {
      override readonly [Runtime.errorReported] = false
    }
    const marked = makeProcess()
    expect(await run(marked.process, Effect.fail(new Reported("said already")))).toBe(1)
    expect(marked.events).toStrictEqual(["listen", "unlisten", "exit 1"])
  })

  it("the first signal interrupts the program (finalizers run), is remembered for the code, and the listeners go", async () => {
    const { process, events, send } = makeProcess()
    const program = Effect.andThen(
      Effect.sync(() => setTimeout(() => send("SIGTERM"), 5)),
      Effect.never
    ).pipe(Effect.ensuring(Effect.sync(() => events.push("finalizer"))))
    expect(await run(process, program)).toBe(143)
    // An interruption is not reported; a signal always exits, whatever the code.
    expect(events).toStrictEqual(["listen", "unlisten", "finalizer", "exit 143"])
  })

  it("a signal still exits when the program's code for it is 0", async () => {
    const { process, events, send } = makeProcess()
    const program = Effect.andThen(
      Effect.sync(() => setTimeout(() => send("SIGINT"), 5)),
      Effect.never
    )
    const code = await run(process, program, {
      exitCode: (exit, signal) => (signal === "SIGINT" && Exit.hasInterrupts(exit) ? 0 : 1)
    })
    expect(code).toBe(0)
    expect(events).toStrictEqual(["listen", "unlisten", "exit 0"])
  })

  it("a signal received before the program started still interrupts it: 130", async () => {
    const { process, events, send } = makeProcess()
    const early: IngestionPlatform.Process = {
      ...process,
      signals: (onSignal) => {
        const stop = process.signals(onSignal)
        send("SIGINT")
        return stop
      }
    }
    expect(await run(early, Effect.never)).toBe(130)
    expect(events).toStrictEqual(["listen", "unlisten", "exit 130"])
  })
})

describe("IngestionPlatform.failureReport", () => {
  it("nothing for an interruption; the cause in full for a defect; a ConfigError on one line", () => {
    expect(IngestionPlatform.failureReport(Cause.interrupt(1))).toBeUndefined()
    const defect = IngestionPlatform.failureReport(Cause.die(new Error("bug")))
    expect(defect).toContain("Error: bug")
    expect(defect).toContain("\n    at ")
    const config = Effect.runSyncExit(
      IngestionPlatform.layerConfig(makePlatform().platform, {}).pipe(Layer.build, Effect.scoped)
    )
    expect(Exit.isFailure(config) && IngestionPlatform.failureReport(config.cause)).toBe(
      'ConfigError: Expected string at ["TENSORAS_API_KEY"]'
    )
  })
})
