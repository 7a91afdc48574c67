/**
 * Turns measurements into rows, summaries over repeats and the results and ratios tables (`targets.ts`
 * adds the targets, `section.ts` writes them all to `docs/benchmarks.md`).
 *
 * @module
 */
import type { ClientResult, Layout, RequestSummary, RoundSummary, Variant } from "./protocol.js"

/** The engine's rounds of one run against the bound of issue 9. */
export interface EngineFigures {
  readonly rounds: number
  readonly sweeps: number
  readonly maxRequests: number
  /** Rounds that sent more than min(due, ⌈Aq/100⌉ + ⌈Ap/100⌉) + follow-up GETs (GET rounds: due + 0). */
  readonly overBound: number
  /** The largest requests ÷ bound of a round. */
  readonly maxShareOfBound: number
  /** Median wall time of a sweep round (its lists and follow-up GETs), ms; null without sweeps. */
  readonly sweepMedianMs: number | null
}

/**
 * The bare loops of a shared level when fewer than N ran (the simulator cannot serve N loops' requests
 * at the interval): what ran, and the responses all N would get on the same plan.
 */
export interface SharedEstimate {
  /** N: the level's jobs. */
  readonly jobs: number
  /** Bare loops run, on jobs picked evenly from the plan. */
  readonly loops: number
  /** Responses the formula predicts for all N jobs, and for the jobs run. */
  readonly predictedAll: number
  readonly predictedRun: number
  /** Responses the loops run got (the simulator's log). */
  readonly responsesRun: number
  /** predictedAll × responsesRun ÷ predictedRun. */
  readonly responsesAll: number
}

/**
 * The bound of a round (issue 9): a sweep costs max(1, ⌈Aq/100⌉) + max(1, ⌈Ap/100⌉) requests, never more
 * than a GET per watched job, plus a GET per job the sweep did not find. A GET round: at most a GET per due
 * job. (The engine chooses a sweep from the last sweep's cost; a sweep that finds more active jobs than
 * the last one may cost more than a GET per due job, never more than one per watched job.)
 */
export const boundOf = (round: RoundSummary): number => {
  if (round.activeQueued === null || round.activeProcessing === null) return round.dueJobs
  const sweep =
    Math.max(1, Math.ceil(round.activeQueued / 100)) + Math.max(1, Math.ceil(round.activeProcessing / 100))
  // Issue 9's bound: min(W, sweep) + a GET per job the sweep did not find (W: watched jobs).
  return Math.min(round.watchedJobs, sweep) + round.followUpGets
}

const engineFigures = (rounds: ReadonlyArray<RoundSummary>): EngineFigures | null =>
  rounds.length === 0
    ? null
    : {
        rounds: rounds.length,
        sweeps: rounds.filter((round) => round.mode === "sweep").length,
        maxRequests: Math.max(...rounds.map((round) => round.requests)),
        overBound: rounds.filter((round) => round.requests > boundOf(round)).length,
        maxShareOfBound: Math.max(...rounds.map((round) => round.requests / Math.max(1, boundOf(round)))),
        sweepMedianMs: sweepMedian(rounds)
      }

const sweepMedian = (rounds: ReadonlyArray<RoundSummary>): number | null => {
  const sweeps = rounds.filter((round) => round.mode === "sweep").map((round) => round.durationMs)
  return sweeps.length === 0 ? null : Math.round(median(sweeps))
}

export interface Row {
  readonly variant: Variant
  readonly layout: Layout
  readonly repeat: number
  /** The level: waits (own KBs) or watched jobs (one KB). */
  readonly concurrency: number
  /**
   * Client CPU of the measured rounds, µs. For bare loops of a shared level with an estimate: the CPU
   * per response measured × the responses all N loops would get.
   */
  readonly cpuMicros: number
  /** Set when fewer bare loops ran than the level has jobs. */
  readonly estimate: (SharedEstimate & { readonly measuredCpuMicros: number }) | null
  readonly engine: EngineFigures | null
  readonly intervalMs: number
  readonly waits: number
  readonly requests: number
  readonly requestsPerWait: number
  /** Client CPU per HTTP response (a job update the wait had to look at), µs. */
  readonly cpuPerResponseMicros: number
  readonly cpuPerWaitMs: number
  /** Client CPU over the measured rounds' wall time, in cores. */
  readonly cpuLoad: number
  /** Median over rounds of the heap delta, divided by the concurrency; null if never sampled. */
  readonly heapPerWaitBytes: number | null
  /** The smallest and largest of those, per wait. */
  readonly heapRangeBytes: readonly [number, number] | null
  /** Heap rounds with no sample (a wait had already ended when it was due). */
  readonly heapSkipped: number
  /** Waits that started over 5% of the interval (at least 5 ms) after their planned time (the client was busy). */
  readonly lateStarts: number
  /** The longest a measured round's start (its jobs all created) took to reach the client, ms. */
  readonly startLagMs: number
  readonly latencyMedianMs: number
  readonly latencyP95Ms: number
  readonly latencyMinMs: number
  readonly latencyMaxMs: number
  readonly errors: number
  readonly firstError: string | null
  readonly wallMs: number
}

/** Nearest-rank percentile of a non-empty list. */
export const percentile = (values: ReadonlyArray<number>, p: number): number => {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!
}

/** The middle value, or the mean of the two middle ones. */
export const median = (values: ReadonlyArray<number>): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = sorted.length / 2
  if (sorted.length === 0) return Number.NaN
  return sorted.length % 2 === 1 ? sorted[Math.floor(middle)]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

export const toRow = (
  result: ClientResult,
  requests: RequestSummary,
  estimate?: SharedEstimate | undefined
): Row => {
  const waits = result.concurrency * result.rounds
  const heapDelta = median(result.heapDeltas)
  const cpuPerResponse = result.cpuMicros / Math.max(1, requests.responded)
  const scaled = estimate !== undefined && estimate.loops < estimate.jobs
  return {
    variant: result.variant,
    layout: result.layout,
    repeat: result.repeat,
    cpuMicros: scaled ? cpuPerResponse * estimate.responsesAll : result.cpuMicros,
    estimate: scaled ? { ...estimate, measuredCpuMicros: result.cpuMicros } : null,
    engine: engineFigures(result.engineRounds),
    concurrency: estimate?.jobs ?? result.concurrency,
    intervalMs: result.intervalMs,
    waits,
    requests: requests.total,
    requestsPerWait: requests.total / waits,
    cpuPerResponseMicros: cpuPerResponse,
    cpuPerWaitMs: result.cpuMicros / 1000 / waits,
    cpuLoad: result.cpuMicros / 1000 / result.measureWallMs,
    heapPerWaitBytes: Number.isNaN(heapDelta) ? null : heapDelta / result.concurrency,
    heapRangeBytes:
      result.heapDeltas.length === 0
        ? null
        : [
            percentile(result.heapDeltas, 0) / result.concurrency,
            percentile(result.heapDeltas, 100) / result.concurrency
          ],
    heapSkipped: result.heapSkipped,
    lateStarts: result.lateStarts,
    startLagMs: result.startLagMs,
    latencyMedianMs: percentile(result.latenciesMs, 50),
    latencyP95Ms: percentile(result.latenciesMs, 95),
    latencyMinMs: percentile(result.latenciesMs, 0),
    latencyMaxMs: percentile(result.latenciesMs, 100),
    errors: result.errors + requests.notOk,
    firstError: result.firstError ?? (requests.notOk > 0 ? `${requests.notOk} non-200 responses` : null),
    wallMs: result.wallMs
  }
}

/** Above this share of a core over a round, a client no longer keeps its cadence: it is the bottleneck. */
const CPU_BOUND = 0.8
/** Above this share of waits starting late, the client was too busy to keep its schedule. */
const LATE_BOUND = 0.1

/** The client could not keep its schedule: its requests and latency say more about its CPU than its cadence. */
export const saturated = (row: Row): boolean =>
  row.cpuLoad >= CPU_BOUND || (row.lateStarts >= 3 && row.lateStarts >= LATE_BOUND * row.waits)

export const fixed = (value: number, digits: number): string =>
  Number.isFinite(value) ? value.toFixed(digits) : "n/a"

export const kib = (bytes: number | null): string => (bytes === null ? "n/a" : (bytes / 1024).toFixed(1))

const ratio = (a: number | null, b: number | null): string =>
  a === null || b === null || !Number.isFinite(a) || !Number.isFinite(b) || b <= 0
    ? "n/a"
    : `${(a / b).toFixed(2)}×`

export const table = (header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>): string =>
  [header, header.map(() => "---"), ...rows].map((cells) => `| ${cells.join(" | ")} |`).join("\n")

/** One (layout, level, variant) over its repeats: each figure's min, median and max. */
export interface Summary {
  readonly layout: Layout
  readonly concurrency: number
  readonly variant: Variant
  readonly runs: ReadonlyArray<Row>
  readonly intervalMs: number
  readonly requestsPerWait: Spread
  readonly cpuPerResponseMicros: Spread
  readonly cpuMs: Spread
  readonly cpuLoad: Spread
  readonly heapPerWaitBytes: Spread | null
  readonly latencyMedianMs: Spread
  readonly latencyP95Ms: Spread
  /** Runs that were saturated (see {@link saturated}). */
  readonly saturatedRuns: number
  readonly errors: number
  readonly engine: EngineFigures | null
}

export interface Spread {
  readonly min: number
  readonly median: number
  readonly max: number
}

export const spread = (values: ReadonlyArray<number>): Spread => ({
  min: Math.min(...values),
  median: median(values),
  max: Math.max(...values)
})

export const summarize = (rows: ReadonlyArray<Row>): ReadonlyArray<Summary> => {
  const groups = new Map<string, Array<Row>>()
  for (const row of rows) {
    const key = `${row.layout} ${row.concurrency} ${row.variant}`
    groups.set(key, [...(groups.get(key) ?? []), row])
  }
  const layoutOrder = (layout: Layout) => (layout === "separate" ? 0 : 1)
  return [...groups.values()]
    .map((runs): Summary => {
      const first = runs[0]!
      const heaps = runs.flatMap((run) => (run.heapPerWaitBytes === null ? [] : [run.heapPerWaitBytes]))
      const engines = runs.flatMap((run) => (run.engine === null ? [] : [run.engine]))
      return {
        layout: first.layout,
        concurrency: first.concurrency,
        variant: first.variant,
        runs,
        intervalMs: first.intervalMs,
        requestsPerWait: spread(runs.map((run) => run.requestsPerWait)),
        cpuPerResponseMicros: spread(runs.map((run) => run.cpuPerResponseMicros)),
        cpuMs: spread(runs.map((run) => run.cpuMicros / 1000)),
        cpuLoad: spread(runs.map((run) => run.cpuLoad)),
        heapPerWaitBytes: heaps.length === 0 ? null : spread(heaps),
        latencyMedianMs: spread(runs.map((run) => run.latencyMedianMs)),
        latencyP95Ms: spread(runs.map((run) => run.latencyP95Ms)),
        saturatedRuns: runs.filter(saturated).length,
        errors: runs.reduce((sum, run) => sum + run.errors, 0),
        engine:
          engines.length === 0
            ? null
            : {
                rounds: engines.reduce((sum, engine) => sum + engine.rounds, 0),
                sweeps: engines.reduce((sum, engine) => sum + engine.sweeps, 0),
                maxRequests: Math.max(...engines.map((engine) => engine.maxRequests)),
                overBound: engines.reduce((sum, engine) => sum + engine.overBound, 0),
                maxShareOfBound: Math.max(...engines.map((engine) => engine.maxShareOfBound)),
                sweepMedianMs: (() => {
                  const sweeps = engines.flatMap((engine) =>
                    engine.sweepMedianMs === null ? [] : [engine.sweepMedianMs]
                  )
                  return sweeps.length === 0 ? null : Math.round(median(sweeps))
                })()
              }
      }
    })
    .sort(
      (a, b) =>
        layoutOrder(a.layout) - layoutOrder(b.layout) ||
        a.concurrency - b.concurrency ||
        a.variant.localeCompare(b.variant)
    )
}

/** "median (min–max)", or the value alone when all runs agree (or there was one). */
export const show = (value: Spread, format: (n: number) => string): string =>
  value.min === value.max
    ? format(value.median)
    : `${format(value.median)} (${format(value.min)}–${format(value.max)})`

/** The variant, and for bare loops of a shared level that ran fewer loops than jobs, how many ran. */
const variantCell = (summary: Summary): string => {
  const estimates = summary.runs.flatMap((run) => (run.estimate === null ? [] : [run.estimate]))
  if (estimates.length === 0) return summary.variant
  const loops = Math.min(...estimates.map((estimate) => estimate.loops))
  return `${summary.variant}: ${loops} loops run, CPU for ${summary.concurrency} computed †`
}

export const layoutName = (summary: Summary) =>
  summary.layout === "shared"
    ? `${summary.concurrency} jobs, one KB`
    : `${summary.concurrency} waits, own KBs`

export const resultsTable = (summaries: ReadonlyArray<Summary>): string =>
  table(
    [
      "level",
      "interval (ms)",
      "variant",
      "runs",
      "requests / wait",
      "engine rounds: max requests (over the bound); sweep median (ms)",
      "client CPU / response (µs)",
      "client CPU, all waits (ms)",
      "client CPU load",
      "saturated runs",
      "heap / wait (KiB)",
      "latency median (ms)",
      "latency p95 (ms)",
      "errors"
    ],
    summaries.map((summary) => [
      layoutName(summary),
      String(summary.intervalMs),
      variantCell(summary),
      String(summary.runs.length),
      show(summary.requestsPerWait, (n) => fixed(n, 2)),
      summary.engine === null
        ? "–"
        : `${summary.engine.maxRequests} (${summary.engine.overBound} of ${summary.engine.rounds})` +
          (summary.engine.sweepMedianMs === null ? "" : `; ${summary.engine.sweepMedianMs}`),
      show(summary.cpuPerResponseMicros, (n) => fixed(n, 0)),
      show(summary.cpuMs, (n) => fixed(n, 0)),
      show(summary.cpuLoad, (n) => `${fixed(100 * n, 0)}%`),
      summary.saturatedRuns === 0 ? "0" : `**${summary.saturatedRuns}**`,
      summary.heapPerWaitBytes === null ? "n/a" : show(summary.heapPerWaitBytes, (n) => kib(n)),
      show(summary.latencyMedianMs, (n) => fixed(n, 0)),
      show(summary.latencyP95Ms, (n) => fixed(n, 0)),
      String(summary.errors)
    ])
  )

export const base = (summaries: ReadonlyArray<Summary>, summary: Summary) =>
  summaries.find(
    (other) =>
      other.variant === "B" && other.layout === summary.layout && other.concurrency === summary.concurrency
  )

/** A heap ratio, "noise" when either median is not above zero. */
const heapRatio = (row: Summary, bare: Summary): string => {
  if (row.heapPerWaitBytes === null || bare.heapPerWaitBytes === null) return "n/a"
  if (row.heapPerWaitBytes.median <= 0 || bare.heapPerWaitBytes.median <= 0) return "noise"
  const noisy = [row, bare].some((one) => one.heapPerWaitBytes !== null && one.heapPerWaitBytes.min <= 0)
  return `${ratio(row.heapPerWaitBytes.median, bare.heapPerWaitBytes.median)}${noisy ? " (noisy)" : ""}`
}

/** Library ÷ bare loop (medians), per level, for every library variant measured alongside B. */
export const ratiosTable = (summaries: ReadonlyArray<Summary>): string | null => {
  const lines: Array<Array<string>> = []
  for (const summary of summaries) {
    if (summary.variant === "B") continue
    const bare = base(summaries, summary)
    if (bare === undefined) continue
    const saturation = [summary, bare]
      .filter((one) => one.saturatedRuns > 0)
      .map((one) => `${one.variant} ${one.saturatedRuns}/${one.runs.length}`)
    lines.push([
      layoutName(summary),
      `${summary.variant} ÷ B`,
      ratio(summary.requestsPerWait.median, bare.requestsPerWait.median),
      ratio(summary.cpuPerResponseMicros.median, bare.cpuPerResponseMicros.median),
      ratio(summary.cpuMs.median, bare.cpuMs.median),
      heapRatio(summary, bare),
      ratio(summary.latencyMedianMs.median, bare.latencyMedianMs.median),
      ratio(summary.latencyP95Ms.median, bare.latencyP95Ms.median),
      saturation.length === 0 ? "no" : `**yes** (${saturation.join(", ")})`
    ])
  }
  if (lines.length === 0) return null
  return table(
    [
      "level",
      "ratio",
      "requests / wait",
      "CPU / response",
      "CPU, all waits",
      "heap / wait",
      "latency median",
      "latency p95",
      "saturated"
    ],
    lines
  )
}
