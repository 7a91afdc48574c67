/**
 * The engine of `BrowserIngestion.machine` and `watchJob`: built on the first wait, shared by
 * every wait after it, released by `dispose`.
 */
import type { InvalidInput } from "@tensoras/ingestion/IngestionError"
import * as WaitEngine from "@tensoras/ingestion/WaitEngine"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Scheduler from "effect/Scheduler"
import * as Scope from "effect/Scope"

/**
 * A `Context` whose `WaitEngine` is built from `live` on the first wait (so building the machine
 * sends nothing and a Layer that fails ends the wait `Errored` with its `InvalidInput`).
 *
 * What `ManagedRuntime.make(live)` gives these two uses (its `contextEffect` and `dispose`), without
 * the rest of it (about 0.6 KB gzipped of the machine's bundle): the Layer is built once, in a fiber
 * of its own that every wait joins (a wait interrupted while it builds does not stop it), and
 * `dispose` interrupts that build and closes the engine's scope (its loop, lock and channel).
 */
export const make = (live: Layer.Layer<WaitEngine.WaitEngine, InvalidInput>) => {
  const scope = Scope.makeUnsafe()
  let build: Fiber.Fiber<Context.Context<WaitEngine.WaitEngine>, InvalidInput> | undefined
  let disposed = false
  const built = Effect.withFiber((fiber) => {
    if (disposed) return Effect.die(new Error("The engine of this machine was disposed"))
    build ??= Effect.runFork(Layer.buildWithScope(live, scope), {
      scheduler: fiber.getRef(Scheduler.Scheduler)
    })
    return Fiber.join(build)
  })
  const engine = WaitEngine.WaitEngine.of({
    register: (knowledgeBaseId, jobId, waitOptions, listener) =>
      Effect.flatMap(built, (context) =>
        Context.get(context, WaitEngine.WaitEngine).register(knowledgeBaseId, jobId, waitOptions, listener)
      )
  })
  return {
    context: Context.make(WaitEngine.WaitEngine, engine),
    dispose: (): Promise<void> => {
      disposed = true
      const running = build
      return Effect.runPromise(
        Effect.andThen(
          running === undefined ? Effect.void : Fiber.interrupt(running),
          Scope.close(scope, Exit.void)
        )
      )
    }
  }
}
