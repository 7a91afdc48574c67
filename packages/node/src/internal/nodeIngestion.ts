import { InvalidInput } from "@tensoras/ingestion/IngestionError"
import type * as IngestionPlatform from "@tensoras/ingestion/IngestionPlatform"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Logger from "effect/Logger"
import type * as Undici from "undici"
import type { AgentOptions } from "../NodeIngestion.js"

/**
 * undici, loaded when the first `Agent` is made (a Layer built, a Promise client's first request),
 * not with this package: it is about 110 modules, a third of what importing the package loaded
 * before. A dynamic `import()`, so that a bundler still bundles it.
 */
export const importUndici = (): Promise<typeof Undici> => import("undici")

/** {@link importUndici} as an Effect. */
export const loadUndici: Effect.Effect<typeof Undici> = Effect.promise(importUndici)

const DEFAULT_KEEP_ALIVE = Duration.seconds(30)
const DEFAULT_KEEP_ALIVE_MAX = Duration.minutes(10)

const positiveMillis = (param: string, value: Duration.Input): Effect.Effect<number, InvalidInput> => {
  const decoded = Duration.fromInput(value)
  return decoded._tag === "Some" && Duration.isFinite(decoded.value) && Duration.toMillis(decoded.value) > 0
    ? Effect.succeed(Math.ceil(Duration.toMillis(decoded.value)))
    : Effect.fail(new InvalidInput({ param, message: `${param} must be a positive, finite duration` }))
}

/** The `Agent` options of {@link AgentOptions}' defaults. */
export const DEFAULT_AGENT_OPTIONS: Undici.Agent.Options = {
  keepAliveTimeout: Duration.toMillis(DEFAULT_KEEP_ALIVE),
  keepAliveMaxTimeout: Duration.toMillis(DEFAULT_KEEP_ALIVE_MAX)
}

/** The undici `Agent` options for {@link AgentOptions}, validated. */
export const agentOptions = (options: AgentOptions): Effect.Effect<Undici.Agent.Options, InvalidInput> =>
  Effect.gen(function* () {
    const keepAliveTimeout = yield* positiveMillis(
      "keepAliveTimeout",
      options.keepAliveTimeout ?? DEFAULT_KEEP_ALIVE
    )
    const keepAliveMaxTimeout = yield* positiveMillis(
      "keepAliveMaxTimeout",
      options.keepAliveMaxTimeout ?? DEFAULT_KEEP_ALIVE_MAX
    )
    const connections = options.connections
    if (connections !== undefined && !(Number.isInteger(connections) && connections >= 1)) {
      return yield* new InvalidInput({
        param: "connections",
        message: `connections must be an integer of at least 1 (got ${connections})`
      })
    }
    return {
      keepAliveTimeout,
      // undici rejects a maximum below the timeout itself.
      keepAliveMaxTimeout: Math.max(keepAliveTimeout, keepAliveMaxTimeout),
      ...(connections === undefined ? {} : { connections })
    }
  })

/**
 * Node's process for core's `runMain`: `process.on` SIGINT / SIGTERM, `process.exit`, and the
 * failure report on stderr.
 */
export const nodeProcess: IngestionPlatform.Process = {
  signals: (onSignal) => {
    const listener = (signal: NodeJS.Signals) => onSignal(signal === "SIGTERM" ? "SIGTERM" : "SIGINT")
    process.on("SIGINT", listener)
    process.on("SIGTERM", listener)
    return () => {
      process.off("SIGINT", listener)
      process.off("SIGTERM", listener)
    }
  },
  exit: (code) => process.exit(code),
  reportFailure: (report) => {
    process.stderr.write(`${report}\n`)
  }
}

/** Node's environment: Effect's `ConfigProvider` in context (the process's environment by default). */
export const nodeEnvironment: IngestionPlatform.Environment<never> = {
  configProvider: Effect.service(ConfigProvider.ConfigProvider)
}

/**
 * The program with Effect's pretty console logger (unless `disablePrettyLogger`), as Node's
 * `runMain` runs it.
 */
export const withLogger = <A, E>(
  effect: Effect.Effect<A, E>,
  disablePrettyLogger: boolean | undefined
): Effect.Effect<A, E> =>
  disablePrettyLogger === true
    ? effect
    : Effect.provideService(
        effect,
        Logger.CurrentLoggers,
        new Set([Logger.consolePretty(), Logger.tracerLogger])
      )
