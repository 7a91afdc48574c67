// A tiny Node server for the example: the static page, and the same-origin proxy in front of the
// API (here the simulator). Run: `pnpm exec tsx examples/browser/server.ts` (builds, then serves).
import { readFile } from "node:fs/promises"
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { extname, join, normalize } from "node:path"
import { fileURLToPath } from "node:url"
import { makeIngestionProxy } from "../../packages/browser/src/IngestionProxy.js"
import { NodeSimulator } from "../../packages/testkit/src/index.js"
import { buildExample } from "./build.js"

const types: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8"
}

export interface ExampleServer {
  readonly url: string
  close(): Promise<void>
}

export const serveExample = async (options: {
  readonly root: string
  readonly upstream: string
  readonly apiKey: string
  readonly port?: number
}): Promise<ExampleServer> => {
  const proxy = makeIngestionProxy({
    apiKey: options.apiKey,
    upstream: options.upstream,
    allowKnowledgeBases: ["kb_abc123", "kb_demo"]
  })
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", `http://${req.headers.host ?? "localhost"}`)
    if (url.pathname.startsWith("/api/")) {
      const headers = new Headers()
      for (const [name, value] of Object.entries(req.headers)) {
        if (typeof value === "string") headers.set(name, value)
      }
      const response = await proxy(new Request(url, { method: req.method ?? "GET", headers }))
      res.writeHead(response.status, Object.fromEntries(response.headers.entries()))
      res.end(Buffer.from(await response.arrayBuffer()))
      return
    }
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
  const sim = await NodeSimulator.start({ scenario: "realistic" })
  const root = await buildExample()
  const example = await serveExample({ root, upstream: sim.baseUrl, apiKey: sim.apiKey, port: 5173 })
  console.log(`${example.url}/?kb=kb_demo&job=job_demo_sync`)
}
