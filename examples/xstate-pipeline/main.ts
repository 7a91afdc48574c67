// An XState pipeline that invokes the job machine: sync a data source, wait for the ingestion job
// the sync started, then run a query (a stand-in, see pipeline.ts).
//
//   pnpm exec tsx --conditions=@tensoras/source examples/xstate-pipeline/main.ts
//
// starts an embedded simulator (no network, no key) and syncs its data source `ds_handbook`.
// The ingestion-jobs API itself cannot start a sync, so against a real service (or a simulator
// of your own) pass the job a sync started elsewhere:
//
//   TENSORAS_API_KEY=… TENSORAS_BASE_URL=… pnpm exec tsx --conditions=@tensoras/source \
//     examples/xstate-pipeline/main.ts kb_abc123 ds_xyz789 job_def456
//
// Ctrl-C cancels: the pipeline stops the job machine, which aborts its request in flight.
import { IngestionJob, IngestionJobs, PollSchedule } from "@tensoras/ingestion"
import * as JobMachine from "@tensoras/ingestion/JobMachine"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import { createActor, toPromise } from "xstate"
import { makePipeline, type Steps } from "./pipeline.js"

const question = "How do I rotate an API key?"
// Progress-aware polling: fast while the job moves, slower while it does not.
const schedule = PollSchedule.progressive({ fast: `${Number(process.env.POLL_INTERVAL_MS ?? 500)} millis` })

interface World {
  readonly knowledgeBaseId: string
  readonly dataSourceId: string
  readonly steps: Steps
  readonly close: () => Promise<void>
}

const embedded = async (): Promise<World> => {
  const { NodeSimulator } = await import("@tensoras/ingestion-testkit")
  const simulator = await NodeSimulator.start({ scenario: "realistic" })
  console.log(`Simulator: ${simulator.baseUrl} (scenario "realistic")`)
  const client = IngestionJobs.layer({
    apiKey: Redacted.make(simulator.apiKey),
    baseUrl: simulator.baseUrl
  }).pipe(Layer.provide(FetchHttpClient.layer))
  return {
    knowledgeBaseId: "kb_demo",
    dataSourceId: "ds_handbook",
    steps: {
      // Only the simulator can start a sync here: a few documents, one of them unreadable.
      syncDataSource: async (knowledgeBaseId, dataSourceId) =>
        simulator.control.syncDataSource(knowledgeBaseId, dataSourceId, {
          queuedMs: 500,
          documents: [
            { name: "security/api-keys.md", chunks: 8, durationMs: 400 },
            { name: "security/sso.md", chunks: 6, durationMs: 300 },
            { name: "onboarding.pdf", chunks: 21, durationMs: 700 },
            { name: "scan-1998.pdf", fail: "OCR failed: the scan is unreadable", durationMs: 300 },
            { name: "glossary.html", chunks: 5, durationMs: 200 }
          ]
        }).id,
      ingestion: JobMachine.fromLayer(client, { schedule })
    },
    close: () => simulator.close()
  }
}

const external = (): World => {
  const [knowledgeBaseId = "kb_abc123", dataSourceId = "ds_xyz789", jobId = "job_def456"] =
    process.argv.slice(2)
  return {
    knowledgeBaseId,
    dataSourceId,
    steps: {
      syncDataSource: async () => jobId, // started elsewhere
      ingestion: JobMachine.fromLayer(
        IngestionJobs.layerConfig().pipe(Layer.provide(FetchHttpClient.layer)),
        {
          schedule
        }
      )
    },
    close: async () => {}
  }
}

const world = process.env.TENSORAS_BASE_URL === undefined ? await embedded() : external()
const actor = createActor(makePipeline(world.steps), {
  input: {
    knowledgeBaseId: world.knowledgeBaseId,
    dataSourceId: world.dataSourceId,
    question,
    timeoutMs: 10 * 60_000
  }
})

// One line when the pipeline moves, and one when the job or the watcher does.
let step = ""
let watched: unknown
let progress = ""
const report = (snapshot: JobMachine.Snapshot) => {
  const { job } = snapshot.context
  const watcher = typeof snapshot.value === "object" ? snapshot.value.watching.watcher : snapshot.value
  const line = job
    ? `  ${IngestionJob.statusText(job.status)}: ${job.documents_processed} processed, ` +
      `${job.documents_failed} failed, ${job.chunks_created} chunks (${watcher})`
    : `  (${watcher})`
  if (line === progress) return
  progress = line
  console.log(line)
}
actor.subscribe((snapshot) => {
  const value = String(snapshot.value)
  if (value !== step) {
    step = value
    console.log(`pipeline: ${value}${value === "ingesting" ? ` (job ${snapshot.context.jobId})` : ""}`)
  }
  const child = snapshot.children.ingestion
  if (child !== undefined && child !== watched) {
    watched = child
    child.subscribe(report)
  }
})

const cancel = () => actor.send({ type: "CANCEL" })
process.once("SIGINT", cancel)
actor.start()
const output = await toPromise(actor)
process.off("SIGINT", cancel)

switch (output._tag) {
  case "Answered": {
    const { job } = output
    const failed = job.partial
      ? `; failed: ${job.failedDocuments.map((d) => d.document_name).join(", ")}`
      : ""
    console.log(`Ingested: ${job.documents_processed} documents, ${job.chunks_created} chunks${failed}`)
    console.log(`Answer: ${output.answer}`)
    break
  }
  case "NotIngested": {
    const { outcome } = output
    const why =
      outcome._tag === "Failed"
        ? `failed: ${outcome.error?.message ?? "no error given"}`
        : outcome._tag === "TimedOut"
          ? outcome.message
          : outcome._tag === "Errored"
            ? `${outcome.error._tag}: ${outcome.error.message}`
            : outcome._tag
    console.error(`Not ingested: job ${output.jobId} ${why}`)
    break
  }
  case "SyncFailed":
    console.error(`Sync failed: ${output.message}`)
    break
  case "Cancelled":
    console.error(`Cancelled${output.jobId === null ? "" : ` while waiting for ${output.jobId}`}`)
    break
}
await world.close()
process.exitCode = output._tag === "Answered" ? 0 : 1
