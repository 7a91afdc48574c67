// Starts the simulator (manual clock) for the browser tests, and a small control API over HTTP:
// the tests run in Chromium and reach the simulator's control through it.
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { type Fault, NodeSimulator } from "@tensoras/ingestion-testkit"
import type { TestProject } from "vitest/node"

declare module "vitest" {
  export interface ProvidedContext {
    simBaseUrl: string
    simApiKey: string
    controlUrl: string
  }
}

export default async function setup(project: TestProject) {
  const sim = await NodeSimulator.start({ scenario: "docs", clock: "manual" })
  const { control } = sim
  let next = 0
  const injected = new Map<number, Fault.InjectedFault>()
  const server = createServer(async (request, response) => {
    const url = new URL(request.url ?? "/", "http://control")
    const param = (name: string) => url.searchParams.get(name) ?? ""
    const reply = (status: number, body: unknown) => {
      response.writeHead(status, { "content-type": "application/json", "access-control-allow-origin": "*" })
      response.end(JSON.stringify(body))
    }
    try {
      switch (url.pathname) {
        case "/job": {
          // A fresh job per test, so request counts never mix: queued 1 s, then 4 documents.
          next++
          const failing = param("fail") === "1"
          const { job } = control.addDataSource("kb_abc123", {
            id: `ds_browser_${next}`,
            jobId: `job_browser_${next}`,
            documents: [1, 2, 3, 4].map((i) => ({ name: `doc-${i}.md`, chunks: 3, durationMs: 1_000 })),
            ...(failing
              ? { failure: { afterMs: 1_500, error: { message: "Embedding quota exceeded" } } }
              : {})
          })
          return reply(200, { knowledgeBaseId: "kb_abc123", jobId: job.id })
        }
        case "/advance":
          return reply(200, { now: control.advance(Number(param("ms"))) })
        case "/terminal":
          return reply(200, control.advanceToTerminal(param("kb"), param("job")))
        case "/fault": {
          // A fault for one job (the canary tests): `?job=…&fault=<JSON>`; answers its id.
          const fault = { ...JSON.parse(param("fault")), jobId: param("job") } as Fault.Fault
          const handle = control.injectFault(
            fault.times === null ? { ...fault, times: Number.POSITIVE_INFINITY } : fault
          )
          injected.set(handle.id, handle)
          return reply(200, { id: handle.id })
        }
        case "/applied":
          return reply(200, { applied: injected.get(Number(param("id")))?.applied ?? 0 })
        case "/count":
          return reply(200, { count: control.requestCount({ jobId: param("job"), method: "GET" }) })
        case "/wait": {
          await control.waitForRequests(Number(param("n")), {
            filter: { jobId: param("job"), method: "GET" }
          })
          return reply(200, { count: control.requestCount({ jobId: param("job"), method: "GET" }) })
        }
        default:
          return reply(404, { error: "no such control" })
      }
    } catch (error) {
      return reply(500, { error: String(error) })
    }
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const { port } = server.address() as AddressInfo
  project.provide("simBaseUrl", sim.baseUrl)
  project.provide("simApiKey", sim.apiKey)
  project.provide("controlUrl", `http://127.0.0.1:${port}`)
  return async () => {
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
    await sim.close()
  }
}
