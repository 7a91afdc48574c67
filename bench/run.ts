/**
 * `pnpm bench`: the library's wait against the API docs' bare loop, side by side, on loopback.
 *
 * Starts the simulator in its own process, then one client process per (variant, concurrency level), and
 * prints (and writes to docs/benchmarks.md) requests, CPU, heap and detection latency per wait, with the
 * library ÷ bare-loop ratios. Bounded: every round and process has a deadline, the whole run has one, and it
 * only talks to 127.0.0.1.
 *
 * @module
 */
import { type ChildProcess, spawn } from "node:child_process"
import { cpus, release, totalmem, type } from "node:os"
import { resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { parseArgs } from "node:util"
import {
  type BenchJob,
  type ClientConfig,
  type ClientResult,
  createPeer,
  type OrchestratorApi,
  type ProbeResult,
  type SimulatorApi,
  type SimulatorReady,
  VARIANT_NAMES,
  type Variant
} from "./protocol.js"
import {
  type Row,
  ratiosTable,
  resultsTable,
  type SharedEstimate,
  saturated,
  section,
  summarize,
  targetsTable,
  toRow,
  writeSection
} from "./report.js"

const USAGE = `Usage: pnpm bench [options]   (or: tsx bench/run.ts [options])

Options (environment variable in brackets):
  --levels LIST      single waits, each on a job of its own knowledge base (no sharing
                     possible), per level, comma-separated, default 1,100,1000;
                     "none" for none                                                [BENCH_LEVELS]
  --shared LIST      watched jobs of one knowledge base (10 documents each) per level,
                     default 1000,10000; "none" for none                            [BENCH_SHARED]
  --shared-interval MS  poll interval of the shared levels (engine and bare loops), at
                     least; lengthened to 0.5 ms per watched job (a sweep of N jobs reads
                     N/100 pages one after the other: it must stay a small part of an
                     interval), default 1000                              [BENCH_SHARED_INTERVAL_MS]
  --shared-span A-B  how long a shared level's jobs run, in intervals from their wait's
                     start, spread evenly from A to B; default 20-40            [BENCH_SHARED_SPAN]
  --shared-repeat N  runs of each shared (level, variant), default 1 (a run lasts
                     up to B intervals)                                       [BENCH_SHARED_REPEAT]
  --repeat N         runs of each (level, variant), interleaved, default 3           [BENCH_REPEAT]
  --interval MS      poll interval of every variant, default 150                      [BENCH_INTERVAL_MS]
  --max-rate N       lengthen a level's interval so that its waits send at most N
                     requests/s in all, default 500 (the simulator keeps up)          [BENCH_MAX_RATE]
  --variants LIST    A (library Promise wait), B (bare loop), C (library Effect wait),
                     M (the machine); default A,B,C,M (A,B with --quick)              [BENCH_VARIANTS]
  --shared-variants LIST  variants of the shared levels: W (Wait.watchAll over all the
                     jobs), C (one Wait.waitFor per job), B; default W,B (B always runs)
                                                                               [BENCH_SHARED_VARIANTS]
  --min-samples N    latency samples per level at least (small levels repeat), default 20
                                                                                      [BENCH_MIN_SAMPLES]
  --timeout S        give up after S seconds in all, default 3600                     [BENCH_TIMEOUT_S]
  --quick            levels 1,10, shared 200, interval 100, 5 samples, 2 heap rounds,
                     variants A,B, 1 repeat, no docs written: a smoke run for CI
                     (under a minute), noisy numbers
  --out FILE         the Markdown file to update, default docs/benchmarks.md
  --write            update it (the default, except with --quick)
  --no-write         do not
  --profile DIR      write a V8 CPU profile of each client process to DIR (slows them)
  -h, --help         this help
`

const here = fileURLToPath(new URL(".", import.meta.url))
const root = resolve(here, "..")

const fail = (message: string): never => {
  console.error(`bench: ${message}`)
  process.exit(2)
}

const parseOptions = () => {
  let values: ReturnType<typeof parse>
  function parse() {
    return parseArgs({
      args: process.argv.slice(2),
      strict: true,
      allowPositionals: false,
      options: {
        levels: { type: "string" },
        shared: { type: "string" },
        "shared-interval": { type: "string" },
        "shared-span": { type: "string" },
        "shared-repeat": { type: "string" },
        "shared-variants": { type: "string" },
        repeat: { type: "string" },
        interval: { type: "string" },
        "max-rate": { type: "string" },
        variants: { type: "string" },
        "min-samples": { type: "string" },
        timeout: { type: "string" },
        quick: { type: "boolean" },
        out: { type: "string" },
        write: { type: "boolean" },
        "no-write": { type: "boolean" },
        profile: { type: "string" },
        help: { type: "boolean", short: "h" }
      }
    }).values
  }
  try {
    values = parse()
  } catch (cause) {
    return fail(`${cause instanceof Error ? cause.message : String(cause)}\n\n${USAGE}`)
  }
  if (values.help) {
    process.stdout.write(USAGE)
    process.exit(0)
  }
  const env = process.env
  const quick = values.quick === true
  const integer = (name: string, raw: string | undefined, fallback: number, min: number, max: number) => {
    if (raw === undefined || raw === "") return fallback
    const value = Number(raw)
    if (!Number.isInteger(value) || value < min || value > max)
      fail(`${name} must be an integer from ${min} to ${max}, got '${raw}'`)
    return value
  }
  // A list of levels; "none" (or nothing) for none, never a level 0 read from an empty entry.
  const levelList = (name: string, raw: string, max: number): Array<number> =>
    raw.trim() === "none" || raw.trim() === ""
      ? []
      : raw.split(",").map((level) => {
          if (level.trim() === "") fail(`${name} has an empty entry: '${raw}'`)
          return integer(name, level.trim(), 0, 1, max)
        })
  const levels = levelList(
    "--levels",
    values.levels ?? env.BENCH_LEVELS ?? (quick ? "1,10" : "1,100,1000"),
    5_000
  )
  const shared = levelList(
    "--shared",
    values.shared ?? env.BENCH_SHARED ?? (quick ? "200" : "1000,10000"),
    20_000
  )
  const variantsRaw = values.variants ?? env.BENCH_VARIANTS
  const variants =
    variantsRaw === undefined
      ? undefined
      : variantsRaw.split(",").map((variant) => {
          const name = variant.trim().toUpperCase()
          if (name !== "A" && name !== "B" && name !== "C" && name !== "M")
            fail(`unknown variant '${variant}' (A, B, C or M; W is for --shared-variants)`)
          return name as Variant
        })
  if (variants !== undefined && variants.length === 0) fail("--variants is empty")
  const sharedVariantsRaw = values["shared-variants"] ?? env.BENCH_SHARED_VARIANTS ?? "W,B"
  const sharedVariants = [
    ...new Set([
      ...sharedVariantsRaw.split(",").map((variant) => {
        const name = variant.trim().toUpperCase()
        if (name !== "W" && name !== "C" && name !== "B")
          fail(`unknown shared variant '${variant}' (W, C or B)`)
        return name as Variant
      }),
      "B" as const
    ])
  ]
  if (values.write && values["no-write"]) fail("--write and --no-write together")
  const spanRaw = values["shared-span"] ?? env.BENCH_SHARED_SPAN ?? (quick ? "5-10" : "20-40")
  const span = /^(\d+)-(\d+)$/.exec(spanRaw.trim())
  const sharedSpan =
    span === null || Number(span[1]) < 2 || Number(span[2]) < Number(span[1]) || Number(span[2]) > 1000
      ? fail(`--shared-span must be A-B with 2 <= A <= B <= 1000, got '${spanRaw}'`)
      : ([Number(span[1]), Number(span[2])] as const)
  return {
    quick,
    levels: [...new Set(levels)],
    shared: [...new Set(shared)],
    repeat: integer("--repeat", values.repeat ?? env.BENCH_REPEAT, quick ? 1 : 3, 1, 20),
    intervalMs: integer(
      "--interval",
      values.interval ?? env.BENCH_INTERVAL_MS,
      quick ? 100 : 150,
      10,
      10_000
    ),
    maxRate: integer("--max-rate", values["max-rate"] ?? env.BENCH_MAX_RATE, 500, 1, 100_000),
    sharedIntervalMs: integer(
      "--shared-interval",
      values["shared-interval"] ?? env.BENCH_SHARED_INTERVAL_MS,
      quick ? 200 : 1000,
      10,
      60_000
    ),
    sharedSpan,
    sharedVariants,
    sharedRepeat: integer("--shared-repeat", values["shared-repeat"] ?? env.BENCH_SHARED_REPEAT, 1, 1, 20),
    variants: variants === undefined ? undefined : [...new Set(variants)],
    minSamples: integer(
      "--min-samples",
      values["min-samples"] ?? env.BENCH_MIN_SAMPLES,
      quick ? 5 : 20,
      1,
      500
    ),
    timeoutMs: 1000 * integer("--timeout", values.timeout ?? env.BENCH_TIMEOUT_S, 3_600, 10, 14_400),
    out: resolve(root, values.out ?? "docs/benchmarks.md"),
    profileDir: values.profile === undefined ? undefined : resolve(values.profile),
    write: values.write === true || (!quick && values["no-write"] !== true)
  }
}

const options = parseOptions()

/** Share of all CPUs busy over `ms`, from the kernel's counters: other work on the machine skews every figure. */
const machineBusy = async (ms: number): Promise<number> => {
  const totals = () =>
    cpus().reduce(
      (sum, cpu) => {
        const { idle, ...rest } = cpu.times
        return { idle: sum.idle + idle, busy: sum.busy + Object.values(rest).reduce((a, b) => a + b, 0) }
      },
      { idle: 0, busy: 0 }
    )
  const before = totals()
  await new Promise((resolvePromise) => setTimeout(resolvePromise, ms))
  const after = totals()
  const busy = after.busy - before.busy
  return busy / Math.max(1, busy + after.idle - before.idle)
}

// Children run TypeScript through the same tsx loader as this process, with gc(). The simulator runs on the
// packages' sources; a client process loads the library's builds (see `built()` in variants.ts), so it runs
// without the sources' export condition: a build's imports of another package of the library (the node
// package's of the core one) then resolve to that package's build too, as they do for a user.
const sourceCondition = (arg: string) => arg.startsWith("--conditions=@tensoras/source")
const withGc = (argv: ReadonlyArray<string>) => [
  ...argv,
  ...(argv.includes("--expose-gc") ? [] : ["--expose-gc"])
]
const childArgv = withGc([
  ...process.execArgv,
  ...(process.execArgv.some(sourceCondition) ? [] : ["--conditions=@tensoras/source"])
])
const clientArgv = withGc(process.execArgv.filter((arg) => !sourceCondition(arg)))
const children = new Set<ChildProcess>()

const start = (file: string, args: ReadonlyArray<string>, profile = false): ChildProcess => {
  const profiling =
    profile && options.profileDir !== undefined ? ["--cpu-prof", `--cpu-prof-dir=${options.profileDir}`] : []
  const argv = file === "client.ts" ? clientArgv : childArgv
  const child = spawn(process.execPath, [...argv, ...profiling, resolve(here, file), ...args], {
    cwd: root,
    stdio: ["ignore", "inherit", "inherit", "ipc"]
  })
  children.add(child)
  child.once("exit", () => children.delete(child))
  return child
}

const stopAll = (): void => {
  for (const child of children) child.kill("SIGKILL")
}

const overall = setTimeout(() => {
  console.error(`bench: gave up after ${options.timeoutMs / 1000} s (--timeout)`)
  stopAll()
  process.exit(1)
}, options.timeoutMs)
overall.unref()
for (const signal of ["SIGINT", "SIGTERM"] as const)
  process.once(signal, () => {
    stopAll()
    process.exit(130)
  })

/** Resolves with `promise`, or rejects when the child exits first or the time is up. */
const guard = <A>(child: ChildProcess, what: string, ms: number, promise: Promise<A>): Promise<A> =>
  new Promise<A>((resolvePromise, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL")
      reject(new Error(`${what}: no answer within ${ms} ms`))
    }, ms)
    const onExit = (code: number | null, signal: string | null) =>
      reject(new Error(`${what}: process exited early (${signal ?? `code ${code}`})`))
    child.once("exit", onExit)
    promise.then(
      (value) => {
        clearTimeout(timer)
        child.off("exit", onExit)
        resolvePromise(value)
      },
      (error: unknown) => {
        clearTimeout(timer)
        child.off("exit", onExit)
        reject(error)
      }
    )
  })

const exited = (child: ChildProcess, ms: number): Promise<void> =>
  new Promise((resolvePromise) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolvePromise()
    const timer = setTimeout(() => {
      child.kill("SIGKILL")
      resolvePromise()
    }, ms)
    child.once("exit", () => {
      clearTimeout(timer)
      resolvePromise()
    })
  })

/** Waits of the warm-up round (on jobs of another knowledge base), whatever the level: enough to get code hot. */
const WARMUP_WAITS = 50

/** Phase in [0, 1) of sample `index` of `total`, evenly spread, so terminal times cover a whole interval. */
const phase = (index: number, total: number): number => (index + 0.5) / total

/** A shared level's jobs as the server runs them: all N (what C watches), and those the bare loops ran. */
interface SharedPlan {
  readonly all: ReadonlyArray<BenchJob>
  readonly picked: ReadonlyArray<BenchJob>
}

/**
 * How many bare loops of a shared level run for real: all N when the simulator serves N requests per
 * interval (`--max-rate`), else as many as it does. N loops polling every I ms send N·1000/I requests a
 * second; at 10,000 jobs and 1 s that is 10,000/s, far past what one simulator process on this machine
 * answers, so the loops would measure its queue.
 */
const sharedLoops = (jobs: number, intervalMs: number, maxRate: number): number =>
  Math.max(1, Math.min(jobs, Math.floor((maxRate * intervalMs) / 1000)))

/** `count` items of `all`, spread evenly over it (the i-th from the middle of the i-th equal slice). */
const pickEvenly = <A>(all: ReadonlyArray<A>, count: number): Array<A> =>
  Array.from({ length: count }, (_, index) => all[Math.floor(((index + 0.5) * all.length) / count)]!)

/**
 * The responses a bare loop sends for one job: it polls when its wait starts, then once per interval
 * (plus its round trip, left out here), until a poll finds the job terminal.
 */
const loopPolls = (job: BenchJob, intervalMs: number): number =>
  1 + Math.max(0, Math.ceil((job.terminalAt - job.startAt) / intervalMs))

/**
 * The bare loops' figures for all N jobs of a shared level, from the loops that ran: the responses all N
 * would get, computed from the plan (each job's polls, {@link loopPolls}) and calibrated by what the loops
 * that ran actually got against the same formula (their round trips make them poll a little less often);
 * their CPU = the CPU per response measured × those responses.
 */
const sharedEstimate = (
  jobs: number,
  intervalMs: number,
  plan: SharedPlan,
  responsesRun: number
): SharedEstimate => {
  const predictedAll = plan.all.reduce((sum, job) => sum + loopPolls(job, intervalMs), 0)
  const predictedRun = plan.picked.reduce((sum, job) => sum + loopPolls(job, intervalMs), 0)
  return {
    jobs,
    loops: plan.picked.length,
    predictedAll,
    predictedRun,
    responsesRun,
    responsesAll: predictedAll * (responsesRun / Math.max(1, predictedRun))
  }
}

/** Above this share of the CPUs busy before the run, the report carries a warning. */
const BUSY_LIMIT = 0.15

const main = async (): Promise<number> => {
  const { intervalMs, levels, maxRate, minSamples } = options
  const busyBefore = await machineBusy(500)
  if (busyBefore > BUSY_LIMIT)
    console.error(`bench: warning: the CPUs are ${(100 * busyBefore).toFixed(0)}% busy with other work`)

  // The simulator, and (meanwhile) a probe of which library variants exist: fail before measuring anything
  // if one asked for is missing. Only B asked for: no library needed, no probe.
  const simProcess = start("simulator.ts", [])
  const simulator = createPeer<{}, SimulatorApi>(simProcess, {})
  const probing = async (): Promise<ProbeResult> => {
    if (options.variants?.every((variant) => variant === "B") && options.shared.length === 0)
      return { available: { A: false, B: true, C: false, M: false, W: false }, notes: [] }
    const probeProcess = start("client.ts", ["--probe"])
    const result = await guard(
      probeProcess,
      "probe",
      30_000,
      new Promise<ProbeResult>((resolvePromise) =>
        createPeer<OrchestratorApi, {}>(probeProcess, {
          probed: (probed) => {
            resolvePromise(probed)
            return null
          }
        })
      )
    )
    await exited(probeProcess, 5_000)
    return result
  }
  const [ready, probe] = await Promise.all([
    guard(
      simProcess,
      "simulator",
      30_000,
      new Promise<SimulatorReady>((resolvePromise) =>
        simulator.onEvent("ready", (payload) => resolvePromise(payload as SimulatorReady))
      )
    ),
    probing()
  ])
  if (!ready.baseUrl.startsWith("http://127.0.0.1:"))
    throw new Error(`simulator not on loopback: ${ready.baseUrl}`)
  const variants: ReadonlyArray<Variant> =
    options.variants ?? (options.quick ? ["A", "B"] : ["A", "B", "C", "M"])
  const missing = [...variants, ...(options.shared.length > 0 ? options.sharedVariants : [])].filter(
    (variant) => !probe.available[variant]
  )
  if (missing.length > 0) {
    for (const note of probe.notes) console.error(`bench: ${note}`)
    throw new Error(
      `variant ${missing.join(", ")} not available in @tensoras/ingestion. ` +
        "Run `pnpm bench --variants B` to measure the bare loop alone."
    )
  }
  const notes = probe.notes.filter((note) => !variants.some((variant) => note.startsWith(`${variant}:`)))

  console.log(
    `bench: ${variants.map((variant) => `${variant} = ${VARIANT_NAMES[variant]}`).join("; ")}\n` +
      `bench: levels ${levels.join(", ")} (separate knowledge bases), ${options.shared.join(", ") || "none"} ` +
      `(one knowledge base); ${options.repeat} repeats; interval ${intervalMs} ms (longer where N waits would exceed ` +
      `${maxRate} req/s); simulator ${ready.baseUrl}`
  )

  const rows: Array<Row> = []
  // Every (layout, level), each repeat, with the variants' order rotated from one run to the next.
  const plan = [
    ...levels.map((concurrency) => ({ layout: "separate" as const, concurrency, variants })),
    ...options.shared.map((concurrency) => ({
      layout: "shared" as const,
      concurrency,
      variants: options.sharedVariants
    }))
  ]
  let runIndex = 0
  for (let repeat = 0; repeat < Math.max(options.repeat, options.sharedRepeat); repeat++) {
    for (const { layout, concurrency, variants: levelVariants } of plan) {
      if (repeat >= (layout === "shared" ? options.sharedRepeat : options.repeat)) continue
      const rounds = Math.min(50, Math.ceil(minSamples / concurrency))
      // Below 100 waits one heap delta is noisy (tens of KiB come and go in the old space): five rounds of their
      // own, median and range. From 100, the measured rounds sample it (the forced GCs' CPU left out).
      const heapRounds = concurrency >= 100 ? 0 : options.quick ? 2 : 5
      // N waits polling every I ms send N / I requests per ms: past what the simulator serves, latency and
      // requests per wait would measure its queue, not the client. Shared levels: see sharedLoops.
      const levelIntervalMs =
        layout === "shared"
          ? Math.max(options.sharedIntervalMs, Math.ceil(concurrency / 2))
          : Math.max(intervalMs, Math.ceil((concurrency * 1000) / maxRate))
      const shift = runIndex++ % levelVariants.length
      const order = [...levelVariants.slice(shift), ...levelVariants.slice(0, shift)]
      for (const variant of order) {
        const base = `kb_${layout === "shared" ? "s" : "x"}${variant.toLowerCase()}_${concurrency}_r${repeat}`
        // The bare loops of a shared level: as many as the simulator serves at this interval (all N when it
        // can), on jobs picked evenly from the level's plan; their CPU for all N is computed (sharedEstimate).
        const loops =
          layout === "shared" && variant === "B"
            ? sharedLoops(concurrency, levelIntervalMs, maxRate)
            : concurrency
        const longestIntervals = layout === "shared" ? options.sharedSpan[1] : 3
        const roundTimeoutMs = 10_000 + (longestIntervals + 17) * levelIntervalMs + 20 * concurrency
        let planned: SharedPlan | undefined
        const config: ClientConfig = {
          variant,
          layout,
          concurrency: loops,
          rounds,
          heapRounds,
          warmupWaits: WARMUP_WAITS,
          intervalMs: levelIntervalMs,
          warmupIntervalMs: intervalMs,
          roundTimeoutMs,
          baseUrl: ready.baseUrl,
          apiKey: ready.apiKey,
          repeat
        }
        const clientProcess = start("client.ts", [JSON.stringify(config)], true)
        const result = await guard(
          clientProcess,
          `client ${variant} × ${concurrency} (${layout})`,
          (rounds + heapRounds + 2) * roundTimeoutMs + 30_000,
          new Promise<ClientResult>((resolvePromise) => {
            createPeer<OrchestratorApi, {}>(clientProcess, {
              jobs: async ({ purpose, round }) => {
                const warmup = purpose === "warmup"
                const count = warmup ? config.warmupWaits : concurrency
                const interval = warmup ? config.warmupIntervalMs : config.intervalMs
                // Shared levels run realistic timelines (many intervals); the warm-up stays short.
                const [spanFrom, spanTo] = layout === "shared" && !warmup ? options.sharedSpan : [2, 3]
                const samples = purpose === "measure" ? count * rounds : count
                // Lead time for the client's set-up (a forced GC when it samples the heap) before the first start, and
                // for creating the jobs and handing them over: measured at about 1 ms per job (10,000 jobs arrived
                // 7.5 s after a lead of 0.2 ms per job, and the whole W round counted as started late).
                const sampling = purpose === "heap" || (purpose === "measure" && heapRounds === 0)
                const firstStartAt = Date.now() + 50 + (sampling ? 100 : 0) + 2 * count
                const kbId = `${base}_${purpose}${purpose === "measure" ? "" : `_${round}`}`
                const all = Array.from({ length: count }, (_, index) => {
                  // Waits start spread over one interval; each job ends `spanFrom` to `spanTo` intervals after its
                  // wait starts, the offsets spread evenly (across rounds too), so detection latency samples every
                  // phase of the polling.
                  const startAt = Math.round(
                    firstStartAt + (count === 1 ? 0 : interval * phase(index, count))
                  )
                  const offset = phase(purpose === "measure" ? round * count + index : index, samples)
                  return {
                    ...(layout === "separate" ? { kbId: `${kbId}_${round}_${index}` } : {}),
                    jobId: `job_${base.slice(3)}_${purpose}_${round}_${index}`,
                    startAt,
                    terminalAt: startAt + interval * (spanFrom + (spanTo - spanFrom) * offset)
                  }
                })
                const picked = warmup || loops === count ? all : pickEvenly(all, loops)
                const batch = await simulator.call("createJobs", {
                  kbId,
                  jobs: picked,
                  documents: layout === "shared" ? 10 : 3
                })
                if (layout === "shared" && purpose === "measure") {
                  // What the server will actually do (terminal times as the simulator set them) for the jobs
                  // run; the others' times are as planned (the simulator rounds them by under a ms).
                  const run = new Map(batch.jobs.map((job) => [job.jobId, job]))
                  planned = {
                    all: all.map((job) => run.get(job.jobId) ?? job),
                    picked: batch.jobs
                  }
                }
                return batch
              },
              done: (done) => {
                resolvePromise(done)
                return null
              }
            })
          })
        )
        await exited(clientProcess, 5_000)
        const requests = await simulator.call("requests", { kbPrefix: `${base}_measure` })
        const row = toRow(
          result,
          requests,
          layout === "shared" && variant === "B" && planned !== undefined
            ? sharedEstimate(concurrency, levelIntervalMs, planned, requests.responded)
            : undefined
        )
        rows.push(row)
        console.log(
          `bench: ${layout.padEnd(8)} ${String(concurrency).padStart(5)} × ${variant} #${repeat + 1}: ` +
            `${row.requestsPerWait.toFixed(2)} req/wait, ` +
            `${row.cpuPerResponseMicros.toFixed(0)} µs CPU/response, ${(row.cpuMicros / 1000).toFixed(0)} ms CPU ` +
            (row.estimate === null
              ? ""
              : `for ${concurrency} loops (${row.estimate.loops} run: ${(row.estimate.measuredCpuMicros / 1000).toFixed(0)} ms, ` +
                `${row.estimate.responsesRun} responses; ${row.estimate.responsesAll.toFixed(0)} responses for all) `) +
            `(load ${(100 * row.cpuLoad).toFixed(0)}%${saturated(row) ? ", saturated" : ""}), ` +
            `${row.heapPerWaitBytes === null ? "n/a" : (row.heapPerWaitBytes / 1024).toFixed(1)} KiB heap/wait, ` +
            `latency median ${row.latencyMedianMs} ms p95 ${row.latencyP95Ms} ms` +
            (row.engine === null
              ? ""
              : `; ${row.engine.rounds} rounds (${row.engine.sweeps} sweeps, median ${row.engine.sweepMedianMs} ms), ` +
                `max ${row.engine.maxRequests} requests, ${row.engine.overBound} over the bound`) +
            // The simulator's CPU (idle time included) matters only where it could be the bottleneck.
            (concurrency >= 100
              ? `; simulator ${(requests.simulatorCpuMicros / Math.max(1, requests.total)).toFixed(0)} µs CPU/request`
              : "") +
            (row.lateStarts > 0 ? ` (${row.lateStarts} waits started late)` : "") +
            (row.heapSkipped > 0 ? ` (${row.heapSkipped} heap samples missed)` : "") +
            (row.errors > 0 ? `, ${row.errors} ERRORS (first: ${row.firstError})` : "") +
            ` [${(row.wallMs / 1000).toFixed(1)} s]`
        )
      }
    }
  }

  simProcess.disconnect()
  await exited(simProcess, 5_000)

  const summaries = summarize(rows)
  const ratios = ratiosTable(summaries)
  console.log(`\n${resultsTable(summaries)}\n`)
  if (ratios !== null) console.log(`Library ÷ bare loop:\n\n${ratios}\n`)
  console.log(`${targetsTable(summaries)}\n`)

  const cpu = cpus()
  const machine =
    `${cpu[0]?.model.trim() ?? "unknown CPU"}, ${cpu.length} cores, ` +
    `${(totalmem() / 1024 ** 3).toFixed(1)} GiB, ${type()} ${release()}, Node ${process.version}, ` +
    `${(100 * busyBefore).toFixed(0)}% busy with other work just before the run`
  const warning =
    busyBefore > BUSY_LIMIT
      ? `other processes kept the CPUs ${(100 * busyBefore).toFixed(0)}% busy just before the run, so they ` +
        "probably competed with it: figures and latencies are inflated and noisy; re-run on an idle machine"
      : null
  if (warning !== null) console.error(`bench: warning: ${warning}`)
  const args = process.argv.slice(2).join(" ")
  const envPrefix = Object.entries(process.env)
    .filter(([name]) => name.startsWith("BENCH_"))
    .map(([name, value]) => `${name}=${value} `)
    .join("")
  const userNodeFlags = process.execArgv.filter(
    (arg, index, all) => !arg.includes("tsx") && !(all[index + 1]?.includes("tsx") ?? false)
  )
  const command =
    process.env.npm_lifecycle_event === "bench"
      ? `${envPrefix}pnpm bench${args ? ` ${args}` : ""}`
      : `${envPrefix}tsx ${[...userNodeFlags, "bench/run.ts", args].filter(Boolean).join(" ")}`
  const settings =
    `single waits on separate knowledge bases: ${levels.join(", ")}; jobs of one knowledge base: ` +
    `${options.shared.length === 0 ? "none" : options.shared.join(", ")}; ${options.repeat} runs of each ` +
    `(level, variant), interleaved; poll interval ${intervalMs} ms for every variant, lengthened so that ` +
    `N waits send at most ${maxRate} requests/s (see the interval column); jobs of one knowledge base polled ` +
    `every ${options.sharedIntervalMs} ms (at least 0.5 ms per watched job), running ${options.sharedSpan[0]} to ` +
    `${options.sharedSpan[1]} intervals, ${options.sharedRepeat} run(s) of each; ` +
    `at least ${minSamples} latency samples per level; loopback HTTP to the simulator`
  if (options.write) {
    writeSection(
      options.out,
      section(summaries, {
        date: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
        machine,
        warning,
        command,
        settings,
        variants: [...new Set([...variants, ...(options.shared.length > 0 ? options.sharedVariants : [])])],
        notes
      })
    )
    console.log(`bench: wrote ${options.out}`)
  }
  const errors = rows.reduce((sum, row) => sum + row.errors, 0)
  if (errors > 0) console.error(`bench: ${errors} waits or requests failed (see the errors column)`)
  return errors > 0 ? 1 : 0
}

main().then(
  (code) => {
    stopAll()
    process.exit(code)
  },
  (error: unknown) => {
    console.error(`bench: ${error instanceof Error ? error.message : String(error)}`)
    stopAll()
    process.exit(1)
  }
)
