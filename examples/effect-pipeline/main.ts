// An Effect pipeline with an ingestion wait in the middle: sync → wait for ingestion → query.
// Every failure is a typed value; the wait has a deadline, backoff and progress. It runs under
// NodeIngestion.runMain: Ctrl-C (or SIGTERM) interrupts the wait, aborts the request in flight,
// closes what the program opened (the embedded simulator) and exits with 130 (143).
//
//   tsx examples/effect-pipeline/main.ts                    # embedded simulator, realistic sync
//   TENSORAS_API_KEY=… TENSORAS_BASE_URL=… tsx examples/effect-pipeline/main.ts kb_abc123 job_def456
import { IngestionJob, PollSchedule, Wait } from "@tensoras/ingestion"
import { NodeIngestion } from "@tensoras/ingestion-node"
import { NodeSimulator } from "@tensoras/ingestion-testkit"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"

// Step 1. In a real pipeline this is your call that adds or syncs a data source; the service
// then creates the ingestion job. Here the job is given, or the embedded simulator's live sync.
const [givenKb, givenJob] = process.argv.slice(2)
const pollInterval = process.env.POLL_INTERVAL_MS

// Step 2. The wait: a deadline, the default cadence (paced by the job's progress), typed outcomes.
const waitForIngestion = (knowledgeBaseId: string, jobId: string) =>
  Wait.waitFor(knowledgeBaseId, jobId, {
    timeout: "15 minutes",
    schedule: pollInterval ? PollSchedule.fixed(Number(pollInterval)) : undefined,
    onUpdate: (job) =>
      console.log(
        `  ${IngestionJob.statusText(job.status)}: ${job.documents_processed} processed, ${job.documents_failed} failed, ${job.chunks_created} chunks`
      )
  })

// Step 3. Stands in for the query your pipeline runs once the documents are searchable.
const runQuery = (job: Wait.CompletedJob) =>
  Console.log(`Querying the knowledge base over ${job.chunks_created} fresh chunks… done.`)

const pipeline = (knowledgeBaseId: string, jobId: string) =>
  Effect.gen(function* () {
    yield* Console.log(`Waiting for ${jobId} in ${knowledgeBaseId}:`)
    const job = yield* waitForIngestion(knowledgeBaseId, jobId)
    if (job.partial) {
      yield* Console.log(`Ingested, but ${job.failedDocuments.length} documents failed:`)
      for (const doc of job.failedDocuments)
        yield* Console.log(`  [FAIL] ${doc.document_name}: ${doc.error?.message}`)
    }
    yield* runQuery(job)
  }).pipe(
    Effect.catchTags({
      IngestionJobFailed: (e) =>
        Console.error(`Ingestion failed: ${e.message} (${e.job.error?.code ?? "no code"})`),
      WaitTimeout: (e) => Console.error(`Gave up: ${e.message}`),
      NotFound: (e) => Console.error(`No such job or knowledge base (${e.code ?? e.status})`),
      Unauthorized: () => Console.error("The API key was refused")
    }),
    // A signal interrupts the wait: the job itself goes on in the service.
    Effect.onInterrupt(() =>
      Console.error(`Interrupted: stopped waiting for ${jobId} (it goes on in the service)`)
    )
  )

const main = Effect.gen(function* () {
  if (process.env.TENSORAS_BASE_URL) {
    // The key and base URL from TENSORAS_API_KEY / TENSORAS_BASE_URL; requests on undici.
    return yield* pipeline(givenKb ?? "kb_abc123", givenJob ?? "job_def456").pipe(
      Effect.provide(NodeIngestion.layerConfig())
    )
  }
  // Closed when the program ends, a signal's interruption included.
  const simulator = yield* Effect.acquireRelease(
    Effect.promise(() => NodeSimulator.start({ scenario: "realistic" })),
    (sim) => Effect.promise(() => sim.close())
  )
  yield* Console.log(`(embedded simulator at ${simulator.baseUrl})`)
  yield* pipeline("kb_demo", "job_demo_sync").pipe(
    Effect.provide(
      NodeIngestion.layer({ apiKey: Redacted.make(simulator.apiKey), baseUrl: simulator.baseUrl })
    )
  )
})

// Not `Effect.runPromise`: that would leave SIGINT to Node, which kills the process with no clean-up.
main.pipe(Effect.scoped, NodeIngestion.runMain)
