/**
 * `pnpm bench:cadence`: how soon a poll schedule notices the end of a job, and at what cost in requests,
 * against the API docs' loop (one poll every 5 seconds), in virtual time.
 *
 * Each job is planned by the testkit's {@link SimulatorEngine.SimulatorEngine} on a manual clock. The jobs
 * come from the testkit's `Workload`: knowledge bases that each follow laws of their own (a median and a
 * spread for the time queued, for each document's time and for the count of documents; some jobs fail as a
 * whole), each job and each document drawn on its own, so that nothing of one job gives its end away. A
 * wait polls the job as a GET reports it at that instant (with the count of ended documents the
 * client makes of `document_details`; or, for a sweep, as the list endpoint reports it), steps the schedule
 * with it and sleeps until the next poll, until it sees the job `completed` or `failed`. Latency is that poll's time minus the job's terminal time; requests count every poll. Nothing here
 * depends on the machine's load: the same seed gives the same figures. The seeds come from the bench's own
 * generator ({@link Seeded}: the PCG32 that Effect 3 seeded) and the jobs from the testkit's own seeded
 * generator, so the jobs, and with them the figures, stay the same whatever generator Effect ships.
 *
 * Time is a {@link virtualClock} that jumps on `sleep`, not `TestClock`: each `TestClock` advance waits for
 * the fibers to suspend over a few macrotask turns, which made the 100,000 polls of a run take over ten
 * minutes; the virtual clock gives the same instants in seconds.
 *
 * The learned cadence (`Cadence`: each knowledge base's laws learned from its ended jobs) is measured by
 * `cadenceLearning.ts`, whose tables close the section.
 *
 * `pnpm bench:cadence` prints the table and writes it to docs/benchmarks.md (`--no-write`: print only;
 * `--tuning`: print the figures on the jobs the default's constants were tuned on, other seeds, and so other
 * knowledge bases, than the reported run's; `--help`: the flags).
 *
 * @module
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs"
import { fileURLToPath, pathToFileURL } from "node:url"
import { IngestionJob, PollSchedule } from "@tensoras/ingestion"
import { type Documents, SimulatorClock, SimulatorEngine, Workload } from "@tensoras/ingestion-testkit"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Pull from "effect/Pull"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import * as Learning from "./cadenceLearning.js"
import * as Seeded from "./seededRandom.js"

const SECOND = 1_000
const MINUTE = 60 * SECOND
/** The API docs' examples hold at this instant (the testkit's `docs` scenario). */
const EPOCH_MS = 1_709_125_040_000
/** No wait here lasts that long: a schedule that has not seen the end by then is reported as broken. */
const HORIZON_MS = 2 * 60 * MINUTE

/**
 * One job to wait for: what the simulator plans (its queue time, its documents, a failure) and when the wait
 * begins. All times in ms from the job's creation.
 */
export interface CadenceJob {
  readonly id: string
  /** The knowledge base whose law it was drawn from, and its index in that knowledge base's jobs. */
  readonly knowledgeBaseId: string
  readonly index: number
  /** Sub-second phase of the creation time, so that the API's whole-second timestamps round as they would. */
  readonly createdAtMs: number
  readonly queuedMs: number
  /** The documents, in the order they are processed, each with its own duration. */
  readonly specs: ReadonlyArray<Documents.DocumentSpec>
  /** How many documents (`specs.length`). */
  readonly documents: number
  /**
   * The median time per document the job's durations were drawn around (μ: its knowledge base's, times the
   * job's own factor): their sum varies about `documents` × μ, it is not that.
   */
  readonly documentMs: number
  /** When the job fails as a whole (ms after creation), if it does. */
  readonly failsAfterMs: number | null
  /** The job's end, from its creation (its failure, or the end of its last document). */
  readonly durationMs: number
  /** When the wait begins, after the job's creation. */
  readonly waitStartsAfterMs: number
  readonly seed: number
}

/**
 * What a family of jobs looks like: knowledge bases, each with laws of its own drawn from these ranges
 * (`Workload.knowledgeBases` of the testkit), and the jobs they run.
 */
export interface CadenceWorkload {
  readonly name: string
  /**
   * Job durations, creation to end: always within this range (a job outside is drawn again), and each
   * knowledge base's typical job drawn log-uniformly from it (ms).
   */
  readonly durationMs: readonly [number, number]
  /** Each knowledge base's median time per document, drawn log-uniformly from this range (ms). */
  readonly documentMs: readonly [number, number]
  /** Each knowledge base's median time queued, drawn log-uniformly (ms); a job's is drawn alone around it. */
  readonly queuedMs: readonly [number, number]
  /** Share of jobs that fail as a whole, at a random time while processing. */
  readonly failingShare: number
  readonly jobs: number
  /** How many knowledge bases the jobs are shared among, in turn. */
  readonly knowledgeBases: number
  readonly seed: number
}

/** The jobs of issue 9 §4: the docs' examples run 4 s and 40 s per document; bigger files take longer. */
export const workloads = {
  seconds: {
    name: "jobs of 3–60 s",
    durationMs: [3 * SECOND, 60 * SECOND],
    documentMs: [1 * SECOND, 40 * SECOND],
    queuedMs: [500, 10 * SECOND],
    failingShare: 0.1,
    jobs: 400,
    knowledgeBases: 20,
    seed: 9_4_1
  },
  minutes: {
    name: "jobs of 1–10 min",
    durationMs: [1 * MINUTE, 10 * MINUTE],
    documentMs: [1 * SECOND, 40 * SECOND],
    queuedMs: [500, 10 * SECOND],
    failingShare: 0.1,
    jobs: 400,
    knowledgeBases: 20,
    seed: 9_4_2
  }
} as const satisfies Record<string, CadenceWorkload>

/**
 * The ranges of the workload's knowledge bases' laws (the rest: the testkit's `Workload.defaultRanges`). The
 * spreads keep the variability of the bench's earlier jobs, whose documents' times spread by about 0.4 in
 * their logarithm: each knowledge base's now lies in 0.3–0.5.
 */
export const rangesOf = (workload: CadenceWorkload): Partial<Workload.LawRanges> => ({
  queueMs: workload.queuedMs,
  documentMs: workload.documentMs,
  jobMs: workload.durationMs,
  spread: [0.3, 0.5],
  jobSpread: [0, 0.2],
  failingShare: [workload.failingShare, workload.failingShare]
})

/** `count` knowledge bases of the workload, and the seed of their jobs: both drawn from the bench's stream. */
export const knowledgeBasesOf = (
  workload: CadenceWorkload,
  count: number
): Effect.Effect<{ readonly kbs: ReadonlyArray<Workload.KnowledgeBase>; readonly jobSeed: number }> =>
  Effect.gen(function* () {
    const seed = yield* Seeded.nextIntBetween(1, 2 ** 31 - 1)
    const jobSeed = yield* Seeded.nextIntBetween(1, 2 ** 31 - 1)
    return { kbs: Workload.knowledgeBases({ count, seed, ranges: rangesOf(workload) }), jobSeed }
  })

export const inRange = (workload: CadenceWorkload, job: Workload.PlannedJob): boolean =>
  job.durationMs >= workload.durationMs[0] && job.durationMs <= workload.durationMs[1]

/**
 * Each knowledge base's jobs within the workload's range, at least `wanted` of them when its law allows
 * (its first jobs, in order: the same ones whatever the count drawn).
 */
const jobsInRange = (
  workload: CadenceWorkload,
  kb: Workload.KnowledgeBase,
  seed: number,
  wanted: number
): ReadonlyArray<Workload.PlannedJob> => {
  let kept: ReadonlyArray<Workload.PlannedJob> = []
  for (let count = 4 * wanted; kept.length < wanted && count <= 256 * wanted; count *= 2)
    kept = Workload.jobs(kb, { count, seed }).filter((job) => inRange(workload, job))
  return kept.slice(0, wanted)
}

/** The workload's jobs, the same for the same seed: its knowledge bases' in turn. */
export const jobsOf = (workload: CadenceWorkload): Effect.Effect<ReadonlyArray<CadenceJob>> =>
  Effect.gen(function* () {
    const { kbs, jobSeed } = yield* knowledgeBasesOf(workload, workload.knowledgeBases)
    // Twice a fair share each: a knowledge base whose jobs fall outside the range less often makes up for
    // one whose jobs rarely fall in it.
    const perKb = 2 * Math.ceil(workload.jobs / kbs.length)
    const sequences = kbs.map((kb) => jobsInRange(workload, kb, jobSeed, perKb))
    const jobs: Array<CadenceJob> = []
    for (let round = 0; round < perKb && jobs.length < workload.jobs; round++) {
      for (const sequence of sequences) {
        const planned = sequence[round]
        if (planned === undefined || jobs.length === workload.jobs) continue
        jobs.push({
          id: `job_${String(jobs.length + 1).padStart(4, "0")}`,
          knowledgeBaseId: planned.knowledgeBaseId,
          index: planned.index,
          createdAtMs: yield* Seeded.nextIntBetween(0, SECOND),
          queuedMs: planned.queuedMs,
          specs: planned.documents,
          documents: planned.documents.length,
          documentMs: planned.documentMedianMs,
          failsAfterMs: planned.failure?.afterMs ?? null,
          durationMs: planned.durationMs,
          waitStartsAfterMs: yield* Seeded.nextIntBetween(0, SECOND),
          seed: yield* Seeded.nextIntBetween(1, 2 ** 31 - 1)
        })
      }
    }
    if (jobs.length < workload.jobs)
      throw new RangeError(`${workload.name}: only ${jobs.length} jobs within range of ${workload.jobs}`)
    return jobs
  }).pipe(Seeded.withSeed(workload.seed))

/** One wait's figures. */
export interface Detection {
  /** Poll that saw the end minus the end. */
  readonly latencyMs: number
  /** Polls, the first and the one that saw the end included. */
  readonly requests: number
  /** The job, creation to end. */
  readonly durationMs: number
}

const decodeJob = Schema.decodeUnknownSync(IngestionJob.IngestionJob)

/**
 * How a wait sees its job: `get`, a GET of the job (what a single wait's engine sends), whose
 * `document_details` give the count of ended documents the client attaches (`documents`); `list`, the
 * job as the list endpoint reports it (what a sweep of many jobs of one knowledge base sees: no count).
 */
export type View = "get" | "list"

/** The count the client makes of `document_details`: every entry neither `queued` nor `processing` ended. */
const documentCount = (details: ReadonlyArray<{ readonly status: string }>): PollSchedule.DocumentCount => ({
  ended: details.filter((d) => d.status !== "queued" && d.status !== "processing").length,
  total: details.length
})

const seenBy = (
  engine: SimulatorEngine.SimulatorEngine,
  kb: string,
  jobId: string,
  view: View
): PollSchedule.Polled => {
  if (view === "list") return decodeJob(engine.listJobs(kb, { limit: 1 }).data[0])
  const wire = engine.getJob(kb, jobId)!
  return { ...decodeJob(wire), documents: documentCount(wire.document_details ?? []) }
}

/**
 * Virtual time: a `Clock` whose `sleep` moves its time forward at once. One wait runs on it alone, so
 * sleeping until the next poll is all that happens between two polls, and a wait of hours takes
 * microseconds.
 */
export const virtualClock = (startMillis: number): Clock.Clock => {
  let now = startMillis
  const nanos = () => BigInt(Math.round(now * 1_000_000))
  return {
    currentTimeMillisUnsafe: () => now,
    currentTimeMillis: Effect.sync(() => now),
    currentTimeNanosUnsafe: nanos,
    currentTimeNanos: Effect.sync(nanos),
    monotonicTimeNanosUnsafe: nanos,
    monotonicTimeNanos: Effect.sync(nanos),
    sleep: (duration) =>
      Effect.sync(() => {
        now += Duration.toMillis(duration)
      })
  }
}

/**
 * Waits for one job with `schedule` on a {@link virtualClock}: the first poll when the wait begins, the next when
 * the schedule says, each seeing the job as the simulator reports it at that instant.
 */
export const detect = (
  schedule: PollSchedule.PollSchedule,
  job: CadenceJob,
  view: View = "get"
): Effect.Effect<Detection> =>
  Effect.gen(function* () {
    const createdAt = EPOCH_MS + job.createdAtMs
    const clock = SimulatorClock.make({ mode: "manual", epochMs: createdAt })
    const engine = SimulatorEngine.make(clock, job.seed)
    const kb = engine.addKnowledgeBase("kb_cadence")
    const { job: planned } = engine.addDataSource(kb, {
      jobId: job.id,
      queuedMs: job.queuedMs,
      documents: job.specs,
      ...(job.failsAfterMs === null ? {} : { failure: { afterMs: job.failsAfterMs } })
    })
    if (planned.terminalAt - createdAt !== job.durationMs)
      return yield* Effect.die(new Error(`${job.id}: the simulator ends it at another time than drawn`))

    const wait = Effect.gen(function* () {
      // The schedule's step, started once for this wait (its state lives in the closure).
      const step = yield* Schedule.toStep(schedule)
      for (let requests = 1; ; requests++) {
        const now = yield* Clock.currentTimeMillis
        if (now - createdAt > HORIZON_MS)
          return yield* Effect.die(new Error(`${job.id} not seen ending within the horizon`))
        clock.setTime(Math.max(clock.now(), Math.floor(now)))
        const seen = seenBy(engine, kb, job.id, view)
        if (IngestionJob.isTerminal(seen)) {
          return { latencyMs: now - planned.terminalAt, requests, durationMs: planned.terminalAt - createdAt }
        }
        const stepped = yield* step(now, seen).pipe(Pull.catchDone(() => Effect.succeed(undefined)))
        if (stepped === undefined) return yield* Effect.die(new Error(`the schedule ended on ${job.id}`))
        const [, delay] = stepped
        yield* Effect.sleep(Duration.max(delay, Duration.zero))
      }
    })
    return yield* Effect.provideService(wait, Clock.Clock, virtualClock(createdAt + job.waitStartsAfterMs))
  }).pipe(Seeded.withSeed(job.seed))

/** A schedule's figures on a set of jobs. */
export interface CadenceFigures {
  readonly jobs: number
  readonly latencyMeanMs: number
  readonly latencyMedianMs: number
  readonly latencyP90Ms: number
  readonly requestsMean: number
}

/** The two families of jobs: a single document (nothing a client sees announces its end), or several. */
export type Family = "single" | "several"

/** Which family a job is of. */
export const familyOf = (job: CadenceJob): Family => (job.documents === 1 ? "single" : "several")

const quantile = (sorted: ReadonlyArray<number>, q: number): number =>
  sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!

const mean = (values: ReadonlyArray<number>): number =>
  values.reduce((sum, value) => sum + value, 0) / values.length

const summarise = (detections: ReadonlyArray<Detection>): CadenceFigures => {
  const latencies = detections.map((d) => d.latencyMs).sort((a, b) => a - b)
  return {
    jobs: detections.length,
    latencyMeanMs: mean(latencies),
    latencyMedianMs: quantile(latencies, 0.5),
    latencyP90Ms: quantile(latencies, 0.9),
    requestsMean: mean(detections.map((d) => d.requests))
  }
}

/** A schedule's figures on every job, and on each family's. */
export interface FamilyFigures {
  readonly all: CadenceFigures
  readonly single: CadenceFigures
  readonly several: CadenceFigures
}

/** Waits for every job with `schedule` and sums up, over all jobs and per family. */
export const measure = (
  schedule: PollSchedule.PollSchedule,
  jobs: ReadonlyArray<CadenceJob>,
  view: View = "get"
): Effect.Effect<FamilyFigures> =>
  Effect.gen(function* () {
    const detections = yield* Effect.forEach(jobs, (job) => detect(schedule, job, view))
    const of = (family: Family) => summarise(detections.filter((_, i) => familyOf(jobs[i]!) === family))
    return { all: summarise(detections), single: of("single"), several: of("several") }
  })

/** Mean latency and requests ÷ the docs' loop's on the same jobs. */
export interface Ratios {
  readonly latency: number
  readonly requests: number
}

/** A schedule's figures and their ratios to the docs' loop on the same jobs. */
export interface CadenceRow {
  readonly workload: string
  readonly schedule: string
  readonly figures: CadenceFigures
  /** Mean latency ÷ the docs' loop's. */
  readonly latencyRatio: number
  /** Median latency ÷ the docs' loop's. */
  readonly medianRatio: number
  /** Mean requests ÷ the docs' loop's. */
  readonly requestsRatio: number
  /** The same ratios on the jobs of a single document, and on those of several. */
  readonly families: { readonly single: Ratios; readonly several: Ratios }
}

/** The targets of issue 9 §4: at most these ratios to the docs' loop. */
export const targets = {
  seconds: { latency: 0.3, requests: 1.5 },
  minutes: { latency: 1.0, requests: 1.05 }
} as const

/** The schedules compared, and how their waits see the job: the docs' loop first (the baseline), then the presets. */
export const schedules: ReadonlyArray<readonly [string, PollSchedule.PollSchedule, View]> = [
  ['docs\' loop: `fixed("5 seconds")`', PollSchedule.fixed("5 seconds"), "get"],
  ["`defaultSchedule`, one wait (GET: documents counted)", PollSchedule.defaultSchedule, "get"],
  ["`defaultSchedule` in a sweep (lists: no count)", PollSchedule.defaultSchedule, "list"],
  ["`backoff()`", PollSchedule.backoff(), "get"],
  ["`progressive()`", PollSchedule.progressive(), "get"]
]

/** The name of the bound's row. */
export const BOUND_ROW = "bound: told μ, the last document's start, the laws (see below)"

const ratiosOf = (figures: CadenceFigures, base: CadenceFigures): Ratios => ({
  latency: figures.latencyMeanMs / base.latencyMeanMs,
  requests: figures.requestsMean / base.requestsMean
})

/** Every schedule on every workload, with ratios to the docs' loop. */
export const compare = (
  compared: ReadonlyArray<readonly [string, PollSchedule.PollSchedule, View?]> = schedules,
  loads: ReadonlyArray<CadenceWorkload> = [workloads.seconds, workloads.minutes],
  options: { readonly bound?: boolean } = {}
): Effect.Effect<ReadonlyArray<CadenceRow>> =>
  Effect.gen(function* () {
    const rows: Array<CadenceRow> = []
    for (const workload of loads) {
      const jobs = yield* jobsOf(workload)
      const base = yield* measure(PollSchedule.fixed("5 seconds"), jobs)
      for (const [name, schedule, view] of compared) {
        const figures = yield* measure(schedule, jobs, view)
        rows.push({
          workload: workload.name,
          schedule: name,
          figures: figures.all,
          latencyRatio: figures.all.latencyMeanMs / base.all.latencyMeanMs,
          medianRatio: figures.all.latencyMedianMs / base.all.latencyMedianMs,
          requestsRatio: figures.all.requestsMean / base.all.requestsMean,
          families: {
            single: ratiosOf(figures.single, base.single),
            several: ratiosOf(figures.several, base.several)
          }
        })
      }
      if (options.bound === true) {
        const target = workload.name === workloads.minutes.name ? targets.minutes : targets.seconds
        const best = yield* bound(workload, jobs, target.requests * base.all.requestsMean)
        const noMedian = { latencyMedianMs: Number.NaN, latencyP90Ms: Number.NaN }
        rows.push({
          workload: workload.name,
          schedule: BOUND_ROW,
          figures: { ...best.all, ...noMedian },
          latencyRatio: best.all.latencyMeanMs / base.all.latencyMeanMs,
          medianRatio: Number.NaN,
          requestsRatio: best.all.requestsMean / base.all.requestsMean,
          families: {
            single: ratiosOf({ ...best.single, ...noMedian }, base.single),
            several: ratiosOf({ ...best.several, ...noMedian }, base.several)
          }
        })
      }
    }
    return rows
  })

/**
 * How a document's duration varies around its job's mean: every document of the workload's jobs of several
 * documents, as a multiple of its job's median μ (the law the bound knows).
 */
export const documentSpread = (jobs: ReadonlyArray<CadenceJob>): ReadonlyArray<number> =>
  jobs
    .filter((job) => job.documents > 1)
    .flatMap((job) => job.specs.map((document) => (document.durationMs ?? 0) / job.documentMs))

/** Expected latency and requests after the start (in the law's unit), of the best polls for one `pollCost`. */
interface BoundPoint {
  readonly pollCost: number
  readonly latency: number
  readonly polls: number
}

/** A law on a grid: `mass[i]` is the chance that the duration falls in ((i − 1) × step, i × step]. */
interface GridLaw {
  readonly step: number
  readonly mass: ReadonlyArray<number>
}

/** Prices of a request tried (in the law's unit): 10⁻⁴ to 10⁴, 16 a decade. */
const POLL_COSTS = Array.from({ length: 129 }, (_, i) => 10 ** (-4 + i / 16))

/**
 * The best polls for a duration of known law: times after the start minimising expected latency plus
 * `pollCost` × expected polls, by dynamic programming on the law's grid (each poll is sent only if the
 * previous ones have not seen the end; the last grid point is past every duration). A duration counts as
 * ending at the grid point above it, which only flatters the bound.
 */
export const bestPolls = (law: GridLaw): ReadonlyArray<BoundPoint> => {
  const n = law.mass.length - 1
  const total = law.mass.reduce((sum, m) => sum + m, 0)
  // F: P(X ≤ x_i); G: E[X; X ≤ x_i].
  const F = new Float64Array(n + 1)
  const G = new Float64Array(n + 1)
  for (let i = 0; i <= n; i++) {
    F[i] = (i > 0 ? F[i - 1]! : 0) + law.mass[i]! / total
    G[i] = (i > 0 ? G[i - 1]! : 0) + (i * law.step * law.mass[i]!) / total
  }
  return POLL_COSTS.map((pollCost) => {
    const cost = new Float64Array(n + 1)
    const latency = new Float64Array(n + 1)
    const polls = new Float64Array(n + 1)
    for (let i = n - 1; i >= 0; i--) {
      const survives = 1 - F[i]!
      let best = Number.POSITIVE_INFINITY
      let bestJ = n
      for (let j = i + 1; j <= n; j++) {
        const c = pollCost * survives + j * law.step * (F[j]! - F[i]!) - (G[j]! - G[i]!) + cost[j]!
        if (c < best) {
          best = c
          bestJ = j
        }
      }
      cost[i] = best
      latency[i] = bestJ * law.step * (F[bestJ]! - F[i]!) - (G[bestJ]! - G[i]!) + latency[bestJ]!
      polls[i] = survives + polls[bestJ]!
    }
    return { pollCost, latency: latency[0]!, polls: polls[0]! }
  })
}

/** The curve's point at `pollCost`, interpolated on the log of the price. */
const pointAt = (curve: ReadonlyArray<BoundPoint>, pollCost: number): BoundPoint => {
  const position = Math.min(curve.length - 1.000001, Math.max(0, (Math.log10(pollCost) + 4) * 16))
  const i = Math.floor(position)
  const t = position - i
  const [a, b] = [curve[i]!, curve[i + 1]!]
  return {
    pollCost,
    latency: a.latency + t * (b.latency - a.latency),
    polls: a.polls + t * (b.polls - a.polls)
  }
}

/** The queue times a single document's law is conditioned on: bins of a tenth of a decade. */
const queueBin = (queuedMs: number): number => Math.floor(10 * Math.log10(Math.max(1, queuedMs)))

/** Knowledge bases of the workload drawn to estimate the law of a single document's duration given the time queued. */
const PRIOR_KNOWLEDGE_BASES = 2_000
/** Jobs drawn of each of them. */
const PRIOR_JOBS_PER_KNOWLEDGE_BASE = 20
/** The seed of those draws, added to the workload's: neither the reported jobs' nor the tuning ones'. */
const PRIOR_SEED_OFFSET = 77_777

/**
 * The law of a single document's duration (from its start) given the time its job was queued, as the
 * workload draws it: estimated on the jobs of {@link PRIOR_KNOWLEDGE_BASES} other knowledge bases of the
 * workload (their single documents within its range that do not fail), by bins of queue time (a tenth of a
 * decade), on a grid of `step` ms. The queue time is drawn alone; it bears on the duration only through the
 * workload's range of job durations, and through the knowledge base it comes from.
 */
export const singleDocumentLaws = (
  workload: CadenceWorkload,
  step: number
): Effect.Effect<ReadonlyMap<number, GridLaw>> =>
  Effect.gen(function* () {
    const durations = new Map<number, Array<number>>()
    const { kbs, jobSeed } = yield* knowledgeBasesOf(workload, PRIOR_KNOWLEDGE_BASES)
    for (const kb of kbs) {
      for (const job of Workload.jobs(kb, { count: PRIOR_JOBS_PER_KNOWLEDGE_BASE, seed: jobSeed })) {
        if (!inRange(workload, job) || job.documents.length !== 1 || job.failure !== null) continue
        const bin = queueBin(job.queuedMs)
        const list = durations.get(bin) ?? []
        list.push(job.processingMs)
        durations.set(bin, list)
      }
    }
    const laws = new Map<number, GridLaw>()
    for (const [bin, list] of durations) {
      const mass: Array<number> = Array.from({ length: Math.ceil(Math.max(...list) / step) + 2 }, () => 0)
      for (const duration of list) mass[Math.ceil(duration / step)]! += 1
      laws.set(bin, { step, mass })
    }
    return laws
  }).pipe(Seeded.withSeed(workload.seed + PRIOR_SEED_OFFSET))

/** A bound's figures: expectations over the laws it is told, over all jobs and per family. */
export interface BoundFigures {
  readonly all: { readonly jobs: number; readonly latencyMeanMs: number; readonly requestsMean: number }
  readonly single: { readonly jobs: number; readonly latencyMeanMs: number; readonly requestsMean: number }
  readonly several: { readonly jobs: number; readonly latencyMeanMs: number; readonly requestsMean: number }
}

/**
 * A bound no client reaches: a poller told more than the API tells, polling as well as possible with it.
 * - It knows when the job's last document starts, exactly, and sends nothing before (but the wait's first
 *   poll), and it sees a job that fails as a whole at once, with one request.
 * - Several documents: it knows the median μ the job's durations were drawn around; the last one's duration is
 *   μ × X, X of the law of {@link documentSpread} (each document's is drawn on its own: the others tell
 *   nothing more).
 * - A single document: it knows the workload's law of that duration given the time queued
 *   ({@link singleDocumentLaws}: the workload's own distributions, which no client is told).
 * It polls at the times that minimise expected latency plus a price per request, the same price for every
 * job, set to spend `requestsPerWait` on average (over all jobs, or over the jobs of `family` alone). Its
 * figures are expectations over those laws (no median).
 */
export const bound = (
  workload: CadenceWorkload,
  jobs: ReadonlyArray<CadenceJob>,
  requestsPerWait: number,
  family?: Family
): Effect.Effect<BoundFigures> =>
  Effect.gen(function* () {
    const spread = documentSpread(jobs)
    const spreadStep = 0.01
    const spreadMass: Array<number> = Array.from(
      { length: Math.ceil(Math.max(0, ...spread) / spreadStep) + 2 },
      () => 0
    )
    for (const x of spread) spreadMass[Math.ceil(x / spreadStep)]! += 1
    const several = bestPolls({ step: spreadStep, mass: spreadMass })
    const hasSingles = jobs.some((job) => job.documents === 1 && job.failsAfterMs === null)
    const laws = hasSingles ? yield* singleDocumentLaws(workload, 100) : new Map<number, GridLaw>()
    const bins = [...laws.keys()].sort((a, b) => a - b)
    // Single documents: one curve per bin of queue time (the nearest bin holding draws).
    const singles = new Map<number, ReadonlyArray<BoundPoint>>()
    const singleCurve = (queuedMs: number) => {
      const wanted = queueBin(queuedMs)
      const bin = bins.reduce((best, b) => (Math.abs(b - wanted) < Math.abs(best - wanted) ? b : best))
      let curve = singles.get(bin)
      if (curve === undefined) {
        curve = bestPolls(laws.get(bin)!)
        singles.set(bin, curve)
      }
      return curve
    }
    const counted = family === undefined ? jobs : jobs.filter((job) => familyOf(job) === family)
    const figures = (pollCostMs: number): BoundFigures => {
      const sums = { single: [0, 0, 0], several: [0, 0, 0] }
      for (const job of counted) {
        const sum = sums[familyOf(job)]
        sum[0]! += 1
        if (job.failsAfterMs !== null) {
          sum[2]! += 2
        } else if (job.documents === 1) {
          const point = pointAt(singleCurve(job.queuedMs), pollCostMs)
          sum[1]! += point.latency
          sum[2]! += 1 + point.polls
        } else {
          const point = pointAt(several, pollCostMs / job.documentMs)
          sum[1]! += point.latency * job.documentMs
          sum[2]! += 1 + point.polls
        }
      }
      const of = ([n, latency, requests]: Array<number>) => ({
        jobs: n!,
        latencyMeanMs: latency! / n!,
        requestsMean: requests! / n!
      })
      return {
        all: of([0, 1, 2].map((i) => sums.single[i]! + sums.several[i]!)),
        single: of(sums.single),
        several: of(sums.several)
      }
    }
    // The price of a request (ms of latency) that spends the budget: requests fall as it grows.
    let low = 1e-2
    let high = 1e6
    for (let round = 0; round < 50; round++) {
      const middle = Math.sqrt(low * high)
      if (figures(middle).all.requestsMean > requestsPerWait) low = middle
      else high = middle
    }
    return figures(high)
  })

/** The single-document trade-off: what a poller reaches on those jobs, at what cost. */
export interface SingleTradeOff {
  /** Share of the workload's jobs that are a single document. */
  readonly share: number
  /** The docs' loop on them. */
  readonly loop: CadenceFigures
  /** `paced({ singleDocumentPollCost })` on them (ms), with their ratios to the loop. */
  readonly paced: ReadonlyArray<{ readonly pollCostMs: number; readonly ratios: Ratios }>
  /** The bound told the workload's law, spending this multiple of the loop's requests on them. */
  readonly bound: ReadonlyArray<{ readonly budget: number; readonly ratios: Ratios }>
  /**
   * The default's rules with both prices of a request set (`singleDocumentPollCost` on single documents,
   * `pollCost` on several), over the whole workload: the lowest latency within the target's requests, and
   * the fewest requests that reach the target's latency (undefined when no pair tried does).
   */
  readonly frontier: {
    readonly withinRequests: PricePair | undefined
    readonly atLatency: PricePair | undefined
  }
}

/** Both prices of a request (ms) and the whole workload's ratios to the loop with them. */
export interface PricePair {
  readonly singleMs: number
  readonly severalMs: number
  readonly ratios: Ratios
}

/** The prices of a request tried on single documents (`singleDocumentPollCost`, ms). */
const SINGLE_POLL_COSTS = [400, 250, 100, 50, 25, 10, 5]
/** The default's `singleDocumentPollCost` (ms). */
const DEFAULT_SINGLE_POLL_COST = 100
/** The default's `pollCost` (ms). */
const DEFAULT_SEVERAL_POLL_COST = 800
/** The prices of a request tried on jobs of several documents (`pollCost`, ms). */
const SEVERAL_POLL_COSTS = [100, 150, 250, 400, 800, 1500]
/** The bound's budgets on single documents, as multiples of the loop's requests on them. */
const SINGLE_BUDGETS = [1, 1.5, 2, 3, 5]

/**
 * Single documents of `workload`: the default's single-document rule at other prices of a request, the bound
 * at other budgets, and the latency they would need for the workload to meet `target`.
 */
export const singleTradeOff = (
  workload: CadenceWorkload,
  target: { readonly latency: number; readonly requests: number }
): Effect.Effect<SingleTradeOff> =>
  Effect.gen(function* () {
    const jobs = yield* jobsOf(workload)
    const singles = jobs.filter((job) => familyOf(job) === "single")
    const base = yield* measure(PollSchedule.fixed("5 seconds"), jobs)
    const paced = yield* Effect.forEach(SINGLE_POLL_COSTS, (pollCostMs) =>
      Effect.map(
        measure(PollSchedule.paced({ singleDocumentPollCost: Duration.millis(pollCostMs) }), singles),
        (f) => ({
          pollCostMs,
          ratios: ratiosOf(f.all, base.single)
        })
      )
    )
    const bounds = yield* Effect.forEach(SINGLE_BUDGETS, (budget) =>
      Effect.map(bound(workload, jobs, budget * base.single.requestsMean, "single"), (best) => ({
        budget,
        ratios: ratiosOf(
          { ...best.single, latencyMedianMs: Number.NaN, latencyP90Ms: Number.NaN },
          base.single
        )
      }))
    )
    const severalJobs = jobs.filter((job) => familyOf(job) === "several")
    const severalCurve = yield* Effect.forEach(SEVERAL_POLL_COSTS, (severalMs) =>
      Effect.map(measure(PollSchedule.paced({ pollCost: Duration.millis(severalMs) }), severalJobs), (f) => ({
        severalMs,
        figures: f.all
      }))
    )
    const pairs: Array<PricePair> = paced.flatMap((single) =>
      severalCurve.map((several) => {
        // Back from ratios to sums over the jobs of each family.
        const singleLatency = single.ratios.latency * base.single.latencyMeanMs * singles.length
        const singleRequests = single.ratios.requests * base.single.requestsMean * singles.length
        return {
          singleMs: single.pollCostMs,
          severalMs: several.severalMs,
          ratios: {
            latency:
              (singleLatency + several.figures.latencyMeanMs * severalJobs.length) /
              (base.all.latencyMeanMs * jobs.length),
            requests:
              (singleRequests + several.figures.requestsMean * severalJobs.length) /
              (base.all.requestsMean * jobs.length)
          }
        }
      })
    )
    const lowest = <A>(values: ReadonlyArray<A>, by: (a: A) => number): A | undefined =>
      values.reduce<A | undefined>(
        (best, a) => (best === undefined || by(a) < by(best) ? a : best),
        undefined
      )
    return {
      share: singles.length / jobs.length,
      loop: base.single,
      paced,
      bound: bounds,
      frontier: {
        withinRequests: lowest(
          pairs.filter((pair) => pair.ratios.requests <= target.requests),
          (pair) => pair.ratios.latency
        ),
        atLatency: lowest(
          pairs.filter((pair) => pair.ratios.latency <= target.latency),
          (pair) => pair.ratios.requests
        )
      }
    }
  })

const seconds = (ms: number): string => (Number.isNaN(ms) ? "—" : (ms / SECOND).toFixed(2))
const ratio = (value: number): string => (Number.isNaN(value) ? "—" : `${value.toFixed(2)}×`)

const pairText = (pair: PricePair | undefined): string =>
  pair === undefined
    ? "—"
    : `${ratio(pair.ratios.latency)} the loop's latency at ${ratio(pair.ratios.requests)} its requests (${pair.singleMs} ms and ${pair.severalMs} ms${pair.singleMs === DEFAULT_SINGLE_POLL_COST && pair.severalMs === DEFAULT_SEVERAL_POLL_COST ? ": the defaults" : ""})`

/** The figures as a Markdown section between the cadence markers (`learned`: the learning half's). */
export const markdown = (
  rows: ReadonlyArray<CadenceRow>,
  single: SingleTradeOff,
  learned: string
): string => {
  const { seconds: short, minutes: long } = workloads
  const boundRow = rows.find((row) => row.workload === short.name && row.schedule === BOUND_ROW)!
  const boundAt = (budget: number) => single.bound.find((point) => point.budget === budget)!.ratios
  const percent = (share: number) => `${Math.round(100 * share)} %`
  return [
    "<!-- cadence:start (generated by `pnpm bench:cadence`; edits inside are overwritten) -->",
    "## Poll cadence: when a wait notices the end, against the API docs' loop",
    "",
    "Virtual time (an Effect `Clock` that jumps on `sleep`, the simulator's manual clock): the figures do not depend on the machine.",
    `${short.jobs} jobs of 3–60 s and ${long.jobs} of 1–10 min, each planned by the testkit's`,
    "`SimulatorEngine.SimulatorEngine`. They come from the testkit's `Workload`: each family's jobs are shared",
    `in turn among ${short.knowledgeBases} knowledge bases, each with laws of its own, log-normal with a median and a spread:`,
    "its median queue time is drawn from 0.5–10 s, its median time per document from 1–40 s (log-uniform;",
    "the API docs' examples run 4 s and 40 s per document), its typical job from the family's range (which",
    "sets its median count of documents), its spreads from 0.3–0.5, and a factor its jobs' documents share",
    "has a spread of 0–0.2; up to 10 % of its documents fail, and 10 % of jobs. Each job is drawn in the order",
    "things happen, so that nothing a client sees gives away more than a real service would: the time queued",
    "alone; the count of documents alone; each document's time alone around the job's median μ (a failing",
    "one takes a third of it). The job ends when its last document does, at the sum of their times (not",
    "count × μ); a job that fails as a whole fails at a random moment of its processing. A job whose end falls",
    "outside its family's range is drawn again. Each wait begins 0–1 s after its job is created and sees the",
    "job as a GET reports it (status, counters, whole-second timestamps, and the count of ended documents the",
    "client makes of `document_details`); the sweep row sees it as the list endpoint reports it (no count), as",
    "the engine's sweep of many jobs of one knowledge base does. Latency: the poll that saw",
    "`completed`/`failed` minus the moment the job ended. Requests: every poll. Targets (issue 9 §4): jobs of",
    "3–60 s at ≤ 0.30× the loop's mean latency with ≤ 1.50× its requests; jobs of 1–10 min at ≤ 1.00× with",
    `≤ 1.05×. Tuning uses other seeds (+ ${TUNING_SEED_OFFSET}: \`pnpm bench:cadence --tuning\`), so other knowledge bases`,
    "and other jobs, than these (the default's constants were tuned on the tuning jobs of the generator before",
    "knowledge bases had laws of their own). The last two columns split the jobs: one document",
    `(${percent(single.share)} of the jobs of 3–60 s) and several, each against the loop on the same jobs.`,
    "",
    "The bound row is no client: a poller told the median μ each job's documents were drawn around, the exact",
    "start of its last document (it sends nothing before, but the wait's first poll), when a job fails as a",
    "whole, and the laws the workload draws from (a document's time around μ, over all its knowledge bases; a single document's, given the",
    `time queued, estimated on ${(PRIOR_KNOWLEDGE_BASES * PRIOR_JOBS_PER_KNOWLEDGE_BASE).toLocaleString("en")} jobs of ${PRIOR_KNOWLEDGE_BASES.toLocaleString("en")} other knowledge bases of the workload). It polls at the times that minimise`,
    "expected latency at the loop's requests × the target's ratio (expectations: no median). It shows the",
    "latency the targets leave room for when the end can be predicted that well.",
    "",
    "| jobs | schedule | latency mean (s) | median (s) | p90 (s) | requests / wait | latency ÷ loop | median ÷ loop | requests ÷ loop | one document: latency at requests ÷ loop | several: latency at requests ÷ loop |",
    "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ...rows.map(
      (row) =>
        `| ${row.workload} | ${row.schedule} | ${seconds(row.figures.latencyMeanMs)} | ${seconds(row.figures.latencyMedianMs)} | ${seconds(row.figures.latencyP90Ms)} | ${row.figures.requestsMean.toFixed(1)} | ${ratio(row.latencyRatio)} | ${ratio(row.medianRatio)} | ${ratio(row.requestsRatio)} | ${ratio(row.families.single.latency)} at ${ratio(row.families.single.requests)} | ${ratio(row.families.several.latency)} at ${ratio(row.families.several.requests)} |`
    ),
    "",
    "### Jobs of one document: what no end signal costs",
    "",
    "A job of one document shows nothing between its start and its end: no document ends before the last,",
    "and the queue time and timestamps say nothing of the document's length. Its jobs of 3–60 s, against the",
    `loop on them (${seconds(single.loop.latencyMeanMs)} s mean latency, ${single.loop.requestsMean.toFixed(1)} requests): the default's single-document rule`,
    "(the end as likely in every decade from a second to an hour, each delay balancing latency against",
    "`singleDocumentPollCost`) at other prices of a request, and the bound (told the workload's law of the duration given",
    "the time queued, which no client is) at other budgets.",
    "",
    "| poller | latency ÷ loop | requests ÷ loop |",
    "|---|---:|---:|",
    ...single.paced.map(
      (point) =>
        `| \`paced({ singleDocumentPollCost: "${point.pollCostMs} millis" })\`${point.pollCostMs === DEFAULT_SINGLE_POLL_COST ? " (the default)" : ""} | ${ratio(point.ratios.latency)} | ${ratio(point.ratios.requests)} |`
    ),
    ...single.bound.map(
      (point) =>
        `| bound, ${point.budget}× the loop's requests | ${ratio(point.ratios.latency)} | ${ratio(point.ratios.requests)} |`
    ),
    "",
    "With both prices of a request set (`singleDocumentPollCost` on single documents, `pollCost` on several:",
    `${SINGLE_POLL_COSTS.length} × ${SEVERAL_POLL_COSTS.length} pairs tried), the default's rules on the whole workload of 3–60 s reach at best`,
    `${pairText(single.frontier.withinRequests)} within ${targets.seconds.requests.toFixed(2)}× the loop's requests; they reach`,
    `${targets.seconds.latency.toFixed(2)}× its latency ${single.frontier.atLatency === undefined ? "with none of the pairs tried" : `only at ${ratio(single.frontier.atLatency.ratios.requests)} its requests (${ratio(single.frontier.atLatency.ratios.latency)} with ${single.frontier.atLatency.singleMs} ms and ${single.frontier.atLatency.severalMs} ms)`}.`,
    "What keeps them there is the single documents: nothing announces their end. Even the bound, told the",
    `workload's law of their duration, is at ${ratio(boundAt(1.5).latency)} on them with 1.5× the loop's requests on them, ${ratio(boundAt(2).latency)} with 2× and`,
    `${ratio(boundAt(3).latency)} with 3×; over the whole workload, told μ and the last document's start as well, it is at`,
    `${ratio(boundRow.latencyRatio)} with ${ratio(boundRow.requestsRatio)}. A client that is not told the law reaches that only by`,
    "assuming it (that single documents take seconds, not minutes), which",
    "the default does not: it would poll every second, for as long as it runs, a document that takes ten",
    'minutes. See docs/waiting.md ("The default cadence"). A cadence that learns each knowledge base\'s law',
    "from its ended jobs gets it without assuming it: below.",
    "",
    learned,
    "<!-- cadence:end -->"
  ].join("\n")
}

/** Runs the comparison: the rows, the learning runs, and their Markdown. */
export const runCadence = (
  seedOffset = 0
): Promise<{
  rows: ReadonlyArray<CadenceRow>
  learning: ReadonlyArray<Learning.LearningFigures>
  markdown: string
}> =>
  Effect.runPromise(
    Effect.gen(function* () {
      const [seconds, minutes] = [workloads.seconds, workloads.minutes].map((w) => ({
        ...w,
        seed: w.seed + seedOffset
      }))
      const rows = yield* compare(schedules, [seconds!, minutes!], { bound: true })
      const single = yield* singleTradeOff(seconds!, targets.seconds)
      // The learning runs draw their own knowledge bases from the workload's seed (offset applied there).
      const learning = yield* Effect.forEach([workloads.seconds, workloads.minutes], (w) =>
        Learning.learningFigures(w, seedOffset)
      )
      const targetOf = (w: CadenceWorkload) =>
        w.name === workloads.minutes.name ? Learning.learnedTargets.minutes : Learning.learnedTargets.seconds
      const learned = Learning.learningMarkdown(learning, targetOf, TUNING_SEED_OFFSET)
      return { rows, learning, markdown: markdown(rows, single, learned) }
    })
  )

/** `--tuning`: the jobs the default's constants were tuned on (other seeds than the reported run's). */
export const TUNING_SEED_OFFSET = 1_000

const START_MARKER = "<!-- cadence:start"
const END_MARKER = "<!-- cadence:end -->"

/** Replaces the cadence section of `file` (appends it when absent). */
export const writeCadenceSection = (file: string, content: string): void => {
  const text = existsSync(file) ? readFileSync(file, "utf8") : "# Benchmarks\n"
  const start = text.indexOf(START_MARKER)
  const end = text.indexOf(END_MARKER)
  writeFileSync(
    file,
    start >= 0 && end > start
      ? `${text.slice(0, start)}${content}${text.slice(end + END_MARKER.length)}`
      : `${text.trimEnd()}\n\n${content}\n`
  )
}

const USAGE = `pnpm bench:cadence [--no-write] [--tuning] [--help]

How soon each poll schedule notices the end of a job, against the API docs' 5-second loop, in virtual time,
on seeded jobs of knowledge bases that each follow laws of their own (the testkit's Workload); and the
cadence learned per knowledge base (Cadence) as it learns, and when a knowledge base changes pace.

  --no-write  print the table only (default: print it and replace the cadence section of docs/benchmarks.md)
  --tuning    print the figures on the jobs the default's constants were tuned on (seeds + ${TUNING_SEED_OFFSET}:
              other knowledge bases, other jobs); never writes
  --help      this text`

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (process.argv.includes("--help") || process.argv.includes("-h")) {
    console.log(USAGE)
    process.exit(0)
  }
  const tuning = process.argv.includes("--tuning")
  const { markdown: table } = await runCadence(tuning ? TUNING_SEED_OFFSET : 0)
  console.log(table)
  if (!tuning && !process.argv.includes("--no-write")) {
    writeCadenceSection(fileURLToPath(new URL("../docs/benchmarks.md", import.meta.url)), table)
  }
}
