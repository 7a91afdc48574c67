// The README's main job: start the simulator, then list and inspect the jobs of a simulated
// knowledge base with the typed client. No network and no key needed.
//   npm run demo
import { createIngestionJobsClient, IngestionJob } from "@tensoras/ingestion"
import { NodeSimulator } from "@tensoras/ingestion-testkit"

const simulator = await NodeSimulator.start({ scenario: "realistic" })
console.log(`Simulator: ${simulator.baseUrl} (scenario "realistic")\n`)

try {
  const client = createIngestionJobsClient({ apiKey: simulator.apiKey, baseUrl: simulator.baseUrl })
  const [knowledgeBaseId = "kb_demo"] = simulator.control.knowledgeBases()

  console.log(`Jobs of ${knowledgeBaseId}:`)
  const jobs: Array<IngestionJob.IngestionJob> = []
  for await (const job of client.listAll(knowledgeBaseId)) {
    jobs.push(job)
    console.log(
      `  ${job.id}: ${IngestionJob.statusText(job.status)} - ${job.documents_processed} docs, ${job.chunks_created} chunks`
    )
  }

  for (const { id } of jobs) {
    const job = await client.get(knowledgeBaseId, id)
    const created = IngestionJob.toDate(job.created_at).toISOString()
    console.log(`\n${job.id} (data source ${job.data_source_id}, created ${created})`)
    console.log(`  status ${IngestionJob.statusText(job.status)}, ${job.documents_processed} processed,`)
    console.log(`  ${job.documents_failed} failed, ${job.chunks_created} chunks`)
    for (const doc of job.document_details) {
      const mark = IngestionJob.isDocumentIngested(doc)
        ? "[OK]  "
        : doc.error !== null || doc.status === "failed"
          ? "[FAIL]"
          : `[${IngestionJob.statusText(doc.status)}]`
      const why = doc.error ? ` (${doc.error.message})` : ""
      console.log(`  ${mark} ${doc.document_name}: ${doc.chunks_created} chunks${why}`)
    }
  }
  console.log(`\n${simulator.control.requestCount()} HTTP requests.`)
} finally {
  await simulator.close()
}
