/**
 * The benchmark's simulator process: `NodeSimulator.start` on 127.0.0.1 with the real clock, driven by the
 * orchestrator over IPC. It runs apart from the clients so that its CPU and heap never count as theirs.
 * It exits when the orchestrator disconnects (or dies).
 *
 * @module
 */
import { NodeSimulator } from "@tensoras/ingestion-testkit"
import { createPeer, type OrchestratorApi, type SimulatorApi, type SimulatorReady } from "./protocol.js"

const API_KEY = "tns_bench_loopback_only"
/** By default processing is split into a queued phase and three documents, so a wait sees the job change. */
const DEFAULT_DOCUMENTS = 3

const sim = await NodeSimulator.start({
  scenario: "empty",
  clock: "real",
  apiKey: API_KEY,
  host: "127.0.0.1"
})
const { control } = sim
const knowledgeBases = new Set<string>()
let lastCpu = process.cpuUsage()

/** Engine time minus wall time (`Date.now()`): the engine's epoch is rounded to a second at start. */
const engineSkew = (): number => control.now() - Date.now()

const peer = createPeer<SimulatorApi, OrchestratorApi>(process, {
  createJobs: ({ kbId: batchKb, jobs, documents }) => {
    const DOCUMENTS = documents ?? DEFAULT_DOCUMENTS
    const created = jobs.map(({ kbId: ownKb, jobId, startAt, terminalAt }) => {
      const kbId = ownKb ?? batchKb
      if (!knowledgeBases.has(kbId)) {
        control.addKnowledgeBase(kbId)
        knowledgeBases.add(kbId)
      }
      const total = Math.max(0, Math.round(terminalAt - Date.now()))
      const queuedMs = Math.floor(total / 4)
      const documentMs = Math.floor((total - queuedMs) / DOCUMENTS)
      const lastMs = total - queuedMs - documentMs * (DOCUMENTS - 1)
      control.addDataSource(kbId, {
        jobId,
        queuedMs,
        documents: Array.from({ length: DOCUMENTS }, (_, index) => ({
          name: `bench-${index + 1}.md`,
          chunks: 4 + index,
          durationMs: index === DOCUMENTS - 1 ? lastMs : documentMs
        }))
      })
      return {
        ...(ownKb === undefined ? {} : { kbId: ownKb }),
        jobId,
        startAt,
        terminalAt: control.jobTerminalAt(kbId, jobId) - engineSkew()
      }
    })
    return { kbId: batchKb, jobs: created }
  },
  requests: ({ kbPrefix }) => {
    const records = control.requests.filter((record) => record.kbId?.startsWith(kbPrefix) === true)
    control.clearRequests()
    const cpu = process.cpuUsage(lastCpu)
    lastCpu = process.cpuUsage()
    return {
      simulatorCpuMicros: cpu.user + cpu.system,
      total: records.length,
      responded: records.filter((record) => record.outcome === "responded").length,
      notOk: records.filter((record) => record.status !== 200).length
    }
  }
})

let closing = false
const shutdown = (): void => {
  if (closing) return
  closing = true
  void sim.close().finally(() => process.exit(0))
}
process.on("disconnect", shutdown)
process.on("SIGTERM", shutdown)
process.on("SIGINT", shutdown)

const ready: SimulatorReady = { baseUrl: sim.baseUrl, apiKey: sim.apiKey }
peer.emit("ready", ready)
