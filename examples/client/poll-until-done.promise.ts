// Usage 3 of the API docs: poll one job every 5 seconds until it is completed or failed, then
// report the chunk count or the error. The docs' loop becomes one call: the first poll at once,
// then every 5 seconds, with a deadline, retries that honour Retry-After, and typed outcomes.
//   TENSORAS_API_KEY=… [TENSORAS_BASE_URL=…] [POLL_INTERVAL_MS=5000] tsx examples/client/poll-until-done.promise.ts kb_abc123 job_def456
import { IngestionJob, WaitError } from "@tensoras/ingestion"
import { waitForIngestionJob } from "@tensoras/ingestion-node"

const [knowledgeBaseId = "kb_abc123", jobId = "job_def456"] = process.argv.slice(2)

try {
  const job = await waitForIngestionJob({
    apiKey: process.env.TENSORAS_API_KEY ?? "",
    baseUrl: process.env.TENSORAS_BASE_URL,
    knowledgeBaseId,
    jobId,
    pollIntervalMs: Number(process.env.POLL_INTERVAL_MS ?? 5000),
    timeoutMs: 30 * 60 * 1000,
    onUpdate: (update) =>
      console.log(
        `${IngestionJob.statusText(update.status)}: ${update.documents_processed} docs, ${update.chunks_created} chunks`
      )
  })
  console.log(`Completed: ${job.chunks_created} chunks`)
} catch (error) {
  if (error instanceof WaitError.IngestionJobFailed) console.log(`Failed: ${error.message}`)
  else throw error
}
