// Usage 2 of the API docs: get one job, its counters and one line per document.
//   TENSORAS_API_KEY=… [TENSORAS_BASE_URL=…] tsx examples/client/get-job.effect.ts kb_abc123 job_abc123
import { IngestionJob, IngestionJobs } from "@tensoras/ingestion"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import * as Layer from "effect/Layer"

const [knowledgeBaseId = "kb_abc123", jobId = "job_abc123"] = process.argv.slice(2)

const program = Effect.gen(function* () {
  const job = yield* IngestionJobs.get(knowledgeBaseId, jobId)
  yield* Console.log(`Status: ${IngestionJob.statusText(job.status)}`)
  yield* Console.log(`Processed: ${job.documents_processed}, failed: ${job.documents_failed}`)
  yield* Console.log(`Chunks: ${job.chunks_created}`)
  for (const doc of job.document_details) {
    const mark = IngestionJob.isDocumentIngested(doc) ? "[OK]" : "[FAIL]"
    yield* Console.log(`  ${mark} ${doc.document_name}: ${doc.chunks_created} chunks`)
  }
})

program
  .pipe(
    Effect.provide(IngestionJobs.layerConfig().pipe(Layer.provide(FetchHttpClient.layer))),
    // Typed errors: each case is a value you can match on, not a string to parse.
    Effect.catchTags({
      NotFound: (error) => Console.error(`No such job or knowledge base (${error.code ?? error.status})`),
      Unauthorized: () => Console.error("The API key was refused: check TENSORAS_API_KEY")
    }),
    Effect.tapCause(Effect.logError),
    Effect.runPromise
  )
  .catch(() => {
    process.exitCode = 1
  })
