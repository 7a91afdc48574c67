#!/usr/bin/env node
// Checks each built package the way a registry user would meet it: publint --strict on the
// package, and arethetypeswrong on its packed tarball, for every public module entry point.
import { spawnSync } from "node:child_process"
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

const root = new URL("..", import.meta.url).pathname
const packagesDir = join(root, "packages")
const out = mkdtempSync(join(tmpdir(), "check-packages-"))
let failed = false

const run = (command, args, cwd = root) => {
  const result = spawnSync(command, args, { cwd, encoding: "utf8" })
  return { ok: result.status === 0, output: `${result.stdout}${result.stderr}` }
}

for (const name of readdirSync(packagesDir)) {
  const dir = join(packagesDir, name)
  const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"))
  if (manifest.private) continue
  // Every top-level module of dist is a public entry point (`./*` in the exports map).
  const entries = readdirSync(join(dir, "dist"))
    .filter((file) => file.endsWith(".d.ts") && file !== "index.d.ts" && file !== "bin.d.ts")
    .map((file) => `./${file.slice(0, -".d.ts".length)}`)

  const publint = run("pnpm", ["exec", "publint", "--strict", dir])
  const tarball = join(out, `${name}.tgz`)
  const pack = run("pnpm", ["pack", "--out", tarball], dir)
  // An application (the CLI) has no module entry point to type-check.
  const library = manifest.exports?.["."] !== undefined
  const attw = !pack.ok
    ? pack
    : library
      ? run("pnpm", ["exec", "attw", tarball, "--profile", "esm-only", "--entrypoints", ".", ...entries])
      : { ok: true, output: "" }
  for (const [tool, result] of [
    ["publint --strict", publint],
    ["attw", attw]
  ]) {
    console.log(`${result.ok ? "✔" : "✖"} ${manifest.name}: ${tool}`)
    if (!result.ok) {
      failed = true
      console.log(result.output)
    }
  }
}
rmSync(out, { recursive: true, force: true })
process.exit(failed ? 1 : 0)
