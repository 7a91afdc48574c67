import type * as ExitCode from "@tensoras/ingestion/ExitCode"
import { InvalidInput } from "@tensoras/ingestion/IngestionError"
import * as Cause from "effect/Cause"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Exit from "effect/Exit"
import type * as Fiber from "effect/Fiber"
import * as Logger from "effect/Logger"
import * as Runtime from "effect/Runtime"
import type * as Undici from "undici"
import type { AgentOptions } from "../NodeIngestion.js"

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
 * The failure report of `Runtime.makeRunMain` (the cause, logged at level Error, unless it is an
 * interruption only or the error says it was reported already), in the pretty logger unless
 * `disablePrettyLogger`.
 */
const reportFailure = <A, E>(
  effect: Effect.Effect<A, E>,
  options: {
    readonly disableErrorReporting?: boolean | undefined
    readonly disablePrettyLogger?: boolean | undefined
  }
): Effect.Effect<A, E> => {
  const reported =
    options.disableErrorReporting === true
      ? effect
      : Effect.tapCause(effect, (cause) =>
          Cause.hasInterruptsOnly(cause) || !Runtime.getErrorReported(Cause.squash(cause))
            ? Effect.void
            : Effect.logError(cause)
        )
  return options.disablePrettyLogger === true
    ? reported
    : Effect.provideService(
        reported,
        Logger.CurrentLoggers,
        new Set([Logger.consolePretty(), Logger.tracerLogger])
      )
}

/**
 * Effect's `Runtime.makeRunMain` for Node: the first SIGINT / SIGTERM interrupts the program and
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
  let running: Fiber.Fiber<unknown, unknown> | undefined
  const stopListening = () => {
    process.off("SIGINT", onSignal)
    process.off("SIGTERM", onSignal)
  }
  function onSignal(signal: NodeJS.Signals) {
    received ??= signal === "SIGTERM" ? "SIGTERM" : "SIGINT"
    stopListening()
    running?.interruptUnsafe(running.id)
  }
  // Listening before the program starts: a signal sent as soon as it has printed is still its own.
  process.on("SIGINT", onSignal)
  process.on("SIGTERM", onSignal)
  // `makeRunMain` keeps the process alive while the program runs, and reports a failure itself
  // unless told not to: `reportFailure` reports it instead, in the logger chosen here.
  const run = Runtime.makeRunMain(({ fiber, teardown }) => {
    running = fiber
    // A signal received before the fiber existed still interrupts it.
    if (received !== undefined) fiber.interruptUnsafe(fiber.id)
    fiber.addObserver((exit) => {
      stopListening()
      teardown(exit, (code) => {
        if (received !== undefined || code !== 0) process.exit(code)
      })
    })
  })
  run(reportFailure(effect, options), {
    disableErrorReporting: true,
    // The runtime's teardown is typed for any Exit; this one ran `effect`.
    teardown: (exit, onExit) => onExit(toCode(exit as unknown as Exit.Exit<A, E>, received))
  })
}
