#!/usr/bin/env node
// The README's install line, tried as a new user would: a fresh app runs
// `npm i @tensoras/ingestion-node @tensoras/ingestion effect` (the packages from their packed tarballs, effect
// at the registry's `latest`), `npm ls` must be clean, and a wait written the README's way must complete
// against the simulator. Run after `npm run setup` (the packages are built).
import { spawn, spawnSync } from "node:child_process"
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { createInterface } from "node:readline"
import { fileURLToPath } from "node:url"

const root = fileURLToPath(new URL("..", import.meta.url))
const work = mkdtempSync(join(tmpdir(), "check-install-"))
const packs = join(work, "packs")
const app = join(work, "app")
let simulator

const fail = (message, output = "") => {
  console.error(`✖ ${message}${output ? `\n${output}` : ""}`)
  cleanUp()
  process.exit(1)
}
const cleanUp = () => {
  simulator?.kill("SIGTERM")
  rmSync(work, { recursive: true, force: true })
}
const run = (command, args, cwd) => {
  const result = spawnSync(command, args, { cwd, encoding: "utf8" })
  if (result.status !== 0)
    fail(`${command} ${args.join(" ")} (exit ${result.status})`, `${result.stdout}${result.stderr}`)
  return result.stdout
}

run("node", [join(root, "scripts", "pack.mjs"), packs], root)
const tarball = (name) =>
  join(
    packs,
    readdirSync(packs).find((file) => file.startsWith(`${name}-1`))
  )
writeFileSync(join(work, "package.json"), "{}")
run("mkdir", ["-p", app], work)
writeFileSync(join(app, "package.json"), JSON.stringify({ name: "app", private: true, type: "module" }))
run(
  "npm",
  [
    "install",
    "--no-audit",
    "--no-fund",
    tarball("tensoras-ingestion-node"),
    tarball("tensoras-ingestion"),
    "effect@latest"
  ],
  app
)
const ls = spawnSync("npm", ["ls", "--all"], { cwd: app, encoding: "utf8" })
// An optional peer left out (xstate, for the machine only) is what an app that needs no machine has.
if (ls.status !== 0 || /invalid|missing|ERESOLVE|UNMET (?!OPTIONAL)/i.test(ls.stdout + ls.stderr))
  fail("npm ls is not clean", `${ls.stdout}${ls.stderr}`)
const effect = run("node", ["-p", "require('effect/package.json').version"], app).trim()
console.log(`✔ npm i @tensoras/ingestion-node @tensoras/ingestion effect: clean npm ls (effect ${effect})`)

writeFileSync(
  join(app, "wait.mjs"),
  `import { waitForIngestionJob } from "@tensoras/ingestion-node"
const job = await waitForIngestionJob({
  apiKey: "tns_your_key_here",
  baseUrl: process.argv[2],
  knowledgeBaseId: "kb_abc123",
  jobId: "job_def456",
  timeoutMs: 120_000
})
console.log(job.status, job.documents_processed)
`
)
simulator = spawn(
  "node",
  [join(root, "packages", "testkit", "bin", "tensoras-simulator.js"), "--scenario", "docs"],
  {
    stdio: ["ignore", "pipe", "inherit"]
  }
)
const [baseUrl] = await createInterface({ input: simulator.stdout })
  [Symbol.asyncIterator]()
  .next()
  .then((r) => [r.value])
if (!baseUrl) fail("the simulator printed no base URL")
const output = run("node", ["wait.mjs", baseUrl], app).trim()
if (!output.startsWith("completed")) fail(`the wait ended with "${output}", not completed`)
console.log(`✔ a wait on the installed packages completed: ${output}`)
if (process.env.KEEP_APP) console.log(app)
else cleanUp()
