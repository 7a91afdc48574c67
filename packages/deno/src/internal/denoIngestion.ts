import * as Cause from "effect/Cause"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import { PermissionDenied, type Signal } from "../DenoIngestion.ts"

/** The environment variables the client reads, and the flag that grants exactly them. */
export const ENV_VARIABLES = ["TENSORAS_API_KEY", "TENSORAS_BASE_URL"] as const
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

/** One line per expected failure (`Tag: message`); the full cause, with traces, for a defect. */
export const describeFailure = (cause: Cause.Cause<unknown>): string | undefined => {
  if (Cause.hasInterruptsOnly(cause)) return undefined
  const failure = Cause.findErrorOption(cause)
  if (failure._tag === "Some" && !Cause.hasDies(cause)) {
    const error = failure.value
    // Not an `Error`: its text is its cause's (the missing or invalid variable and where), on one line.
    if (error instanceof Config.ConfigError) {
      return `ConfigError: ${error.cause.message.replace(/\s*\n\s*/g, " ")}`
    }
    if (error instanceof Error) {
      const tag = (error as { readonly _tag?: unknown })._tag
      return `${typeof tag === "string" ? tag : error.name}: ${error.message}`
    }
    return `Error: ${String(error)}`
  }
  return Cause.pretty(cause)
}

/**
 * Calls `onSignal` on the first SIGINT / SIGTERM, then removes the listeners so that a second signal
 * ends the process the default way. SIGTERM cannot be listened to on Windows: it is skipped there.
 */
export const listenForSignals = (
  onSignal: (signal: Signal) => void
): { readonly received: () => Signal | undefined; readonly stop: () => void } => {
  let received: Signal | undefined
  const handlers: Array<readonly [Signal, () => void]> = []
  const stop = () => {
    for (const [signal, handler] of handlers.splice(0)) Deno.removeSignalListener(signal, handler)
  }
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    const handler = () => {
      if (received !== undefined) return
      received = signal
      stop()
      onSignal(signal)
    }
    try {
      Deno.addSignalListener(signal, handler)
      handlers.push([signal, handler])
    } catch {
      // Not supported on this platform (SIGTERM on Windows).
    }
  }
  return { received: () => received, stop }
}
