import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { IngestionJobs, PollSchedule } from "@tensoras/ingestion"
import * as JobMachine from "@tensoras/ingestion/JobMachine"
import { NodeSimulator } from "@tensoras/ingestion-testkit"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import { createActor, type InspectionEvent, toPromise } from "xstate"

// What a snapshot of an ended wait weighs: the `realistic` scenario's sync of 40 documents (3 of them
// failing), the job the demo watches. Sizes are a property of the data, not of the machine's speed.
let simulator: NodeSimulator.RunningSimulator
beforeAll(async () => {
  simulator = await NodeSimulator.start({ scenario: "realistic", clock: "manual" })
})
afterAll(() => simulator.close())

const machine = () =>
  JobMachine.fromLayer(
    IngestionJobs.layer({ apiKey: Redacted.make(simulator.apiKey), baseUrl: simulator.baseUrl }).pipe(
      Layer.provide(FetchHttpClient.layer)
    ),
    { schedule: PollSchedule.fixed("1 second") }
  )

/** How many times `part` occurs in `text`. */
const occurrences = (text: string, part: string): number => text.split(part).length - 1

/** Waits for the 40-document job, ended, and returns the actor, its output and its inspection events. */
const ended = async () => {
  simulator.control.advanceToTerminal("kb_demo", "job_demo_sync")
  const inspected: Array<InspectionEvent> = []
  const actor = createActor(machine(), {
    input: { knowledgeBaseId: "kb_demo", jobId: "job_demo_sync" },
    inspect: (event) => void inspected.push(event)
  })
  actor.start()
  const output = await toPromise(actor)
  if (output._tag !== "Completed") throw new Error(`expected the job to complete, got ${output._tag}`)
  return { actor, job: output.job, output, inspected }
}

describe("JobMachine's snapshots of an ended wait", () => {
  it("a persisted snapshot holds the document list once: at most 1.2× the ended job's own JSON", async () => {
    const { actor, job, output } = await ended()
    expect(job.document_details.length).toBe(40)
    const persisted = JSON.stringify(actor.getPersistedSnapshot())
    // Once, in the output; the context keeps the job's status and counters.
    expect(occurrences(persisted, '"document_details"')).toBe(1)
    expect(actor.getSnapshot().context.job).toStrictEqual(
      expect.objectContaining({ status: "completed", documents_processed: 37, documents_failed: 3 })
    )
    expect(actor.getSnapshot().context.job).not.toHaveProperty("document_details")
    expect(persisted.length / JSON.stringify(job).length).toBeLessThanOrEqual(1.2)

    // Restored, it is the same ended wait: the same output, and nothing left to poll.
    const requests = simulator.control.requestCount()
    // XState's types ask for an input too; it is not used when a snapshot is given.
    const snapshot = JSON.parse(persisted)
    const restored = createActor(machine(), { snapshot, input: snapshot.context })
    restored.start()
    expect(restored.getSnapshot().status).toBe("done")
    expect(restored.getSnapshot().output).toStrictEqual(output)
    expect(restored.getSnapshot().context).toStrictEqual(actor.getSnapshot().context)
    expect(restored.getSnapshot().children).toStrictEqual({})
    restored.stop()
    expect(simulator.control.requestCount()).toBe(requests)
  })

  it("an inspection snapshot holds it once too; the terminal POLLED event carries it once", async () => {
    const { inspected } = await ended()
    const snapshots = inspected.flatMap((event) =>
      event.type === "@xstate.snapshot" ? [JSON.stringify(event.snapshot)] : []
    )
    expect(snapshots.some((snapshot) => snapshot.includes('"document_details"'))).toBe(true)
    for (const snapshot of snapshots)
      expect(occurrences(snapshot, '"document_details"')).toBeLessThanOrEqual(1)
    const polled = inspected.flatMap((event) =>
      event.type === "@xstate.event" && event.event.type === "POLLED" ? [JSON.stringify(event.event)] : []
    )
    expect(polled.map((event) => occurrences(event, '"document_details"'))).toStrictEqual([1])
  })
})
