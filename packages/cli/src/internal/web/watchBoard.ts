/**
 * The waits behind the page: one `JobMachine` per job (`JobActor.start`), on one engine of the
 * command's own whose round reports feed the knowledge bases' figures. Every snapshot of every
 * machine goes to the board, which the server reads.
 */
import type { IngestionError } from "@tensoras/ingestion/IngestionError"
import type * as IngestionJobs from "@tensoras/ingestion/IngestionJobs"
import * as JobActor from "@tensoras/ingestion/JobActor"
import * as PollSchedule from "@tensoras/ingestion/PollSchedule"
import * as Wait from "@tensoras/ingestion/Wait"
import * as WaitEngine from "@tensoras/ingestion/WaitEngine"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import type { Board } from "./board.js"
import type { WatchGroup } from "./webArgs.js"

export interface WatchPlan {
  readonly groups: ReadonlyArray<WatchGroup>
  readonly intervalMs: number | undefined
  readonly timeoutMs: number
}

/**
 * Starts the waits of the plan (listing the active jobs first where asked) and feeds the board;
 * `everyEnded` is done once every wait has ended. The waits stop with the scope.
 */
export const watchOnBoard = (
  plan: WatchPlan,
  board: Board,
  everyEnded: Deferred.Deferred<void>
): Effect.Effect<void, IngestionError, IngestionJobs.IngestionJobs | Scope.Scope> =>
  Effect.gen(function* () {
    const engine = yield* WaitEngine.make({ onRound: (report) => board.round(report) })
    const options: JobActor.StartOptions = {
      schedule:
        plan.intervalMs === undefined
          ? PollSchedule.defaultSchedule
          : PollSchedule.fixed(Duration.millis(plan.intervalMs)),
      timeout: Duration.millis(plan.timeoutMs)
    }
    const checkEnded = () => {
      if (board.allEnded()) Deferred.doneUnsafe(everyEnded, Effect.void)
    }
    const start = (knowledgeBaseId: string, jobId: string) =>
      Effect.gen(function* () {
        const key = board.addJob(knowledgeBaseId, jobId, Date.now())
        const actor = yield* JobActor.start(knowledgeBaseId, jobId, options)
        const feed = (snapshot: ReturnType<typeof actor.getSnapshot>) => {
          board.snapshot(key, snapshot, Date.now())
          if (snapshot.status === "done") checkEnded()
        }
        actor.subscribe(feed)
        feed(actor.getSnapshot())
      }).pipe(Effect.provideService(WaitEngine.WaitEngine, engine))
    for (const group of plan.groups) board.addKnowledgeBase(group.knowledgeBaseId)
    // The jobs named on the command line start at once; then the listings, one knowledge base after
    // another, each one's jobs starting as soon as it is listed.
    for (const group of plan.groups) {
      yield* Effect.forEach(group.jobIds, (jobId) => start(group.knowledgeBaseId, jobId), { discard: true })
    }
    for (const group of plan.groups) {
      if (!group.allActive) continue
      // `Wait.activeJobs`, as `jobs wait --all-active`: a job that ends while the list is read is kept.
      const jobs = yield* Wait.activeJobs(group.knowledgeBaseId)
      yield* Effect.forEach(jobs, (job) => start(group.knowledgeBaseId, job.id), { discard: true })
    }
    board.listed()
    checkEnded()
  })
