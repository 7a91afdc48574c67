// Usage 1 of the API docs: list the jobs of a knowledge base, one line each.
//   TENSORAS_API_KEY=… [TENSORAS_BASE_URL=…] tsx examples/client/list-jobs.promise.ts kb_abc123
import { IngestionJob } from "@tensoras/ingestion"
import { createIngestionJobsClient } from "@tensoras/ingestion-node"

const knowledgeBaseId = process.argv[2] ?? "kb_abc123"
const client = createIngestionJobsClient({
  apiKey: process.env.TENSORAS_API_KEY ?? "",
  baseUrl: process.env.TENSORAS_BASE_URL
})

const page = await client.list(knowledgeBaseId)
for (const job of page.data) {
  console.log(
    `${job.id}: ${IngestionJob.statusText(job.status)} - ${job.documents_processed} docs, ${job.chunks_created} chunks`
  )
}
