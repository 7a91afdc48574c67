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

const ensureKnowledgeBase = (kbId: string): void => {
  if (knowledgeBases.has(kbId)) return
  control.addKnowledgeBase(kbId)
  knowledgeBases.add(kbId)
}

const peer = createPeer<SimulatorApi, OrchestratorApi>(process, {
  prepare: ({ kbIds }) => {
    for (const kbId of kbIds) ensureKnowledgeBase(kbId)
    return null
  },
  // Each job's timeline counts from this call; the round starts (`anchor`) once every job exists, so that
  // no wait starts before its job, however long the round's set-up or the creation took. A job's terminal
  // time comes from what creating it returns (10,000 jobs of one knowledge base: ~130 ms).
  createJobs: ({ kbId: roundKb, jobs, documents }) => {
    const DOCUMENTS = documents ?? DEFAULT_DOCUMENTS
    const createdAt = Date.now()
    const skew = engineSkew()
    const terminalAts = new Array<number>(jobs.length)
    for (let index = 0; index < jobs.length; index++) {
      const { kbId: ownKb, jobId, terminalOffset } = jobs[index]!
      const kbId = ownKb ?? roundKb
      ensureKnowledgeBase(kbId)
      const total = Math.max(0, Math.round(createdAt + terminalOffset - Date.now()))
      const queuedMs = Math.floor(total / 4)
      const documentMs = Math.floor((total - queuedMs) / DOCUMENTS)
      const lastMs = total - queuedMs - documentMs * (DOCUMENTS - 1)
      const { job } = control.addDataSource(kbId, {
        jobId,
        queuedMs,
        documents: Array.from({ length: DOCUMENTS }, (_, document) => ({
          name: `bench-${document + 1}.md`,
          chunks: 4 + document,
          durationMs: document === DOCUMENTS - 1 ? lastMs : documentMs
        }))
      })
      terminalAts[index] = job.terminalAt - skew
    }
    return { anchor: Date.now(), createdAt, terminalAts }
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
