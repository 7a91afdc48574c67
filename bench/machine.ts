/**
 * What XState costs per wait, apart from HTTP and the engine's loop:
 *
 * - CPU: `JobMachine.ingestionJobMachine` with its `poller` actor replaced (XState's `machine.provide`) by one
 *   that answers at once, `polls - 1` running polls then the completed job. The CPU per actor, hot.
 * - Heap: `JobMachine.make` with its own poller, on an engine that keeps each wait's listener (as the
 *   engine does) and answers one running poll: what the machine keeps per pending wait (its two actors,
 *   their system, the poller's state), with many pending at once. A lone wait pays more: the hidden classes
 *   of XState's objects go with their last instance at a full GC, and the next wait builds them again.
 *
 * Run it with `pnpm exec tsx bench/machine.ts [polls]`.
 *
 * @module
 */
import { getHeapSpaceStatistics } from "node:v8"
import type { IngestionJob } from "@tensoras/ingestion/IngestionJob"
import { ingestionJobMachine, make, type PollerInput } from "@tensoras/ingestion/JobMachine"
import { type Listener, WaitEngine } from "@tensoras/ingestion/WaitEngine"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import { createActor, type EventObject, fromCallback } from "xstate"
import { forceGc } from "./gc.js"

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

const queued: IngestionJob = {
  id: "job_1",
  object: "ingestion_job",
  knowledge_base_id: "kb_1",
  data_source_id: "ds_1",
  status: "queued",
  documents_processed: 0,
  documents_failed: 0,
  chunks_created: 0,
  started_at: null,
  completed_at: null,
  created_at: 1_767_225_600,
  error: null
}
const listeners: Array<Listener> = []
const engine: WaitEngine["Service"] = {
  register: (_knowledgeBaseId, _jobId, _options, listener) =>
    Effect.sync(() => {
      listeners.push(listener)
      return { leave: Effect.sync(() => void listeners.splice(listeners.indexOf(listener), 1)) }
    })
}
const pendingMachine = make(Context.make(WaitEngine, engine))
/** V8 heap in use, code spaces left out (as `pnpm bench` counts it): compiled code belongs to no wait. */
const heapUsed = (): number =>
  getHeapSpaceStatistics()
    .filter((space) => !space.space_name.startsWith("code"))
    .reduce((sum, space) => sum + space.space_used_size, 0)
/** Heap used per actor with `count` of them pending, each told of one running poll. */
const pendingHeap = (count: number): number => {
  forceGc()
  const before = heapUsed()
  const pending = Array.from({ length: count }, (_, i) =>
    createActor(pendingMachine, { input: { knowledgeBaseId: `kb_${i}`, jobId: `job_${i}` } }).start()
  )
  for (const listener of listeners)
    listener.onEvent?.({ _tag: "Polled", job: queued, at: 1, changed: true, stalled: false, nextPollAt: 2 })
  forceGc()
  const perActor = (heapUsed() - before) / count
  for (const actor of pending) actor.stop()
  return perActor
}
pendingHeap(2_000)
const heaps = [pendingHeap(actors), pendingHeap(actors), pendingHeap(actors)].sort((a, b) => a - b)
process.stdout.write(
  `heap per pending actor (${actors} pending, engine stubbed): ${heaps[1]!.toFixed(0)} B (${heaps[0]!.toFixed(0)}–${heaps[2]!.toFixed(0)})\n`
)
