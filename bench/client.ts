/**
 * One client process: runs one variant at one concurrency level, round after round, and reports what it
 * measured. Started by `run.ts` with its config as JSON in argv (or `--probe` to report which library
 * variants exist). A fresh process per (variant, level): no variant inherits another's heap, JIT state or
 * sockets. It exits when the orchestrator disconnects.
 *
 * @module
 */
import { setMaxListeners } from "node:events"
import { getHeapSpaceStatistics } from "node:v8"
import { forceGc } from "./gc.js"
import type {
  BenchJob,
  ClientConfig,
  ClientResult,
  JobBatch,
  OrchestratorApi,
  RoundSummary
} from "./protocol.js"
import { createPeer } from "./protocol.js"
import { bareLoop, engineRounds, loadLibrary, probe, type WaitFactory } from "./variants.js"

const peer = createPeer<{}, OrchestratorApi>(process, {})
process.on("disconnect", () => process.exit(1))

/** V8 heap in use, code spaces left out: compiled code comes and goes with the JIT, and belongs to no wait. */
const heapUsed = (): number =>
  getHeapSpaceStatistics()
    .filter((space) => !space.space_name.startsWith("code"))
    .reduce((sum, space) => sum + space.space_used_size, 0)

const cpuMicros = (usage: NodeJS.CpuUsage): number => usage.user + usage.system

/** Room for the warm-up round's waits (at most this many, whatever the level). */
const WARMUP_LISTENERS = 100

type Mode = "warmup" | "measure" | "heap"

interface RoundOutcome {
  readonly latenciesMs: ReadonlyArray<number>
  readonly cpuMicros: number
  readonly heapDelta: number | null
  readonly errors: number
  readonly firstError: string | null
  /** From the first wait's start until the last one ended. */
  readonly wallMs: number
  readonly lateStarts: number
}

/**
 * Starts one wait per job of `batch` at its `startAt` (the orchestrator spreads them over one interval, as
 * independent waits would be, after a lead time that covers this set-up), and waits for all of them.
 *
 * - `measure`: times client CPU over the round and each wait's detection latency. With `sampleHeap`, also
 *   does what `heap` does, and leaves the forced GCs' own CPU out (at many waits that is a small share).
 * - `heap`: forces a GC before the waits start and another one while all of them are pending (each has
 *   started, none has ended), and reports the difference.
 */
const runRound = async (
  config: ClientConfig,
  factory: WaitFactory,
  batch: JobBatch,
  mode: Mode,
  sampleHeap: boolean
): Promise<RoundOutcome> => {
  const intervalMs = mode === "warmup" ? config.warmupIntervalMs : config.intervalMs
  const { roundTimeoutMs } = config
  const controller = new AbortController()
  // Every wait of the round listens to this one signal.
  setMaxListeners(config.concurrency + WARMUP_LISTENERS, controller.signal)
  const deadline = setTimeout(
    () => controller.abort(new Error(`round timed out after ${roundTimeoutMs} ms`)),
    roundTimeoutMs
  )
  const wait = factory({
    baseUrl: config.baseUrl,
    apiKey: config.apiKey,
    intervalMs,
    signal: controller.signal,
    timeoutMs: roundTimeoutMs
  })
  const count = batch.jobs.length
  const latenciesMs: Array<number> = []
  let pending = count
  let errors = 0
  let firstError: string | null = null
  let heapDelta: number | null = null
  let heapBaseline = 0
  let gcMicros = 0
  let heapTimer: ReturnType<typeof setTimeout> | undefined
  let started = 0

  if (sampleHeap) {
    forceGc()
    heapBaseline = heapUsed()
    const lastStart = Math.max(...batch.jobs.map((job) => job.startAt))
    const firstTerminal = Math.min(...batch.jobs.map((job) => job.terminalAt))
    const sampleIn = Math.min(lastStart + intervalMs / 2, firstTerminal - intervalMs / 4) - Date.now()
    heapTimer = setTimeout(() => {
      // Every wait started on time and none ended, or no sample: a client that started late (busy at
      // its planned start) may not have registered its waits yet, and would weigh a heap without them.
      if (pending !== count || started !== count || lateStarts > 0) return
      const before = process.cpuUsage()
      forceGc()
      heapDelta = heapUsed() - heapBaseline
      gcMicros += cpuMicros(process.cpuUsage(before))
    }, sampleIn)
  }

  const fail = (message: string): void => {
    errors++
    firstError ??= message
  }
  const settled = (job: BenchJob, result: Promise<string>): Promise<void> =>
    result.then(
      (status) => {
        const resolvedAt = Date.now()
        pending--
        if (status === "completed") latenciesMs.push(resolvedAt - job.terminalAt)
        else fail(`${job.jobId} resolved with status ${status}`)
      },
      (error: unknown) => {
        pending--
        fail(`${job.jobId}: ${error instanceof Error ? error.message : String(error)}`)
      }
    )
  const one = (job: BenchJob): Promise<void> => settled(job, wait(job.kbId ?? batch.kbId, job.jobId))
  let lateStarts = 0
  const lateAfterMs = Math.max(5, intervalMs / 20)
  const startOn = (job: BenchJob): Promise<void> => {
    if (Date.now() > job.startAt + lateAfterMs) lateStarts++
    started++
    return one(job)
  }
  // A batch wait (W) on jobs of one knowledge base: started once, at the first planned start, for all.
  const all =
    wait.all !== undefined && batch.jobs.every((job) => job.kbId === undefined) ? wait.all : undefined
  // CPU and wall time count from the first start: the idle lead time before it is nobody's cost.
  const firstStart = Math.min(...batch.jobs.map((job) => job.startAt))
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, firstStart - Date.now())))
  const cpuStart = process.cpuUsage()
  const wallStart = performance.now()
  if (all !== undefined) {
    if (Date.now() > firstStart + lateAfterMs) lateStarts += count
    const results = all(
      batch.kbId,
      batch.jobs.map((job) => job.jobId)
    )
    started = count
    await Promise.all(batch.jobs.map((job) => settled(job, results.get(job.jobId)!)))
  } else {
    await Promise.all(
      batch.jobs.map((job) => {
        const delay = job.startAt - Date.now()
        return delay <= 0
          ? startOn(job)
          : new Promise<void>((resolve) => setTimeout(() => resolve(startOn(job)), delay))
      })
    )
  }
  const cpu = cpuMicros(process.cpuUsage(cpuStart)) - gcMicros
  const wallMs = performance.now() - wallStart
  clearTimeout(heapTimer)
  clearTimeout(deadline)
  return { latenciesMs, cpuMicros: cpu, heapDelta, errors, firstError, wallMs, lateStarts }
}

const main = async (): Promise<void> => {
  const argument = process.argv[2]
  if (argument === "--probe") {
    await peer.call("probed", await probe())
    process.exit(0)
  }
  if (argument === undefined) throw new Error("bench client: missing config (start it through bench/run.ts)")
  const config = JSON.parse(argument) as ClientConfig
  const factory = config.variant === "B" ? bareLoop : (await loadLibrary()).factories[config.variant]
  if (factory === undefined)
    throw new Error(`variant ${config.variant} is not available in @tensoras/ingestion`)

  const started = performance.now()
  // Warm-up: the same code paths, hot, before anything is measured (its requests go to another knowledge base).
  await runRound(config, factory, await peer.call("jobs", { purpose: "warmup", round: 0 }), "warmup", false)

  const latenciesMs: Array<number> = []
  const heapDeltas: Array<number> = []
  let cpu = 0
  let measureWallMs = 0
  let lateStarts = 0
  let heapSkipped = 0
  let errors = 0
  let firstError: string | null = null
  const record = (outcome: RoundOutcome): void => {
    errors += outcome.errors
    firstError ??= outcome.firstError
  }
  const rounds: Array<RoundSummary> = []
  for (let round = 0; round < config.rounds; round++) {
    engineRounds.length = 0
    const outcome = await runRound(
      config,
      factory,
      await peer.call("jobs", { purpose: "measure", round }),
      "measure",
      config.heapRounds === 0
    )
    record(outcome)
    rounds.push(...engineRounds)
    if (config.heapRounds === 0) {
      if (outcome.heapDelta === null) heapSkipped++
      else heapDeltas.push(outcome.heapDelta)
    }
    latenciesMs.push(...outcome.latenciesMs)
    cpu += outcome.cpuMicros
    measureWallMs += outcome.wallMs
    lateStarts += outcome.lateStarts
  }
  // One more heap round than asked, the first one discarded: the process's first forced GCs also flush the
  // bytecode of code that ran only at start-up, which shows as tens to hundreds of KiB freed mid-round.
  for (let round = 0; round < (config.heapRounds > 0 ? config.heapRounds + 1 : 0); round++) {
    const outcome = await runRound(
      config,
      factory,
      await peer.call("jobs", { purpose: "heap", round }),
      "heap",
      true
    )
    record(outcome)
    if (round === 0) continue
    if (outcome.heapDelta === null) heapSkipped++
    else heapDeltas.push(outcome.heapDelta)
  }
  const result: ClientResult = {
    variant: config.variant,
    layout: config.layout,
    repeat: config.repeat,
    engineRounds: rounds,
    concurrency: config.concurrency,
    rounds: config.rounds,
    intervalMs: config.intervalMs,
    latenciesMs,
    cpuMicros: cpu,
    measureWallMs,
    heapDeltas,
    heapSkipped,
    lateStarts,
    errors,
    firstError,
    wallMs: performance.now() - started
  }
  await peer.call("done", result)
  process.exit(0)
}

main().catch((error: unknown) => {
  console.error("bench client:", error instanceof Error ? (error.stack ?? error.message) : error)
  process.exit(1)
})
