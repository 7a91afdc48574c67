// Usage 2 of the API docs: get one job, its counters and one line per document.
//   TENSORAS_API_KEY=… [TENSORAS_BASE_URL=…] tsx examples/client/get-job.promise.ts kb_abc123 job_abc123
import { IngestionError, IngestionJob } from "@tensoras/ingestion"
import { createIngestionJobsClient } from "@tensoras/ingestion-node"

const [knowledgeBaseId = "kb_abc123", jobId = "job_abc123"] = process.argv.slice(2)
const client = createIngestionJobsClient({
  apiKey: process.env.TENSORAS_API_KEY ?? "",
  baseUrl: process.env.TENSORAS_BASE_URL
})

try {
  const job = await client.get(knowledgeBaseId, jobId)
  console.log(`Status: ${IngestionJob.statusText(job.status)}`)
  console.log(`Processed: ${job.documents_processed}, failed: ${job.documents_failed}`)
  console.log(`Chunks: ${job.chunks_created}`)
  for (const doc of job.document_details) {
    const mark = IngestionJob.isDocumentIngested(doc) ? "[OK]" : "[FAIL]"
    console.log(`  ${mark} ${doc.document_name}: ${doc.chunks_created} chunks`)
  }
} catch (error) {
  if (error instanceof IngestionError.NotFound) {
    console.error(`No such job or knowledge base (${error.code ?? error.status})`)
  } else if (error instanceof IngestionError.Unauthorized) {
    console.error("The API key was refused: check TENSORAS_API_KEY")
  } else {
    throw error
  }
}
