import { existsSync, readFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { ExitCode } from "@tensoras/ingestion"
import { describe, expect, it } from "vitest"
import { CANARY, ROOT, spawnScript, WRONG_KEY } from "./helpers.js"

const FIXTURE = fileURLToPath(new URL("./fixtures/command.ts", import.meta.url))
const run = (args: ReadonlyArray<string>) =>
  spawnScript(FIXTURE, args, { env: { TEST_SECRET: CANARY } }).exited

describe.concurrent("NodeCommand.start (a child process)", () => {
  it("prints help on stdout, scrubbed of the secrets, and exits 0", async () => {
    const result = await run(["--help"])
    expect([result.code, result.stderr]).toEqual([0, ""])
    expect(result.stdout).toBe(
      "Usage: command [--secret <secret>] (echo <words> | flood)\nsecret: <redacted>\n"
    )
  })

  it("a usage error: the message, a blank line and the usage on stderr, exit 2 (ExitCode.usage)", async () => {
    const result = await run(["nope"])
    expect([result.code, result.stdout]).toEqual([ExitCode.usage, ""])
    expect(result.stderr).toBe(
      "error: unknown command 'nope'\n\nUsage: command [--secret <secret>] (echo <words> | flood)\n"
    )
  })

  it("a bad value: one line on stderr, exit 2; a secret from the command line is scrubbed too", async () => {
    const result = await run(["--secret", WRONG_KEY, "--bad", `${WRONG_KEY}&${CANARY}`])
    expect([result.code, result.stdout]).toEqual([ExitCode.usage, ""])
    expect(result.stderr).toBe("error: bad value '<redacted>&<redacted>'\n")
  })

  it("runs the command with the scrub; the process ends when the command does, exit 0", async () => {
    const result = await run(["echo", "hello", CANARY, encodeURIComponent(`${CANARY}/`), "Bearer tns_x"])
    expect([result.code, result.stderr]).toEqual([0, ""])
    expect(result.stdout).toBe("hello <redacted> <redacted>%2F Bearer <redacted>\n")
  })

  it("a closed stdout pipe (`… | head -1`) ends the program quietly, exit 0", async () => {
    const flood = spawnScript(FIXTURE, ["flood"])
    await flood.printed("line\n")
    flood.child.stdout?.destroy()
    const result = await flood.exited
    expect([result.code, result.signal, result.stderr]).toEqual([0, null, ""])
  })
})

describe("NodeCommand loads no Effect", () => {
  /** Every module NodeCommand loads, through relative imports and into @tensoras/ingestion's sources. */
  const importsOf = (file: string, seen = new Set<string>()): Set<string> => {
    if (seen.has(file)) return seen
    seen.add(file)
    const source = readFileSync(file, "utf8")
    for (const [, specifier = ""] of source.matchAll(/^import (?!type )[^"]*"([^"]+)"/gm)) {
      const next = specifier.startsWith(".")
        ? join(dirname(file), specifier.replace(/\.js$/, ".ts"))
        : specifier.startsWith("@tensoras/ingestion/")
          ? join(ROOT, "packages/core/src", `${specifier.slice("@tensoras/ingestion/".length)}.ts`)
          : undefined
      if (next === undefined) seen.add(specifier)
      else if (existsSync(next)) importsOf(next, seen)
      else throw new Error(`${file}: cannot follow ${specifier}`)
    }
    return seen
  }

  it("so that help and usage errors answer before the runtime loads", () => {
    const loaded = [...importsOf(fileURLToPath(new URL("../src/NodeCommand.ts", import.meta.url)))]
    expect(loaded.some((module) => module.endsWith("/core/src/Redaction.ts"))).toBe(true)
    expect(loaded.filter((module) => /^(effect|@effect\/)/.test(module))).toEqual([])
  })
})
