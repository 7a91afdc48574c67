/**
 * The fake world of the cluster tests and the benchmark: jobs in the simulator whose outcome is planned
 * (completed, failed, no such job, or still running at the wait's deadline), and what each wait should end with.
 */
import type { NodeSimulator } from "@tensoras/ingestion-testkit"

export type Expected = "completed" | "failed" | "missing" | "timeout"

export interface PlannedJob {
  readonly knowledgeBaseId: string
  readonly jobId: string
  readonly expected: Expected
}

export interface PlanOptions {
  readonly knowledgeBases: number
  readonly jobsPerKnowledgeBase: number
  /** Jobs end spread evenly between these two delays from now (ms). */
  readonly firstEndMs: number
  readonly lastEndMs: number
  /** Every `failEvery`-th job fails; every `missingEvery`-th is waited on but does not exist; every
   * `timeoutEvery`-th runs far past its wait's timeout. */
  readonly failEvery?: number
  readonly missingEvery?: number
  readonly timeoutEvery?: number
  /** Knowledge base ids are `${prefix}_1`, … Default `kb_cluster`. */
  readonly prefix?: string
}

/** Creates the knowledge bases and jobs in the simulator. */
export const planJobs = (
  sim: NodeSimulator.RunningSimulator,
  options: PlanOptions
): ReadonlyArray<PlannedJob> => {
  const { control } = sim
  const jobs: Array<PlannedJob> = []
  for (let k = 0; k < options.knowledgeBases; k++) {
    const knowledgeBaseId = `${options.prefix ?? "kb_cluster"}_${k + 1}`
    control.addKnowledgeBase(knowledgeBaseId)
    for (let i = 0; i < options.jobsPerKnowledgeBase; i++) {
      const jobId = `job_${knowledgeBaseId}_${String(i).padStart(5, "0")}`
      const n = i + 1
      if (options.missingEvery !== undefined && n % options.missingEvery === 0) {
        jobs.push({ knowledgeBaseId, jobId, expected: "missing" })
        continue
      }
      const timeout = options.timeoutEvery !== undefined && n % options.timeoutEvery === 0
      const fails = !timeout && options.failEvery !== undefined && n % options.failEvery === 0
      const total = timeout
        ? 24 * 3_600_000
        : Math.round(
            options.firstEndMs +
              ((options.lastEndMs - options.firstEndMs) * i) / Math.max(1, options.jobsPerKnowledgeBase - 1)
          )
      const queuedMs = Math.floor(total / 4)
      control.addDataSource(knowledgeBaseId, {
        jobId,
        queuedMs,
        documents: [
          { name: "guide.md", chunks: 4, durationMs: Math.floor((total - queuedMs) / 2) },
          { name: "faq.md", chunks: 2, durationMs: total - queuedMs - Math.floor((total - queuedMs) / 2) }
        ],
        ...(fails ? { failure: { afterMs: total, error: { message: "Embedding service unavailable" } } } : {})
      })
      jobs.push({ knowledgeBaseId, jobId, expected: timeout ? "timeout" : fails ? "failed" : "completed" })
    }
  }
  return jobs
}

/**
 * Moves the simulator's clock so that the first planned job ends `inMs` from now (the waits are registered
 * first, however long that takes on a loaded machine; then the jobs end over the planned spread).
 */
export const startEnding = (
  sim: NodeSimulator.RunningSimulator,
  options: PlanOptions,
  createdAt: number,
  inMs: number
): void => {
  const elapsed = Date.now() - createdAt
  const shift = options.firstEndMs - elapsed - inMs
  if (shift > 0) sim.control.advance(shift)
}

/** When a job ends in the simulator, in wall-clock epoch ms. */
export const endsAt = (sim: NodeSimulator.RunningSimulator, job: PlannedJob): number =>
  sim.control.jobTerminalAt(job.knowledgeBaseId, job.jobId) - (sim.control.now() - Date.now())

/** What `tensoras-cluster wait --json` says, and what a workflow result is, per expectation. */
export const outcomeOf = (expected: Expected): "completed" | "failed" | "timed_out" | "error" =>
  expected === "missing" ? "error" : expected === "timeout" ? "timed_out" : expected

/** Core's per-knowledge-base bound on the requests of one polling round (issue 9). */
export const roundBound = (round: {
  readonly mode: "get" | "sweep"
  readonly watchedJobs: number
  readonly followUpGets?: number | undefined
  readonly activeQueued?: number | undefined
  readonly activeProcessing?: number | undefined
}): number => {
  const followUps = round.followUpGets ?? 0
  if (round.mode === "get") return round.watchedJobs
  const pages =
    Math.max(1, Math.ceil((round.activeQueued ?? 0) / 100)) +
    Math.max(1, Math.ceil((round.activeProcessing ?? 0) / 100))
  return Math.min(round.watchedJobs, pages) + followUps
}
