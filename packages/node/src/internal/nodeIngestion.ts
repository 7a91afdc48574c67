import * as Runtime from "@effect/platform/Runtime"
import type * as ExitCode from "@tensoras/ingestion/ExitCode"
import { InvalidInput } from "@tensoras/ingestion/IngestionError"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Exit from "effect/Exit"
import type * as Fiber from "effect/Fiber"
import type * as Undici from "undici"
import type { AgentOptions } from "../NodeIngestion.js"

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

const keepProcessAlive = (): (() => void) => {
  const timer = setInterval(() => {}, 2 ** 31 - 1)
  return () => clearInterval(timer)
}

/**
 * `@effect/platform`'s `runMain` for Node: the first SIGINT / SIGTERM interrupts the program and
 * is remembered for the exit code; the listeners go after it, so a second signal kills the process
 * the default way. The process exits with the code unless it is 0 without a signal (then Node
 * exits when nothing is left to do).
 */
export const runMain = <A, E>(
  effect: Effect.Effect<A, E>,
  toCode: (exit: Exit.Exit<A, E>, signal: ExitCode.Signal | undefined) => number,
  options: {
    readonly disableErrorReporting?: boolean | undefined
    readonly disablePrettyLogger?: boolean | undefined
  }
): void => {
  let received: ExitCode.Signal | undefined
  let running: Fiber.RuntimeFiber<A, E> | undefined
  const stopListening = () => {
    process.off("SIGINT", onSignal)
    process.off("SIGTERM", onSignal)
  }
  function onSignal(signal: NodeJS.Signals) {
    received ??= signal === "SIGTERM" ? "SIGTERM" : "SIGINT"
    stopListening()
    running?.unsafeInterruptAsFork(running.id())
  }
  // Listening before the program starts: a signal sent as soon as it has printed is still its own.
  process.on("SIGINT", onSignal)
  process.on("SIGTERM", onSignal)
  const run = Runtime.makeRunMain(({ fiber, teardown }) => {
    running = fiber as unknown as Fiber.RuntimeFiber<A, E>
    const release = keepProcessAlive()
    fiber.addObserver((exit) => {
      stopListening()
      release()
      teardown(exit, (code) => {
        if (received !== undefined || code !== 0) process.exit(code)
      })
    })
  })
  run(effect, {
    disableErrorReporting: options.disableErrorReporting,
    disablePrettyLogger: options.disablePrettyLogger,
    // The runtime's teardown is typed for any Exit; this one ran `effect`.
    teardown: (exit, onExit) => onExit(toCode(exit as unknown as Exit.Exit<A, E>, received))
  })
}
