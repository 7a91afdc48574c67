/**
 * Seeded jobs of knowledge bases that each follow laws of their own: how long a job stays queued, how long
 * each of its documents takes, how many documents it has, how often it fails. Each knowledge base has its
 * own medians and spreads, every draw has noise, and a law can drift (a knowledge base that becomes 2×
 * slower after its 50th job), so a poller can learn a knowledge base from its past jobs, and must keep
 * learning.
 *
 * Nothing a client sees of one job gives away its end: the queue time, the count of documents and each
 * document's time are drawn on their own, so the documents do not add up to count × median, and the time
 * queued says nothing of the processing. The same seed gives the same knowledge bases and the same jobs.
 *
 * @since 1.1.0
 */
import type { DocumentSpec } from "./Documents.js"
import * as internal from "./internal/workload.js"
import type { SyncOptions } from "./SimulatorEngine.js"

/**
 * A log-normal law of a duration: half the draws under `medianMs`; `spread` is the standard deviation of
 * the draws' logarithm (0: always the median; 0.5: two draws in three within 1.65× of it).
 *
 * @example
 * ```ts
 * import type { Workload } from "@tensoras/ingestion-testkit"
 *
 * const queue: Workload.DurationLaw = { medianMs: 2_000, spread: 0.5 }
 * ```
 * @category models
 * @since 1.1.0
 */
export interface DurationLaw {
  readonly medianMs: number
  readonly spread: number
}

/**
 * A log-normal law of a count, rounded and never under 1: the documents of one job.
 *
 * @example
 * ```ts
 * import type { Workload } from "@tensoras/ingestion-testkit"
 *
 * const mostlyOne: Workload.CountLaw = { median: 1, spread: 0.5 } // 1 document in 4 jobs of 5
 * ```
 * @category models
 * @since 1.1.0
 */
export interface CountLaw {
  readonly median: number
  readonly spread: number
}

/**
 * How one knowledge base's jobs run. Each job draws its queue time, its count of documents and each
 * document's time on its own; a failing document takes a third of a processed one's time (rejected after
 * a short look); a failing job fails at a uniformly drawn moment of its processing.
 *
 * @example
 * ```ts
 * import type { Workload } from "@tensoras/ingestion-testkit"
 *
 * const law: Workload.KnowledgeBaseLaw = {
 *   queue: { medianMs: 1_500, spread: 0.4 },
 *   document: { medianMs: 4_000, spread: 0.5 },
 *   documents: { median: 3, spread: 0.8 },
 *   jobSpread: 0.2,
 *   failingShare: 0.05
 * }
 * ```
 * @category models
 * @since 1.1.0
 */
export interface KnowledgeBaseLaw {
  /** Time from creation to the start of processing. */
  readonly queue: DurationLaw
  /** One document's processing time. */
  readonly document: DurationLaw
  /** How many documents a job has. */
  readonly documents: CountLaw
  /**
   * The spread of a factor every document of one job shares (one job runs on a busier worker than the
   * next): documents of one job are alike, those of two jobs less so. Default 0.
   */
  readonly jobSpread?: number
  /** Share of jobs that fail as a whole. Default 0. */
  readonly failingShare?: number
  /** Chance that a document fails. Default 0. */
  readonly documentFailureShare?: number
  /** Time between two jobs' creations. Default a median of 60 s, spread 1. */
  readonly interval?: DurationLaw
}

/**
 * A change of a knowledge base's law: from its job of index `fromJob` (0-based) on, the medians it
 * `applies` to are multiplied by `factor`, at once, or step by step over `overJobs` jobs. Drifts compose
 * by multiplying.
 *
 * @example
 * ```ts
 * import type { Workload } from "@tensoras/ingestion-testkit"
 *
 * const twiceSlower: Workload.Drift = { fromJob: 50, factor: 2 }
 * const queueGrows: Workload.Drift = { fromJob: 0, factor: 3, overJobs: 100, applies: "queue" }
 * ```
 * @category models
 * @since 1.1.0
 */
export interface Drift {
  readonly fromJob: number
  readonly factor: number
  /** Jobs over which the factor is reached (geometrically). Default 1: at once. */
  readonly overJobs?: number
  /** `processing`: each document's time (the default); `queue`: the time queued; `both`. */
  readonly applies?: "processing" | "queue" | "both"
}

/**
 * A knowledge base of a workload: its id, its law and how the law drifts.
 *
 * @example
 * ```ts
 * import { Workload } from "@tensoras/ingestion-testkit"
 *
 * const [kb] = Workload.knowledgeBases({ count: 1, seed: 3 })
 * const drifting: Workload.KnowledgeBase = { ...kb!, drift: [{ fromJob: 50, factor: 2 }] }
 * ```
 * @category models
 * @since 1.1.0
 */
export interface KnowledgeBase {
  readonly id: string
  readonly law: KnowledgeBaseLaw
  readonly drift?: ReadonlyArray<Drift>
}

/**
 * The ranges `knowledgeBases` draws each knowledge base's law from. Medians are log-uniform in theirs
 * (every decade as likely), spreads and shares uniform.
 *
 * @example
 * ```ts
 * import type { Workload } from "@tensoras/ingestion-testkit"
 *
 * const seconds: Partial<Workload.LawRanges> = { jobMs: [3_000, 60_000], failingShare: [0.1, 0.1] }
 * ```
 * @category models
 * @since 1.1.0
 */
export interface LawRanges {
  /** The median queue time (ms). */
  readonly queueMs: readonly [number, number]
  /** The median time of one document (ms). */
  readonly documentMs: readonly [number, number]
  /**
   * A typical job's duration, creation to end (ms): with the two medians above, it sets the median count
   * of documents (at least 1).
   */
  readonly jobMs: readonly [number, number]
  /** The spreads of the queue time, of a document's time and of the count. */
  readonly spread: readonly [number, number]
  /** The spread of the factor a job's documents share. */
  readonly jobSpread: readonly [number, number]
  readonly failingShare: readonly [number, number]
  readonly documentFailureShare: readonly [number, number]
  /** The median time between two jobs' creations (ms); its spread is 1. */
  readonly intervalMs: readonly [number, number]
}

/**
 * The ranges `knowledgeBases` uses where none is given: queues of 0.5–10 s, documents of 1–40 s (the API
 * docs' examples run 4 s and 40 s per document), jobs of 3 s–10 min, spreads of 0.2–0.8, up to 15 % of jobs
 * and 10 % of documents failing, a job every 10 s to 10 min.
 *
 * @example
 * ```ts
 * import { Workload } from "@tensoras/ingestion-testkit"
 *
 * const ranges: Workload.LawRanges = { ...Workload.defaultRanges, jobMs: [60_000, 600_000] }
 * ```
 * @category constants
 * @since 1.1.0
 */
export const defaultRanges: LawRanges = internal.defaultRanges

/**
 * Options of `knowledgeBases`.
 *
 * @example
 * ```ts
 * import type { Workload } from "@tensoras/ingestion-testkit"
 *
 * const options: Workload.KnowledgeBasesOptions = { count: 20, seed: 941, ranges: { jobMs: [3_000, 60_000] } }
 * ```
 * @category models
 * @since 1.1.0
 */
export interface KnowledgeBasesOptions {
  readonly count: number
  /** Same seed, same laws. Default 1. */
  readonly seed?: number
  /** Default `defaultRanges`, range by range. */
  readonly ranges?: Partial<LawRanges>
  /** Ids are this prefix and a 3-digit number from 001. Default `kb_`. */
  readonly idPrefix?: string
}

/**
 * `count` knowledge bases, each with a law of its own drawn from `ranges`, none drifting (add a `drift`).
 * Throws a `RangeError` on a count that is not a whole number >= 0 or a range that is not one.
 *
 * @example
 * ```ts
 * import { Workload } from "@tensoras/ingestion-testkit"
 *
 * const [fast, slow] = Workload.knowledgeBases({ count: 2, seed: 7 })
 * fast!.law.document.medianMs !== slow!.law.document.medianMs // true
 * ```
 * @category constructors
 * @since 1.1.0
 */
export const knowledgeBases: (options: KnowledgeBasesOptions) => ReadonlyArray<KnowledgeBase> =
  internal.knowledgeBases

/**
 * The law a knowledge base's job of index `jobIndex` (0-based) is drawn from: its law with its drifts
 * applied to the medians.
 *
 * @example
 * ```ts
 * import { Workload } from "@tensoras/ingestion-testkit"
 *
 * const [kb] = Workload.knowledgeBases({ count: 1 })
 * const drifting = { ...kb!, drift: [{ fromJob: 50, factor: 2 }] }
 * Workload.lawAt(drifting, 50).document.medianMs === 2 * Workload.lawAt(drifting, 49).document.medianMs // true
 * ```
 * @category utils
 * @since 1.1.0
 */
export const lawAt: (knowledgeBase: KnowledgeBase, jobIndex: number) => KnowledgeBaseLaw = internal.lawAt

/**
 * Options of `jobs`.
 *
 * @example
 * ```ts
 * import type { Workload } from "@tensoras/ingestion-testkit"
 *
 * const options: Workload.JobsOptions = { count: 100, seed: 2 }
 * ```
 * @category models
 * @since 1.1.0
 */
export interface JobsOptions {
  readonly count: number
  /** Same seed (and knowledge base id), same jobs. Default 1. */
  readonly seed?: number
  /** Ids are this prefix and a 4-digit number from 0001. Default `job_` + the knowledge base's id + `_`. */
  readonly idPrefix?: string
}

/**
 * One job as drawn: what to plan in the simulator, and the truth a benchmark measures against (what no
 * client is told: `documentMedianMs`, `processingMs`, `durationMs`).
 *
 * @example
 * ```ts
 * import { Workload } from "@tensoras/ingestion-testkit"
 *
 * const [kb] = Workload.knowledgeBases({ count: 1 })
 * const [first] = Workload.jobs(kb!, { count: 1 })
 * first!.durationMs === first!.queuedMs + first!.processingMs || first!.failure !== null // true
 * ```
 * @category models
 * @since 1.1.0
 */
export interface PlannedJob {
  /** Its index in its knowledge base's sequence (0-based): the drifts count in it. */
  readonly index: number
  readonly id: string
  readonly knowledgeBaseId: string
  /** Its creation, after the first job's (ms). */
  readonly createdAfterMs: number
  readonly queuedMs: number
  /** In the order they are processed, each with its own `durationMs`. */
  readonly documents: ReadonlyArray<DocumentSpec>
  /** When it fails as a whole (ms after its creation), or null. */
  readonly failure: { readonly afterMs: number } | null
  /** The median its documents' times were drawn around: the law's, drifted, times this job's factor. */
  readonly documentMedianMs: number
  /** The sum of its documents' times. */
  readonly processingMs: number
  /** Creation to end: its failure, or the end of its last document. */
  readonly durationMs: number
}

/**
 * The first `count` jobs of a knowledge base, drawn from its law as it drifts. Each job draws from a
 * generator of its own (the seed, the knowledge base's id and the job's index), so the first ten jobs are
 * the same whether ten or a thousand are asked for, and two knowledge bases never share their noise.
 *
 * @example
 * ```ts
 * import { SimulatorClock, SimulatorEngine, Workload } from "@tensoras/ingestion-testkit"
 *
 * const [kb] = Workload.knowledgeBases({ count: 1, seed: 5 })
 * const clock = SimulatorClock.make({ mode: "manual", epochMs: Date.UTC(2025, 0, 1) })
 * const engine = SimulatorEngine.make(clock, 1)
 * const start = clock.now()
 * engine.addKnowledgeBase(kb!.id)
 * for (const job of Workload.jobs(kb!, { count: 3, seed: 9 })) {
 *   clock.setTime(start + job.createdAfterMs)
 *   engine.addDataSource(kb!.id, Workload.syncOptions(job, start))
 * }
 * ```
 * @category constructors
 * @since 1.1.0
 */
export const jobs: (knowledgeBase: KnowledgeBase, options: JobsOptions) => ReadonlyArray<PlannedJob> =
  internal.jobs

/**
 * What `addDataSource` / `syncDataSource` take to plan the job, created at `startMs + job.createdAfterMs`
 * (engine epoch ms: the engine refuses it before its clock gets there).
 *
 * @example
 * ```ts
 * import { Workload } from "@tensoras/ingestion-testkit"
 *
 * const [kb] = Workload.knowledgeBases({ count: 1 })
 * const [job] = Workload.jobs(kb!, { count: 1 })
 * Workload.syncOptions(job!, Date.UTC(2025, 0, 1)).queuedMs === job!.queuedMs // true
 * ```
 * @category utils
 * @since 1.1.0
 */
export const syncOptions: (job: PlannedJob, startMs: number) => SyncOptions = internal.syncOptions
