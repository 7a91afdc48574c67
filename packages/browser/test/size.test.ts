// What the browser bundles hold, built as `pnpm bench:size` builds them (esbuild, minified). Their sizes
// against the budgets of issue 18 §5 are measured by `pnpm bench:size` into docs/benchmarks.md, not here.
import { describe, expect, it } from "vitest"
import { measure } from "../scripts/size.js"

describe("browser bundles", () => {
  it("a plain wait (Wait.waitFor on BrowserIngestion.layer) holds no XState", async () => {
    const size = await measure("plain")
    expect(size.groups.map(([what]) => what)).not.toContain("xstate")
  })

  it("the machine (watchJob) holds XState", async () => {
    const size = await measure("machine")
    expect(size.groups.map(([what]) => what)).toContain("xstate")
  })
})
