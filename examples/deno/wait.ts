// Waiting for an ingestion job on Deno, with the minimum permissions:
//
//   TENSORAS_API_KEY=tns_… deno run --config packages/deno/deno.json \
//     --allow-net=api.tensoras.ai --allow-env=TENSORAS_API_KEY,TENSORAS_BASE_URL \
//     examples/deno/wait.ts kb_abc123 job_def456 [pollIntervalMs]
//
// Progress is printed on each change; Ctrl-C aborts the request in flight and exits with 130. A missing
// permission is reported as `PermissionDenied: … run with --allow-env=…` (exit code 1).
import { IngestionJob, PollSchedule, Wait } from "@tensoras/ingestion"
import { DenoIngestion } from "@tensoras/ingestion-deno"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"

const [knowledgeBaseId = "kb_abc123", jobId = "job_def456", interval] = Deno.args
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
  Effect.provide(DenoIngestion.layerConfig())
)

DenoIngestion.runMain(program)
