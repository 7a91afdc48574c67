/**
 * What the poll schedule tests share (PollSchedule*.test.ts): a job as a poll sees it, and ways to
 * step a schedule over polls.
 */
import type { IngestionJob } from "@tensoras/ingestion"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Pull from "effect/Pull"
import * as Schedule from "effect/Schedule"

export const job = (
  processed: number,
  status: IngestionJob.JobStatus = "processing"
): IngestionJob.IngestionJob => ({
  id: "job_1",
  object: "ingestion_job",
  knowledge_base_id: "kb_1",
  data_source_id: "ds_1",
  status,
  documents_processed: processed,
  documents_failed: 0,
  chunks_created: processed * 10,
  started_at: 1,
  completed_at: null,
  created_at: 1,
  error: null
})

/**
 * Starts a schedule (as a wait does) and gives a function that steps it at `now` with a job: its output
 * and its delay in ms, or `undefined` once it has ended.
 */
export const stepper = <Out, In>(schedule: Schedule.Schedule<Out, In>) =>
  Effect.map(
    Schedule.toStep(schedule),
    (step) => (now: number, input: In) =>
      Pull.catchDone(
        Effect.map(step(now, input), ([output, delay]) => ({ output, delay: Duration.toMillis(delay) })),
        () => Effect.succeed(undefined)
      )
  )

/** Steps a schedule over the jobs seen by successive polls, each poll happening when the last delay ends. */
export const run = <Out>(
  schedule: Schedule.Schedule<Out, IngestionJob.IngestionJob>,
  jobs: ReadonlyArray<IngestionJob.IngestionJob>
) =>
  Effect.gen(function* () {
    let now = 0
    const step = yield* stepper(schedule)
    const steps: Array<{ delay: number; output: Out }> = []
    for (const seen of jobs) {
      const stepped = yield* step(now, seen)
      if (stepped === undefined) break
      steps.push(stepped)
      now += stepped.delay
    }
    return steps
  })
