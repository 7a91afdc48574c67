import { constants } from "node:os"
import type * as Undici from "@effect/platform-node/Undici"
import { InvalidInput } from "@tensoras/ingestion/IngestionError"
import * as Cause from "effect/Cause"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type { AgentOptions, Signal } from "../NodeIngestion.js"

const DEFAULT_KEEP_ALIVE = Duration.seconds(30)
const DEFAULT_KEEP_ALIVE_MAX = Duration.minutes(10)

const positiveMillis = (
  param: string,
  value: Duration.DurationInput
): Effect.Effect<number, InvalidInput> => {
  const decoded = Duration.decodeUnknown(value)
  return decoded._tag === "Some" && Duration.isFinite(decoded.value) && Duration.toMillis(decoded.value) > 0
    ? Effect.succeed(Math.ceil(Duration.toMillis(decoded.value)))
    : Effect.fail(new InvalidInput({ param, message: `${param} must be a positive, finite duration` }))
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

/** 0 on success, 128 + the signal's number when a signal interrupted the program, else 1. */
export const exitCode = (exit: Exit.Exit<unknown, unknown>, signal: Signal | undefined): number => {
  if (Exit.isSuccess(exit)) return 0
  if (signal !== undefined && Cause.isInterruptedOnly(exit.cause)) return 128 + constants.signals[signal]
  return 1
}

/**
 * Remembers the first SIGINT / SIGTERM. Registered before `NodeRuntime.runMain`'s own listeners,
 * which do the interrupting; both remove themselves after the first signal, so a second one
 * kills the process the default way.
 */
export const listenForSignals = (): {
  readonly received: () => Signal | undefined
  readonly stop: () => void
} => {
  let received: Signal | undefined
  const stop = () => {
    process.off("SIGINT", onSignal)
    process.off("SIGTERM", onSignal)
  }
  const onSignal = (signal: NodeJS.Signals) => {
    received ??= signal === "SIGTERM" ? "SIGTERM" : "SIGINT"
    stop()
  }
  process.on("SIGINT", onSignal)
  process.on("SIGTERM", onSignal)
  return { received: () => received, stop }
}
