// µs per machine actor with a poller that answers at once: what XState costs per wait, apart from HTTP.
import { createActor, fromCallback } from "xstate"
import { define } from "/work/main/packages/core/dist/internal/jobMachine.js"
const POLLS = Number(process.argv[2] ?? 4)
const job = (status) => ({ id: "job_1", knowledge_base_id: "kb_1", status, documents: { ended: 1, total: 2 } })
const done = { id: "job_1", knowledge_base_id: "kb_1", status: "completed", document_details: [], created_at: "", updated_at: "", completed_at: "", error: null, total_documents: 0, processed_documents: 0, failed_documents: 0, total_chunks: 0 }
const poller = fromCallback(({ sendBack }) => {
  let i = 0
  const next = () => {
    i++
    if (i < POLLS) { sendBack({ type: "POLLED", job: job("processing"), at: i, changed: i === 1, stalled: false, nextPollAt: i + 1 }); queueMicrotask(next) }
    else sendBack({ type: "POLLED", job: done, at: i, changed: true, stalled: false, nextPollAt: null })
  }
  queueMicrotask(next)
  return () => {}
})
const machine = define(() => 0, poller)
const one = () => new Promise((resolve) => {
  const actor = createActor(machine, { input: { knowledgeBaseId: "kb_1", jobId: "job_1" } })
  actor.subscribe({ complete: () => resolve(actor.getSnapshot().status) })
  actor.start()
})
for (let i = 0; i < 2000; i++) await one()
const N = 20000
const t0 = process.cpuUsage()
for (let i = 0; i < N; i++) await one()
const u = process.cpuUsage(t0)
console.log(`polls ${POLLS}: ${((u.user + u.system) / N).toFixed(1)} µs CPU per actor`)
