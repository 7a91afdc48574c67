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
import type { ClientConfig, ClientResult, OrchestratorApi, RoundKey, RoundSummary } from "./protocol.js"
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

/**
 * A wait kept pending for the whole process, from before the warm-up: it polls once, then sleeps this long,
 * on a job of its own that runs longer than any run. It keeps alive an instance of every object layout a
 * wait uses, so that the heap of a measured round counts what its waits hold, not V8's hidden classes (a
 * layout whose last instance dies goes with it at a forced GC, and the next lone wait builds it again: at
 * one wait, most of what the heap grew by).
 */
const RESIDENT_INTERVAL_MS = 60 * 60 * 1000
const RESIDENT_TIMEOUT_MS = 3 * RESIDENT_INTERVAL_MS

interface RoundOutcome {
  readonly latenciesMs: ReadonlyArray<number>
  readonly cpuMicros: number
  readonly heapDelta: number | null
  readonly errors: number
  readonly firstError: string | null
  /** From the first wait's start until the last one ended. */
  readonly wallMs: number
  readonly lateStarts: number
  /** From the round's start (its jobs created) until the client heard of it, ms. */
  readonly startLagMs: number
}

const sleepUntil = (at: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, Math.max(0, at - Date.now())))

/**
 * Runs one round: gets its plan, sets up (with `sampleHeap`, a forced GC and the heap's baseline), then
 * asks for its start: the simulator creates the jobs at that moment, and every wait starts at its offset
 * from it (spread over one interval, as independent waits would be). Nothing waits on a guessed lead time.
 *
 * - `measure`: times client CPU over the round and each wait's detection latency. With `sampleHeap`, also
 *   does what `heap` does, and leaves the forced GCs' own CPU out (at many waits that is a small share).
 * - `heap`: forces a GC before the waits start and another one while all of them are pending (each has
 *   started, none has ended), and reports the difference.
 */
const runRound = async (
  config: ClientConfig,
  factory: WaitFactory,
  key: RoundKey,
  sampleHeap: boolean
): Promise<RoundOutcome> => {
  const plan = await peer.call("jobs", key)
  const intervalMs = key.purpose === "warmup" ? config.warmupIntervalMs : config.intervalMs
  const { roundTimeoutMs } = config
  const controller = new AbortController()
  // Every wait of the round listens to this one signal.
  setMaxListeners(config.concurrency + WARMUP_LISTENERS, controller.signal)
  const wait = factory({
    baseUrl: config.baseUrl,
    apiKey: config.apiKey,
    intervalMs,
    signal: controller.signal,
    timeoutMs: roundTimeoutMs
  })
  const jobs = plan.jobs
  const count = jobs.length
  // When each wait's promise settled with a completed job (NaN: not yet, or not completed).
  const resolvedAt = new Float64Array(count).fill(Number.NaN)
  let pending = count
  let errors = 0
  let firstError: string | null = null
  let heapDelta: number | null = null
  let heapBaseline = 0
  let gcMicros = 0
  let started = 0
  let lateStarts = 0
  const lateAfterMs = Math.max(5, intervalMs / 20)

  if (sampleHeap) {
    forceGc()
    heapBaseline = heapUsed()
  }
  const { anchor, createdAt } = await peer.call("start", key)
  // A wait cannot start before its client hears of the round's start: one planned earlier (at one wait, the
  // only one starts at the round's start) starts then, and is late only when it starts later than that.
  const heardAt = Date.now()
  const startLagMs = heardAt - anchor
  const deadline = setTimeout(
    () => controller.abort(new Error(`round timed out after ${roundTimeoutMs} ms`)),
    roundTimeoutMs
  )
  let heapTimer: ReturnType<typeof setTimeout> | undefined
  if (sampleHeap) {
    const lastStart = anchor + Math.max(...jobs.map((job) => job.startOffset))
    const firstTerminal = createdAt + Math.min(...jobs.map((job) => job.terminalOffset))
    const sampleIn = Math.min(lastStart + intervalMs / 2, firstTerminal - intervalMs / 4) - Date.now()
    heapTimer = setTimeout(() => {
      // Every wait started a while ago (registered, its first request sent) and none ended, or no sample:
      // a client that started its last wait just now (busy at its planned start) would weigh a heap
      // without all of them.
      if (pending !== count || started !== count || Date.now() - lastStartedAt < intervalMs / 10) return
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
  const settled = (index: number, result: Promise<string>): Promise<void> =>
    result.then(
      (status) => {
        const at = Date.now()
        pending--
        if (status === "completed") resolvedAt[index] = at
        else fail(`${jobs[index]!.jobId} resolved with status ${status}`)
      },
      (error: unknown) => {
        pending--
        fail(`${jobs[index]!.jobId}: ${error instanceof Error ? error.message : String(error)}`)
      }
    )
  let lastStartedAt = 0
  const startOn = (index: number): Promise<void> => {
    const job = jobs[index]!
    lastStartedAt = Date.now()
    if (lastStartedAt > Math.max(anchor + job.startOffset, heardAt) + lateAfterMs) lateStarts++
    started++
    return settled(index, wait(job.kbId ?? plan.kbId, job.jobId))
  }
  // A batch wait (W) on jobs of one knowledge base: started once, at the first planned start, for all.
  const all = wait.all !== undefined && jobs.every((job) => job.kbId === undefined) ? wait.all : undefined
  // CPU and wall time count from the first start: the idle time before it is nobody's cost.
  const firstStart = anchor + Math.min(...jobs.map((job) => job.startOffset))
  await sleepUntil(firstStart)
  const cpuStart = process.cpuUsage()
  const wallStart = performance.now()
  if (all !== undefined) {
    lastStartedAt = Date.now()
    if (lastStartedAt > Math.max(firstStart, heardAt) + lateAfterMs) lateStarts += count
    const results = all(
      plan.kbId,
      jobs.map((job) => job.jobId)
    )
    started = count
    await Promise.all(jobs.map((job, index) => settled(index, results.get(job.jobId)!)))
  } else {
    await Promise.all(
      jobs.map((job, index) => {
        const delay = anchor + job.startOffset - Date.now()
        return delay <= 0
          ? startOn(index)
          : new Promise<void>((resolve) => setTimeout(() => resolve(startOn(index)), delay))
      })
    )
  }
  const cpu = cpuMicros(process.cpuUsage(cpuStart)) - gcMicros
  const wallMs = performance.now() - wallStart
  clearTimeout(heapTimer)
  clearTimeout(deadline)
  const terminals = await peer.call("terminals", key)
  const latenciesMs: Array<number> = []
  for (let index = 0; index < count; index++)
    if (!Number.isNaN(resolvedAt[index]!)) latenciesMs.push(resolvedAt[index]! - terminals[index]!)
  return { latenciesMs, cpuMicros: cpu, heapDelta, errors, firstError, wallMs, lateStarts, startLagMs }
}

/** Starts the process's resident wait (see {@link RESIDENT_INTERVAL_MS}); it is never awaited. */
const startResident = async (config: ClientConfig, factory: WaitFactory): Promise<void> => {
  const { kbId, jobId } = await peer.call("resident", {})
  const wait = factory({
    baseUrl: config.baseUrl,
    apiKey: config.apiKey,
    intervalMs: RESIDENT_INTERVAL_MS,
    signal: new AbortController().signal,
    timeoutMs: RESIDENT_TIMEOUT_MS
  })
  wait(kbId, jobId).catch((error: unknown) => {
    console.error(`bench client: the resident wait ended: ${error instanceof Error ? error.message : error}`)
  })
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
  await startResident(config, factory)
  // Warm-up: the same code paths, hot, before anything is measured (its requests go to another knowledge base).
  await runRound(config, factory, { purpose: "warmup", round: 0 }, false)

  const latenciesMs: Array<number> = []
  const heapDeltas: Array<number> = []
  let cpu = 0
  let measureWallMs = 0
  let lateStarts = 0
  let startLagMs = 0
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
    const outcome = await runRound(config, factory, { purpose: "measure", round }, config.heapRounds === 0)
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
    startLagMs = Math.max(startLagMs, outcome.startLagMs)
  }
  // One more heap round than asked, the first one discarded: the process's first forced GCs also flush the
  // bytecode of code that ran only at start-up, which shows as tens to hundreds of KiB freed mid-round.
  for (let round = 0; round < (config.heapRounds > 0 ? config.heapRounds + 1 : 0); round++) {
    const outcome = await runRound(config, factory, { purpose: "heap", round }, true)
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
    startLagMs,
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
