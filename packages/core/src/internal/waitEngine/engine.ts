/**
 * The engine: its loops (one per knowledge base, made by the first wait on it), registration, and
 * the end of everything when its scope closes.
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Schedule from "effect/Schedule"
import * as Scheduler from "effect/Scheduler"
import type * as Scope from "effect/Scope"
import { IngestionJobs } from "../../IngestionJobs.js"
import type * as WaitEngine from "../../WaitEngine.js"
import * as validate from "../validate.js"
import { deadlineAt, waitSettings } from "../waitRules.js"
import { type Engine, Loop } from "./loop.js"
import { makeWait, type ScheduleStep, type Wait } from "./registry.js"

/**
 * A registration: its loop and its wait, `leave` built when it is read (most waits end without
 * leaving: an Effect and a closure per wait would wait for nothing).
 */
class Registered implements WaitEngine.Registration {
  constructor(
    private readonly loop: Loop,
    private readonly wait: Wait
  ) {}

  get leave(): Effect.Effect<void> {
    return Effect.sync(() => void this.loop.remove(this.wait))
  }
}

/** Registers a wait with `engine` (see `WaitEngine.register`). */
const register = (
  engine: Engine,
  knowledgeBaseId: string,
  jobId: string,
  options: WaitEngine.WaitOptions,
  listener: WaitEngine.Listener
) =>
  Effect.gen(function* () {
    const kb = yield* validate.id("knowledgeBaseId", knowledgeBaseId)
    const job = yield* validate.id("jobId", jobId)
    const settings = yield* waitSettings(options)
    // Started once per wait: its step is then called with the job of each poll.
    const step: ScheduleStep = yield* Schedule.toStep(settings.schedule)
    const clock = yield* Clock.Clock
    const now = clock.currentTimeMillisUnsafe()
    const deadline = deadlineAt(now, settings.timeoutMs, settings.deadline)
    const wait = makeWait(job, now, deadline, step, listener, engine.registrations++)
    let loop = engine.loops.get(kb)
    const first = loop === undefined
    if (loop === undefined) {
      loop = new Loop(engine, kb, clock, yield* Effect.context<never>())
      engine.loops.set(kb, loop)
    }
    loop.add(wait, now, first)
    return new Registered(loop, wait) as WaitEngine.Registration
  })

/** An engine whose loops live in the current `Scope`. */
export const make = (
  options: WaitEngine.EngineOptions = {}
): Effect.Effect<WaitEngine.WaitEngine["Service"], never, IngestionJobs | Scope.Scope> =>
  Effect.gen(function* () {
    const engine: Engine = {
      client: yield* IngestionJobs,
      dispatcher: (yield* Scheduler.Scheduler).makeDispatcher(),
      loops: new Map(),
      closed: false,
      registrations: 0,
      onRound: options.onRound,
      gate: options.gate
    }
    // Nothing keeps running after the scope closes: every timer stops, every round is interrupted.
    yield* Effect.addFinalizer(() =>
      Effect.suspend(() => {
        engine.closed = true
        const rounds: Array<Fiber.Fiber<void>> = []
        for (const loop of engine.loops.values()) {
          const round = loop.close()
          if (round !== undefined) rounds.push(round)
        }
        engine.loops.clear()
        return Fiber.interruptAll(rounds)
      })
    )
    return {
      register: (knowledgeBaseId, jobId, waitOptions, listener) =>
        register(engine, knowledgeBaseId, jobId, waitOptions, listener)
    }
  })
