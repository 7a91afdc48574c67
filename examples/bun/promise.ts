// Waiting for an ingestion job on Bun, from plain async code: the core's Promise API, on Bun's own
// `fetch` (no adapter needed; not `@tensoras/ingestion-node`, whose undici client Bun does not run):
//
//   TENSORAS_API_KEY=tns_… bun examples/bun/promise.ts kb_abc123 job_def456 [pollIntervalMs]
//
// The key and base URL come from TENSORAS_API_KEY / TENSORAS_BASE_URL (or a `.env` file, which Bun
// loads). Ctrl-C aborts the wait: the request in flight is aborted, nothing more is sent, exit code 130.
// Otherwise the exit code is the library's: 0 completed, 1 job failed, 2 input, 3 timed out, 4 API.
import { ExitCode, IngestionError, IngestionJob, WaitError, waitForIngestionJob } from "@tensoras/ingestion"

const [knowledgeBaseId = "kb_abc123", jobId = "job_def456", interval] = process.argv.slice(2)

const controller = new AbortController()
process.once("SIGINT", () => controller.abort())

try {
  const job = await waitForIngestionJob({
    knowledgeBaseId,
    jobId,
    signal: controller.signal,
    timeoutMs: 15 * 60 * 1000,
    pollIntervalMs: interval === undefined ? undefined : Number(interval),
    onUpdate: (update) =>
      console.log(
        `${IngestionJob.statusText(update.status)}: ${update.documents_processed} processed, ` +
          `${update.documents_failed} failed, ${update.chunks_created} chunks`
      )
  })
  console.log(
    job.partial
      ? `Completed: ${job.chunks_created} chunks, ${job.failedDocuments.length} documents failed`
      : `Completed: ${job.chunks_created} chunks`
  )
} catch (error) {
  if (controller.signal.aborted) {
    process.exitCode = ExitCode.ofSignal("SIGINT")
  } else if (
    IngestionError.isIngestionError(error) ||
    error instanceof WaitError.IngestionJobFailed ||
    error instanceof WaitError.WaitTimeout
  ) {
    // The library's errors carry a message written for a person: one line, no stack.
    console.error(`${error._tag}: ${error.message}`)
    process.exitCode = ExitCode.ofError(error)
  } else {
    throw error
  }
}
