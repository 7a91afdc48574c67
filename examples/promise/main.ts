// Waiting for an ingestion job from plain async code: the API docs' loop, with a deadline,
// backoff, retries, typed errors, progress and Ctrl-C. On Node, `waitForIngestionJob` comes from
// @tensoras/ingestion-node: undici's Dispatcher.request with keep-alive, not the global fetch.
//
//   tsx examples/promise/main.ts                    # embedded simulator, realistic sync
//   TENSORAS_API_KEY=… TENSORAS_BASE_URL=… tsx examples/promise/main.ts kb_abc123 job_def456
import { IngestionError, IngestionJob, WaitError } from "@tensoras/ingestion"
import { waitForIngestionJob } from "@tensoras/ingestion-node"
import { NodeSimulator } from "@tensoras/ingestion-testkit"

const [givenKb, givenJob] = process.argv.slice(2)
const embedded = process.env.TENSORAS_BASE_URL
  ? undefined
  : await NodeSimulator.start({ scenario: "realistic" })
const apiKey = embedded?.apiKey ?? process.env.TENSORAS_API_KEY ?? ""
const baseUrl = embedded?.baseUrl ?? process.env.TENSORAS_BASE_URL
const knowledgeBaseId = embedded ? "kb_demo" : (givenKb ?? "kb_abc123")
const jobId = embedded ? "job_demo_sync" : (givenJob ?? "job_def456")

// Ctrl-C aborts the wait: the request in flight is aborted and nothing else is sent.
const controller = new AbortController()
process.once("SIGINT", () => controller.abort())

try {
  const job = await waitForIngestionJob({
    apiKey,
    baseUrl,
    knowledgeBaseId,
    jobId,
    signal: controller.signal,
    timeoutMs: 15 * 60 * 1000,
    pollIntervalMs: process.env.POLL_INTERVAL_MS ? Number(process.env.POLL_INTERVAL_MS) : undefined,
    onUpdate: (update) =>
      console.log(
        `${IngestionJob.statusText(update.status)}: ${update.documents_processed} processed, ${update.chunks_created} chunks`
      )
  })
  console.log(`Completed: ${job.chunks_created} chunks`)
  if (job.partial) {
    for (const doc of job.failedDocuments) console.log(`  [FAIL] ${doc.document_name}: ${doc.error?.message}`)
  }
} catch (error) {
  process.exitCode = 1
  if (error instanceof WaitError.IngestionJobFailed) console.error(`Ingestion failed: ${error.message}`)
  else if (error instanceof WaitError.WaitTimeout) console.error(`Gave up: ${error.message}`)
  else if (error instanceof IngestionError.NotFound) console.error(`No such job (${error.code})`)
  else if (error instanceof Error && error.name === "AbortError") console.error("Interrupted")
  else throw error
} finally {
  await embedded?.close()
}
