/**
 * What importing the Promise path costs: `await import(…)` in a fresh Node process, against bare Node
 * (`node -e 0`), on the packages' builds, each variant without and with Node's compile cache
 * (`NODE_COMPILE_CACHE`, warmed first: what `module.enableCompileCache()` in a program's entry point
 * gives, which a library may not turn on for its user's process but a bin may). Each round runs every
 * (variant, cache) once, in turn, so that a busy spell of the machine hits them alike; a variant's cost
 * is the median, over the rounds, of its time minus the bare process's time in the same round (p10–p90
 * beside it). The modules each import loads are counted once, apart (a load hook slows what it counts).
 * The processes load a copy of the builds made at the start (`snapshotLibrary`, as `pnpm bench` does), so
 * that a rebuild during the run (the machine is shared) neither breaks nor changes what it measures.
 * Writes its table to docs/benchmarks.md (between `<!-- import:start -->` and `<!-- import:end -->`).
 *
 *   pnpm bench:import [--runs 21] [--library DIR] [--no-write]   (builds them first)
 *
 * @module
 */
import { execFileSync } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { cpus, tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { parseArgs } from "node:util"
import { removeLibrary, snapshotLibrary } from "./variants.js"

const root = resolve(fileURLToPath(new URL(".", import.meta.url)), "..")
const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "21" },
    library: { type: "string" },
    "no-write": { type: "boolean" }
  }
})
const runs = Number(values.runs)
if (!(Number.isInteger(runs) && runs >= 3)) throw new Error(`--runs must be an integer of at least 3`)

/**
 * Where the measured processes run: a directory whose `node_modules` holds the builds of both packages
 * (`--library`, laid out as `snapshotLibrary` lays out its copy), else a copy made now. Their imports of
 * `effect` and `undici` resolve from there to the installed ones, as an app's would.
 */
const library = values.library === undefined ? snapshotLibrary() : resolve(values.library)

interface Variant {
  readonly label: string
  /** What the process imports, in order; none for bare Node. */
  readonly specifiers: ReadonlyArray<string>
}

const VARIANTS: ReadonlyArray<Variant> = [
  { label: "bare Node (`node -e 0`)", specifiers: [] },
  { label: "`@tensoras/ingestion-node`", specifiers: ["@tensoras/ingestion-node"] },
  {
    label: "`@tensoras/ingestion/IngestionJobsClient`",
    specifiers: ["@tensoras/ingestion/IngestionJobsClient"]
  },
  {
    label: "`@tensoras/ingestion-node/NodeIngestion` (the Layers the package's index exports)",
    specifiers: ["@tensoras/ingestion-node/NodeIngestion"]
  },
  {
    label: "`@tensoras/ingestion/IngestionError` (the class of `InvalidInput`)",
    specifiers: ["@tensoras/ingestion/IngestionError"]
  },
  { label: "for scale: `effect/Schema` alone", specifiers: ["effect/Schema"] },
  {
    label: "for scale: `effect/Effect`, `effect/Layer`, `effect/Context`",
    specifiers: ["effect/Effect", "effect/Layer", "effect/Context"]
  }
]

const importsOf = (variant: Variant): string =>
  variant.specifiers.map((specifier) => `await import(${JSON.stringify(specifier)});`).join("")

/** The environment of a measured process: no NODE_OPTIONS of ours, the compile cache when asked. */
const environment = (cacheDir: string | undefined): NodeJS.ProcessEnv => {
  const { NODE_OPTIONS: _, NODE_COMPILE_CACHE: __, ...env } = process.env
  return cacheDir === undefined ? env : { ...env, NODE_COMPILE_CACHE: cacheDir }
}

/** A fresh process that imports the variant (from the library's directory, as an app would) and prints the import's CPU. */
const runOnce = (
  variant: Variant,
  cacheDir: string | undefined
): { readonly wallMs: number; readonly importCpuMs: number } => {
  const source =
    variant.specifiers.length === 0
      ? "console.log(0)"
      : `const c = process.cpuUsage(); ${importsOf(variant)} const u = process.cpuUsage(c); console.log((u.user + u.system) / 1000)`
  const started = performance.now()
  const printed = execFileSync(process.execPath, ["--input-type=module", "-e", source], {
    cwd: library,
    env: environment(cacheDir),
    encoding: "utf8"
  })
  return { wallMs: performance.now() - started, importCpuMs: Number(printed.trim()) }
}

/** The modules a variant's import loads, by package (a load hook counts them; not timed). */
const modulesOf = (variant: Variant): { readonly total: number; readonly byPackage: string } => {
  if (variant.specifiers.length === 0) return { total: 0, byPackage: "" }
  const source = [
    `import { registerHooks } from "node:module"`,
    "const loaded = []",
    "registerHooks({ load: (url, context, next) => { loaded.push(url); return next(url, context) } })",
    importsOf(variant),
    "const packages = {}",
    "for (const url of loaded) {",
    // The package of a module: the one under the last node_modules of its path.
    String.raw`  const name = /.*node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)?.[1] ?? "node: (built-ins)"`,
    "  packages[name] = (packages[name] ?? 0) + 1",
    "}",
    "console.log(JSON.stringify({ total: loaded.length, packages }))"
  ].join("\n")
  const printed = execFileSync(process.execPath, ["--input-type=module", "-e", source], {
    cwd: library,
    env: environment(undefined),
    encoding: "utf8"
  })
  const { total, packages } = JSON.parse(printed) as {
    readonly total: number
    readonly packages: Record<string, number>
  }
  const byPackage = Object.entries(packages)
    .sort((a, b) => b[1] - a[1])
    .map(([name, count]) => `${name.replace("@tensoras/", "")} ${count}`)
    .join(", ")
  return { total, byPackage }
}

/** Share of all CPUs busy since `before` (the kernel's counters): other work skews every figure. */
const cpuTimes = () =>
  cpus().reduce(
    (sum, cpu) => {
      const { idle, ...rest } = cpu.times
      return { idle: sum.idle + idle, busy: sum.busy + Object.values(rest).reduce((a, b) => a + b, 0) }
    },
    { idle: 0, busy: 0 }
  )

const quantile = (samples: ReadonlyArray<number>, q: number): number => {
  const sorted = [...samples].sort((a, b) => a - b)
  return sorted[Math.round(q * (sorted.length - 1))] as number
}

interface Samples {
  readonly walls: Array<number>
  readonly cpu: Array<number>
}

const samples = (): Array<Samples> => VARIANTS.map(() => ({ walls: [], cpu: [] }))
const cold = samples()
const cached = samples()
const cacheDir = mkdtempSync(join(tmpdir(), "tensoras-import-"))
const before = cpuTimes()
// A first run of each fills the file system's cache and the compile cache.
for (const variant of VARIANTS) runOnce(variant, cacheDir)
for (let round = 0; round < runs; round++) {
  VARIANTS.forEach((variant, index) => {
    for (const [cacheOf, into] of [
      [undefined, cold],
      [cacheDir, cached]
    ] as const) {
      const { wallMs, importCpuMs } = runOnce(variant, cacheOf)
      into[index]?.walls.push(wallMs)
      into[index]?.cpu.push(importCpuMs)
    }
  })
}
const after = cpuTimes()
rmSync(cacheDir, { recursive: true, force: true })
const busy = (after.busy - before.busy) / Math.max(1, after.busy - before.busy + after.idle - before.idle)
const modules = VARIANTS.map(modulesOf)
if (values.library === undefined) removeLibrary(library)

const ms = (value: number) => value.toFixed(0)
/** Over bare Node, median (p10–p90), each round's time minus the bare process's in that round, of one mode. */
const over = (mode: ReadonlyArray<Samples>, index: number): string => {
  const bare = (mode[0] as Samples).walls
  const differences = (mode[index] as Samples).walls.map((value, round) => value - (bare[round] as number))
  return `**${ms(quantile(differences, 0.5))}** (${ms(quantile(differences, 0.1))}–${ms(quantile(differences, 0.9))})`
}
const rows = VARIANTS.map((variant, index) => {
  const wall = (cold[index] as Samples).walls
  const cachedWall = (cached[index] as Samples).walls
  if (variant.specifiers.length === 0)
    return `| ${variant.label} | | ${ms(quantile(wall, 0.5))} | | ${ms(quantile(cachedWall, 0.5))} | | |`
  const { total, byPackage } = modules[index] as ReturnType<typeof modulesOf>
  const cpu = (mode: ReadonlyArray<Samples>) => ms(quantile((mode[index] as Samples).cpu, 0.5))
  return `| ${variant.label} | ${total}: ${byPackage} | ${ms(quantile(wall, 0.5))} | ${over(cold, index)} | ${ms(quantile(cachedWall, 0.5))} | ${over(cached, index)} | ${cpu(cold)} / ${cpu(cached)} |`
})
const when = new Date().toISOString().slice(0, 16).replace("T", " ")
const section = [
  "<!-- import:start -->",
  "### Importing the Promise path (`bench/import.ts`)",
  "",
  `\`await import(…)\` in a fresh process of Node ${process.version}, the packages' builds, ${runs} rounds`,
  `(each variant once per round without and once with the compile cache, in turn), ${when}Z, the machine`,
  `${(busy * 100).toFixed(0)} % busy meanwhile. Target: ≤ 100 ms over bare Node. Compile cache:`,
  "`NODE_COMPILE_CACHE` set to a directory warmed by a first run, what `module.enableCompileCache()` in a",
  "program's entry point gives (a bin may turn it on; a library may not, for its user's process).",
  "",
  "| process | modules loaded: by package | median (ms) | over bare Node: median (p10–p90) | with compile cache: median (ms) | over bare Node, compile cache | CPU of the import, median (ms): without / with cache |",
  "|---|---|---:|---|---:|---|---:|",
  ...rows,
  "<!-- import:end -->"
].join("\n")

console.log(section)
if (values["no-write"] !== true) {
  const file = resolve(root, "docs/benchmarks.md")
  const text = readFileSync(file, "utf8")
  const start = text.indexOf("<!-- import:start -->")
  const end = text.indexOf("<!-- import:end -->")
  const anchor = "<!-- install:end -->"
  const updated =
    start >= 0 && end > start
      ? `${text.slice(0, start)}${section}${text.slice(end + "<!-- import:end -->".length)}`
      : text.includes(anchor)
        ? text.replace(anchor, `${anchor}\n\n${section}`)
        : `${text.trimEnd()}\n\n${section}\n`
  writeFileSync(file, updated)
}
