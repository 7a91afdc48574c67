/**
 * Issue 19 §4's targets, and the request floor of many jobs of one knowledge base, beside what was
 * measured (printed, and written to `docs/benchmarks.md` by `section.ts`).
 *
 * @module
 */
import {
  base,
  fixed,
  kib,
  layoutName,
  median,
  type Spread,
  type Summary,
  show,
  spread,
  table
} from "./report.js"

/** Issue 19 §4's targets. */
export const TARGETS = {
  /** Single waits (A, C, M) at 1 and 100 waits: CPU per response, × the bare loop's. */
  cpuPerResponse: 1.2,
  cpuPerResponseLevels: [1, 100] as ReadonlyArray<number>,
  /** Single waits (A, C, M): heap per wait, KiB. */
  heapPerWaitKiB: 12,
  /** Every level: latency median, × the bare loop's at the same interval. */
  latencyMedian: 1.05,
  /** Many jobs of one knowledge base: client CPU, × the request floor. */
  floor: 2
} as const

/**
 * The request floor of a shared level: what the engine's requests would cost at a bare GET's CPU. The
 * engine's requests per job (the simulator's log) × the jobs × the bare loops' CPU per response measured
 * in the same run at the same level (B: the docs' loop, one GET per response, nothing else).
 */
export interface Floor {
  readonly summary: Summary
  readonly requestsPerJob: number
  /** A bare GET's CPU: the bare loops' CPU per response at this level, µs. */
  readonly getMicros: number
  /** requestsPerJob × jobs × getMicros, ms. */
  readonly floorMs: number
  /** The floor as a share of the bare loops' own CPU for all the jobs. */
  readonly floorOfBare: number
  /**
   * The library's client CPU for all the jobs ÷ the floor, run by run (each run's CPU ÷ the floor of its
   * own requests per job and of the bare loops' CPU per response in the same repeat): median and range.
   */
  readonly ratio: Spread
}

/** The floor of each library variant of a shared level measured beside the bare loops. */
export const floors = (summaries: ReadonlyArray<Summary>): ReadonlyArray<Floor> =>
  summaries.flatMap((summary) => {
    const bare = base(summaries, summary)
    if (summary.layout !== "shared" || summary.variant === "B" || bare === undefined) return []
    const requestsPerJob = summary.requestsPerWait.median
    const getMicros = bare.cpuPerResponseMicros.median
    const floorMs = (requestsPerJob * summary.concurrency * getMicros) / 1000
    const ratio = paired(summary, bare, (run) =>
      run.variant === "B"
        ? run.cpuPerResponseMicros
        : run.cpuMicros / (run.requestsPerWait * summary.concurrency)
    )
    return [
      {
        summary,
        requestsPerJob,
        getMicros,
        floorMs,
        floorOfBare: floorMs / bare.cpuMs.median,
        ratio
      }
    ]
  })

/** The request floor of the shared levels, and the library's CPU against it. */
export const floorTable = (summaries: ReadonlyArray<Summary>): string | null => {
  const rows = floors(summaries)
  if (rows.length === 0) return null
  return table(
    [
      "level",
      "variant",
      "requests / job",
      "bare GET's CPU (µs)",
      "request floor (ms)",
      "floor ÷ bare loops' CPU",
      "client CPU (ms)",
      "client CPU ÷ floor (each run ÷ its repeat's)",
      `target ≤ ${TARGETS.floor}×`
    ],
    rows.map((floor) => {
      return [
        layoutName(floor.summary),
        floor.summary.variant,
        fixed(floor.requestsPerJob, 2),
        fixed(floor.getMicros, 0),
        fixed(floor.floorMs, 0),
        `${fixed(floor.floorOfBare, 3)}×`,
        show(floor.summary.cpuMs, (n) => fixed(n, 0)),
        ratioCell(floor.ratio),
        floor.ratio.median <= TARGETS.floor ? "met" : "**missed**"
      ]
    })
  )
}

const mark = (ok: boolean | null) => (ok === null ? "n/a" : ok ? "met" : "**missed**")

/**
 * Each run's figure ÷ the bare loop's of the same repeat (the runs of a repeat are interleaved, minutes
 * apart; the repeats of a level are up to an hour apart, on a machine whose other work comes and goes):
 * their median and range. A run without a bare run of its repeat is paired with the bare loop's median.
 */
export const paired = (
  summary: Summary,
  bare: Summary,
  figure: (run: Summary["runs"][number]) => number
): Spread => {
  const bareMedian = median(bare.runs.map(figure))
  const ratios = summary.runs.map((run) => {
    const partner = bare.runs.find((other) => other.repeat === run.repeat)
    return figure(run) / (partner === undefined ? bareMedian : figure(partner))
  })
  return spread(ratios)
}

/** A paired ratio as the targets table shows it: its median, and its runs' range. */
const ratioCell = (ratio: Spread): string =>
  ratio.min === ratio.max
    ? `${ratio.median.toFixed(2)}×`
    : `${ratio.median.toFixed(2)}× (${ratio.min.toFixed(2)}–${ratio.max.toFixed(2)})`

/** The rows of one separate (own KBs) level's targets. */
const separateTargets = (summary: Summary, bare: Summary | undefined): Array<Array<string>> => {
  const level = `${layoutName(summary)}, ${summary.variant}`
  const lines: Array<Array<string>> = []
  if (TARGETS.cpuPerResponseLevels.includes(summary.concurrency)) {
    const cpu = bare === undefined ? null : paired(summary, bare, (run) => run.cpuPerResponseMicros)
    lines.push([
      level,
      `CPU / response ≤ ${TARGETS.cpuPerResponse}× the bare loop's (each run ÷ the bare loop's of its repeat)`,
      cpu === null ? "n/a" : ratioCell(cpu),
      mark(cpu === null ? null : cpu.median <= TARGETS.cpuPerResponse)
    ])
  }
  const heap = summary.heapPerWaitBytes
  lines.push([
    level,
    `heap / wait ≤ ${TARGETS.heapPerWaitKiB} KiB`,
    heap === null ? "n/a" : `${show(heap, (n) => kib(n))} KiB`,
    mark(heap === null ? null : heap.median <= TARGETS.heapPerWaitKiB * 1024)
  ])
  return lines
}

/** The rows of one shared (one KB) level's targets, the floor's among them. */
const sharedTargets = (summary: Summary, floor: Floor | undefined): Array<Array<string>> => {
  const level = `${layoutName(summary)}, ${summary.variant}`
  const engine = summary.engine
  const heap = summary.heapPerWaitBytes?.median ?? null
  return [
    [
      level,
      `client CPU ≤ ${TARGETS.floor}× the request floor`,
      floor === undefined ? "n/a" : `${ratioCell(floor.ratio)} (floor ${floor.floorMs.toFixed(0)} ms)`,
      mark(floor === undefined ? null : floor.ratio.median <= TARGETS.floor)
    ],
    [
      level,
      "requests per round within the bound (issue 9)",
      engine === null ? "n/a" : `${engine.overBound} of ${engine.rounds} rounds over`,
      mark(engine === null ? null : engine.overBound === 0)
    ],
    ...(summary.concurrency >= 10_000
      ? [
          [
            level,
            "heap ≤ 8 KB (8,000 bytes) per watched job (issue 9)",
            heap === null ? "n/a" : `${(heap / 1000).toFixed(1)} KB`,
            mark(heap === null ? null : heap <= 8_000)
          ]
        ]
      : [])
  ]
}

/** Issue 19 §4's targets (and issue 9's that still hold), each beside the measured median. */
export const targetsTable = (summaries: ReadonlyArray<Summary>): string => {
  const lines: Array<Array<string>> = []
  const shared = floors(summaries)
  for (const summary of summaries) {
    if (summary.variant === "B") continue
    const bare = base(summaries, summary)
    lines.push(
      ...(summary.layout === "shared"
        ? sharedTargets(
            summary,
            shared.find((floor) => floor.summary === summary)
          )
        : separateTargets(summary, bare))
    )
    const latency = bare === undefined ? null : paired(summary, bare, (run) => run.latencyMedianMs)
    lines.push([
      `${layoutName(summary)}, ${summary.variant}`,
      `latency median ≤ ${TARGETS.latencyMedian}× the bare loop's (paired as above)`,
      latency === null ? "n/a" : ratioCell(latency),
      mark(latency === null ? null : latency.median <= TARGETS.latencyMedian)
    ])
  }
  return table(["level, variant", "target (issue 19 §4)", "measured: median (runs)", ""], lines)
}
