/**
 * Named starting worlds. Each scenario sets up knowledge bases and jobs relative to its start time
 * (`epochMs`), so on the manual clock every timestamp and counter is exact. Pass a built-in name or a
 * {@link Scenario} of your own wherever a scenario is accepted.
 *
 * @since 0.1.0
 */
import type { Fault } from "./Fault.js"
import * as internal from "./internal/scenarios.js"
import type { SimulatorEngine } from "./SimulatorEngine.js"

/**
 * A named world. Write your own and pass it wherever a scenario name is accepted.
 *
 * @example
 * ```ts
 * import { NodeSimulator, type Scenarios } from "@tensoras/ingestion-testkit"
 *
 * const oneJob: Scenarios.Scenario = {
 *   name: "one-job",
 *   description: "One knowledge base with one short job",
 *   setup: (engine) => {
 *     engine.addKnowledgeBase("kb_one")
 *     engine.addDataSource("kb_one", { id: "ds_one", jobId: "job_one", documents: [{ name: "a.md" }] })
 *   }
 * }
 * const sim = await NodeSimulator.start({ scenario: oneJob, clock: "manual" })
 * await sim.close()
 * ```
 * @category models
 * @since 0.1.0
 */
export interface Scenario {
  readonly name: string
  readonly description: string
  /** A fixed start time (epoch ms) that overrides the simulator's `epochMs` option. */
  readonly epochMs?: number
  /** Keys accepted besides the simulator's own. */
  readonly apiKeys?: ReadonlyArray<string>
  /** The simulator's key when the caller passes none. */
  readonly defaultApiKey?: string
  /** Builds the world; `engine.clock.now()` is the scenario's start time. */
  readonly setup: (engine: SimulatorEngine) => void
  /**
   * Faults injected each time the scenario (re)loads, in this order, after `setup`
   * (`ScenarioFile` scenarios carry theirs here).
   *
   * @since 1.1.0
   */
  readonly faults?: ReadonlyArray<Fault>
}

/**
 * The built-in scenarios, by name:
 *
 * - `docs`: the API docs' examples, exactly: `kb_abc123` with `job_abc123` (completed, 15 documents,
 *   482 chunks) and `job_def456` (processing 8 / 1 / 245; completes 44 s after start). Accepts
 *   `tns_your_key_here`.
 * - `empty`: `kb_empty`, no jobs.
 * - `paginated`: `kb_paginated` with `job_page_001` … `job_page_250` of every status.
 * - `realistic`: `kb_demo`: a live sync of 40 documents of several kinds, 3 failing, done in 15.5 s.
 * - `failing`: `kb_failing`: `job_failing` fails while processing, `job_rejected` straight from queued.
 * - `partial`: `kb_partial`: `job_partial` completes with 4 of 24 documents failed.
 * - `unknown-status`: `kb_unknown`: jobs and documents in statuses the spec does not list.
 *
 * @example
 * ```ts
 * import { NodeSimulator, Scenarios } from "@tensoras/ingestion-testkit"
 *
 * Object.keys(Scenarios.builtIn) // ["docs", "empty", "paginated", "realistic", "failing", "partial", "unknown-status"]
 * console.log(Scenarios.builtIn.realistic.description)
 * const sim = await NodeSimulator.start({ scenario: "paginated" })
 * await sim.close()
 * ```
 * @category constants
 * @since 0.1.0
 */
export const builtIn: {
  readonly docs: Scenario
  readonly empty: Scenario
  readonly paginated: Scenario
  readonly realistic: Scenario
  readonly failing: Scenario
  readonly partial: Scenario
  readonly "unknown-status": Scenario
} = {
  docs: internal.docs,
  empty: internal.empty,
  paginated: internal.paginated,
  realistic: internal.realistic,
  failing: internal.failing,
  partial: internal.partial,
  "unknown-status": internal.unknownStatus
}

/**
 * The name of a built-in scenario.
 *
 * @example
 * ```ts
 * import type { Scenarios } from "@tensoras/ingestion-testkit"
 *
 * const name: Scenarios.ScenarioName = "realistic"
 * ```
 * @category models
 * @since 0.1.0
 */
export type ScenarioName = keyof typeof builtIn

/**
 * Whether `name` is a built-in scenario (for CLI flags and other untyped input).
 *
 * @example
 * ```ts
 * import { Scenarios } from "@tensoras/ingestion-testkit"
 *
 * Scenarios.isScenarioName("docs") // true
 * Scenarios.isScenarioName("nope") // false
 * ```
 * @category predicates
 * @since 0.1.0
 */
export const isScenarioName = (name: string): name is ScenarioName => Object.hasOwn(builtIn, name)
