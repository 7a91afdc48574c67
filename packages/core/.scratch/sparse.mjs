// CPU of one bare wait (4 GETs, 150 ms apart) per round, rounds 600 ms apart: what a sparse process pays.
import { spawn } from "node:child_process"
const sim = spawn("node", ["/work/main/packages/testkit/bin/tensoras-simulator.js"], { cwd: "/work/main", stdio: ["ignore", "pipe", "inherit"] })
const baseUrl = await new Promise((r) => sim.stdout.once("data", (d) => r(String(d).split("\n")[0].trim())))
const url = `${baseUrl}/knowledge-bases/kb_abc123/ingestion-jobs/job_abc123`
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
const get = async () => JSON.parse(await (await fetch(url, { headers: { Authorization: "Bearer tns_your_key_here" } })).text())
for (let i = 0; i < 50; i++) await get()
const rounds = []
for (let r = 0; r < 20; r++) {
  await sleep(Number(process.argv[2] ?? 600))
  const t = process.cpuUsage()
  for (let i = 0; i < 4; i++) { await get(); if (i < 3) await sleep(150) }
  const c = process.cpuUsage(t); rounds.push((c.user + c.system) / 1000)
}
rounds.sort((a, b) => a - b)
console.log("ms CPU per round of 4 GETs: median", rounds[10].toFixed(2), "min", rounds[0].toFixed(2), "max", rounds[19].toFixed(2))
const t = process.cpuUsage(); await sleep(3000); const c = process.cpuUsage(t)
console.log("ms CPU of 3 s asleep:", ((c.user + c.system) / 1000).toFixed(2))
sim.kill()
