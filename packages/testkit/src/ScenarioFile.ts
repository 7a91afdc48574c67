/**
 * Scenarios written as JSON: knowledge bases, their jobs (timelines, documents, failures with reasons)
 * and faults per request or per job, validated by an Effect Schema. What `tensoras-simulator --scenario
 * FILE` serves; `fromJson` makes the same `Scenario` for `NodeSimulator.start` or `Simulator.make`.
 *
 * @since 1.1.0
 */
import * as Effect from "effect/Effect"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import { FaultJson as FaultJsonSchema } from "./internal/faultSchema.js"
import * as internal from "./internal/scenarioFile.js"
import { JobJson as JobJsonSchema, ScenarioJson } from "./internal/scenarioSchema.js"
import type { Scenario } from "./Scenarios.js"

/**
 * The schema of a scenario file. Decoded strictly: a field it does not know is an error, so a misspelt
 * one is named rather than ignored. Docs: docs/simulator.md, "Scenario files".
 *
 * @example
 * ```ts
 * import type * as ScenarioFile from "@tensoras/ingestion-testkit/ScenarioFile"
 *
 * const file: ScenarioFile.ScenarioFile = {
 *   name: "two-kbs",
 *   startAt: "2025-01-01T00:00:00Z",
 *   knowledgeBases: [
 *     { id: "kb_docs", jobs: [{ id: "job_docs", queuedMs: 2_000, documents: [{ name: "a.pdf", chunks: 12 }] }] },
 *     {
 *       id: "kb_wiki",
 *       jobs: [{ id: "job_wiki", documents: { count: 20, failures: 2 }, faults: [{ kind: "server-error", status: 503 }] }]
 *     }
 *   ],
 *   faults: [{ kind: "rate-limit", retryAfter: 2, route: "list" }]
 * }
 * ```
 * @category schemas
 * @since 1.1.0
 */
export const ScenarioFile: Schema.Codec<ScenarioJson, ScenarioJson> = ScenarioJson

/**
 * A scenario file's content.
 *
 * @category models
 * @since 1.1.0
 */
export type ScenarioFile = ScenarioJson

/**
 * The schema of one job, as a scenario file's `jobs` and the control API's "add a job" take it.
 *
 * @example
 * ```ts
 * import type * as ScenarioFile from "@tensoras/ingestion-testkit/ScenarioFile"
 *
 * const job: ScenarioFile.Job = {
 *   id: "job_nightly",
 *   dataSource: "ds_drive",
 *   ageMs: 5_000,
 *   queuedMs: 1_000,
 *   documents: [{ name: "a.md" }, { name: "b.pdf", fail: "The PDF is password-protected" }],
 *   failure: { afterMs: 30_000, error: { message: "Embedding service unavailable", code: "embedding_failed" } }
 * }
 * ```
 * @category schemas
 * @since 1.1.0
 */
export const Job: Schema.Codec<Job, Job> = JobJsonSchema

/**
 * One job of a scenario file.
 *
 * @category models
 * @since 1.1.0
 */
export type Job = JobJsonSchema

/**
 * The schema of a fault as JSON: a `Fault`, with `times: "always"` for `Infinity`.
 *
 * @example
 * ```ts
 * import type * as ScenarioFile from "@tensoras/ingestion-testkit/ScenarioFile"
 *
 * const fault: ScenarioFile.FaultJson = { kind: "server-error", status: 503, jobId: "job_1", skip: 1, times: "always" }
 * ```
 * @category schemas
 * @since 1.1.0
 */
export const FaultJson: Schema.Codec<FaultJson, FaultJson> = FaultJsonSchema

/**
 * A fault as JSON.
 *
 * @category models
 * @since 1.1.0
 */
export type FaultJson = FaultJsonSchema

/**
 * A scenario file that cannot be served. `path` names the first bad field
 * (`knowledgeBases[0].jobs[1].queuedMs`, empty for the file as a whole); `message` lists every
 * issue, one a line, each starting with its field.
 *
 * @example
 * ```ts
 * import * as ScenarioFile from "@tensoras/ingestion-testkit/ScenarioFile"
 *
 * try {
 *   ScenarioFile.fromJson({ knowledgeBases: [{ id: "kb_1", jobs: [{ queuedMs: -1 }] }] })
 * } catch (error) {
 *   if (error instanceof ScenarioFile.ScenarioFileError) console.error(error.path) // "knowledgeBases[0].jobs[0].queuedMs"
 * }
 * ```
 * @category errors
 * @since 1.1.0
 */
export class ScenarioFileError extends Schema.TaggedError<ScenarioFileError>(
  "@tensoras/ingestion-testkit/ScenarioFileError"
)("ScenarioFileError", {
  path: Schema.String,
  message: Schema.String
}) {}

/**
 * Options of {@link fromJson}, {@link parse} and {@link decode}.
 *
 * @example
 * ```ts
 * import type * as ScenarioFile from "@tensoras/ingestion-testkit/ScenarioFile"
 *
 * const options: ScenarioFile.DecodeOptions = { name: "nightly" }
 * ```
 * @category models
 * @since 1.1.0
 */
export interface DecodeOptions {
  /** The scenario's name when the file gives none (the bin passes the file's name). Default `custom`. */
  readonly name?: string
}

/**
 * The `Scenario` a scenario file's JSON value describes. Throws a {@link ScenarioFileError} naming
 * the bad field; the world is also set up once on a scratch engine, so a reused id or a duplicate
 * document is reported here, by path, and not when the simulator starts.
 *
 * @example
 * ```ts
 * import { NodeSimulator } from "@tensoras/ingestion-testkit"
 * import * as ScenarioFile from "@tensoras/ingestion-testkit/ScenarioFile"
 *
 * const scenario = ScenarioFile.fromJson({
 *   knowledgeBases: [{ id: "kb_one", jobs: [{ id: "job_one", documents: [{ name: "a.md", chunks: 3 }] }] }]
 * })
 * const sim = await NodeSimulator.start({ scenario, clock: "manual" })
 * await sim.close()
 * ```
 * @category constructors
 * @since 1.1.0
 */
export const fromJson = (input: unknown, options: DecodeOptions = {}): Scenario =>
  Result.getOrThrowWith(internal.decode(input, options.name ?? "custom"), (error) => error)

/**
 * {@link fromJson} of a JSON text; text that is not JSON is a {@link ScenarioFileError} with an empty
 * `path`.
 *
 * @example
 * ```ts
 * import * as ScenarioFile from "@tensoras/ingestion-testkit/ScenarioFile"
 *
 * const scenario = ScenarioFile.parse('{ "knowledgeBases": [{ "id": "kb_one" }] }', { name: "one" })
 * scenario.name // "one"
 * ```
 * @category constructors
 * @since 1.1.0
 */
export const parse = (text: string, options: DecodeOptions = {}): Scenario => {
  let input: unknown
  try {
    input = JSON.parse(text)
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause)
    throw new ScenarioFileError({ path: "", message: `(the file): not JSON: ${reason}` })
  }
  return fromJson(input, options)
}

/**
 * {@link fromJson} in Effect: fails with the {@link ScenarioFileError}.
 *
 * @example
 * ```ts
 * import * as Effect from "effect/Effect"
 * import * as ScenarioFile from "@tensoras/ingestion-testkit/ScenarioFile"
 *
 * const program = ScenarioFile.decode({ knowledgeBases: [] }).pipe(
 *   Effect.catchTag("ScenarioFileError", (error) => Effect.die(error.message))
 * )
 * ```
 * @category constructors
 * @since 1.1.0
 */
export const decode = (
  input: unknown,
  options: DecodeOptions = {}
): Effect.Effect<Scenario, ScenarioFileError> =>
  Effect.suspend(() => Effect.fromResult(internal.decode(input, options.name ?? "custom")))
