// Usage 4 of the API docs: list only the failed jobs (status=failed) and print their errors,
// across every page.
//   TENSORAS_API_KEY=… [TENSORAS_BASE_URL=…] tsx examples/client/list-failed.promise.ts kb_paginated
import { createIngestionJobsClient } from "@tensoras/ingestion-node"

const knowledgeBaseId = process.argv[2] ?? "kb_abc123"
const client = createIngestionJobsClient({
  apiKey: process.env.TENSORAS_API_KEY ?? "",
  baseUrl: process.env.TENSORAS_BASE_URL
})

for await (const job of client.listAll(knowledgeBaseId, { status: "failed" })) {
  console.log(`${job.id}: ${job.error?.message ?? "no error given"}`)
}
