/**
 * Turns measurements into tables (printed, and written to `docs/benchmarks.md` between markers so that any
 * other section of that file survives a re-run).
 *
 * @module
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs"
import type { ClientResult, Layout, RequestSummary, RoundSummary, Variant } from "./protocol.js"
import { VARIANT_NAMES } from "./protocol.js"

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
const median = (values: ReadonlyArray<number>): number => {
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

const fixed = (value: number, digits: number): string =>
  Number.isFinite(value) ? value.toFixed(digits) : "n/a"

const kib = (bytes: number | null): string => (bytes === null ? "n/a" : (bytes / 1024).toFixed(1))

const ratio = (a: number | null, b: number | null): string =>
  a === null || b === null || !Number.isFinite(a) || !Number.isFinite(b) || b <= 0
    ? "n/a"
    : `${(a / b).toFixed(2)}×`

const table = (header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>): string =>
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

const spread = (values: ReadonlyArray<number>): Spread => ({
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
const show = (value: Spread, format: (n: number) => string): string =>
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

const layoutName = (summary: Summary) =>
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

const base = (summaries: ReadonlyArray<Summary>, summary: Summary) =>
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

/** Issue 9 §5's targets, each with the measured median and whether it is met. */
export const targetsTable = (summaries: ReadonlyArray<Summary>): string => {
  const lines: Array<Array<string>> = []
  const mark = (ok: boolean | null) => (ok === null ? "n/a" : ok ? "met" : "**missed**")
  for (const summary of summaries) {
    if (summary.variant === "B") continue
    const bare = base(summaries, summary)
    const level = `${layoutName(summary)}, ${summary.variant}`
    const heap = summary.heapPerWaitBytes?.median ?? null
    if (summary.layout === "shared") {
      const engine = summary.engine
      lines.push([
        level,
        "requests per round within the bound",
        engine === null ? "n/a" : `${engine.overBound} of ${engine.rounds} rounds over`,
        mark(engine === null ? null : engine.overBound === 0)
      ])
      const cpu = bare === undefined ? null : summary.cpuMs.median / bare.cpuMs.median
      lines.push([
        level,
        "client CPU ≤ 0.05× the bare loops'",
        cpu === null ? "n/a" : `${cpu.toFixed(3)}×`,
        mark(cpu === null ? null : cpu <= 0.05)
      ])
      if (summary.concurrency >= 10_000)
        lines.push([
          level,
          "heap ≤ 8 KB (8,000 bytes) per watched job",
          heap === null ? "n/a" : `${(heap / 1000).toFixed(1)} KB`,
          mark(heap === null ? null : heap <= 8_000)
        ])
      const latency = bare === undefined ? null : summary.latencyMedianMs.median / bare.latencyMedianMs.median
      lines.push([
        level,
        "latency median ≤ 1.1× the bare loop's",
        latency === null ? "n/a" : `${latency.toFixed(2)}×`,
        mark(latency === null ? null : latency <= 1.1)
      ])
    } else {
      const cpu =
        bare === undefined ? null : summary.cpuPerResponseMicros.median / bare.cpuPerResponseMicros.median
      lines.push([
        level,
        "CPU / response ≤ 1.5× the bare loop's",
        cpu === null ? "n/a" : `${cpu.toFixed(2)}×`,
        mark(cpu === null ? null : cpu <= 1.5)
      ])
      lines.push([
        level,
        "heap / wait ≤ 16 KiB",
        heap === null ? "n/a" : `${kib(heap)} KiB`,
        mark(heap === null ? null : heap <= 16 * 1024)
      ])
    }
  }
  return table(["level, variant", "target (issue 9 §5)", "measured (median)", ""], lines)
}

export interface ReportContext {
  readonly date: string
  readonly machine: string
  /** Set when the machine was busy with other work at the start: the figures are then not trustworthy. */
  readonly warning: string | null
  readonly command: string
  readonly settings: string
  readonly variants: ReadonlyArray<Variant>
  readonly notes: ReadonlyArray<string>
}

const VARIANT_DETAILS: Readonly<Record<Variant, string>> = {
  A: "One call per wait, as documented for Node: `waitForIngestionJob({ apiKey, baseUrl, knowledgeBaseId, jobId, signal, timeoutMs, pollIntervalMs })` of `@tensoras/ingestion-node` (undici's `Dispatcher.request`, one keep-alive agent per process; calls with the same options wait on a recent call's engine, so calls on one knowledge base share its loop; no `onUpdate`, the bare loop reports nothing either).",
  B: "The API docs' `while (true) { fetch; JSON.parse(await r.text()); if terminal break; sleep }`, plus an iteration cap and a deadline check to stay bounded.",
  C: "`Wait.waitFor(kb, job, { pollInterval, timeout })`, one `runPromise` per wait on one `ManagedRuntime` holding `WaitEngine.layer()` and `IngestionJobs.layer` on `NodeIngestion.layerHttpClient()` (built during the warm-up). On jobs of one knowledge base all waits share its loop.",
  M: "The machine from `@tensoras/ingestion/JobMachine`: `JobMachine.make(runtime, { schedule: PollSchedule.fixed(interval) })`, one XState actor per wait, on the same kind of runtime (one engine).",
  W: "`Wait.watchAll(kb, jobIds, { pollInterval, timeout })` run once (`Stream.runForEach`) on the same kind of runtime, started at the first wait's planned time: the Effect API for watching many jobs. A job's wait ends at its `Ended` update (detection latency from there)."
}

const START_PREFIX = "<!-- bench:waits:start"
export const START_MARKER = `${START_PREFIX} (generated by \`pnpm bench\`; edits inside are overwritten) -->`
export const END_MARKER = "<!-- bench:waits:end -->"

export const section = (summaries: ReadonlyArray<Summary>, context: ReportContext): string => {
  const ratios = ratiosTable(summaries)
  return [
    START_MARKER,
    "## Waiting for a job: the library against the API docs' loop",
    "",
    `- date: ${context.date}`,
    `- machine: ${context.machine}`,
    ...(context.warning === null ? [] : [`- **warning: ${context.warning}**`]),
    `- command: \`${context.command}\``,
    `- settings: ${context.settings}`,
    ...context.variants.map(
      (variant) => `- ${variant}: ${VARIANT_NAMES[variant]}. ${VARIANT_DETAILS[variant]}`
    ),
    ...context.notes.map((note) => `- note: ${note}`),
    "",
    "Each figure is the median of the runs, with their min–max in brackets when they differ.",
    "",
    resultsTable(summaries),
    "",
    ...(ratios === null
      ? ["(No library variant was measured: no ratios.)"]
      : [
          "Library ÷ bare loop, medians (1.00× = the same; on a saturated row, fewer requests is no saving):",
          "",
          ratios
        ]),
    "",
    "Targets:",
    "",
    targetsTable(summaries),
    "",
    "How it is measured:",
    "",
    "- The library variants run the built library (`packages/core/dist`, what users install; the bench refuses a",
    "  build older than the sources), not the sources through tsx, whose transform names every function it",
    "  compiles: a `defineProperty` per closure and about 250 bytes per closure kept, which the build has not.",
    "- The simulator (`@tensoras/ingestion-testkit`, real clock) runs in its own process on 127.0.0.1, so its CPU",
    "  and heap are not the client's. Each (variant, level) runs in a fresh client process, after a warm-up round",
    "  of 50 waits on other jobs; which variant goes first alternates between levels.",
    "- Two layouts. *Own KBs*: every wait has its own job in a knowledge base of its own (queued, then three",
    "  documents), so the engine cannot share anything: the per-wait cost. *One KB*: N jobs of one knowledge",
    "  base (queued, then ten documents), all watched (C: N `Wait.waitFor` on one runtime; B: bare loops, see",
    "  below); the engine's rounds are recorded (`WaitEngine.layer({ onRound })`) and checked against the bound",
    "  min(W, max(1, ⌈Aq/100⌉) + max(1, ⌈Ap/100⌉)) + follow-up GETs, W the watched jobs (issue 9's bound; a GET",
    "  round: at most a GET per due job). Sweep median: the",
    "  wall time of a sweep round (every page of both lists, then the follow-up GETs).",
    "- Each (layout, level, variant) runs `--repeat` times; the variants' order rotates from one run to the next.",
    "- The N waits start at planned times spread over one interval (after a lead time for the client's set-up),",
    "  and each job turns terminal at a time known exactly through `control.jobTerminalAt`, the offsets spread",
    "  evenly so that detection latency samples every phase of the polling. *Own KBs*: 2 to 3 intervals after",
    "  its wait's planned start. *One KB*: realistic timelines, `--shared-span` intervals (default 20 to 40: a",
    "  10-document job of 1.7 to 3.3 minutes at the docs' 5-second interval), at the level's interval:",
    "  `--shared-interval` (1 s), lengthened to 0.5 ms per watched job (10,000 jobs: 5 s, the docs' interval),",
    "  because a sweep reads N/100 pages one after the other and must stay a small part of an interval.",
    "  Levels under the sample count repeat in rounds.",
    "- A level's interval (own KBs) is the base interval, lengthened when N waits would send more than the",
    "  `--max-rate` requests per second: past what the simulator serves on this machine, requests and latency",
    "  would measure its queue instead of the clients.",
    "- † Bare loops of one KB: N loops at the shared interval send N per interval (10,000 jobs at 1 s: 10,000",
    "  requests a second), which one simulator process on this machine cannot answer. So as many loops run as it",
    "  serves (`--max-rate` × interval; all N when that is at least N), on jobs picked evenly from the same plan",
    "  (same start and end times), and their CPU for all N is computed: CPU per response as measured × the",
    "  responses all N loops would get. Those responses come from the plan: a loop polls when its wait starts and",
    "  once per interval until a poll finds its job terminal, 1 + ⌈(end − start) ÷ interval⌉ polls per job,",
    "  summed over the N jobs, then multiplied by (responses the loops that ran got ÷ the same formula for their",
    "  jobs), which corrects for the round trips that make real loops poll slightly less often. Per-wait figures",
    "  (requests, heap, latency) are those of the loops that ran. The CPU per response of a bare loop falls",
    "  somewhat as more loops share the event loop's wake-ups, so the computed figure could overstate what N loops",
    "  would cost by that much; compare the CPU / response column between own-KB levels to see the size of it.",
    "- HTTP requests: the simulator's request log for the measured rounds' own knowledge base.",
    "- Client CPU, all waits: the client's CPU to watch every job to its end (one KB: the figure to compare).",
    "- Client CPU: `process.cpuUsage()` (user + system, all threads) from the first wait's start until the last",
    "  resolved, divided by the responses the simulator sent (each response is a job update the wait had to",
    "  read). Single waits pay a wake-up cost per poll (caches gone cold while sleeping), so per-response CPU is",
    "  higher at 1 wait than at 100 for every variant.",
    "- Client CPU load: that CPU over the measured rounds' wall time, in % of one core (all threads, so it can",
    "  pass 100%). Waits started late: those that began later than 5% of the interval (at least 5 ms) after their",
    "  planned start. A client at 80% load or more, or with 10% of its waits (and 3) started late, is saturated:",
    "  it could not keep its schedule, so it polled later than its interval, sent fewer requests per wait and",
    "  detected later. Fewer requests there is a symptom, not a saving; CPU / response stays comparable.",
    "- Heap / wait: V8 heap used (code spaces left out: JIT output belongs to no wait) after a forced GC while",
    "  all N waits are pending (every wait started, none ended), minus the same right before they started,",
    "  divided by N. Includes sockets and in-flight fetches. Below 100 waits: median of 5 rounds of their own",
    "  (2 with `--quick`) after a discarded one (the first forced GCs flush start-up bytecode), with their range:",
    "  at 1 wait, tens of KiB come and go between rounds whatever the variant; a ratio is marked noisy when a",
    "  sample was not above zero. From 100 waits: sampled in the measured round, the forced GCs' own CPU",
    "  subtracted from the CPU figure.",
    "- Latency: when the wait's promise resolved minus when the job turned terminal on the server (wall clock,",
    "  same machine). With interval I, about I/2 on average plus one round trip, unless the client is saturated.",
    END_MARKER
  ].join("\n")
}

/** Replaces the marked section of `file`, appends it if absent, or creates the file. */
export const writeSection = (file: string, content: string): void => {
  if (!existsSync(file)) {
    writeFileSync(file, `# Benchmarks\n\n${content}\n`)
    return
  }
  const text = readFileSync(file, "utf8")
  const start = text.indexOf(START_PREFIX)
  const end = text.indexOf(END_MARKER)
  if (start >= 0 && end > start) {
    writeFileSync(file, `${text.slice(0, start)}${content}${text.slice(end + END_MARKER.length)}`)
    return
  }
  writeFileSync(file, `${text.trimEnd()}\n\n${content}\n`)
}
