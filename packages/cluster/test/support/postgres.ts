/**
 * A throwaway PostgreSQL cluster for tests and the benchmark: Debian's `postgresql` binaries (installed by
 * `npm run setup`), a data directory in a temporary folder, a port below 32768 (retried if taken), no fsync.
 * As root the server runs as the `postgres` user (PostgreSQL refuses root). `stop` kills it and deletes
 * the folder.
 */
import { execFile } from "node:child_process"
import { existsSync, readdirSync } from "node:fs"
import { chown, mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { promisify } from "node:util"

const run = promisify(execFile)

export interface Postgres {
  /** `postgres://postgres@127.0.0.1:PORT/postgres` (trust authentication: no password). */
  readonly url: string
  readonly port: number
  stop(): Promise<void>
}

/** The newest installed server's bin folder, e.g. `/usr/lib/postgresql/15/bin`. */
export const postgresBin = (): string | undefined => {
  const root = "/usr/lib/postgresql"
  if (!existsSync(root)) return undefined
  const versions = readdirSync(root)
    .filter((name) => existsSync(join(root, name, "bin", "pg_ctl")))
    .sort((a, b) => Number(b) - Number(a))
  return versions[0] === undefined ? undefined : join(root, versions[0], "bin")
}

export const startPostgres = async (): Promise<Postgres> => {
  const bin = postgresBin()
  if (bin === undefined) {
    throw new Error("PostgreSQL is not installed: run `npm run setup` (it installs Debian's postgresql)")
  }
  const asRoot = process.getuid?.() === 0
  const dir = await mkdtemp(join(tmpdir(), "tensoras-pg-"))
  const data = join(dir, "data")
  const asPostgres = (command: string, args: ReadonlyArray<string>) =>
    asRoot
      ? run("runuser", ["-u", "postgres", "--", join(bin, command), ...args])
      : run(join(bin, command), [...args])
  if (asRoot) {
    const { stdout } = await run("id", ["-u", "postgres"])
    const { stdout: gid } = await run("id", ["-g", "postgres"])
    await chown(dir, Number(stdout.trim()), Number(gid.trim()))
  }
  await asPostgres("initdb", ["-D", data, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8"])
  let lastError: unknown
  for (let attempt = 0; attempt < 8; attempt++) {
    // Below the ephemeral range (32768+), where a random port may be taken by any outgoing connection.
    const port = 22_000 + Math.floor(Math.random() * 10_000)
    try {
      await asPostgres("pg_ctl", [
        "-D",
        data,
        "-l",
        join(dir, "postgres.log"),
        "-w",
        "-t",
        "120",
        "-o",
        `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300`,
        "start"
      ])
      let stopped: Promise<void> | undefined
      return {
        url: `postgres://postgres@127.0.0.1:${port}/postgres`,
        port,
        stop: () => {
          stopped ??= asPostgres("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"])
            .then(
              () => undefined,
              () => undefined
            )
            .then(() => rm(dir, { recursive: true, force: true }))
          return stopped
        }
      }
    } catch (error) {
      lastError = error
    }
  }
  await rm(dir, { recursive: true, force: true })
  throw new Error(`PostgreSQL did not start: ${String(lastError)}`)
}

/** Creates an empty database named `name` on the server of `serverUrl` and returns its URL. */
export const createDatabase = async (serverUrl: string, name: string): Promise<string> => {
  const bin = postgresBin()
  const psql = bin === undefined ? "psql" : join(bin, "psql")
  await run(psql, [serverUrl, "-q", "-v", "ON_ERROR_STOP=1", "-c", `CREATE DATABASE "${name}"`])
  const url = new URL(serverUrl)
  url.pathname = `/${name}`
  return url.toString()
}

/** Runs one SQL statement with `psql` and returns its rows (columns as text). */
export const psql = async (url: string, statement: string): Promise<ReadonlyArray<ReadonlyArray<string>>> => {
  const bin = postgresBin()
  const { stdout } = await run(bin === undefined ? "psql" : join(bin, "psql"), [
    url,
    "-X",
    "-q",
    "-A",
    "-t",
    "-F",
    "\t",
    "-v",
    "ON_ERROR_STOP=1",
    "-c",
    statement
  ])
  return stdout
    .split("\n")
    .filter((line) => line.length > 0)
    .map((line) => line.split("\t"))
}
