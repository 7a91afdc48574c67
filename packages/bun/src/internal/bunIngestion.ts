import type * as IngestionPlatform from "@tensoras/ingestion/IngestionPlatform"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import type * as HttpClient from "effect/http/HttpClient"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"

/**
 * Bun's own `fetch` (connections pooled and kept alive by Bun), told never to follow a redirect: core
 * makes the 3xx a typed error, so the key goes to the base URL only. Effect's fetch client hands the
 * fiber's `AbortSignal` to `fetch`, so interrupting a request aborts it (checked on Bun: the server
 * sees the connection closed).
 */
export const layerHttpClient: Layer.Layer<HttpClient.HttpClient> = FetchHttpClient.layer.pipe(
  Layer.provide(Layer.succeed(FetchHttpClient.RequestInit, { redirect: "manual" }))
)

/**
 * Bun's environment: Effect's `ConfigProvider` in context, `process.env` by default, which on Bun
 * also holds what Bun loaded from the working directory's `.env` files.
 */
export const bunEnvironment: IngestionPlatform.Environment<never> = {
  configProvider: Effect.service(ConfigProvider.ConfigProvider)
}

/**
 * Bun's process for core's `runMain`: Bun implements Node's `process.on` SIGINT / SIGTERM and
 * `process.exit`; the failure report goes to stderr with `console.error`, which Bun writes before
 * `process.exit` ends the process.
 */
export const bunProcess: IngestionPlatform.Process = {
  signals: (onSignal) => {
    const onInt = () => onSignal("SIGINT")
    const onTerm = () => onSignal("SIGTERM")
    process.on("SIGINT", onInt)
    process.on("SIGTERM", onTerm)
    return () => {
      process.off("SIGINT", onInt)
      process.off("SIGTERM", onTerm)
    }
  },
  exit: (code) => process.exit(code),
  reportFailure: (report) => console.error(report)
}

/** The program with Effect's pretty console logger (unless `disablePrettyLogger`), as Node's `runMain` runs it. */
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
