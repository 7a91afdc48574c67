import { builtinModules } from "node:module"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "@effect/vitest"
import * as esbuild from "esbuild"
import packageJson from "../package.json" with { type: "json" }
import { version } from "../src/internal/version.js"

const entry = fileURLToPath(new URL("../src/index.ts", import.meta.url))
const nodeBuiltins = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]))

describe("the core package", () => {
  it("bundles for the browser platform without a single Node built-in", async () => {
    const result = await esbuild.build({
      entryPoints: [entry],
      bundle: true,
      platform: "browser",
      format: "esm",
      write: false,
      metafile: true,
      logLevel: "silent",
      // Any import of a Node built-in is a resolution error on the browser platform; listing them
      // as external instead lets the test name each one it finds.
      external: [...nodeBuiltins]
    })
    const imported = Object.values(result.metafile.inputs).flatMap((input) =>
      input.imports.filter((i) => i.external || nodeBuiltins.has(i.path)).map((i) => i.path)
    )
    expect(result.errors).toStrictEqual([])
    expect(imported).toStrictEqual([])
  })

  it("sends the version of its package.json in its User-Agent", () => {
    expect(version).toBe(packageJson.version)
  })
})
