// A tiny Node server for the example: the static page, and the same-origin proxy in front of the
// API (here the simulator). Run: `pnpm exec tsx examples/browser/server.ts [--scenario <name>] [--port <n>]`
// (builds, starts the simulator, then serves). Each visit to a page without a job (`/`, or
// `/?scenario=failing`) starts a fresh job of that scenario and goes to it: a visitor watches it from
// its start.
import { readFile } from "node:fs/promises"
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { extname, join, normalize } from "node:path"
import { fileURLToPath } from "node:url"
import { parseArgs } from "node:util"
import { makeIngestionProxy } from "../../packages/browser/src/IngestionProxy.js"
import { NodeSimulator, Scenarios, type Simulator } from "../../packages/testkit/src/index.js"
import { buildExample } from "./build.js"
import { exampleWorld, isScenarioName, SCENARIOS, type ScenarioName } from "./world.js"

const types: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8"
}

export interface ExampleServer {
  readonly url: string
  close(): Promise<void>
}

export interface ExampleOptions {
  readonly root: string
  readonly upstream: string
  readonly apiKey: string
  readonly port?: number
  /** The simulator's control: with it, a page opened without a job starts one of its scenario. */
  readonly control?: Simulator.SimulatorControl
  /** The scenario of a page opened without one. Default `realistic`. */
  readonly scenario?: ScenarioName
}

/** `/` or `/?scenario=…` without a job: a new job of the scenario, and the page that watches it. */
const startJob = (options: ExampleOptions, url: URL, res: ServerResponse): boolean => {
  if (url.pathname !== "/" || url.searchParams.has("job") || options.control === undefined) return false
  const asked = url.searchParams.get("scenario") ?? options.scenario ?? "realistic"
  const scenario = isScenarioName(asked) ? asked : "realistic"
  const job = SCENARIOS[scenario].start(options.control)
  const query = new URLSearchParams(url.searchParams)
  query.set("scenario", scenario)
  query.set("kb", job.knowledgeBaseId)
  query.set("job", job.id)
  res.writeHead(303, { location: `/?${query}` }).end()
  return true
}

const proxyRequest = async (
  proxy: (request: Request) => Promise<Response>,
  url: URL,
  req: IncomingMessage,
  res: ServerResponse
) => {
  const headers = new Headers()
  for (const [name, value] of Object.entries(req.headers)) {
    if (typeof value === "string") headers.set(name, value)
  }
  const response = await proxy(new Request(url, { method: req.method ?? "GET", headers }))
  res.writeHead(response.status, Object.fromEntries(response.headers.entries()))
  res.end(Buffer.from(await response.arrayBuffer()))
}

export const serveExample = async (options: ExampleOptions): Promise<ExampleServer> => {
  const proxy = makeIngestionProxy({
    apiKey: options.apiKey,
    upstream: options.upstream,
    allowKnowledgeBases: ["kb_abc123", "kb_demo", "kb_failing", "kb_partial"]
  })
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", `http://${req.headers.host ?? "localhost"}`)
    if (url.pathname.startsWith("/api/")) return proxyRequest(proxy, url, req, res)
    if (startJob(options, url, res)) return
    const file = normalize(join(options.root, url.pathname === "/" ? "index.html" : url.pathname))
    if (!file.startsWith(options.root)) return void res.writeHead(404).end()
    try {
      const body = await readFile(file)
      res.writeHead(200, { "content-type": types[extname(file)] ?? "application/octet-stream" }).end(body)
    } catch {
      res.writeHead(404).end()
    }
  })
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, "127.0.0.1", resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { scenario: { type: "string" }, port: { type: "string" } } })
  const scenario = values.scenario ?? "realistic"
  if (!isScenarioName(scenario)) {
    console.error(`--scenario must be one of ${Object.keys(SCENARIOS).join(", ")} (got '${scenario}')`)
    process.exit(2)
  }
  const sim = await NodeSimulator.start({ scenario: exampleWorld(Scenarios.builtIn) })
  const root = await buildExample()
  const example = await serveExample({
    root,
    upstream: sim.baseUrl,
    apiKey: sim.apiKey,
    port: Number(values.port ?? 5173),
    control: sim.control,
    scenario
  })
  console.log(`${example.url}/?scenario=${scenario}  (each visit starts a new job; Ctrl-C stops)`)
}
