import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"
import { FetchHandler, Simulator } from "../src/index.js"

const request = (path: string, init: RequestInit = {}) =>
  new Request(`http://simulator.test/v1${path}`, {
    ...init,
    headers: { authorization: "Bearer tns_your_key_here", ...init.headers }
  })

describe("Simulator.make: the handler without any server", () => {
  it("answers Fetch Requests directly (what Deno.serve or a Service Worker would call)", async () => {
    const { handler, dispose } = Simulator.make({ scenario: "docs", clock: "manual" })
    const response = await handler(request("/knowledge-bases/kb_abc123/ingestion-jobs/job_abc123"))
    expect(response.status).toBe(200)
    expect(response.headers.get("content-type")).toBe("application/json")
    expect((await response.json()).chunks_created).toBe(482)
    dispose()
  })

  it("answers CORS preflights on known routes, and exposes headers to browser clients", async () => {
    const { handler, dispose } = Simulator.make({ scenario: "docs", clock: "manual" })
    const preflight = await handler(
      new Request("http://simulator.test/v1/knowledge-bases/kb_abc123/ingestion-jobs", { method: "OPTIONS" })
    )
    expect(preflight.status).toBe(204)
    expect(preflight.headers.get("access-control-allow-headers")).toContain("authorization")
    const response = await handler(request("/knowledge-bases/kb_abc123/ingestion-jobs"))
    expect(response.headers.get("access-control-allow-origin")).toBe("*")
    expect(response.headers.get("access-control-expose-headers")).toContain("retry-after")
    dispose()
  })

  it("marks a dropped connection, whose body errors for runtimes that cannot reach the socket", async () => {
    const { handler, control, dispose } = Simulator.make({ scenario: "docs", clock: "manual" })
    control.injectFault({ kind: "drop" })
    const response = await handler(request("/knowledge-bases/kb_abc123/ingestion-jobs"))
    expect(FetchHandler.isDroppedConnection(response)).toBe(true)
    await expect(response.text()).rejects.toThrow(/Connection dropped/)
    expect(FetchHandler.isDroppedConnection(new Response("{}"))).toBe(false)
    expect(FetchHandler.isDroppedConnection(FetchHandler.droppedConnection())).toBe(true)
    dispose()
  })

  it("ends hanging requests when disposed", async () => {
    const { handler, control, dispose } = Simulator.make({ scenario: "docs", clock: "manual" })
    control.injectFault({ kind: "hang" })
    const pending = handler(request("/knowledge-bases/kb_abc123/ingestion-jobs"))
    await control.waitForRequests(1)
    dispose()
    expect(FetchHandler.isDroppedConnection(await pending)).toBe(true)
    expect(control.requests[0]?.outcome).toBe("hung")
  })

  it("accepts its own key and, in the docs scenario, the docs' example key", async () => {
    const { handler, control, dispose } = Simulator.make({ scenario: "docs", apiKey: "tns_mine" })
    const mine = await handler(
      new Request("http://s/v1/knowledge-bases/kb_abc123/ingestion-jobs", {
        headers: { authorization: "Bearer tns_mine" }
      })
    )
    const docs = await handler(request("/knowledge-bases/kb_abc123/ingestion-jobs"))
    expect([mine.status, docs.status]).toEqual([200, 200])
    control.setScenario("empty")
    expect((await handler(request("/knowledge-bases/kb_empty/ingestion-jobs"))).status).toBe(401)
    dispose()
  })
})

describe("runtime neutrality", () => {
  const srcDir = new URL("../src/", import.meta.url)
  const importsOf = (file: string): Array<string> =>
    [
      // JSDoc examples import the package too: only the code's own imports count.
      ...readFileSync(fileURLToPath(new URL(file, srcDir)), "utf8")
        .replace(/\/\*[\s\S]*?\*\//g, "")
        .matchAll(/from "([^"]+)"/g)
    ].map((m) => m[1]!)

  const closure = (entry: string): Map<string, Array<string>> => {
    const seen = new Map<string, Array<string>>()
    const visit = (file: string) => {
      if (seen.has(file)) return
      const imports = importsOf(file)
      seen.set(file, imports)
      for (const specifier of imports) {
        if (specifier.startsWith(".")) {
          visit(
            new URL(specifier.replace(/\.js$/, ".ts"), new URL(file, srcDir)).href.slice(srcDir.href.length)
          )
        }
      }
    }
    visit(entry)
    return seen
  }

  it.each([
    "Simulator.ts",
    "SimulatorEngine.ts",
    "SimulatorClock.ts",
    "Scenarios.ts",
    "Documents.ts",
    "FetchHandler.ts"
  ])("%s and everything it imports use no node:* module", (entry) => {
    const graph = closure(entry)
    const nodeImports = [...graph].flatMap(([file, imports]) =>
      imports.filter((specifier) => !specifier.startsWith(".")).map((specifier) => `${file} -> ${specifier}`)
    )
    expect(nodeImports).toEqual([])
    expect(graph.has("internal/nodeServer.ts")).toBe(false)
  })
})
