/**
 * The store behind `Cadence`: a model per knowledge base (`model.ts`), at most `MAX_KNOWLEDGE_BASES`
 * of them (the one learned from least recently is forgotten first), what the wait engine calls
 * (`observe` with every job it reads, `scheduleFor` for a wait given no schedule) and its JSON form.
 */
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import * as SchemaIssue from "effect/SchemaIssue"
import * as PollSchedule from "../../PollSchedule.js"
import type { Polled } from "../polled.js"
import { learned, type Tuning } from "./learned.js"
import { CAPACITY, Model } from "./model.js"
import { type Pacing, pacingOf } from "./paced.js"

/** Knowledge bases kept at most: past it, the one learned from least recently is forgotten. */
export const MAX_KNOWLEDGE_BASES = 256

/**
 * How the learned cadence weighs a request against the latency of noticing the end: 60 ms on a job
 * expected to take a minute, more on shorter ones (a request is worth more of a short job's time),
 * less on longer ones, as (60 s ÷ the expected duration)^`scale`. Tuned on the benchmark's tuning
 * jobs (`pnpm bench:cadence --tuning`).
 */
export const TUNING: Tuning = { pollCost: 72, scale: 0.2, min: 500, max: 30_000 }

/** `paced`'s rules, for the polls without the count of documents (a sweep's lists). */
const PACING: Pacing = pacingOf({})

/** The learned schedule of a model, kept while its law stays the same. */
interface Cached {
  readonly version: number
  readonly schedule: PollSchedule.PollSchedule
}

/** What marks a `Cadence.Cadence`. */
export const TypeId = "~@tensoras/ingestion/Cadence" as const

/** The mutable store of models: what `Cadence.Cadence` is. */
export class Store {
  readonly [TypeId] = TypeId
  readonly models = new Map<string, Model>()
  readonly schedules = new WeakMap<Model, Cached>()

  /** Its JSON form (`JSON.stringify` calls this): see `toJSON`. */
  toJSON(): CadenceJson {
    return toJSON(this)
  }

  /** The model of `knowledgeBaseId`, made if needed, and marked as the most recently learned from. */
  modelFor(knowledgeBaseId: string): Model {
    let model = this.models.get(knowledgeBaseId)
    if (model !== undefined) {
      this.models.delete(knowledgeBaseId)
    } else {
      model = new Model()
      if (this.models.size >= MAX_KNOWLEDGE_BASES) {
        const oldest = this.models.keys().next().value
        if (oldest !== undefined) this.models.delete(oldest)
      }
    }
    this.models.set(knowledgeBaseId, model)
    return model
  }
}

/**
 * Learns from a job the engine read (listed or fetched): a job that has not ended teaches nothing
 * and costs a field read (no lookup, no allocation); an ended one is learned once, timed by its own
 * timestamps.
 */
export const observe = (store: Store, knowledgeBaseId: string, job: Polled): void => {
  if (job.completed_at === null) return
  if (job.status !== "completed" && job.status !== "failed") return
  store.modelFor(knowledgeBaseId).learn(job)
}

/**
 * The schedule of a wait on `knowledgeBaseId` given none: `PollSchedule.defaultSchedule` while too
 * few of its jobs have completed, the cadence of its learned law after.
 */
export const scheduleFor = (store: Store, knowledgeBaseId: string): PollSchedule.PollSchedule => {
  const model = store.models.get(knowledgeBaseId)
  if (model === undefined) return PollSchedule.defaultSchedule
  const law = model.law()
  if (law === undefined) return PollSchedule.defaultSchedule
  const cached = store.schedules.get(model)
  if (cached !== undefined && cached.version === model.version) return cached.schedule
  const schedule = learned(law, TUNING, PACING)
  store.schedules.set(model, { version: model.version, schedule })
  return schedule
}

/** What a knowledge base's model says it learned: see `Cadence.Learned`. */
export interface Described {
  readonly completed: number
  readonly queue: { readonly medianMs: number; readonly spread: number }
  readonly document: { readonly medianMs: number; readonly spread: number }
  readonly jobSpread: number
  readonly failingShare: number
}

/** What the store learned of `knowledgeBaseId`, once it knows enough to use it. */
export const describe = (store: Store, knowledgeBaseId: string): Described | undefined => {
  const model = store.models.get(knowledgeBaseId)
  const law = model?.law(true)
  if (model === undefined || law === undefined) return undefined
  return {
    completed: model.completed.length,
    queue: { medianMs: Math.exp(law.queue.mu), spread: law.queue.sigma },
    document: { medianMs: Math.exp(law.document.mu), spread: law.document.sigma },
    jobSpread: law.jobSigma,
    failingShare: law.failing
  }
}

const Seconds = Schema.Number.check(Schema.isFinite(), Schema.isGreaterThanOrEqualTo(0))

/** One knowledge base's jobs, as exported. */
export const KnowledgeBaseJson = Schema.Struct({
  completed: Schema.Array(
    Schema.Struct({
      documents: Schema.Int.check(Schema.isGreaterThanOrEqualTo(1)),
      seconds: Seconds
    })
  ).check(Schema.isMaxLength(CAPACITY)),
  queued: Schema.Array(Seconds).check(Schema.isMaxLength(CAPACITY)),
  failed: Schema.Array(Schema.Boolean).check(Schema.isMaxLength(CAPACITY))
})

/** The whole store, as exported. */
export const CadenceJson = Schema.Struct({
  version: Schema.Literal(1),
  knowledgeBases: Schema.Record(Schema.String, KnowledgeBaseJson).check(
    Schema.isMaxProperties(MAX_KNOWLEDGE_BASES)
  )
})

export type CadenceJson = typeof CadenceJson.Type

/** The store as JSON data: each knowledge base's jobs, oldest first. */
export const toJSON = (store: Store): CadenceJson => {
  const knowledgeBases: Record<string, typeof KnowledgeBaseJson.Type> = {}
  for (const [id, model] of store.models) {
    knowledgeBases[id] = {
      completed: model.completed.map((job) => ({ documents: job.documents, seconds: job.seconds })),
      queued: [...model.queued],
      failed: [...model.failed]
    }
  }
  return { version: 1, knowledgeBases }
}

/** Where the first problem of a JSON form is (`knowledgeBases.kb_1.completed.3.documents`), and what it is. */
export interface Problem {
  readonly path: string
  readonly message: string
}

const formatIssue = SchemaIssue.makeFormatterStandardSchemaV1()
const decodeJson = Schema.decodeUnknownResult(CadenceJson)

/** The JSON form checked: a store, or its first problem. */
export const decode = (json: unknown): Result.Result<Store, Problem> => {
  const decoded = decodeJson(json)
  if (Result.isSuccess(decoded)) return Result.succeed(fromJSON(decoded.success))
  const [first] = formatIssue(decoded.failure.issue).issues
  const path = (first?.path ?? []).map(String).join(".")
  return Result.fail({ path, message: first?.message ?? "not a cadence" })
}

/** A store holding what `json` (already checked) holds. */
export const fromJSON = (json: CadenceJson): Store => {
  const store = new Store()
  for (const [id, learnedJobs] of Object.entries(json.knowledgeBases)) {
    store.modelFor(id).restore(learnedJobs.completed, learnedJobs.queued, learnedJobs.failed)
  }
  return store
}
