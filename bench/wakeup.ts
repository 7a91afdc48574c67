/**
 * What a request costs a process that sleeps between requests, against the same requests back to back:
 * the API docs' `fetch` loop on the simulator (in another process), 4 GETs 150 ms apart per round. It
 * explains the 1-wait rows of `pnpm bench` (docs/benchmarks.md, "Reading the numbers"). Run it with
 * `pnpm exec tsx bench/wakeup.ts`.
 *
 * @module
 */
import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"

const bin = fileURLToPath(new URL("../packages/testkit/bin/tensoras-simulator.js", import.meta.url))
const sim = spawn(process.execPath, [bin], { stdio: ["ignore", "pipe", "inherit"] })
try {
  const baseUrl = await new Promise<string>((resolve, reject) => {
    sim.stdout.once("data", (chunk: Buffer) => resolve(String(chunk).split("\n")[0]!.trim()))
    sim.once("exit", (code) => reject(new Error(`the simulator exited (${code}) before printing its URL`)))
  })
  // The docs scenario's job and key (`tensoras-simulator` with no options).
  const url = `${baseUrl}/knowledge-bases/kb_abc123/ingestion-jobs/job_abc123`
  const get = async (): Promise<unknown> =>
    JSON.parse(await (await fetch(url, { headers: { Authorization: "Bearer tns_your_key_here" } })).text())
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
  const cpuMs = (since: NodeJS.CpuUsage): number => {
    const { user, system } = process.cpuUsage(since)
    return (user + system) / 1000
  }
  const median = (values: Array<number>): number => values.sort((a, b) => a - b)[values.length >> 1]!

  for (let i = 0; i < 200; i++) await get()
  const hot = process.cpuUsage()
  for (let i = 0; i < 2_000; i++) await get()
  const hotPerRequest = cpuMs(hot) / 2_000

  const rounds: Array<number> = []
  for (let round = 0; round < 20; round++) {
    await sleep(600)
    const start = process.cpuUsage()
    for (let poll = 0; poll < 4; poll++) {
      await get()
      if (poll < 3) await sleep(150)
    }
    rounds.push(cpuMs(start) / 4)
  }
  const sparse = median(rounds)
  process.stdout.write(
    `back to back: ${hotPerRequest.toFixed(2)} ms CPU per GET\n` +
      `150 ms apart: ${sparse.toFixed(2)} ms CPU per GET (median of 20 rounds of 4), ` +
      `${(sparse / hotPerRequest).toFixed(1)}× as much\n`
  )
} finally {
  sim.kill()
}
