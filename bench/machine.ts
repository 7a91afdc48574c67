/**
 * What XState costs per wait, apart from HTTP: `JobMachine.ingestionJobMachine` with its `poller` actor
 * replaced (XState's `machine.provide`) by one that answers at once, `polls - 1` running polls then the
 * completed job. Prints the CPU per actor, hot. Run it with `pnpm exec tsx bench/machine.ts [polls]`.
 *
 * @module
 */
import { ingestionJobMachine, type PollerInput } from "@tensoras/ingestion/JobMachine"
import { createActor, type EventObject, fromCallback } from "xstate"

const polls = Number(process.argv[2] ?? 4)
const running = { id: "job_1", knowledge_base_id: "kb_1", status: "processing" }
const completed = {
  ...running,
  status: "completed",
  total_documents: 0,
  processed_documents: 0,
  failed_documents: 0,
  total_chunks: 0,
  error: null,
  created_at: "2026-01-01T00:00:00Z",
  updated_at: "2026-01-01T00:00:00Z",
  completed_at: "2026-01-01T00:00:00Z",
  document_details: []
}
const machine = ingestionJobMachine.provide({
  actors: {
    poller: fromCallback<EventObject, PollerInput>(({ sendBack }) => {
      let poll = 0
      const next = () => {
        poll++
        const last = poll >= polls
        sendBack({
          type: "POLLED",
          job: last ? completed : running,
          at: poll,
          changed: last || poll === 1,
          stalled: false,
          nextPollAt: last ? null : poll + 1
        })
        if (!last) queueMicrotask(next)
      }
      queueMicrotask(next)
    })
  }
})
const one = () =>
  new Promise<void>((resolve, reject) => {
    const actor = createActor(machine, { input: { knowledgeBaseId: "kb_1", jobId: "job_1" } })
    actor.subscribe({
      complete: () =>
        actor.getSnapshot().output?._tag === "Completed" ? resolve() : reject(new Error("not completed")),
      error: reject
    })
    actor.start()
  })

for (let i = 0; i < 2_000; i++) await one()
const actors = 20_000
const start = process.cpuUsage()
for (let i = 0; i < actors; i++) await one()
const { user, system } = process.cpuUsage(start)
process.stdout.write(`${polls} polls: ${((user + system) / actors).toFixed(0)} µs CPU per actor\n`)
