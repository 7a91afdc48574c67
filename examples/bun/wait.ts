// Waiting for an ingestion job on Bun, in Effect:
//
//   TENSORAS_API_KEY=tns_… bun examples/bun/wait.ts kb_abc123 job_def456 [pollIntervalMs]
//
// The key and base URL come from TENSORAS_API_KEY / TENSORAS_BASE_URL (Bun also loads them from a `.env`
// file in the working directory). Progress is printed on each change; Ctrl-C aborts the request in flight
// and exits with 130. A failure is one line on stderr, `Tag: message`, with the library's exit code.
import { IngestionJob, PollSchedule, Wait } from "@tensoras/ingestion"
import { BunIngestion } from "@tensoras/ingestion-bun"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"

const [knowledgeBaseId = "kb_abc123", jobId = "job_def456", interval] = process.argv.slice(2)
const options = {
  timeout: "15 minutes",
  schedule:
    interval === undefined ? PollSchedule.defaultSchedule : PollSchedule.fixed(`${Number(interval)} millis`)
} as const

const program = Wait.waitFor(knowledgeBaseId, jobId, {
  ...options,
  onUpdate: (job) =>
    console.log(
      `${IngestionJob.statusText(job.status)}: ${job.documents_processed} processed, ` +
        `${job.documents_failed} failed, ${job.chunks_created} chunks`
    )
}).pipe(
  // The completed job, or IngestionJobFailed / WaitTimeout / the client's error, typed.
  Effect.flatMap((job) =>
    Console.log(
      job.partial
        ? `Completed: ${job.chunks_created} chunks, ${job.failedDocuments.length} documents failed`
        : `Completed: ${job.chunks_created} chunks`
    )
  ),
  Effect.provide(BunIngestion.layerConfig())
)

BunIngestion.runMain(program)
