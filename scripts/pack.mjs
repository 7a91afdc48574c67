#!/usr/bin/env node
// Packs every publishable package of the workspace into one folder, the way the registry would serve them
// (`workspace:` ranges replaced by versions), so an app can install them before they are published:
//
//   npm run pack -- /tmp/tensoras            # after `npm run setup` (the packages are built)
//   cd my-app && npm i /tmp/tensoras/tensoras-ingestion-node-1.0.0.tgz \
//                      /tmp/tensoras/tensoras-ingestion-1.0.0.tgz effect
//
// Prints one line per tarball: its path.
import { spawnSync } from "node:child_process"
import { mkdirSync, readdirSync, readFileSync } from "node:fs"
import { join, resolve } from "node:path"
import { fileURLToPath } from "node:url"

const root = fileURLToPath(new URL("..", import.meta.url))
const out = resolve(process.argv[2] ?? join(root, ".packs"))
mkdirSync(out, { recursive: true })

for (const name of readdirSync(join(root, "packages"))) {
  const dir = join(root, "packages", name)
  const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"))
  if (manifest.private) continue
  // Deno's package is published to JSR from its sources, not packed for npm.
  if (manifest.name === "@tensoras/ingestion-deno") continue
  const tarball = join(out, `${manifest.name.replace(/^@/, "").replace("/", "-")}-${manifest.version}.tgz`)
  const result = spawnSync("pnpm", ["pack", "--out", tarball], { cwd: dir, encoding: "utf8" })
  if (result.status !== 0) {
    console.error(`✖ ${manifest.name}: pnpm pack failed\n${result.stdout}${result.stderr}`)
    process.exit(1)
  }
  console.log(tarball)
}
