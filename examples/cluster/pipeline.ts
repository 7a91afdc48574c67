// A durable pipeline on the cluster: sync several data sources, wait for all their ingestion jobs, then run
// the next step. The pipeline is your own effect/workflow workflow; the wait inside it is
// WaitForIngestionJobs, polled by the knowledge base's entity (one loop for every wait on it). Kill any
// process at any point: the pipeline resumes where it was, and its next step runs once.
//
//   TENSORAS_DATABASE_URL=postgres://… TENSORAS_API_KEY=… tsx examples/cluster/pipeline.ts runner [--port 24431]
//   TENSORAS_DATABASE_URL=postgres://… tsx examples/cluster/pipeline.ts start kb_abc123 job_1 job_2 job_3
//
// `runner` is a cluster runner that also hosts the pipeline (run several, on several machines: each with its
// own --port, and --host set to an address the others reach); `start` starts the pipeline (or joins it: the
// same knowledge base and jobs are the same pipeline) and prints its result.
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { IngestionCluster, WaitForIngestionJobs } from "@tensoras/ingestion-cluster"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import * as Activity from "effect/workflow/Activity"
import * as Workflow from "effect/workflow/Workflow"

// The pipeline: its payload, its result, and what makes two starts the same pipeline.
const SyncPipeline = Workflow.make("example.SyncPipeline", {
  payload: { knowledgeBaseId: Schema.String, jobIds: Schema.Array(Schema.String) },
  success: Schema.Struct({ ingested: Schema.Number, failed: Schema.Array(Schema.String) }),
  idempotencyKey: ({ knowledgeBaseId, jobIds }) => `${knowledgeBaseId}/${jobIds.join(",")}`
})

const SyncPipelineLive = SyncPipeline.toLayer(({ knowledgeBaseId, jobIds }) =>
  Effect.gen(function* () {
    // Step 1, the syncs, happened before (your calls that add or sync data sources return the job ids).
    // Step 2: one durable wait for all the jobs; a failed job is a result, not a failure of the pipeline.
    const results = yield* WaitForIngestionJobs.WaitForIngestionJobs.execute({
      knowledgeBaseId,
      jobIds
    }).pipe(
      Effect.orDie // InvalidInput: no job ids, or one named twice
    )
    const failed = results.filter((result) => Result.isFailure(result.outcome)).map((result) => result.jobId)
    const ingested = results.length - failed.length
    // Step 3, as an activity: journaled, so a replay of the pipeline does not run it again.
    yield* Activity.make({
      name: "refresh-search-index",
      execute: Console.log(
        `next step: refreshing the search index of ${knowledgeBaseId} (${ingested} sources ingested)`
      )
    })
    return { ingested, failed }
  })
)

const [command, ...args] = process.argv.slice(2)

if (command === "runner") {
  const portFlag = args.indexOf("--port")
  const port = portFlag >= 0 ? Number(args[portFlag + 1]) : IngestionCluster.DEFAULT_PORT
  // The runner Layer with the pipeline on it; it runs until SIGINT/SIGTERM, then leaves the cluster.
  const live = SyncPipelineLive.pipe(Layer.provideMerge(IngestionCluster.runnerConfig({ port })))
  Effect.gen(function* () {
    yield* Layer.build(live)
    yield* Console.log(`runner on port ${port}`)
    return yield* Effect.never
  }).pipe(Effect.scoped, NodeRuntime.runMain)
} else if (command === "start" && args.length >= 2) {
  const [knowledgeBaseId, ...jobIds] = args as [string, ...Array<string>]
  SyncPipeline.execute({ knowledgeBaseId, jobIds }).pipe(
    Effect.flatMap(({ ingested, failed }) =>
      Console.log(
        `pipeline done: ${ingested} ingested${failed.length > 0 ? `, failed: ${failed.join(", ")}` : ""}`
      )
    ),
    Effect.provide(IngestionCluster.clientConfig()),
    NodeRuntime.runMain
  )
} else {
  console.error("usage: pipeline.ts runner [--port N] | start <knowledge-base-id> <job-id>...")
  process.exitCode = 2
}
