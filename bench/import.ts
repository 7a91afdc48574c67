/**
 * What importing the Promise path costs: `await import(…)` in a fresh Node process, against bare Node
 * (`node -e 0`), on the packages' builds. Each round runs every variant once, in turn, so that a busy
 * spell of the machine hits them alike; a variant's cost is the median, over the rounds, of its time
 * minus the bare process's time in the same round (p10–p90 beside it). Writes its table to
 * docs/benchmarks.md (between `<!-- import:start -->` and `<!-- import:end -->`).
 *
 *   pnpm bench:import [--runs 21] [--no-write]   (builds them first)
 *
 * @module
 */
import { execFileSync } from "node:child_process"
import { existsSync, readFileSync, writeFileSync } from "node:fs"
import { cpus } from "node:os"
import { resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { parseArgs } from "node:util"

const root = resolve(fileURLToPath(new URL(".", import.meta.url)), "..")
const { values } = parseArgs({
  options: { runs: { type: "string", default: "21" }, "no-write": { type: "boolean" } }
})
const runs = Number(values.runs)
if (!(Number.isInteger(runs) && runs >= 3)) throw new Error(`--runs must be an integer of at least 3`)

for (const built of ["packages/core/dist/IngestionJobsClient.js", "packages/node/dist/index.js"]) {
  if (!existsSync(resolve(root, built))) {
    throw new Error(
      `${built} is missing: pnpm --filter @tensoras/ingestion --filter @tensoras/ingestion-node build`
    )
  }
}

interface Variant {
  readonly label: string
  /** What the process imports; none for bare Node. */
  readonly specifier: string | undefined
}

const VARIANTS: ReadonlyArray<Variant> = [
  { label: "bare Node (`node -e 0`)", specifier: undefined },
  { label: "`@tensoras/ingestion-node`", specifier: "@tensoras/ingestion-node" },
  {
    label: "`@tensoras/ingestion/IngestionJobsClient`",
    specifier: "@tensoras/ingestion/IngestionJobsClient"
  },
  { label: "for scale: `effect/Schema` alone", specifier: "effect/Schema" }
]

/** A fresh process that imports the variant (from the repository's root, as an app would) and prints the import's CPU. */
const runOnce = (variant: Variant): { readonly wallMs: number; readonly importCpuMs: number } => {
  const source =
    variant.specifier === undefined
      ? "console.log(0)"
      : `const c = process.cpuUsage(); await import(${JSON.stringify(variant.specifier)}); const u = process.cpuUsage(c); console.log((u.user + u.system) / 1000)`
  const { NODE_OPTIONS: _, ...env } = process.env
  const started = performance.now()
  const printed = execFileSync(process.execPath, ["--input-type=module", "-e", source], {
    cwd: root,
    env,
    encoding: "utf8"
  })
  return { wallMs: performance.now() - started, importCpuMs: Number(printed.trim()) }
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

const walls = VARIANTS.map((): Array<number> => [])
const cpu = VARIANTS.map((): Array<number> => [])
const before = cpuTimes()
runOnce(VARIANTS[1] as Variant) // a first run fills the file system's cache
for (let round = 0; round < runs; round++) {
  VARIANTS.forEach((variant, index) => {
    const { wallMs, importCpuMs } = runOnce(variant)
    walls[index]?.push(wallMs)
    cpu[index]?.push(importCpuMs)
  })
}
const after = cpuTimes()
const busy = (after.busy - before.busy) / Math.max(1, after.busy - before.busy + after.idle - before.idle)

const bare = walls[0] as ReadonlyArray<number>
const ms = (value: number) => value.toFixed(0)
const rows = VARIANTS.map((variant, index) => {
  const wall = walls[index] as ReadonlyArray<number>
  if (variant.specifier === undefined) return `| ${variant.label} | ${ms(quantile(wall, 0.5))} | | | |`
  const over = wall.map((value, round) => value - (bare[round] as number))
  return `| ${variant.label} | ${ms(quantile(wall, 0.5))} | **${ms(quantile(over, 0.5))}** | ${ms(quantile(over, 0.1))}–${ms(quantile(over, 0.9))} | ${ms(quantile(cpu[index] as ReadonlyArray<number>, 0.5))} |`
})
const when = new Date().toISOString().slice(0, 16).replace("T", " ")
const section = [
  "<!-- import:start -->",
  "### Importing the Promise path (`bench/import.ts`)",
  "",
  `\`await import(…)\` in a fresh process of Node ${process.version}, the packages' builds, ${runs} rounds`,
  `(each variant once per round, in turn), ${when}Z, the machine ${(busy * 100).toFixed(0)} % busy meanwhile.`,
  "Target: ≤ 100 ms over bare Node.",
  "",
  "- undici is loaded at the first request of a Promise client (or when a `NodeIngestion` Layer is built),",
  "  not with the package: it was a third of the modules the import loaded (111 of 371).",
  "- What is left is mostly Effect's `Schema`: `createIngestionJobsClient` throws `InvalidInput`, a Schema",
  "  class, at once for a bad option, so the Promise path loads its module at import (the last row).",
  "",
  "| process | median (ms) | over bare Node, median (ms) | p10–p90 | CPU of the import, median (ms) |",
  "|---|---:|---:|---|---:|",
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
