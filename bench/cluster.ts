/**
 * `pnpm bench:cluster`: durable waits on the cluster package, at scale, with a runner killed.
 *
 * A throwaway PostgreSQL (Debian's, as the tests use), the simulator, 3 `tensoras-cluster runner`
 * processes, 10,000 waits over 10 knowledge bases (most registered 100 per WaitForIngestionJobs workflow,
 * 200 as a workflow each), the jobs ending over two minutes, one runner killed with `kill -9` half-way.
 * Prints the figures and writes them to docs/benchmarks.md between `<!-- cluster:start -->` and
 * `<!-- cluster:end -->` (the rest of the file belongs to `pnpm bench`).
 *
 * @module
 */
import { readFileSync, writeFileSync } from "node:fs"
import { cpus, loadavg, release, totalmem, type } from "node:os"
import { parseArgs } from "node:util"
import { createDatabase, startPostgres } from "../packages/cluster/test/support/postgres.js"
import { stopAll } from "../packages/cluster/test/support/processes.js"
import { type Progress, runScenario, type Summary } from "../packages/cluster/test/support/scenario.js"

const USAGE = `Usage: pnpm bench:cluster [options]

  --waits N             waits in all, default 10000
  --knowledge-bases N   default 10
  --singles N           waits registered as a workflow each, default 200 (the others: 100 per workflow)
  --interval MS         the runners' poll interval, default 2000
  --spread S            the jobs end evenly over S seconds, default 120
  --out FILE            default docs/benchmarks.md
  --no-write            print only
  -h, --help
`

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    waits: { type: "string" },
    "knowledge-bases": { type: "string" },
    singles: { type: "string" },
    interval: { type: "string" },
    spread: { type: "string" },
    out: { type: "string" },
    "no-write": { type: "boolean" },
    help: { type: "boolean", short: "h" }
  }
})
if (values.help) {
  process.stdout.write(USAGE)
  process.exit(0)
}
const number = (text: string | undefined, fallback: number): number => {
  const value = text === undefined ? fallback : Number(text)
  if (!Number.isInteger(value) || value <= 0) {
    process.stderr.write(`bench:cluster: expected a positive whole number, got '${text}'\n${USAGE}`)
    process.exit(2)
  }
  return value
}
const waits = number(values.waits, 10_000)
const knowledgeBases = number(values["knowledge-bases"], 10)
const singleWaits = number(values.singles, 200)
const intervalMs = number(values.interval, 2_000)
const spreadMs = number(values.spread, 120) * 1_000
const out = values.out ?? "docs/benchmarks.md"

const load = loadavg()[0]!
const postgres = await startPostgres()
// Ctrl-C: stop the runners and PostgreSQL before leaving.
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    void stopAll(5_000)
      .then(() => postgres.stop())
      .finally(() => process.exit(130))
  })
}
let summary: Summary
try {
  const databaseUrl = await createDatabase(postgres.url, "bench_cluster")
  let lastLine = 0
  summary = await runScenario({
    databaseUrl,
    knowledgeBases,
    jobsPerKnowledgeBase: Math.ceil(waits / knowledgeBases),
    singleWaits,
    pollInterval: `${intervalMs}ms`,
    pollIntervalMs: intervalMs,
    spreadMs,
    onProgress: (p: Progress) => {
      if (p.seconds - lastLine < 5) return
      lastLine = p.seconds
      const maxRound = Math.max(0, ...p.latestRounds.map((round) => round.requests))
      process.stdout.write(
        `${p.seconds.toFixed(0).padStart(4)} s  ${p.phase.padEnd(11)} registered ${p.registered}/${p.waits}, ended ${p.ended}, deliveries ${p.deliveries}, runners ${p.runnersAlive}, max requests/round now ${maxRound}${p.killed ? `, killed ${p.killed.runner}` : ""}${p.failoverMs === undefined ? "" : `, failover ${(p.failoverMs / 1000).toFixed(1)} s`}\n`
      )
    }
  })
} finally {
  await postgres.stop()
}

const s = summary
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`
const rows: Array<[string, string, string]> = [
  ["waits", `${s.waits} over ${knowledgeBases} knowledge bases`, ""],
  ["runners ready (3 processes, from spawn)", seconds(s.runnersReadyMs), ""],
  [
    `time to register all waits (${s.batchWorkflows} WaitForIngestionJobs workflows of 100, ${s.singleWaits} WaitForIngestionJob workflows)`,
    seconds(s.registerMs),
    `${Math.round(s.waits / (s.registerMs / 1000))} waits/s`
  ],
  [
    `of which the ${s.singleWaits} single-wait workflows`,
    seconds(s.singleRegisterMs),
    `${(s.singleWaits / (s.singleRegisterMs / 1000)).toFixed(1)} workflows/s`
  ],
  [
    "requests per round (median / max), all runners",
    `${s.requestsPerRound.median} / ${s.requestsPerRound.max}`,
    `bound median ${s.boundPerRound.median}, max ${s.boundPerRound.max}`
  ],
  [
    "rounds over core's per-knowledge-base bound",
    `${s.roundsOverBound} of ${s.rounds}`,
    s.roundsOverBound === 0 ? "goal met" : "GOAL MISSED"
  ],
  ["HTTP requests in all", String(s.requestsTotal), `${(s.requestsTotal / s.waits).toFixed(2)} per wait`],
  [
    "detection latency after the job ended, outside failover (median / p95 / max)",
    `${s.detection.medianMs.toFixed(0)} / ${s.detection.p95Ms.toFixed(0)} / ${s.detection.maxMs.toFixed(0)} ms`,
    s.detection.medianMs <= 2 * intervalMs
      ? `goal met (median ≤ 2 × ${intervalMs} ms)`
      : `GOAL MISSED (median > 2 × ${intervalMs} ms)`
  ],
  [
    "detection latency of jobs that ended during failover (max)",
    `${s.detectionInFailover.maxMs.toFixed(0)} ms`,
    `${s.detectionInFailover.samples} waits`
  ],
  [
    `outcome stored → printed by \`tensoras-cluster wait\` (median / p95 / max), ${s.toCaller.samples} jobs`,
    `${s.toCaller.medianMs.toFixed(0)} / ${s.toCaller.p95Ms.toFixed(0)} / ${s.toCaller.maxMs.toFixed(0)} ms`,
    `${s.toCaller.p95Ms <= 1_000 ? "goal met (p95 ≤ 1 s)" : "GOAL MISSED (p95 > 1 s)"}; exit codes ${s.toCaller.exitCodes.join(", ")}`
  ],
  [
    "failover (kill -9 → first round of each of its knowledge bases on a survivor)",
    s.failoverMs === undefined ? "n/a" : `${seconds(s.failoverMs.min)} – ${seconds(s.failoverMs.max)}`,
    `${s.killed?.runner} hosted ${s.killed?.knowledgeBases} knowledge bases`
  ],
  [
    "deliveries (one per workflow execution)",
    `${s.deliveries} for ${s.batches} workflows, ${s.duplicates} twice`,
    s.deliveries === s.batches && s.duplicates === 0 ? "goal met: each exactly once" : "GOAL MISSED"
  ],
  [
    "outcomes",
    Object.entries(s.outcomes)
      .map(([tag, n]) => `${tag} ${n}`)
      .join(", "),
    ""
  ],
  ["whole run", seconds(s.totalMs), ""]
]

const section = `<!-- cluster:start (generated by \`pnpm bench:cluster\`; edits inside are overwritten) -->
## Durable waits on a cluster (\`@tensoras/ingestion-cluster\`)

- date: ${new Date().toISOString().replace(/\.\d+Z$/, "Z")}
- machine: ${cpus()[0]?.model ?? "?"}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, ${type()} ${release()}, Node ${process.version}; load average ${load.toFixed(1)} just before the run (other work on the machine)
- command: \`pnpm bench:cluster${process.argv.length > 2 ? ` ${process.argv.slice(2).join(" ")}` : ""}\`
- set-up: PostgreSQL 15 (Debian, throwaway, fsync off), the simulator (real clock) and the orchestrator in one process, 3 \`tensoras-cluster runner\` processes polling every ${intervalMs} ms; jobs (queued, then two documents; every 17th fails) end evenly over ${spreadMs / 1000} s starting 5 s after the last wait is registered; the runner hosting the most knowledge bases is killed with \`kill -9\` when half of the waits have ended.

| what | measured | note |
| --- | --- | --- |
${rows.map((row) => `| ${row.join(" | ")} |`).join("\n")}

How to read it: a round is one pass of one knowledge base's loop (core's wait engine, run by that knowledge
base's entity on whichever runner hosts it); the bound is core's, per round: min(watched jobs, ⌈queued/100⌉ +
⌈processing/100⌉ list pages) plus one GET per job that a sweep did not find. Detection latency is the time
from the job's end in the simulator to its outcome row in PostgreSQL (\`ended_at\`), for waits whose
knowledge base was not being failed over; "to the caller" is from that row to the line a \`tensoras-cluster wait\`
command prints for it (the command joins the single-wait workflows once they are registered, and reads outcomes
as the runners announce them: PostgreSQL \`LISTEN\`/\`NOTIFY\`). Failover is the runners' check of each other (every 2 s, a few seconds of
pings before a runner is declared dead) plus the shard moves and the entity's start on its new runner: see
docs/cluster.md.
<!-- cluster:end -->`

process.stdout.write(`\n${section}\n`)
for (const round of s.overBound) process.stdout.write(`over the bound: ${JSON.stringify(round)}\n`)
if (!values["no-write"]) {
  const text = readFileSync(out, "utf8")
  const start = text.indexOf("<!-- cluster:start")
  const end = text.indexOf("<!-- cluster:end -->")
  const next =
    start >= 0 && end > start
      ? `${text.slice(0, start)}${section}${text.slice(end + "<!-- cluster:end -->".length)}`
      : `${text.trimEnd()}\n\n${section}\n`
  writeFileSync(out, next)
  process.stdout.write(`\nwrote ${out}\n`)
}
