/**
 * `pnpm bench:cadence`: how soon a poll schedule notices the end of a job, and at what cost in requests,
 * against the API docs' loop (one poll every 5 seconds), in virtual time.
 *
 * Each job is planned by the testkit's {@link SimulatorEngine.SimulatorEngine} on a manual clock (the documents of
 * `Documents.generate`: a realistic mix whose durations follow their size, a few failing; some jobs fail as a
 * whole). A wait polls the job as a GET reports it at that instant (with the count of ended documents the
 * client makes of `document_details`; or, for a sweep, as the list endpoint reports it), steps the schedule
 * with it and sleeps until the next poll, until it sees the job `completed` or `failed`. Latency is that poll's time minus the job's terminal time; requests count every poll. Nothing here
 * depends on the machine's load: the same seed gives the same figures.
 *
 * Time is a {@link virtualClock} that jumps on `sleep`, not `TestClock`: each `TestClock` advance waits for
 * the fibers to suspend over a few macrotask turns, which made the 100,000 polls of a run take over ten
 * minutes; the virtual clock gives the same instants in seconds.
 *
 * `pnpm bench:cadence` prints the table and writes it to docs/benchmarks.md (`--no-write`: print only;
 * `--tuning`: print the figures on the jobs the default's constants were tuned on, other seeds than the
 * reported run's).
 *
 * @module
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs"
import { fileURLToPath, pathToFileURL } from "node:url"
import { IngestionJob, PollSchedule } from "@tensoras/ingestion"
import { Documents, SimulatorClock, SimulatorEngine } from "@tensoras/ingestion-testkit"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Random from "effect/Random"
import * as ScheduleDecision from "effect/ScheduleDecision"
import * as ScheduleIntervals from "effect/ScheduleIntervals"
import * as Schema from "effect/Schema"

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
  /** Sub-second phase of the creation time, so that the API's whole-second timestamps round as they would. */
  readonly createdAtMs: number
  readonly queuedMs: number
  readonly documents: number
  readonly documentMs: number
  readonly failedDocuments: number
  /** When the job fails as a whole (ms after creation), if it does. */
  readonly failsAfterMs: number | null
  /** When the wait begins, after the job's creation. */
  readonly waitStartsAfterMs: number
  readonly seed: number
}

/** What a family of jobs looks like. */
export interface CadenceWorkload {
  readonly name: string
  /** Job durations, creation to end, drawn log-uniformly from this range (ms). */
  readonly durationMs: readonly [number, number]
  /** Mean time per document, drawn log-uniformly from this range (ms). */
  readonly documentMs: readonly [number, number]
  /** Time queued before processing, drawn log-uniformly (ms), and at most 40 % of the job. */
  readonly queuedMs: readonly [number, number]
  /** Share of jobs that fail as a whole, at a random time while processing. */
  readonly failingShare: number
  readonly jobs: number
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
    seed: 9_4_1
  },
  minutes: {
    name: "jobs of 1–10 min",
    durationMs: [1 * MINUTE, 10 * MINUTE],
    documentMs: [1 * SECOND, 40 * SECOND],
    queuedMs: [500, 10 * SECOND],
    failingShare: 0.1,
    jobs: 400,
    seed: 9_4_2
  }
} as const satisfies Record<string, CadenceWorkload>

const logUniform = (low: number, high: number) =>
  Effect.map(Random.next, (u) => Math.exp(Math.log(low) + u * (Math.log(high) - Math.log(low))))

/** The workload's jobs, the same for the same seed. */
export const jobsOf = (workload: CadenceWorkload): Effect.Effect<ReadonlyArray<CadenceJob>> =>
  Effect.gen(function* () {
    const jobs: Array<CadenceJob> = []
    for (let index = 0; index < workload.jobs; index++) {
      const durationMs = Math.round(yield* logUniform(...workload.durationMs))
      const queuedMs = Math.round(Math.min(yield* logUniform(...workload.queuedMs), 0.4 * durationMs))
      const fails = (yield* Random.next) < workload.failingShare
      // A job that fails stops short of its documents: they were planned to run longer.
      const planned = (durationMs - queuedMs) * (fails ? 1.2 + 2 * (yield* Random.next) : 1)
      const meanMs = yield* logUniform(...workload.documentMs)
      const documents = Math.max(1, Math.round(planned / meanMs))
      jobs.push({
        id: `job_${String(index + 1).padStart(4, "0")}`,
        createdAtMs: yield* Random.nextIntBetween(0, SECOND),
        queuedMs,
        documents,
        documentMs: Math.round(planned / documents),
        failedDocuments: Math.floor(documents * 0.1 * (yield* Random.next)),
        failsAfterMs: fails ? durationMs : null,
        waitStartsAfterMs: yield* Random.nextIntBetween(0, SECOND),
        seed: yield* Random.nextIntBetween(1, 2 ** 31 - 1)
      })
    }
    return jobs
  }).pipe(Effect.withRandom(Random.make(workload.seed)))

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
  return {
    [Clock.ClockTypeId]: Clock.ClockTypeId,
    unsafeCurrentTimeMillis: () => now,
    currentTimeMillis: Effect.sync(() => now),
    unsafeCurrentTimeNanos: () => BigInt(Math.round(now * 1_000_000)),
    currentTimeNanos: Effect.sync(() => BigInt(Math.round(now * 1_000_000))),
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
      documents: Documents.generate({
        count: job.documents,
        failures: job.failedDocuments,
        seed: job.seed,
        totalDurationMs: job.documents * job.documentMs
      }),
      ...(job.failsAfterMs === null ? {} : { failure: { afterMs: job.failsAfterMs } })
    })

    const wait = Effect.gen(function* () {
      let state = schedule.initial
      for (let requests = 1; ; requests++) {
        const now = yield* Clock.currentTimeMillis
        if (now - createdAt > HORIZON_MS)
          return yield* Effect.dieMessage(`${job.id} not seen ending within the horizon`)
        clock.setTime(Math.max(clock.now(), Math.floor(now)))
        const seen = seenBy(engine, kb, job.id, view)
        if (IngestionJob.isTerminal(seen)) {
          return { latencyMs: now - planned.terminalAt, requests, durationMs: planned.terminalAt - createdAt }
        }
        const [next, , decision] = yield* schedule.step(now, seen, state)
        state = next
        if (ScheduleDecision.isDone(decision))
          return yield* Effect.dieMessage(`the schedule ended on ${job.id}`)
        yield* Effect.sleep(Math.max(0, ScheduleIntervals.start(decision.intervals) - now))
      }
    })
    return yield* Effect.withClock(wait, virtualClock(createdAt + job.waitStartsAfterMs))
  }).pipe(Effect.withRandom(Random.make(job.seed)))

/** A schedule's figures on a set of jobs. */
export interface CadenceFigures {
  readonly jobs: number
  readonly latencyMeanMs: number
  readonly latencyMedianMs: number
  readonly latencyP90Ms: number
  readonly requestsMean: number
}

const quantile = (sorted: ReadonlyArray<number>, q: number): number =>
  sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!

const mean = (values: ReadonlyArray<number>): number =>
  values.reduce((sum, value) => sum + value, 0) / values.length

/** Waits for every job with `schedule` and sums up. */
export const measure = (
  schedule: PollSchedule.PollSchedule,
  jobs: ReadonlyArray<CadenceJob>,
  view: View = "get"
): Effect.Effect<CadenceFigures> =>
  Effect.gen(function* () {
    const detections = yield* Effect.forEach(jobs, (job) => detect(schedule, job, view))
    const latencies = detections.map((d) => d.latencyMs).sort((a, b) => a - b)
    return {
      jobs: detections.length,
      latencyMeanMs: mean(latencies),
      latencyMedianMs: quantile(latencies, 0.5),
      latencyP90Ms: quantile(latencies, 0.9),
      requestsMean: mean(detections.map((d) => d.requests))
    }
  })

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
          figures,
          latencyRatio: figures.latencyMeanMs / base.latencyMeanMs,
          medianRatio: figures.latencyMedianMs / base.latencyMedianMs,
          requestsRatio: figures.requestsMean / base.requestsMean
        })
      }
      if (options.bound === true) {
        const target = workload.name === workloads.minutes.name ? targets.minutes : targets.seconds
        const best = bound(workload, jobs, target.requests * base.requestsMean)
        rows.push({
          workload: workload.name,
          schedule: BOUND_ROW,
          figures: { ...best, jobs: jobs.length, latencyMedianMs: Number.NaN, latencyP90Ms: Number.NaN },
          latencyRatio: best.latencyMeanMs / base.latencyMeanMs,
          medianRatio: Number.NaN,
          requestsRatio: best.requestsMean / base.requestsMean
        })
      }
    }
    return rows
  })

/**
 * How a document's duration varies around its job's mean in `Documents.generate`: every document of the
 * workload's jobs of several documents, as a multiple of its job's mean (the law the bound knows).
 */
export const documentSpread = (jobs: ReadonlyArray<CadenceJob>): ReadonlyArray<number> =>
  jobs
    .filter((job) => job.documents > 1)
    .flatMap((job) =>
      Documents.generate({
        count: job.documents,
        failures: job.failedDocuments,
        seed: job.seed,
        totalDurationMs: job.documents * job.documentMs
      }).map((document) => (document.durationMs ?? 0) / job.documentMs)
    )

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

const logUniformDensity = ([low, high]: readonly [number, number], x: number): number =>
  x < low || x > high ? 0 : 1 / (x * Math.log(high / low))

/**
 * The law of a single document's duration given the time its job was queued, as the workload draws it: a
 * job's duration and its mean time per document are log-uniform, the queue time is at most 40 % of the job,
 * and a job is a single document when the time after the queue is under 1.5 means.
 */
export const singleDocumentLaw = (workload: CadenceWorkload, queuedMs: number, step: number): GridLaw => {
  const n = Math.ceil(workload.durationMs[1] / step) + 1
  const mass: Array<number> = Array.from({ length: n + 1 }, () => 0)
  const [meanLow, meanHigh] = workload.documentMs
  for (let i = 1; i <= n; i++) {
    const duration = (i - 0.5) * step
    const job = duration + queuedMs
    if (queuedMs >= 0.4 * job) continue
    // P(mean per document > duration ÷ 1.5), the mean log-uniform.
    const threshold = Math.max(meanLow, duration / 1.5)
    const single = threshold >= meanHigh ? 0 : Math.log(meanHigh / threshold) / Math.log(meanHigh / meanLow)
    mass[i] = logUniformDensity(workload.durationMs, job) * single
  }
  return { step, mass }
}

/** Whether a job's queue time was capped at 40 % of it (then a single document's duration is 1.5 × that). */
const queueCapped = (job: CadenceJob): boolean =>
  job.failsAfterMs === null &&
  Math.abs(job.queuedMs - 0.4 * (job.queuedMs + job.documents * job.documentMs)) <= 1

/**
 * A bound no client reaches: a poller told more than the API tells, polling as well as possible with it.
 * - It knows when the job's last document starts, exactly, and sends nothing before (but the wait's first
 *   poll), and it sees a job that fails as a whole at once, with one request.
 * - Several documents: it knows the job's true mean time per document μ; the last one's duration is μ × X,
 *   X of the law of {@link documentSpread} (how Documents.generate's documents vary around their job's mean).
 * - A single document: it knows the workload's law of that duration given the time queued (the generator's
 *   own distributions, and the exact duration when the queue was capped at 40 % of the job).
 * It polls at the times that minimise expected latency plus a price per request, the same price for every
 * job, set to spend `requestsPerWait` on average. Its figures are expectations over those laws (no median).
 */
export const bound = (
  workload: CadenceWorkload,
  jobs: ReadonlyArray<CadenceJob>,
  requestsPerWait: number
): { readonly latencyMeanMs: number; readonly requestsMean: number } => {
  const spread = documentSpread(jobs)
  const spreadStep = 0.01
  const spreadMass: Array<number> = Array.from(
    { length: Math.ceil(Math.max(...spread) / spreadStep) + 2 },
    () => 0
  )
  for (const x of spread) spreadMass[Math.ceil(x / spreadStep)]! += 1
  const several = bestPolls({ step: spreadStep, mass: spreadMass })
  // Single documents: one curve per queue time, rounded to 5 % (log scale), in ms.
  const singles = new Map<number, ReadonlyArray<BoundPoint>>()
  const singleCurve = (queuedMs: number) => {
    const key = Math.round(Math.log(queuedMs) / Math.log(1.05))
    let curve = singles.get(key)
    if (curve === undefined) {
      curve = bestPolls(singleDocumentLaw(workload, 1.05 ** key, 100))
      singles.set(key, curve)
    }
    return curve
  }
  const figures = (pollCostMs: number) => {
    let latency = 0
    let requests = 0
    for (const job of jobs) {
      if (job.failsAfterMs !== null) {
        requests += 2
      } else if (job.documents === 1 && queueCapped(job)) {
        requests += 2
      } else if (job.documents === 1) {
        const point = pointAt(singleCurve(job.queuedMs), pollCostMs)
        latency += point.latency
        requests += 1 + point.polls
      } else {
        const point = pointAt(several, pollCostMs / job.documentMs)
        latency += point.latency * job.documentMs
        requests += 1 + point.polls
      }
    }
    return { latencyMeanMs: latency / jobs.length, requestsMean: requests / jobs.length }
  }
  // The price of a request (ms of latency) that spends the budget: requests fall as it grows.
  let low = 1e-2
  let high = 1e6
  for (let round = 0; round < 50; round++) {
    const middle = Math.sqrt(low * high)
    if (figures(middle).requestsMean > requestsPerWait) low = middle
    else high = middle
  }
  return figures(high)
}

const seconds = (ms: number): string => (Number.isNaN(ms) ? "—" : (ms / SECOND).toFixed(2))
const ratio = (value: number): string => (Number.isNaN(value) ? "—" : `${value.toFixed(2)}×`)

/** The figures as a Markdown section between the cadence markers. */
export const markdown = (rows: ReadonlyArray<CadenceRow>): string => {
  const { seconds: short, minutes: long } = workloads
  return [
    "<!-- cadence:start (generated by `pnpm bench:cadence`; edits inside are overwritten) -->",
    "## Poll cadence: when a wait notices the end, against the API docs' loop",
    "",
    "Virtual time (an Effect `Clock` that jumps on `sleep`, the simulator's manual clock): the figures do not depend on the machine.",
    `${short.jobs} jobs of 3–60 s and ${long.jobs} of 1–10 min (durations log-uniform), each planned by the`,
    "testkit's `SimulatorEngine.SimulatorEngine`: queued 0.5–10 s (at most 40 % of the job), then documents of",
    "`Documents.generate` (sizes and durations vary about 7× within a job) averaging 1–40 s each (log-uniform;",
    "the API docs' examples run 4 s and 40 s per document), up to 10 % of them failing; 10 % of the jobs fail",
    "as a whole partway. Each wait begins 0–1 s after its job is created and sees the job as a GET reports it",
    "(status, counters, whole-second timestamps, and the count of ended documents the client makes of",
    "`document_details`); the sweep row sees it as the list endpoint reports it (no count), as the engine's",
    "sweep of many jobs of one knowledge base does. Latency: the poll that saw `completed`/`failed` minus the",
    "moment the job ended. Requests: every poll. Targets (issue 9 §4): jobs of 3–60 s at ≤ 0.30× the loop's",
    "mean latency with ≤ 1.50× its requests; jobs of 1–10 min at ≤ 1.00× with ≤ 1.05×. The default's",
    `constants were tuned on other jobs (seeds + ${TUNING_SEED_OFFSET}: \`pnpm bench:cadence --tuning\`) than these.`,
    "",
    "The bound row is no client: a poller told the job's true mean time per document μ, the exact start of its",
    "last document (it sends nothing before, but the wait's first poll) and when a job fails as a whole, and",
    "the laws the generator draws from (a document's duration around μ: that of `Documents.generate`; a single",
    "document's, given the time queued: the workload's); it polls at the times that minimise expected latency",
    "at the loop's requests × the target's ratio (expectations: no median). It shows the latency the targets",
    "leave room for when the end can be predicted that well; what keeps a client above it on jobs of 3–60 s",
    'is in docs/waiting.md ("The default cadence").',
    "",
    "| jobs | schedule | latency mean (s) | median (s) | p90 (s) | requests / wait | latency ÷ loop | median ÷ loop | requests ÷ loop |",
    "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ...rows.map(
      (row) =>
        `| ${row.workload} | ${row.schedule} | ${seconds(row.figures.latencyMeanMs)} | ${seconds(row.figures.latencyMedianMs)} | ${seconds(row.figures.latencyP90Ms)} | ${row.figures.requestsMean.toFixed(1)} | ${ratio(row.latencyRatio)} | ${ratio(row.medianRatio)} | ${ratio(row.requestsRatio)} |`
    ),
    "<!-- cadence:end -->"
  ].join("\n")
}

/** Runs the comparison: the rows and their Markdown. */
export const runCadence = (seedOffset = 0): Promise<{ rows: ReadonlyArray<CadenceRow>; markdown: string }> =>
  Effect.runPromise(
    compare(
      schedules,
      [workloads.seconds, workloads.minutes].map((w) => ({ ...w, seed: w.seed + seedOffset })),
      { bound: true }
    )
  ).then((rows) => ({ rows, markdown: markdown(rows) }))

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

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const tuning = process.argv.includes("--tuning")
  const { markdown: table } = await runCadence(tuning ? TUNING_SEED_OFFSET : 0)
  console.log(table)
  if (!tuning && !process.argv.includes("--no-write")) {
    writeCadenceSection(fileURLToPath(new URL("../docs/benchmarks.md", import.meta.url)), table)
  }
}
