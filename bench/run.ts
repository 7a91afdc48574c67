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
import { parseOptions } from "./options.js"
import {
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
import { type Row, ratiosTable, resultsTable, saturated, summarize, toRow } from "./report.js"
import { clientRounds, sharedEstimate, sharedLoops, WARMUP_WAITS } from "./rounds.js"
import { section, writeSection } from "./section.js"
import { floorTable, targetsTable } from "./targets.js"
import { LIBRARY_VARIABLE, removeLibrary, snapshotLibrary } from "./variants.js"

const here = fileURLToPath(new URL(".", import.meta.url))
const root = resolve(here, "..")
const options = parseOptions(root)

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
// The builds every client of this run loads (see `snapshotLibrary`); removed when the run ends.
let library: string | undefined
const removeSnapshot = (): void => {
  // (A library given with --library is not the run's to remove.)
  if (library !== undefined && options.libraryDir === undefined) removeLibrary(library)
  library = undefined
}

const start = (file: string, args: ReadonlyArray<string>, profile = false): ChildProcess => {
  const profiling =
    profile && options.profileDir !== undefined ? ["--cpu-prof", `--cpu-prof-dir=${options.profileDir}`] : []
  const argv = file === "client.ts" ? clientArgv : childArgv
  const child = spawn(process.execPath, [...argv, ...profiling, resolve(here, file), ...args], {
    cwd: root,
    env: library === undefined ? process.env : { ...process.env, [LIBRARY_VARIABLE]: library },
    stdio: ["ignore", "inherit", "inherit", "ipc"]
  })
  children.add(child)
  child.once("exit", () => children.delete(child))
  return child
}

const stopAll = (): void => {
  for (const child of children) child.kill("SIGKILL")
  removeSnapshot()
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

/** Above this share of the CPUs busy before the run, the report carries a warning. */
const BUSY_LIMIT = 0.15

const main = async (): Promise<number> => {
  const { intervalMs, levels, maxRate, minSamples } = options
  const busyBefore = await machineBusy(500)
  if (busyBefore > BUSY_LIMIT)
    console.error(`bench: warning: the CPUs are ${(100 * busyBefore).toFixed(0)}% busy with other work`)

  // The library every client loads: a copy of the builds, checked now (only B asked for: none needed).
  if (options.libraryDir !== undefined) library = options.libraryDir
  else if (!(options.variants?.every((variant) => variant === "B") && options.shared.length === 0))
    library = snapshotLibrary()
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
      // At one wait a run's CPU per response is its wake-ups', which move by ±20 % from run to run: 50
      // rounds (the most) below 100 waits, where a round costs little (about 190 responses a run).
      const rounds =
        layout === "separate" && concurrency < 100 && !options.quick
          ? 50
          : Math.min(50, Math.ceil(minSamples / concurrency))
      // The heap is sampled in rounds of its own: its forced GC stops the process mid-round, and every poll
      // due meanwhile goes out late (a longer pause where the heap is bigger: the library's), which a measured
      // round would count as latency (1.10× the bare loop's at 100 waits; 1.00× with no sample in the
      // round). Below 100 waits one heap delta is noisy (tens of KiB come and go in the old space): five
      // rounds, median and range; from 100, one. A shared level's round is 20 to 40 intervals long: there
      // the measured round samples it (one pause in the round, for the library and the bare loops alike).
      const heapRounds = layout === "shared" ? 0 : concurrency >= 100 ? 1 : options.quick ? 2 : 5
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
        const client = clientRounds(
          { layout, variant, concurrency, loops, config, base, sharedSpan: options.sharedSpan },
          simulator
        )
        const clientProcess = start("client.ts", [JSON.stringify(config)], true)
        const result = await guard(
          clientProcess,
          `client ${variant} × ${concurrency} (${layout})`,
          (rounds + heapRounds + 2) * roundTimeoutMs + 30_000,
          new Promise<ClientResult>((resolvePromise) => {
            createPeer<OrchestratorApi, {}>(clientProcess, {
              ...client.handlers,
              done: (done) => {
                resolvePromise(done)
                return null
              }
            })
          })
        )
        await exited(clientProcess, 5_000)
        const requests = await simulator.call("requests", { kbPrefix: `${base}_measure` })
        const planned = client.planned()
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
            `, round start heard after ${row.startLagMs.toFixed(0)} ms` +
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
  const floor = floorTable(summaries)
  if (floor !== null) console.log(`Many jobs of one knowledge base against the request floor:\n\n${floor}\n`)
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
    `${options.sharedSpan[1]} intervals, ${options.sharedRepeat} run(s) of each, interleaved; ` +
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
