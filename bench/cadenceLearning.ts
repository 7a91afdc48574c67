/**
 * The learning half of `pnpm bench:cadence`: the cadence a knowledge base's ended jobs teach
 * (`Cadence`), fed as the wait engine feeds it, against the API docs' loop and today's default on the
 * same jobs.
 *
 * Each knowledge base of a workload runs its jobs in one simulator, in the order things happen: a job is
 * created, its wait begins 0–1 s later, it ends. Every job that ends is read as the engine reads an
 * ended job (a GET of it: `document_details`, whole-second timestamps) and observed by the knowledge
 * base's store at that moment, whether it was waited for or not. A wait takes the schedule the engine
 * would give it at its start (`scheduleFor`: today's default while the store knows too little) and is
 * measured as the rest of the bench measures a wait (`detect`). A job is measured once its knowledge base
 * has ended `history` jobs, and when its duration is within its workload's range.
 *
 * @module
 */
import { IngestionJob, PollSchedule } from "@tensoras/ingestion"
import { SimulatorClock, SimulatorEngine, Workload } from "@tensoras/ingestion-testkit"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { observe, Store, scheduleFor } from "../packages/core/src/internal/cadence/store.js"
import {
  type CadenceJob,
  type CadenceWorkload,
  type Detection,
  detect,
  inRange,
  knowledgeBasesOf
} from "./cadence.js"
import * as Seeded from "./seededRandom.js"

/** The engine's epoch of each knowledge base's simulator. */
const EPOCH_MS = 1_709_125_040_000

const decodeDetail = Schema.decodeUnknownSync(IngestionJob.IngestionJobDetail)

/** One measured wait: its job, and what each schedule made of it. */
export interface Measured {
  readonly job: CadenceJob
  /** How many jobs of its knowledge base had ended when its wait began. */
  readonly history: number
  readonly loop: Detection
  readonly today: Detection
  readonly learned: Detection
  /** Whether the learned schedule was today's (the store knew too little). */
  readonly learning: boolean
}

/** How a learning run goes. */
export interface LearningRun {
  /** Jobs drawn per knowledge base, ended or waited for. */
  readonly jobs: number
  /** Jobs of the knowledge base ended before a wait counts. */
  readonly history: number
  /** A drift every knowledge base undergoes (the bench's: 2× slower from job 50 on). */
  readonly drift?: Workload.Drift
  /** Knowledge bases (default: the workload's). */
  readonly knowledgeBases?: number
}

/** A job as the bench's `detect` waits for it. */
const cadenceJob = (planned: Workload.PlannedJob): Effect.Effect<CadenceJob> =>
  Effect.gen(function* () {
    return {
      id: planned.id,
      knowledgeBaseId: planned.knowledgeBaseId,
      index: planned.index,
      createdAtMs: yield* Seeded.nextIntBetween(0, 1_000),
      queuedMs: planned.queuedMs,
      specs: planned.documents,
      documents: planned.documents.length,
      documentMs: planned.documentMedianMs,
      failsAfterMs: planned.failure?.afterMs ?? null,
      durationMs: planned.durationMs,
      waitStartsAfterMs: yield* Seeded.nextIntBetween(0, 1_000),
      seed: yield* Seeded.nextIntBetween(1, 2 ** 31 - 1)
    }
  })

type Event =
  | { readonly at: number; readonly kind: "create"; readonly job: Workload.PlannedJob }
  | {
      readonly at: number
      readonly kind: "wait"
      readonly job: Workload.PlannedJob
      readonly cadence: CadenceJob
    }
  | { readonly at: number; readonly kind: "end"; readonly job: Workload.PlannedJob }

/** Creations, then waits, then ends, at the same instant. */
const ORDER = { create: 0, wait: 1, end: 2 } as const

/** One knowledge base's timeline: its jobs' creations, waits and ends, in order. */
const timeline = (planned: ReadonlyArray<Workload.PlannedJob>): Effect.Effect<ReadonlyArray<Event>> =>
  Effect.gen(function* () {
    const events: Array<Event> = []
    for (const job of planned) {
      const createdAt = EPOCH_MS + job.createdAfterMs
      const cadence = yield* cadenceJob(job)
      events.push({ at: createdAt, kind: "create", job })
      events.push({ at: createdAt + cadence.waitStartsAfterMs, kind: "wait", job, cadence })
      events.push({ at: createdAt + job.durationMs, kind: "end", job })
    }
    return events.sort((a, b) => a.at - b.at || ORDER[a.kind] - ORDER[b.kind])
  })

/** Runs one knowledge base's timeline; its measured waits. */
const runKnowledgeBase = (
  workload: CadenceWorkload,
  kb: Workload.KnowledgeBase,
  jobSeed: number,
  run: LearningRun
): Effect.Effect<ReadonlyArray<Measured>> =>
  Effect.gen(function* () {
    const planned = Workload.jobs(kb, { count: run.jobs, seed: jobSeed })
    const clock = SimulatorClock.make({ mode: "manual", epochMs: EPOCH_MS })
    const engine = SimulatorEngine.make(clock, 1)
    engine.addKnowledgeBase(kb.id)
    const store = new Store()
    const measured: Array<Measured> = []
    let ended = 0
    for (const event of yield* timeline(planned)) {
      clock.setTime(Math.max(clock.now(), event.at))
      if (event.kind === "create") {
        engine.addDataSource(kb.id, Workload.syncOptions(event.job, EPOCH_MS))
      } else if (event.kind === "end") {
        const wire = engine.getJob(kb.id, event.job.id)
        if (wire === undefined) return yield* Effect.die(new Error(`${event.job.id} is not in the simulator`))
        const job = decodeDetail(wire)
        if (!IngestionJob.isTerminal(job)) return yield* Effect.die(new Error(`${job.id} has not ended`))
        observe(store, kb.id, job)
        ended++
      } else if (ended >= run.history && inRange(workload, event.job)) {
        const schedule = scheduleFor(store, kb.id)
        measured.push({
          job: event.cadence,
          history: ended,
          loop: yield* detect(PollSchedule.fixed("5 seconds"), event.cadence),
          today: yield* detect(PollSchedule.defaultSchedule, event.cadence),
          learned: yield* detect(schedule, event.cadence),
          learning: schedule === PollSchedule.defaultSchedule
        })
      }
    }
    return measured
  })

/** Every knowledge base of the workload run as `run` says; their measured waits. */
export const runLearning = (
  workload: CadenceWorkload,
  run: LearningRun,
  seedOffset = 0
): Effect.Effect<ReadonlyArray<Measured>> =>
  Effect.gen(function* () {
    const { kbs, jobSeed } = yield* knowledgeBasesOf(workload, run.knowledgeBases ?? workload.knowledgeBases)
    const measured: Array<Measured> = []
    for (const kb of kbs) {
      const drifting = run.drift === undefined ? kb : { ...kb, drift: [run.drift] }
      measured.push(...(yield* runKnowledgeBase(workload, drifting, jobSeed, run)))
    }
    return measured
  }).pipe(Seeded.withSeed(workload.seed + seedOffset))

/** Mean latency and requests of a set of waits, and their ratios to the loop's on the same waits. */
export interface Compared {
  readonly waits: number
  readonly loopLatencyMs: number
  readonly loopRequests: number
  readonly today: { readonly latency: number; readonly requests: number }
  readonly learned: { readonly latency: number; readonly requests: number }
}

/** Sums up `waits` against the loop. */
export const compared = (waits: ReadonlyArray<Measured>): Compared => {
  const mean = (pick: (m: Measured) => number) => waits.reduce((sum, m) => sum + pick(m), 0) / waits.length
  const loopLatencyMs = mean((m) => m.loop.latencyMs)
  const loopRequests = mean((m) => m.loop.requests)
  const ratios = (pick: (m: Measured) => Detection) => ({
    latency: mean((m) => pick(m).latencyMs) / loopLatencyMs,
    requests: mean((m) => pick(m).requests) / loopRequests
  })
  return {
    waits: waits.length,
    loopLatencyMs,
    loopRequests,
    today: ratios((m) => m.today),
    learned: ratios((m) => m.learned)
  }
}

/** The document counts the results are split by. */
export const DOCUMENT_BUCKETS: ReadonlyArray<readonly [string, number, number]> = [
  ["1 document", 1, 1],
  ["2–4", 2, 4],
  ["5–19", 5, 19],
  ["20 or more", 20, Number.POSITIVE_INFINITY]
]

/** The waits of each bucket of document counts. */
export const byDocuments = (
  waits: ReadonlyArray<Measured>
): ReadonlyArray<readonly [string, ReadonlyArray<Measured>]> =>
  DOCUMENT_BUCKETS.map(([name, low, high]) => [
    name,
    waits.filter((m) => m.job.documents >= low && m.job.documents <= high)
  ])

/** The learning section's runs on one workload. */
export interface LearningFigures {
  readonly workload: CadenceWorkload
  /** Every knowledge base's jobs in range, measured from its first ended job on. */
  readonly steady: ReadonlyArray<Measured>
  /** The same knowledge bases 2× slower from their job `DRIFT.fromJob` on. */
  readonly drifting: ReadonlyArray<Measured>
  /** The same knowledge bases 2× slower from their first job: the same jobs from `DRIFT.fromJob` on. */
  readonly reference: ReadonlyArray<Measured>
}

/** The change of pace the bench puts its knowledge bases through. */
export const DRIFT: Workload.Drift = { fromJob: 50, factor: 2 }
/** Jobs drawn per knowledge base: 50 to learn from, 40 more. */
const JOBS_PER_KNOWLEDGE_BASE = 90
/** Knowledge bases per workload (their jobs in range are measured). */
export const LEARNING_KNOWLEDGE_BASES = 100
/** Jobs of the knowledge base ended before the targets apply (issue 19 §3). */
export const WARM = 50

/** The three runs of each workload. */
export const learningFigures = (
  workload: CadenceWorkload,
  seedOffset: number
): Effect.Effect<LearningFigures> =>
  Effect.gen(function* () {
    const base = { jobs: JOBS_PER_KNOWLEDGE_BASE, knowledgeBases: LEARNING_KNOWLEDGE_BASES }
    const steady = yield* runLearning(workload, { ...base, history: 0 }, seedOffset)
    const drifting = yield* runLearning(workload, { ...base, history: WARM, drift: DRIFT }, seedOffset)
    const reference = yield* runLearning(
      workload,
      { ...base, history: WARM, drift: { ...DRIFT, fromJob: 0 } },
      seedOffset
    )
    return {
      workload,
      steady,
      drifting,
      reference: reference.filter((m) => m.job.index >= DRIFT.fromJob)
    }
  })

const ratio = (value: number): string => (Number.isFinite(value) ? `${value.toFixed(2)}×` : "—")
const pair = (figures: { readonly latency: number; readonly requests: number }): string =>
  `${ratio(figures.latency)} | ${ratio(figures.requests)}`

/** The targets of issue 19 §3, after `WARM` ended jobs: at most these ratios to the docs' loop. */
export const learnedTargets = {
  seconds: { latency: 0.3, requests: 1.5 },
  minutes: { latency: 0.4, requests: 0.6 }
} as const

/** Whether `figures` meet `target`. */
const verdict = (
  figures: { readonly latency: number; readonly requests: number },
  target: { readonly latency: number; readonly requests: number }
): string =>
  figures.latency <= target.latency && figures.requests <= target.requests
    ? "met"
    : figures.latency > target.latency
      ? "latency not met"
      : "requests not met"

/** A row of waits against the loop: their count, the loop's figures, today's and the learned ratios. */
const row = (label: string, waits: ReadonlyArray<Measured>): string => {
  if (waits.length === 0) return `| ${label} | 0 | — | — | — | — | — | — |`
  const c = compared(waits)
  return `| ${label} | ${c.waits} | ${(c.loopLatencyMs / 1000).toFixed(2)} | ${c.loopRequests.toFixed(1)} | ${pair(c.today)} | ${pair(c.learned)} |`
}

/** The history buckets of the learning curve: ended jobs of the knowledge base when the wait began. */
const HISTORY_BUCKETS: ReadonlyArray<readonly [string, number, number]> = [
  ["none", 0, 0],
  ["1–9", 1, 9],
  ["10–19", 10, 19],
  ["20–49", 20, 49],
  [`${WARM} or more`, WARM, Number.POSITIVE_INFINITY]
]

/** The windows of jobs after the change of pace (0-based, from the first slower job). */
const DRIFT_WINDOWS: ReadonlyArray<readonly [number, number]> = [
  [0, 4],
  [5, 9],
  [10, 14],
  [15, 19],
  [20, 39]
]

const HEADER = [
  "| | waits | loop: latency (s) | loop: requests | `defaultSchedule`: latency ÷ loop | requests ÷ loop | learned: latency ÷ loop | requests ÷ loop |",
  "|---|---:|---:|---:|---:|---:|---:|---:|"
]

/** The learned half of the cadence section (Markdown, inside the cadence markers). */
export const learningMarkdown = (
  figures: ReadonlyArray<LearningFigures>,
  targetOf: (workload: CadenceWorkload) => { readonly latency: number; readonly requests: number },
  tuningOffset: number
): string => {
  const warm = (f: LearningFigures) => f.steady.filter((m) => m.history >= WARM)
  const lines: Array<string> = [
    "### A cadence learned per knowledge base (`Cadence`)",
    "",
    `${LEARNING_KNOWLEDGE_BASES} knowledge bases per family, each with laws of its own drawn as above, each running ${JOBS_PER_KNOWLEDGE_BASE} jobs`,
    "in one simulator, in the order things happen. Every job that ends is read as the engine reads an ended",
    "job (a GET: whole-second timestamps, `document_details`) and observed by the knowledge base's `Cadence` at",
    "that moment, waited for or not; a wait takes the schedule the engine gives a wait without one",
    "(`defaultSchedule` while the knowledge base is unknown, its learned cadence after) and sees its job",
    "through GETs. Every job within its family's range is waited for three times, by the loop, today's",
    "`defaultSchedule` and the learned cadence, on the same job. The learned cadence's constants were tuned",
    `on other seeds (+ ${tuningOffset}: \`pnpm bench:cadence --tuning\`). In a sweep (lists: no count of documents) the`,
    "learned cadence uses `defaultSchedule`'s rules: its figures there are the sweep rows above.",
    "",
    `After ${WARM} ended jobs of the knowledge base (issue 19 §3: jobs of 3–60 s at ≤ 0.30× the loop's latency`,
    "with ≤ 1.50× its requests; jobs of 1–10 min at ≤ 0.40× with ≤ 0.60×), by the job's count of documents:",
    "",
    ...HEADER.map((line, i) => (i === 0 ? line.replace("| |", "| jobs, documents |") : line))
  ]
  for (const f of figures) {
    const waits = warm(f)
    const c = compared(waits)
    lines.push(row(`**${f.workload.name}**, all: ${verdict(c.learned, targetOf(f.workload))}`, waits))
    for (const [name, subset] of byDocuments(waits)) lines.push(row(`${f.workload.name}, ${name}`, subset))
  }
  lines.push(
    "",
    "As it learns: the same waits by how many jobs of their knowledge base had ended when they began (with",
    "none, or too few completed, the learned cadence is `defaultSchedule` itself):",
    "",
    ...HEADER.map((line, i) => (i === 0 ? line.replace("| |", "| jobs, ended before |") : line))
  )
  for (const f of figures) {
    for (const [name, low, high] of HISTORY_BUCKETS) {
      const waits = f.steady.filter((m) => m.history >= low && m.history <= high)
      lines.push(row(`${f.workload.name}, ${name}`, waits))
    }
  }
  lines.push(
    "",
    `A change of pace: every knowledge base becomes ${DRIFT.factor}× slower from its job ${DRIFT.fromJob} on (its documents`,
    `take twice as long). The jobs after the change, by how many came before them since it, against the same`,
    "jobs of a knowledge base that was always that slow (the reference: what the learned cadence reaches when",
    "it knows the new pace well; the change is caught after a few jobs and the jobs before it are dropped):",
    "",
    "| jobs, since the change | waits | learned: latency ÷ loop | requests ÷ loop | reference: latency ÷ loop | requests ÷ loop | `defaultSchedule`: latency ÷ loop | requests ÷ loop |",
    "|---|---:|---:|---:|---:|---:|---:|---:|"
  )
  for (const f of figures) {
    for (const [low, high] of DRIFT_WINDOWS) {
      const within = (m: Measured) =>
        m.job.index - DRIFT.fromJob >= low && m.job.index - DRIFT.fromJob <= high
      // The same jobs in both runs (a wait counts once its knowledge base has ended `WARM` jobs, which
      // the two runs reach at different times).
      const referenced = new Set(f.reference.map((m) => m.job.id))
      const drifted = new Set(f.drifting.map((m) => m.job.id))
      const drifting = f.drifting.filter((m) => within(m) && referenced.has(m.job.id))
      const reference = f.reference.filter((m) => within(m) && drifted.has(m.job.id))
      if (drifting.length === 0 || reference.length === 0) continue
      const d = compared(drifting)
      const r = compared(reference)
      lines.push(
        `| ${f.workload.name}, ${low}–${high} | ${d.waits} | ${pair(d.learned)} | ${pair(r.learned)} | ${pair(d.today)} |`
      )
    }
  }
  return lines.join("\n")
}
