/**
 * The engine: its loops (one per knowledge base, made by the first wait on it), registration, and
 * the end of everything when its scope closes.
 */
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Schedule from "effect/Schedule"
import * as Scheduler from "effect/Scheduler"
import type * as Scope from "effect/Scope"
import type { InvalidInput } from "../../IngestionError.js"
import { IngestionJobs } from "../../IngestionJobs.js"
import * as PollSchedule from "../../PollSchedule.js"
import type * as WaitEngine from "../../WaitEngine.js"
import { Store, scheduleFor } from "../cadence/store.js"
import * as validate from "../validate.js"
import { deadlineAt, type WaitSettings, waitSettings } from "../waitRules.js"
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

/**
 * The settings of `options` when the engine checked options made of the very same values last
 * (a `watchAll` of 10,000 jobs registers them all with one options object: checked once, not
 * 10,000 times). Only values that cannot change in place count as the same (a number, a string,
 * a `Duration`, a schedule: immutable); anything else is checked again.
 */
const cachedSettings = (engine: Engine, options: WaitEngine.WaitOptions): WaitSettings | undefined => {
  const cached = engine.lastSettings
  return cached !== undefined &&
    cached.schedule === options.schedule &&
    cached.pollInterval === options.pollInterval &&
    cached.timeout === options.timeout &&
    cached.deadline === options.deadline
    ? cached.settings
    : undefined
}

const immutable = (value: unknown): boolean =>
  value === undefined || typeof value !== "object" || Duration.isDuration(value)

const remember = (engine: Engine, options: WaitEngine.WaitOptions, settings: WaitSettings): void => {
  if (immutable(options.pollInterval) && immutable(options.timeout)) {
    engine.lastSettings = {
      schedule: options.schedule,
      pollInterval: options.pollInterval,
      timeout: options.timeout,
      deadline: options.deadline,
      settings
    }
  }
}

/** Registers a checked wait: its schedule started, on the clock and services of the registering fiber. */
const start = (
  engine: Engine,
  kb: string,
  job: string,
  settings: WaitSettings,
  listener: WaitEngine.Listener
): Effect.Effect<WaitEngine.Registration> =>
  // Started once per wait: its step is then called with the job of each poll. A wait given no
  // schedule polls at its knowledge base's learned cadence (the default's, while nothing is learned).
  Effect.flatMap(
    Schedule.toStep(
      settings.schedule === PollSchedule.defaultSchedule ? scheduleFor(engine.cadence, kb) : settings.schedule
    ),
    (step: ScheduleStep) =>
      Effect.withFiber((fiber) => {
        const clock = fiber.getRef(Clock.Clock)
        const now = clock.currentTimeMillisUnsafe()
        const deadline = deadlineAt(now, settings.timeoutMs, settings.deadline)
        const wait = makeWait(job, now, deadline, step, listener, engine.registrations++)
        let loop = engine.loops.get(kb)
        const first = loop === undefined
        if (loop === undefined) {
          loop = new Loop(engine, kb, clock, fiber.context)
          engine.loops.set(kb, loop)
        }
        loop.add(wait, now, first)
        return Effect.succeed<WaitEngine.Registration>(new Registered(loop, wait))
      })
  )

/**
 * Registers a wait with `engine` (see `WaitEngine.register`). IDs and options are checked in that
 * order (the first bad one is the error); IDs that are valid and options checked before cost no
 * step of their own.
 */
const register = (
  engine: Engine,
  knowledgeBaseId: string,
  jobId: string,
  options: WaitEngine.WaitOptions,
  listener: WaitEngine.Listener
): Effect.Effect<WaitEngine.Registration, InvalidInput> => {
  const settings = cachedSettings(engine, options)
  if (settings !== undefined && validate.isId(knowledgeBaseId) && validate.isId(jobId)) {
    return start(engine, knowledgeBaseId, jobId, settings, listener)
  }
  return Effect.gen(function* () {
    const kb = yield* validate.id("knowledgeBaseId", knowledgeBaseId)
    const job = yield* validate.id("jobId", jobId)
    const settings = yield* waitSettings(options)
    remember(engine, options, settings)
    return yield* start(engine, kb, job, settings, listener)
  })
}

/** An engine whose loops live in the current `Scope`. */
export const make = (
  options: WaitEngine.EngineOptions = {}
): Effect.Effect<WaitEngine.WaitEngine["Service"], never, IngestionJobs | Scope.Scope> =>
  Effect.gen(function* () {
    const engine: Engine = {
      client: yield* IngestionJobs,
      cadence: options.cadence === undefined ? new Store() : (options.cadence as Store),
      dispatcher: (yield* Scheduler.Scheduler).makeDispatcher(),
      loops: new Map(),
      closed: false,
      registrations: 0,
      lastSettings: undefined,
      onRound: options.onRound,
      gate: options.gate
    }
    // Nothing keeps running after the scope closes: every timer stops, every round is interrupted.
    yield* Effect.addFinalizer(() =>
      Effect.suspend(() => {
        engine.closed = true
        const rounds: Array<Fiber.Fiber<void>> = []
        for (const loop of engine.loops.values()) {
          rounds.push(...loop.close())
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
