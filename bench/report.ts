/**
 * Turns measurements into tables (printed, and written to `docs/benchmarks.md` between markers so that any
 * other section of that file survives a re-run).
 *
 * @module
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs"
import type { ClientResult, RequestSummary, Variant } from "./protocol.js"
import { VARIANT_NAMES } from "./protocol.js"

export interface Row {
  readonly variant: Variant
  readonly concurrency: number
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

export const toRow = (result: ClientResult, requests: RequestSummary): Row => {
  const waits = result.concurrency * result.rounds
  const heapDelta = median(result.heapDeltas)
  return {
    variant: result.variant,
    concurrency: result.concurrency,
    intervalMs: result.intervalMs,
    waits,
    requests: requests.total,
    requestsPerWait: requests.total / waits,
    cpuPerResponseMicros: result.cpuMicros / Math.max(1, requests.responded),
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

export const resultsTable = (rows: ReadonlyArray<Row>): string =>
  table(
    [
      "concurrent waits",
      "interval (ms)",
      "variant",
      "waits measured",
      "HTTP requests",
      "requests / wait",
      "client CPU / response (µs)",
      "client CPU / wait (ms)",
      "client CPU load",
      "waits started late",
      "heap / wait (KiB)",
      "latency median (ms)",
      "latency p95 (ms)",
      "latency min–max (ms)",
      "errors"
    ],
    rows.map((row) => [
      String(row.concurrency),
      String(row.intervalMs),
      row.variant,
      String(row.waits),
      String(row.requests),
      fixed(row.requestsPerWait, 2),
      fixed(row.cpuPerResponseMicros, 0),
      fixed(row.cpuPerWaitMs, 2),
      `${fixed(100 * row.cpuLoad, 0)}%`,
      `${String(row.lateStarts)}${saturated(row) ? " (saturated)" : ""}`,
      kib(row.heapPerWaitBytes) +
        (row.heapRangeBytes !== null && row.heapRangeBytes[0] !== row.heapRangeBytes[1]
          ? ` (${kib(row.heapRangeBytes[0])} to ${kib(row.heapRangeBytes[1])})`
          : ""),
      fixed(row.latencyMedianMs, 0),
      fixed(row.latencyP95Ms, 0),
      `${fixed(row.latencyMinMs, 0)}–${fixed(row.latencyMaxMs, 0)}`,
      String(row.errors)
    ])
  )

/** Ratio of the median heap figures; "(noisy)" when a sample of either was not above zero. */
const heapRatio = (row: Row, base: Row): string => {
  if (row.heapPerWaitBytes === null || base.heapPerWaitBytes === null) return "n/a"
  if (row.heapPerWaitBytes <= 0 || base.heapPerWaitBytes <= 0) return "noise"
  const noisy = [row, base].some((one) => one.heapRangeBytes !== null && one.heapRangeBytes[0] <= 0)
  return `${ratio(row.heapPerWaitBytes, base.heapPerWaitBytes)}${noisy ? " (noisy)" : ""}`
}

/** Library ÷ bare loop, per level, for every library variant measured alongside B. */
export const ratiosTable = (rows: ReadonlyArray<Row>): string | null => {
  const lines: Array<Array<string>> = []
  for (const row of rows) {
    if (row.variant === "B") continue
    const base = rows.find((other) => other.variant === "B" && other.concurrency === row.concurrency)
    if (base === undefined) continue
    lines.push([
      String(row.concurrency),
      `${row.variant} ÷ B`,
      ratio(row.requestsPerWait, base.requestsPerWait),
      ratio(row.cpuPerResponseMicros, base.cpuPerResponseMicros),
      heapRatio(row, base),
      ratio(row.latencyMedianMs, base.latencyMedianMs),
      ratio(row.latencyP95Ms, base.latencyP95Ms)
    ])
  }
  if (lines.length === 0) return null
  return table(
    [
      "concurrent waits",
      "ratio",
      "requests / wait",
      "CPU / response",
      "heap / wait",
      "latency median",
      "latency p95"
    ],
    lines
  )
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
  A: "One call per wait, as documented: `waitForIngestionJob({ apiKey, baseUrl, knowledgeBaseId, jobId, signal, timeoutMs, pollIntervalMs })` (a client per call; no `onUpdate`, the bare loop reports nothing either).",
  B: "The API docs' `while (true) { fetch; JSON.parse(await r.text()); if terminal break; sleep }`, plus an iteration cap and a deadline check to stay bounded.",
  C: "`Poller.waitFor(kb, job, { schedule: PollSchedule.fixed(interval), timeout })`, one fiber per wait on one `ManagedRuntime` holding `IngestionJobs.layer` (built during the warm-up)."
}

const START_PREFIX = "<!-- bench:waits:start"
export const START_MARKER = `${START_PREFIX} (generated by \`pnpm bench\`; edits inside are overwritten) -->`
export const END_MARKER = "<!-- bench:waits:end -->"

export const section = (rows: ReadonlyArray<Row>, context: ReportContext): string => {
  const ratios = ratiosTable(rows)
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
    resultsTable(rows),
    "",
    ...(ratios === null
      ? ["(No library variant was measured: no ratios.)"]
      : [
          "Library ÷ bare loop (1.00× = the same; on a saturated row, fewer requests is no saving):",
          "",
          ratios
        ]),
    "",
    "How it is measured:",
    "",
    "- The simulator (`@tensoras/ingestion-testkit`, real clock) runs in its own process on 127.0.0.1, so its CPU",
    "  and heap are not the client's. Each (variant, level) runs in a fresh client process, after a warm-up round",
    "  of 50 waits on other jobs; which variant goes first alternates between levels.",
    "- Every wait has its own job (queued, then three documents). The N waits start at planned times spread over",
    "  one interval (after a lead time for the client's set-up), and each job turns terminal 2 to 3 intervals",
    "  after its wait's planned start, spread evenly over that interval, at a time known exactly through",
    "  `control.jobTerminalAt`. Levels under the sample count repeat in rounds.",
    "- A level's interval is the base interval, lengthened when N waits would send more than the `--max-rate`",
    "  requests per second: past what the simulator serves on this machine, requests and latency would measure",
    "  its queue instead of the clients.",
    "- HTTP requests: the simulator's request log for the measured rounds' own knowledge base.",
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
