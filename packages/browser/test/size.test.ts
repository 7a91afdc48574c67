// The browser bundles against their budgets (issue 18, §5), measured as `pnpm bench:size` does
// (esbuild, minified, gzip -9), without rewriting docs/benchmarks.md.
import { describe, expect, it } from "vitest"
import { budgets, measure } from "../scripts/size.js"

describe("browser bundle size", () => {
  it("a plain wait (Wait.waitFor on BrowserIngestion.layer) fits 50 KB gzipped, without XState", async () => {
    const size = await measure("plain")
    expect(size.gzipped).toBeLessThanOrEqual(budgets.plain)
    expect(size.groups.map(([what]) => what)).not.toContain("xstate")
  })

  it("the machine (watchJob: JobMachine + XState) fits 65 KB gzipped", async () => {
    const size = await measure("machine")
    expect(size.gzipped).toBeLessThanOrEqual(budgets.machine)
  })
})
