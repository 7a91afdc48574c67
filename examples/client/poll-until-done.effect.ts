// Usage 3 of the API docs: poll one job every 5 seconds until it is completed or failed, then
// report the chunk count or the error. (The lifecycle issue adds `waitFor`, which also has a
// deadline, backoff and progress; this is the docs' loop, written with a Schedule.)
//   TENSORAS_API_KEY=… [TENSORAS_BASE_URL=…] [POLL_INTERVAL_MS=5000] tsx examples/client/poll-until-done.effect.ts kb_abc123 job_def456
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import { IngestionJob, IngestionJobs } from "@tensoras/ingestion"
import * as Console from "effect/Console"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"

const [knowledgeBaseId = "kb_abc123", jobId = "job_def456"] = process.argv.slice(2)
const interval = Duration.millis(Number(process.env.POLL_INTERVAL_MS ?? 5000))

const program = IngestionJobs.get(knowledgeBaseId, jobId).pipe(
  Effect.tap((job) =>
    Console.log(
      `${IngestionJob.statusText(job.status)}: ${job.documents_processed} docs, ${job.chunks_created} chunks`
    )
  ),
  // The first poll is immediate; then one every interval until the job is terminal, and the
  // repeat's result is that last job.
  Effect.repeat(
    Schedule.recurUntil((job: IngestionJob.IngestionJobDetail) => IngestionJob.isTerminal(job)).pipe(
      Schedule.addDelay(() => interval)
    )
  ),
  Effect.timeout("30 minutes"),
  Effect.flatMap((job) =>
    job.status === "completed"
      ? Console.log(`Completed: ${job.chunks_created} chunks`)
      : Console.log(`Failed: ${job.error?.message ?? "no error given"}`)
  )
)

program
  .pipe(
    Effect.provide(IngestionJobs.layerConfig().pipe(Layer.provide(FetchHttpClient.layer))),
    Effect.tapErrorCause(Effect.logError),
    Effect.runPromise
  )
  .catch(() => {
    process.exitCode = 1
  })
