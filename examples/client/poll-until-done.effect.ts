// Usage 3 of the API docs: poll one job every 5 seconds until it is completed or failed, then
// report the chunk count or the error. The docs' loop becomes a wait: the first poll at once, the
// docs' 5 seconds as a Schedule, a deadline, retries that honour Retry-After, typed outcomes.
//   TENSORAS_API_KEY=… [TENSORAS_BASE_URL=…] [POLL_INTERVAL_MS=5000] tsx examples/client/poll-until-done.effect.ts kb_abc123 job_def456
import { IngestionJob, IngestionJobs, PollSchedule, Wait, WaitEngine } from "@tensoras/ingestion"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import * as Layer from "effect/Layer"

const [knowledgeBaseId = "kb_abc123", jobId = "job_def456"] = process.argv.slice(2)
const interval = Number(process.env.POLL_INTERVAL_MS ?? 5000)

const program = Wait.waitFor(knowledgeBaseId, jobId, {
  schedule: PollSchedule.fixed(interval),
  timeout: "30 minutes",
  onUpdate: (job) =>
    console.log(
      `${IngestionJob.statusText(job.status)}: ${job.documents_processed} docs, ${job.chunks_created} chunks`
    )
}).pipe(
  Effect.flatMap((job) => Console.log(`Completed: ${job.chunks_created} chunks`)),
  Effect.catchTag("IngestionJobFailed", (error) => Console.log(`Failed: ${error.message}`))
)

program
  .pipe(
    Effect.provide(
      WaitEngine.layer().pipe(
        Layer.provide(IngestionJobs.layerConfig()),
        Layer.provide(FetchHttpClient.layer)
      )
    ),
    Effect.tapCause(Effect.logError),
    Effect.runPromise
  )
  .catch(() => {
    process.exitCode = 1
  })
