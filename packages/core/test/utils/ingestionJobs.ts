/**
 * What the `IngestionJobs` tests share (IngestionJobs*.test.ts): the canary key, the simulator they
 * run against, the client on it, and the check that a failure never holds the key.
 */
import { expect } from "@effect/vitest"
import { IngestionJobs } from "@tensoras/ingestion"
import { NodeSimulator } from "@tensoras/ingestion-testkit"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import { useSimulatorOf } from "./simulator.js"

// A canary: if this string shows up in any error, the key leaked.
export const API_KEY = "tns_canary_9f3b1c7e5a2d4f6b"

/** The simulator of a test file: the docs scenario, on a clock the tests move. */
export const startSimulator = (): Promise<NodeSimulator.RunningSimulator> =>
  NodeSimulator.start({ scenario: "docs", apiKey: API_KEY, clock: "manual" })

/** The client against `simulator`, retrying on a fixed, jitter-free schedule the tests can time. */
export const clientOn = (
  simulator: NodeSimulator.RunningSimulator,
  options: Partial<IngestionJobs.Options> = {}
) =>
  IngestionJobs.layer({
    apiKey: Redacted.make(API_KEY),
    baseUrl: simulator.baseUrl,
    retrySchedule: Schedule.max([Schedule.exponential("100 millis"), Schedule.recurs(3)]),
    ...options
  }).pipe(Layer.provide(FetchHttpClient.layer))

/** Expects the effect to fail, and returns the error (the key must not appear in it anywhere). */
export const failure = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function* () {
    const exit = yield* Effect.exit(effect)
    if (Exit.isSuccess(exit)) return expect.fail("expected a failure")
    const error = yield* Effect.flip(exit)
    const rendered = [
      String(error),
      JSON.stringify(error),
      (error as Error).stack ?? "",
      Object.values(error as object)
    ]
    expect(JSON.stringify(rendered)).not.toContain(API_KEY)
    return error
  })

/** A test file's simulator (`useSimulatorOf`), with the client on it. */
export const useSimulator = () => {
  const world = useSimulatorOf(startSimulator)
  return {
    get simulator() {
      return world.simulator
    },
    client: (options: Partial<IngestionJobs.Options> = {}) => clientOn(world.simulator, options),
    requests: () => world.simulator.control.requestCount()
  }
}
