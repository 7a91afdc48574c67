#!/usr/bin/env node
// The README's set-up: from a machine with only Node.js and npm to a built workspace.
// Idempotent: every step checks first and only does what is missing.
import { execFileSync, spawnSync } from "node:child_process"
import { existsSync, readdirSync, readFileSync } from "node:fs"

const root = new URL("..", import.meta.url)
const { packageManager } = JSON.parse(readFileSync(new URL("package.json", root), "utf8"))
const pnpmVersion = packageManager.replace(/^pnpm@/, "")

const step = (title) => console.log(`\n▸ ${title}`)
const run = (command, args) => {
  const result = spawnSync(command, args, {
    cwd: root,
    stdio: "inherit",
    shell: process.platform === "win32"
  })
  if (result.status !== 0) {
    console.error(`✖ ${command} ${args.join(" ")} failed (exit ${result.status ?? result.signal})`)
    process.exit(result.status ?? 1)
  }
}
const versionOf = (command) => {
  try {
    return execFileSync(command, ["--version"], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"]
    }).trim()
  } catch {
    return undefined
  }
}

const [major, minor] = process.versions.node.split(".").map(Number)
if (major < 20 || (major === 20 && minor < 19)) {
  console.error(`✖ Node.js 20.19 or newer is needed (this is ${process.versions.node}).`)
  process.exit(1)
}

step(`pnpm ${pnpmVersion}`)
if (versionOf("pnpm") === pnpmVersion) {
  console.log("already installed")
} else {
  // Corepack is not used: it fails signature checks on some machines.
  run("npm", ["install", "--global", `pnpm@${pnpmVersion}`])
}

// The browser tests run in Debian's Chromium (no test tool may download a browser of its own).
step("Chromium for the browser tests")
const chromium = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium"
if (existsSync(chromium)) {
  console.log(`found ${chromium}`)
} else if (process.platform === "linux" && existsSync("/usr/bin/apt-get")) {
  const asRoot = process.getuid?.() === 0
  const apt = (args) => (asRoot ? run("apt-get", args) : run("sudo", ["-n", "apt-get", ...args]))
  process.env.DEBIAN_FRONTEND = "noninteractive"
  apt(["update", "-qq"])
  apt(["install", "-y", "-qq", "chromium"])
} else {
  console.error(`✖ No Chromium at ${chromium}: install Chromium, or set CHROMIUM_PATH to its executable.`)
  process.exit(1)
}

// The cluster package's tests start a throwaway PostgreSQL from Debian's binaries (no service is used).
step("PostgreSQL for the cluster tests")
const postgresRoot = "/usr/lib/postgresql"
const postgresBin = existsSync(postgresRoot)
  ? readdirSync(postgresRoot).find((version) => existsSync(`${postgresRoot}/${version}/bin/pg_ctl`))
  : undefined
if (postgresBin !== undefined) {
  console.log(`found ${postgresRoot}/${postgresBin}/bin`)
} else if (process.platform === "linux" && existsSync("/usr/bin/apt-get")) {
  const asRoot = process.getuid?.() === 0
  const apt = (args) => (asRoot ? run("apt-get", args) : run("sudo", ["-n", "apt-get", ...args]))
  process.env.DEBIAN_FRONTEND = "noninteractive"
  apt(["update", "-qq"])
  apt(["install", "-y", "-qq", "--no-install-recommends", "postgresql"])
} else {
  console.error(
    `✖ No PostgreSQL server under ${postgresRoot}: install PostgreSQL (the cluster tests need it).`
  )
  process.exit(1)
}

step("dependencies")
run("pnpm", ["install", "--frozen-lockfile"])

step("build")
run("pnpm", ["build"])

console.log("\n✔ set-up done")
