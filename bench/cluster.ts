/**
 * `pnpm bench:cluster`: durable waits on the cluster package, at scale, with a runner killed.
 *
 * A throwaway PostgreSQL (Debian's, as the tests use), the simulator, 3 `tensoras-cluster runner`
 * processes, 10,000 waits over 10 knowledge bases, registered by a `tensoras-cluster wait` per knowledge base
 * (its jobs in batches: one WaitForIngestionJobs workflow per 1,000) which prints every outcome, the jobs
 * ending over two minutes, one runner killed with `kill -9` half-way. (`--registration workflows`: 0.1's way,
 * through the API, 100 per workflow and `--singles` a workflow each.) Prints the figures against the targets
 * and writes them to docs/benchmarks.md between `<!-- cluster:start -->` and `<!-- cluster:end -->` (the rest
 * of the file belongs to other benchmarks).
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
  --registration HOW    commands (default): a tensoras-cluster wait per knowledge base, in batches;
                        workflows: through the API, 100 per workflow and --singles a workflow each
  --singles N           with --registration workflows: waits registered as a workflow each, default 200
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
    registration: { type: "string" },
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
const registration = values.registration ?? "commands"
if (registration !== "commands" && registration !== "workflows") {
  process.stderr.write(
    `bench:cluster: --registration is commands or workflows, got '${registration}'\n${USAGE}`
  )
  process.exit(2)
}
const waits = number(values.waits, 10_000)
const knowledgeBases = number(values["knowledge-bases"], 10)
const singleWaits = number(values.singles, 200)
const intervalMs = number(values.interval, 2_000)
const spreadMs = number(values.spread, 120) * 1_000
const out = values.out ?? "docs/benchmarks.md"

const load = loadavg()
/** The targets of issue 21 §3. */
const TARGETS = { registerMs: 10_000, detectionTimesInterval: 1.5, failoverMs: 10_000 }
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
    registration,
    singleWaits: registration === "workflows" ? singleWaits : 0,
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
const ms = (value: number) => `${value.toFixed(0)} ms`
const goal = (met: boolean, text: string) => (met ? `target met: ${text}` : `TARGET MISSED: ${text}`)
const registered =
  s.registration === "commands"
    ? `${knowledgeBases} \`tensoras-cluster wait\` commands (one per knowledge base) spawned → every wait in PostgreSQL: ${s.batchWorkflows} WaitForIngestionJobs workflows`
    : `${s.batchWorkflows} WaitForIngestionJobs workflows of 100 and ${s.singleWaits} WaitForIngestionJob workflows started → every wait in PostgreSQL`
const detectionRatio = s.detection.medianMs / intervalMs
const failoverMax = s.failoverMs?.max
const rows: Array<[string, string, string]> = [
  ["waits", `${s.waits} over ${knowledgeBases} knowledge bases`, ""],
  ["runners ready (3 processes, from spawn)", seconds(s.runnersReadyMs), ""],
  [
    `registration of all waits, end to end (${registered})`,
    seconds(s.registerMs),
    `${Math.round(s.waits / (s.registerMs / 1000))} waits/s; ${goal(s.registerMs <= TARGETS.registerMs, "≤ 10 s")}`
  ],
  ...(s.registration === "commands"
    ? ([
        [
          `of which the commands' start-up (spawn → first workflow start sent: ${knowledgeBases} Node processes, from source through tsx)`,
          seconds(s.singleRegisterMs),
          ""
        ],
        [
          "of which the cluster's registration (first workflow start sent → every wait in PostgreSQL)",
          seconds(s.clusterRegisterMs),
          `${Math.round(s.waits / (s.clusterRegisterMs / 1000))} waits/s; ${goal(s.clusterRegisterMs <= TARGETS.registerMs, "≤ 10 s")}`
        ],
        [
          "per workflow: its start sent → its batch registered (median / max)",
          `${ms(s.batchRegisterMs.median)} / ${ms(s.batchRegisterMs.max)}`,
          "the cluster's part includes the commands' staggered start-up"
        ]
      ] satisfies Array<[string, string, string]>)
    : ([
        [
          `of which the ${s.singleWaits} single-wait workflows`,
          seconds(s.singleRegisterMs),
          `${(s.singleWaits / (s.singleRegisterMs / 1000)).toFixed(1)} workflows/s`
        ]
      ] satisfies Array<[string, string, string]>)),
  [
    "requests per round (median / max), all runners",
    `${s.requestsPerRound.median} / ${s.requestsPerRound.max}`,
    `core's per-knowledge-base bound: median ${s.boundPerRound.median}, max ${s.boundPerRound.max}`
  ],
  [
    "rounds over core's per-knowledge-base bound",
    `${s.roundsOverBound} of ${s.rounds}`,
    s.roundsOverBound === 0 ? "goal met" : "GOAL MISSED"
  ],
  ["HTTP requests in all", String(s.requestsTotal), `${(s.requestsTotal / s.waits).toFixed(2)} per wait`],
  [
    "detection latency after the job ended, outside failover (median / p95 / max)",
    `${ms(s.detection.medianMs)} / ${ms(s.detection.p95Ms)} / ${ms(s.detection.maxMs)}`,
    `median ${detectionRatio.toFixed(2)} × the ${intervalMs} ms interval; ${goal(detectionRatio <= TARGETS.detectionTimesInterval, "≤ 1.5 ×")}`
  ],
  [
    "detection latency of jobs that ended during failover (max)",
    ms(s.detectionInFailover.maxMs),
    `${s.detectionInFailover.samples} waits`
  ],
  [
    "failover (kill -9 → first round of each of its knowledge bases on a survivor)",
    s.failoverMs === undefined ? "n/a" : `${seconds(s.failoverMs.min)} – ${seconds(s.failoverMs.max)}`,
    `${s.killed?.runner} hosted ${s.killed?.knowledgeBases} knowledge bases; ${goal(failoverMax !== undefined && failoverMax <= TARGETS.failoverMs, "≤ 10 s")}`
  ],
  [
    "deliveries (one per workflow execution)",
    `${s.deliveries} for ${s.batches} workflows, ${s.duplicates} twice`,
    s.deliveries === s.batches && s.duplicates === 0 ? "goal met: each exactly once" : "GOAL MISSED"
  ],
  [
    `lines printed by \`tensoras-cluster wait\` (${s.registration === "commands" ? "every job" : "the single waits"})`,
    `${s.printed.once} once, ${s.printed.twice} more than once, ${s.printed.never} never`,
    s.printed.twice === 0 && s.printed.never === 0 ? "goal met: each outcome printed once" : "GOAL MISSED"
  ],
  [
    `outcome stored → printed (median / p95 / max), ${s.toCaller.samples} jobs`,
    `${ms(s.toCaller.medianMs)} / ${ms(s.toCaller.p95Ms)} / ${ms(s.toCaller.maxMs)}`,
    `exit codes ${s.toCaller.exitCodes.join(", ")}`
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

const setUp =
  s.registration === "commands"
    ? `the waits registered by a \`tensoras-cluster wait --json\` per knowledge base (its ${Math.ceil(waits / knowledgeBases)} jobs from \`--jobs-file\`), which starts one WaitForIngestionJobs workflow per 1,000 jobs that have no wait and prints every outcome`
    : `the waits registered through the API (100 per WaitForIngestionJobs workflow, ${s.singleWaits} as a WaitForIngestionJob workflow each), a \`tensoras-cluster wait\` per knowledge base of the single waits`

const section = `<!-- cluster:start (generated by \`pnpm bench:cluster\`; edits inside are overwritten) -->
## Durable waits on a cluster (\`@tensoras/ingestion-cluster\`)

- date: ${new Date().toISOString().replace(/\.\d+Z$/, "Z")}
- machine: ${cpus()[0]?.model ?? "?"}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, ${type()} ${release()}, Node ${process.version}; load average ${load.map((n) => n.toFixed(2)).join(", ")} (1, 5, 15 min) just before the run${load[0]! > 1 ? ": other work on the machine, the figures are upper bounds" : ""}
- command: \`pnpm bench:cluster${process.argv.length > 2 ? ` ${process.argv.slice(2).join(" ")}` : ""}\`
- set-up: PostgreSQL 15 (Debian, throwaway, fsync off), the simulator (real clock) and the orchestrator in one process, 3 \`tensoras-cluster runner\` processes polling every ${intervalMs} ms; ${setUp}; jobs (queued, then two documents; every 17th fails) end evenly over ${spreadMs / 1000} s starting 5 s after the last wait is registered; the runner hosting the most knowledge bases is killed with \`kill -9\` when half of the waits have ended.
- targets (issue 21): registration of 10,000 waits ≤ 10 s, detection median ≤ 1.5 × the poll interval, failover ≤ 10 s.

| what | measured | note |
| --- | --- | --- |
${rows.map((row) => `| ${row.join(" | ")} |`).join("\n")}

How to read it: a round is one pass of one knowledge base's loop (core's wait engine, run by that knowledge
base's entity on whichever runner hosts it); the bound is core's, per round: min(watched jobs, ⌈queued/100⌉ +
⌈processing/100⌉ list pages) plus one GET per job that a sweep did not find. Registration counts from the
commands' spawn (a Node process each, loading the package from source through tsx) to the last wait's row in
PostgreSQL (seen by a check every 250 ms); the cluster's part starts when the first workflow start was sent (the
time in its message's snowflake id, \`cluster_messages\`). Detection latency is the time from the job's end in the simulator to its outcome row in PostgreSQL
(\`ended_at\`), for waits whose knowledge base was not being failed over; "stored → printed" is from that row to
the line a \`tensoras-cluster wait\` command prints for it (the commands read outcomes as the runners announce
them: PostgreSQL \`LISTEN\`/\`NOTIFY\`). Failover is the runners' check of each other (every 2 s, a few seconds of
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
