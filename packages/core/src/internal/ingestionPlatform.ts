/**
 * The logic every runtime adapter shares, written once: the client and engine Layers from the
 * platform's HTTP client (and environment), and `runMain` on Effect's `Runtime.makeRunMain` with
 * the platform's signals, exit and failure output.
 */
import * as Cause from "effect/Cause"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Runtime from "effect/Runtime"
import * as ExitCode from "../ExitCode.js"
import type { InvalidInput } from "../IngestionError.js"
import * as IngestionJobs from "../IngestionJobs.js"
import type {
  Environment,
  Http,
  LayerOptions,
  Process,
  RunMainOptions,
  Signal
} from "../IngestionPlatform.js"
import * as WaitEngine from "../WaitEngine.js"

/** The client on the platform's HTTP client, checked against the platform, and the engine on it. */
export const layer = <Options, E>(
  platform: Http<Options, E>,
  options: LayerOptions<Options>
): Layer.Layer<IngestionJobs.IngestionJobs | WaitEngine.WaitEngine, InvalidInput | E> => {
  const checkBaseUrl = platform.checkBaseUrl
  const client = IngestionJobs.make(options)
  return WaitEngine.layer({ onRound: options.onRound, gate: options.gate }).pipe(
    Layer.provideMerge(
      Layer.effect(
        IngestionJobs.IngestionJobs,
        checkBaseUrl === undefined
          ? client
          : // Only once the options are known to be good: the URL parses, and nothing was sent.
            Effect.tap(client, () => checkBaseUrl(options.baseUrl ?? IngestionJobs.DEFAULT_BASE_URL))
      )
    ),
    Layer.provide(platform.layerHttpClient(options))
  )
}

/** {@link layer}, the key and base URL read from the platform's environment by core's rule. */
export const layerConfig = <Options, E>(
  platform: Http<Options, E> & Environment<E>,
  options: Omit<LayerOptions<Options>, "apiKey" | "baseUrl">
): Layer.Layer<IngestionJobs.IngestionJobs | WaitEngine.WaitEngine, InvalidInput | E | Config.ConfigError> =>
  Layer.unwrap(
    Effect.gen(function* () {
      const provider = yield* platform.configProvider
      // `IngestionJobs.config`: a variable set to the empty string is unset, whatever the provider keeps.
      const fromConfig = yield* IngestionJobs.config.parse(provider)
      return layer(platform, { ...options, ...fromConfig } as LayerOptions<Options>)
    })
  )

/** One line per expected failure (`Tag: message`); the full cause, with traces, for a defect. */
export const failureReport = (cause: Cause.Cause<unknown>): string | undefined => {
  if (Cause.hasInterruptsOnly(cause)) return undefined
  // Effect's marker of an error its program has reported already.
  if (!Runtime.getErrorReported(Cause.squash(cause))) return undefined
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
 * Effect's `Runtime.makeRunMain` on the platform's process: listening starts before the program
 * does; the first SIGINT / SIGTERM interrupts it and is remembered for the exit code; the listeners
 * go then (or when the program ends), so a second signal ends the process the platform's default
 * way. Once the program has ended: the failure report (unless disabled), then the exit code, and
 * the platform exits with it unless it is 0 and no signal came (then the runtime ends by itself,
 * its output flushed).
 */
export const runMain = <A, E>(
  platform: Process,
  effect: Effect.Effect<A, E>,
  options: RunMainOptions<A, E> = {}
): void => {
  const toCode = options.exitCode ?? ExitCode.ofExit
  let received: Signal | undefined
  let running: Fiber.Fiber<unknown, unknown> | undefined
  let listening = true
  let unsubscribe: (() => void) | undefined
  const stopListening = () => {
    if (!listening) return
    listening = false
    unsubscribe?.()
  }
  const onSignal = (signal: Signal) => {
    if (received !== undefined) return
    received = signal
    stopListening()
    running?.interruptUnsafe(running.id)
  }
  // Listening before the program starts: a signal sent as soon as it has printed is still its own.
  unsubscribe = platform.signals(onSignal)
  if (!listening) unsubscribe()

  const run = Runtime.makeRunMain(({ fiber, teardown }) => {
    running = fiber
    // A signal received before the fiber existed still interrupts it.
    if (received !== undefined) fiber.interruptUnsafe(fiber.id)
    fiber.addObserver((exit) => {
      stopListening()
      if (Exit.isFailure(exit) && options.disableErrorReporting !== true) {
        const report = failureReport(exit.cause)
        if (report !== undefined) platform.reportFailure(report)
      }
      teardown(exit, (code) => {
        if (received !== undefined || code !== 0) platform.exit(code)
      })
    })
  })
  // `makeRunMain` keeps the runtime alive while the program runs; its own report is replaced by ours.
  run(effect, {
    disableErrorReporting: true,
    // The runtime's teardown is typed for any Exit; this one ran `effect`.
    teardown: (exit, onExit) => onExit(toCode(exit as unknown as Exit.Exit<A, E>, received))
  })
}
