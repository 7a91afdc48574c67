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

// Effect 4 only: no Effect 3 (`effect@3.*`) and no 0.x `@effect/*` package anywhere in the installed tree,
// and every package's `effect` range admits 4.x alone.
const store = join(root, "node_modules", ".pnpm")
const stale = readdirSync(store).filter(
  (entry) => /^effect@[0-3]\./.test(entry) || /^@effect\+[^@]+@0\./.test(entry)
)
console.log(`${stale.length === 0 ? "✔" : "✖"} installed tree: no Effect 3 and no 0.x @effect/* package`)
if (stale.length > 0) {
  failed = true
  console.log(stale.map((entry) => `  ${entry}`).join("\n"))
}
const effect4Only = (range) => /^(\^|~|>=)?4\.\d+\.\d+$/.test(range)
for (const name of readdirSync(packagesDir)) {
  const manifest = JSON.parse(readFileSync(join(packagesDir, name, "package.json"), "utf8"))
  for (const field of ["dependencies", "peerDependencies", "devDependencies"]) {
    const range = manifest[field]?.effect
    if (range !== undefined && !effect4Only(range)) {
      failed = true
      console.log(`✖ ${manifest.name}: ${field}.effect is "${range}", which admits more than Effect 4`)
    }
  }
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
