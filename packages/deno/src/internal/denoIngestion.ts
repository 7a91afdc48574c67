import { API_KEY_VARIABLE, BASE_URL_VARIABLE } from "@tensoras/ingestion/IngestionJobsClient"
import type * as IngestionPlatform from "@tensoras/ingestion/IngestionPlatform"
import * as Effect from "effect/Effect"
import { PermissionDenied, type Signal } from "../DenoIngestion.ts"

/** The environment variables the client reads (core's names), and the flag that grants exactly them. */
export const ENV_VARIABLES = [API_KEY_VARIABLE, BASE_URL_VARIABLE] as const
export const ENV_FLAG = `--allow-env=${ENV_VARIABLES.join(",")}`

const granted = (descriptor: Deno.PermissionDescriptor): Effect.Effect<boolean> =>
  Effect.promise(() =>
    Deno.permissions.query(descriptor).then(
      (status) => status.state === "granted",
      // A descriptor Deno rejects is no grant either.
      () => false
    )
  )

/** Fails with `PermissionDenied` (naming the flag) unless the environment variables may be read. */
export const checkEnv: Effect.Effect<void, PermissionDenied> = Effect.gen(function* () {
  for (const variable of ENV_VARIABLES) {
    if (!(yield* granted({ name: "env", variable }))) {
      return yield* Effect.fail(
        new PermissionDenied({
          permission: "env",
          resource: variable,
          flag: ENV_FLAG,
          message: `Deno may not read the environment variable ${variable}: run with ${ENV_FLAG}`
        })
      )
    }
  }
})

/** Fails with `PermissionDenied` (naming the flag) unless the base URL's host may be reached. */
export const checkNet = (baseUrl: string | URL): Effect.Effect<void, PermissionDenied> =>
  Effect.gen(function* () {
    const host = new URL(baseUrl).host
    if (!(yield* granted({ name: "net", host }))) {
      const flag = `--allow-net=${host}`
      return yield* Effect.fail(
        new PermissionDenied({
          permission: "net",
          resource: host,
          flag,
          message: `Deno may not connect to ${host}: run with ${flag}`
        })
      )
    }
  })

/** The variables, read once the permission is known to be granted (an unset one is left out). */
export const readEnv: Effect.Effect<Record<string, string>, PermissionDenied> = Effect.flatMap(checkEnv, () =>
  Effect.sync(() => {
    const values: Record<string, string> = {}
    for (const variable of ENV_VARIABLES) {
      const value = Deno.env.get(variable)
      if (value !== undefined) values[variable] = value
    }
    return values
  })
)

/**
 * Deno's SIGINT and SIGTERM through `Deno.addSignalListener`. SIGTERM cannot be listened to on
 * Windows: it is skipped there.
 */
export const signals: IngestionPlatform.SignalSource = (onSignal) => {
  const handlers: Array<readonly [Signal, () => void]> = []
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    const handler = () => onSignal(signal)
    try {
      Deno.addSignalListener(signal, handler)
      handlers.push([signal, handler])
    } catch {
      // Not supported on this platform (SIGTERM on Windows).
    }
  }
  return () => {
    for (const [signal, handler] of handlers.splice(0)) Deno.removeSignalListener(signal, handler)
  }
}

/** Deno's process for core's `runMain`: its signals, `Deno.exit`, and the failure report on stderr. */
export const denoProcess: IngestionPlatform.Process = {
  signals,
  exit: (code) => Deno.exit(code),
  reportFailure: (report) => console.error(report)
}
