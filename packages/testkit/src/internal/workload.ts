/**
 * The generator behind `Workload`: knowledge bases with laws of their own, and their jobs drawn in the order
 * things happen, each job and each document on its own (see `Workload` for what that guarantees).
 */
import type { DocumentSpec } from "../Documents.js"
import type { SyncOptions } from "../SimulatorEngine.js"
import type {
  Drift,
  DurationLaw,
  JobsOptions,
  KnowledgeBase,
  KnowledgeBaseLaw,
  KnowledgeBasesOptions,
  LawRanges,
  PlannedJob
} from "../Workload.js"
import { generate } from "./documents.js"
import { gaussian, hashOf, logNormal, logUniform, seedOf, uniform } from "./laws.js"
import { createRandom, type Random } from "./random.js"

export const defaultRanges: LawRanges = {
  queueMs: [500, 10_000],
  documentMs: [1_000, 40_000],
  jobMs: [3_000, 600_000],
  spread: [0.2, 0.8],
  jobSpread: [0, 0.3],
  failingShare: [0, 0.15],
  documentFailureShare: [0, 0.1],
  intervalMs: [10_000, 600_000]
}

const DEFAULT_INTERVAL: DurationLaw = { medianMs: 60_000, spread: 1 }
/** A failing document is rejected after a short look: this share of the time it would have taken. */
const REJECTED_SHARE = 1 / 3
/** Kept apart so that a knowledge base's law and its jobs' noise never come from one generator. */
const LAW_SALT = 0x4b425f4c
const JOB_SALT = 0x4a4f4253

const fail = (what: string, value: unknown): never => {
  throw new RangeError(`${what}: got ${JSON.stringify(value)}`)
}

const checkCount = (count: number, what: string): void => {
  if (!Number.isInteger(count) || count < 0) fail(`${what} must be an integer >= 0`, count)
}

const checkDuration = (law: DurationLaw, what: string): void => {
  if (!(Number.isFinite(law.medianMs) && law.medianMs > 0)) fail(`${what}.medianMs must be > 0`, law.medianMs)
  if (!(Number.isFinite(law.spread) && law.spread >= 0)) fail(`${what}.spread must be >= 0`, law.spread)
}

const checkShare = (share: number | undefined, what: string): void => {
  if (share !== undefined && !(share >= 0 && share <= 1)) fail(`${what} must be in [0, 1]`, share)
}

const checkKnowledgeBase = (kb: KnowledgeBase): void => {
  const { law } = kb
  checkDuration(law.queue, "queue")
  checkDuration(law.document, "document")
  checkDuration({ medianMs: law.documents.median, spread: law.documents.spread }, "documents")
  checkDuration(law.interval ?? DEFAULT_INTERVAL, "interval")
  if (!((law.jobSpread ?? 0) >= 0)) fail("jobSpread must be >= 0", law.jobSpread)
  checkShare(law.failingShare, "failingShare")
  checkShare(law.documentFailureShare, "documentFailureShare")
  for (const drift of kb.drift ?? []) {
    checkCount(drift.fromJob, "drift.fromJob")
    if (!(Number.isFinite(drift.factor) && drift.factor > 0)) fail("drift.factor must be > 0", drift.factor)
    const over = drift.overJobs ?? 1
    if (!(Number.isInteger(over) && over >= 1)) fail("drift.overJobs must be an integer >= 1", over)
  }
}

const checkRanges = (ranges: LawRanges): void => {
  for (const [name, [low, high]] of Object.entries(ranges) as Array<[string, readonly [number, number]]>) {
    const positive = name.endsWith("Ms")
    const share = name.endsWith("Share")
    const ordered = Number.isFinite(low) && Number.isFinite(high) && low <= high
    if (!(ordered && (positive ? low > 0 : low >= 0) && (!share || high <= 1)))
      fail(`ranges.${name} must be [low, high] with ${positive ? "0 < low" : "0 <= low"} <= high`, [
        low,
        high
      ])
  }
}

/** The product of the drifts that apply to `what` at job `index`. */
const driftAt = (drifts: ReadonlyArray<Drift>, index: number, what: "processing" | "queue"): number =>
  drifts.reduce((factor, drift) => {
    const applies = drift.applies ?? "processing"
    if (index < drift.fromJob || (applies !== "both" && applies !== what)) return factor
    const reached = Math.min(1, (index - drift.fromJob + 1) / (drift.overJobs ?? 1))
    return factor * drift.factor ** reached
  }, 1)

export const lawAt = (kb: KnowledgeBase, jobIndex: number): KnowledgeBaseLaw => {
  checkCount(jobIndex, "jobIndex")
  const drifts = kb.drift ?? []
  const queue = driftAt(drifts, jobIndex, "queue")
  const processing = driftAt(drifts, jobIndex, "processing")
  const { law } = kb
  return {
    ...law,
    queue: { ...law.queue, medianMs: law.queue.medianMs * queue },
    document: { ...law.document, medianMs: law.document.medianMs * processing }
  }
}

const lawFrom = (random: Random, ranges: LawRanges): KnowledgeBaseLaw => {
  const queueMs = logUniform(random, ranges.queueMs)
  const documentMs = logUniform(random, ranges.documentMs)
  const jobMs = logUniform(random, ranges.jobMs)
  return {
    queue: { medianMs: queueMs, spread: uniform(random, ranges.spread) },
    document: { medianMs: documentMs, spread: uniform(random, ranges.spread) },
    // The typical job: what is left of its duration after the queue, in documents of the median time.
    documents: {
      median: Math.max(1, (jobMs - queueMs) / documentMs),
      spread: uniform(random, ranges.spread)
    },
    jobSpread: uniform(random, ranges.jobSpread),
    failingShare: uniform(random, ranges.failingShare),
    documentFailureShare: uniform(random, ranges.documentFailureShare),
    interval: { medianMs: logUniform(random, ranges.intervalMs), spread: 1 }
  }
}

export const knowledgeBases = (options: KnowledgeBasesOptions): ReadonlyArray<KnowledgeBase> => {
  checkCount(options.count, "count")
  const ranges: LawRanges = { ...defaultRanges, ...options.ranges }
  checkRanges(ranges)
  const seed = (options.seed ?? 1) ^ LAW_SALT
  return Array.from({ length: options.count }, (_, index) => ({
    id: `${options.idPrefix ?? "kb_"}${String(index + 1).padStart(3, "0")}`,
    law: lawFrom(createRandom(seedOf(seed, index)), ranges)
  }))
}

/** The documents of one job: their kinds and sizes from `Documents.generate`, each time drawn alone. */
const documentsOf = (
  random: Random,
  law: KnowledgeBaseLaw,
  medianMs: number
): ReadonlyArray<DocumentSpec> => {
  const count = Math.max(1, Math.round(logNormal(random, law.documents.median, law.documents.spread)))
  let failures = 0
  for (let i = 0; i < count; i++) if (random.next() < (law.documentFailureShare ?? 0)) failures++
  const specs = generate({ count, failures, seed: random.int(1, 2 ** 31 - 1) })
  return specs.map((spec) => {
    const drawn = logNormal(random, medianMs, law.document.spread)
    return {
      ...spec,
      durationMs: Math.max(1, Math.round(spec.fail === undefined ? drawn : drawn * REJECTED_SHARE))
    }
  })
}

/** Job `index` of `kb`, created `createdAfterMs` after the first; `random` is its own generator. */
const jobOf = (
  kb: KnowledgeBase,
  index: number,
  random: Random,
  id: string,
  createdAfterMs: number
): PlannedJob => {
  const law = lawAt(kb, index)
  const queuedMs = Math.round(logNormal(random, law.queue.medianMs, law.queue.spread))
  const documentMedianMs = law.document.medianMs * Math.exp((law.jobSpread ?? 0) * gaussian(random))
  const documents = documentsOf(random, law, documentMedianMs)
  const processingMs = documents.reduce((sum, document) => sum + (document.durationMs ?? 0), 0)
  // Drawn whether the job fails or not: a job's other draws do not depend on it.
  const fails = random.next() < (law.failingShare ?? 0)
  const at = random.next()
  const failure = fails ? { afterMs: queuedMs + Math.round(at * processingMs) } : null
  return {
    index,
    id,
    knowledgeBaseId: kb.id,
    createdAfterMs,
    queuedMs,
    documents,
    failure,
    documentMedianMs,
    processingMs,
    durationMs: failure?.afterMs ?? queuedMs + processingMs
  }
}

export const jobs = (kb: KnowledgeBase, options: JobsOptions): ReadonlyArray<PlannedJob> => {
  checkCount(options.count, "count")
  checkKnowledgeBase(kb)
  const seed = ((options.seed ?? 1) ^ hashOf(kb.id) ^ JOB_SALT) >>> 0
  const prefix = options.idPrefix ?? `job_${kb.id}_`
  const interval = kb.law.interval ?? DEFAULT_INTERVAL
  const planned: Array<PlannedJob> = []
  let createdAfterMs = 0
  for (let index = 0; index < options.count; index++) {
    const random = createRandom(seedOf(seed, index))
    // The time since the previous job comes first, so that the rest of the job is drawn alike for all.
    const sincePrevious = Math.round(logNormal(random, interval.medianMs, interval.spread))
    if (index > 0) createdAfterMs += sincePrevious
    const id = `${prefix}${String(index + 1).padStart(4, "0")}`
    planned.push(jobOf(kb, index, random, id, createdAfterMs))
  }
  return planned
}

export const syncOptions = (job: PlannedJob, startMs: number): SyncOptions => ({
  jobId: job.id,
  createdAt: startMs + job.createdAfterMs,
  queuedMs: job.queuedMs,
  documents: job.documents,
  ...(job.failure === null ? {} : { failure: { afterMs: job.failure.afterMs } })
})
