// Usage 3 of the API docs: poll one job every 5 seconds until it is completed or failed, then
// report the chunk count or the error. (The lifecycle issue adds `waitForIngestionJob`, with a
// deadline, backoff and progress; this is the docs' loop over the typed client.)
//   TENSORAS_API_KEY=… [TENSORAS_BASE_URL=…] [POLL_INTERVAL_MS=5000] tsx examples/client/poll-until-done.promise.ts kb_abc123 job_def456
import { setTimeout as sleep } from "node:timers/promises"
import { createIngestionJobsClient, IngestionJob } from "@tensoras/ingestion"

const [knowledgeBaseId = "kb_abc123", jobId = "job_def456"] = process.argv.slice(2)
const interval = Number(process.env.POLL_INTERVAL_MS ?? 5000)
const client = createIngestionJobsClient({
  apiKey: process.env.TENSORAS_API_KEY ?? "",
  baseUrl: process.env.TENSORAS_BASE_URL
})

// Every request has a timeout and retries 429/5xx by itself; the whole wait has a deadline.
const deadline = AbortSignal.timeout(30 * 60 * 1000)
for (;;) {
  const job = await client.get(knowledgeBaseId, jobId, { signal: deadline })
  console.log(
    `${IngestionJob.statusText(job.status)}: ${job.documents_processed} docs, ${job.chunks_created} chunks`
  )
  if (job.status === "completed") {
    console.log(`Completed: ${job.chunks_created} chunks`)
    break
  }
  if (job.status === "failed") {
    console.log(`Failed: ${job.error?.message ?? "no error given"}`)
    break
  }
  await sleep(interval, undefined, { signal: deadline })
}
