#!/usr/bin/env node
// The install weight of an app that uses each package, as a user meets it: the packages are
// built and packed (`pnpm pack`), then installed with npm into an empty app (npm installs the
// required peers too), next to the OpenAI SDK. Prints a Markdown table.
//   pnpm build && node packages/node/scripts/install-size.mjs
import { execFileSync } from "node:child_process"
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

const root = new URL("../../..", import.meta.url).pathname
const work = mkdtempSync(join(tmpdir(), "install-size-"))
const run = (command, args, cwd) =>
  execFileSync(command, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] })

const tarball = {}
for (const name of ["core", "node", "browser", "testkit", "cli"]) {
  tarball[name] = join(work, `${name}.tgz`)
  run("pnpm", ["pack", "--out", tarball[name]], join(root, "packages", name))
}

const apps = [
  ["`@tensoras/ingestion` (Promise and Effect waits)", [tarball.core]],
  ["`@tensoras/ingestion-node` (Node Layers)", [tarball.core, tarball.node]],
  ["`@tensoras/ingestion-browser`", [tarball.core, tarball.browser]],
  ["`@tensoras/ingestion-testkit` (simulator, for tests)", [tarball.testkit]],
  [
    "`@tensoras/ingestion-cli` (`tensoras-ingest`)",
    [tarball.core, tarball.node, tarball.testkit, tarball.cli]
  ],
  [
    "instead: `@effect/platform-node` 4.1.5 (its undici client) + the testkit",
    [tarball.core, tarball.testkit, "@effect/platform-node@4.1.5"]
  ],
  [
    `\`openai\` ${process.env.OPENAI_VERSION ?? "7.59.0"}`,
    [`openai@${process.env.OPENAI_VERSION ?? "7.59.0"}`]
  ]
]

const rows = []
for (const [label, specs] of apps) {
  const app = join(work, `app-${rows.length}`)
  mkdirSync(app)
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "app", private: true, type: "module" }))
  run("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error", ...specs], app)
  const lock = JSON.parse(readFileSync(join(app, "package-lock.json"), "utf8"))
  // Optional packages for other platforms are in the lockfile, not on disk.
  const installed = Object.entries(lock.packages).filter(
    ([path]) => path.startsWith("node_modules/") && existsSync(join(app, path))
  )
  const withScripts = installed
    .filter(([, meta]) => meta.hasInstallScript)
    .map(([path]) => path.replace(/^.*node_modules\//, ""))
  const sizeOf = (path) => Number(run("du", ["-sb", path], app).split("\t")[0])
  const heaviest = installed
    .map(([path]) => [path.replace(/^node_modules\//, ""), sizeOf(path)])
    .filter(([name]) => !name.includes("node_modules/"))
    .sort((a, b) => b[1] - a[1])
    .slice(0, 4)
  rows.push({ label, packages: installed.length, bytes: sizeOf("node_modules"), withScripts, heaviest })
}
rmSync(work, { recursive: true, force: true })

const mb = (bytes) => (bytes / 1e6).toFixed(1)
console.log("| app using | packages installed | on disk (MB) | install scripts | heaviest (MB) |")
console.log("|---|---:|---:|---|---|")
for (const row of rows) {
  const heaviest = row.heaviest.map(([name, bytes]) => `${name} ${mb(bytes)}`).join(", ")
  console.log(
    `| ${row.label} | ${row.packages} | ${mb(row.bytes)} | ${row.withScripts.join(", ") || "none"} | ${heaviest} |`
  )
}
