/**
 * A cadence that learns each knowledge base. The wait engine reads every job it polls; a job that has
 * ended tells how long its knowledge base queues jobs, how long its documents take, and how often a job
 * fails as a whole. A `Cadence` keeps that, per knowledge base, and the engine polls a wait given no
 * schedule by it: today's `PollSchedule.defaultSchedule` while it knows too little of the knowledge base
 * (fewer than 8 completed jobs), polls timed by the knowledge base's own laws after.
 *
 * It is small and bounded: the last 32 jobs of each kind per knowledge base, at most 256 knowledge bases
 * (the one learned from least recently is forgotten first). It follows a knowledge base that changes
 * pace: a few jobs far slower (or faster) than it expects, and it forgets the jobs from before. And it
 * can be exported and imported as JSON, so that a CLI run or a cluster runner starts warm.
 *
 * The engine keeps one per process (the `cadence` option of `WaitEngine.make` / `WaitEngine.layer` and of
 * the Promise client gives it yours). See docs/waiting.md ("How the cadence learns").
 *
 * @since 1.1.0
 */
import * as Effect from "effect/Effect"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import * as internal from "./internal/cadence/store.js"

/**
 * The brand of a {@link Cadence}.
 *
 * @category symbols
 * @since 1.1.0
 */
export const TypeId: "~@tensoras/ingestion/Cadence" = internal.TypeId

/**
 * What a process learned of its knowledge bases' jobs: mutable (the engine updates it as jobs end),
 * bounded, and its JSON form is `toJSON`'s (`JSON.stringify(cadence)` gives it).
 *
 * @example
 * ```ts
 * import { Cadence } from "@tensoras/ingestion"
 *
 * const cadence: Cadence.Cadence = Cadence.make()
 * const text = JSON.stringify(cadence) // {"version":1,"knowledgeBases":{}}
 * ```
 * @category models
 * @since 1.1.0
 */
export interface Cadence {
  readonly [TypeId]: typeof TypeId
  /** The JSON form: see {@link toJSON}. */
  toJSON(): CadenceJson
}

/**
 * Whether a value is a {@link Cadence}.
 *
 * @example
 * ```ts
 * import { Cadence } from "@tensoras/ingestion"
 *
 * Cadence.isCadence(Cadence.make()) // true
 * Cadence.isCadence({ version: 1, knowledgeBases: {} }) // false: that is its JSON form
 * ```
 * @category guards
 * @since 1.1.0
 */
export const isCadence = (u: unknown): u is Cadence => u instanceof internal.Store

/**
 * A cadence that knows nothing yet: every wait polls as `PollSchedule.defaultSchedule` does until its
 * knowledge base's jobs have taught it.
 *
 * @example
 * ```ts
 * import { Cadence } from "@tensoras/ingestion"
 *
 * const cadence = Cadence.make()
 * ```
 * @category constructors
 * @since 1.1.0
 */
export const make = (): Cadence => new internal.Store()

/**
 * The JSON form of a {@link Cadence}: `version` 1, and per knowledge base its last jobs, oldest first
 * (at most 32 of each): the completed ones (`documents`, and `seconds` of processing, from `started_at`
 * to `completed_at`), the time each job queued (`queued`, seconds from `created_at` to `started_at`), and
 * whether each ended job failed as a whole (`failed`). At most 256 knowledge bases.
 *
 * @example
 * ```ts
 * import { Cadence } from "@tensoras/ingestion"
 * import * as Schema from "effect/Schema"
 *
 * const json: Cadence.CadenceJson = Schema.decodeUnknownSync(Cadence.CadenceJson)({
 *   version: 1,
 *   knowledgeBases: {
 *     kb_abc123: { completed: [{ documents: 3, seconds: 14 }], queued: [2], failed: [false] }
 *   }
 * })
 * ```
 * @category schemas
 * @since 1.1.0
 */
export const CadenceJson = internal.CadenceJson

/**
 * @category models
 * @since 1.1.0
 */
export type CadenceJson = typeof internal.CadenceJson.Type

/**
 * JSON that is not a cadence's: `path` names the first field at fault (`knowledgeBases.kb_abc123.completed.3.documents`),
 * `message` says what is wrong with it.
 *
 * @example
 * ```ts
 * import { Cadence } from "@tensoras/ingestion"
 *
 * try {
 *   Cadence.fromJSONSync({ version: 1, knowledgeBases: { kb_abc123: { completed: [{ documents: 0, seconds: 4 }], queued: [], failed: [] } } })
 * } catch (e) {
 *   if (e instanceof Cadence.InvalidCadence) console.error(e.path) // knowledgeBases.kb_abc123.completed.0.documents
 * }
 * ```
 * @category errors
 * @since 1.1.0
 */
export class InvalidCadence extends Schema.TaggedError<InvalidCadence>("@tensoras/ingestion/InvalidCadence")(
  "InvalidCadence",
  {
    /** The first field at fault, dot-separated (array items by index); empty: the whole value. */
    path: Schema.String,
    message: Schema.String
  }
) {}

const invalid = (problem: internal.Problem): InvalidCadence =>
  new InvalidCadence({
    path: problem.path,
    message: `Not a cadence's JSON${problem.path === "" ? "" : ` at ${problem.path}`}: ${problem.message}`
  })

/**
 * A cadence from its JSON form (as `JSON.parse` gives it back), checked by {@link CadenceJson}: what it
 * learned is learned again, in order. Fails with {@link InvalidCadence} naming the field at fault.
 *
 * @example
 * ```ts
 * import { Cadence } from "@tensoras/ingestion"
 * import * as Effect from "effect/Effect"
 *
 * declare const saved: string // JSON.stringify(cadence), from an earlier run
 * const cadence = Cadence.fromJSON(JSON.parse(saved)).pipe(
 *   Effect.catchTag("InvalidCadence", (e) => Effect.as(Effect.logWarning(e.message), Cadence.make()))
 * )
 * ```
 * @category constructors
 * @since 1.1.0
 */
export const fromJSON = (json: unknown): Effect.Effect<Cadence, InvalidCadence> =>
  Effect.suspend(() => {
    const decoded = internal.decode(json)
    return Result.isSuccess(decoded) ? Effect.succeed(decoded.success) : Effect.fail(invalid(decoded.failure))
  })

/**
 * {@link fromJSON} for code without Effect: throws {@link InvalidCadence}.
 *
 * @example
 * ```ts
 * import { Cadence } from "@tensoras/ingestion"
 *
 * const cadence = Cadence.fromJSONSync(JSON.parse('{"version":1,"knowledgeBases":{}}'))
 * ```
 * @category constructors
 * @since 1.1.0
 */
export const fromJSONSync = (json: unknown): Cadence => {
  const decoded = internal.decode(json)
  if (Result.isSuccess(decoded)) return decoded.success
  throw invalid(decoded.failure)
}

/**
 * The JSON form of what a cadence learned, to save and give back to {@link fromJSON} (plain data: a few
 * kilobytes per knowledge base at most). `JSON.stringify(cadence)` gives the same.
 *
 * @example
 * ```ts
 * import { Cadence } from "@tensoras/ingestion"
 *
 * const cadence = Cadence.make()
 * const saved = JSON.stringify(Cadence.toJSON(cadence))
 * ```
 * @category conversions
 * @since 1.1.0
 */
export const toJSON = (cadence: Cadence): CadenceJson => internal.toJSON(cadence as internal.Store)

/**
 * What a cadence learned of one knowledge base: the laws its waits are polled by.
 *
 * @category models
 * @since 1.1.0
 */
export interface Learned {
  /** Completed jobs it learned from (at most 32: the latest). */
  readonly completed: number
  /** The time from creation to start: its median, and the spread of its logarithm. */
  readonly queue: { readonly medianMs: number; readonly spread: number }
  /** One document's processing time, within a job: its median and spread. */
  readonly document: { readonly medianMs: number; readonly spread: number }
  /** The spread of a factor the documents of one job share. */
  readonly jobSpread: number
  /** The share of jobs that fail as a whole. */
  readonly failingShare: number
}

/**
 * What a cadence learned of a knowledge base, or `undefined` while it knows too little to use it (its
 * waits then poll as `PollSchedule.defaultSchedule` does).
 *
 * @example
 * ```ts
 * import { Cadence } from "@tensoras/ingestion"
 *
 * declare const cadence: Cadence.Cadence
 * const learned = Cadence.learned(cadence, "kb_abc123")
 * if (learned !== undefined) console.log(`a document takes about ${Math.round(learned.document.medianMs / 1000)} s`)
 * ```
 * @category getters
 * @since 1.1.0
 */
export const learned = (cadence: Cadence, knowledgeBaseId: string): Learned | undefined =>
  internal.describe(cadence as internal.Store, knowledgeBaseId)
