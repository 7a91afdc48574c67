// Usage 1 of the API docs: list the jobs of a knowledge base, one line each.
//   TENSORAS_API_KEY=… [TENSORAS_BASE_URL=…] tsx examples/client/list-jobs.effect.ts kb_abc123
import { IngestionJob, IngestionJobs } from "@tensoras/ingestion"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import * as Layer from "effect/Layer"

const knowledgeBaseId = process.argv[2] ?? "kb_abc123"

const program = Effect.gen(function* () {
  const page = yield* IngestionJobs.list(knowledgeBaseId)
  for (const job of page.data) {
    yield* Console.log(
      `${job.id}: ${IngestionJob.statusText(job.status)} - ${job.documents_processed} docs, ${job.chunks_created} chunks`
    )
  }
})

const live = IngestionJobs.layerConfig().pipe(Layer.provide(FetchHttpClient.layer))

program.pipe(
  Effect.provide(live),
  Effect.catch((error) =>
    Effect.sync(() => {
      console.error(`${error._tag}: ${error.message}`)
      process.exitCode = 1
    })
  ),
  Effect.runPromise
)
