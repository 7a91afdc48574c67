// The Node adapter run on Bun, as a user might by mistake: its Promise wait (`promise`) or its Layer
// (`effect`). Prints what it ended with, on one line, for effect.test.ts ("the Node adapter on Bun").
import * as IngestionJobs from "@tensoras/ingestion/IngestionJobs"
import { NodeIngestion, waitForIngestionJob } from "@tensoras/ingestion-node"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"

const describe = (error: unknown): string =>
  error instanceof Error ? `${error.name}: ${error.message}` : String(error)

if (process.argv[2] === "promise") {
  try {
    await waitForIngestionJob({ knowledgeBaseId: "kb_abc123", jobId: "job_def456", timeoutMs: 60_000 })
    console.log("resolved")
  } catch (error) {
    console.log(describe(error))
  }
} else {
  const exit = await Effect.runPromiseExit(
    IngestionJobs.get("kb_abc123", "job_def456").pipe(
      Effect.provide(IngestionJobs.layerConfig().pipe(Layer.provide(NodeIngestion.layerHttpClient())))
    )
  )
  console.log(Exit.isSuccess(exit) ? "succeeded" : describe(Cause.squash(exit.cause)))
}
