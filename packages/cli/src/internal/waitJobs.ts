/**
 * `jobs wait` (and `demo`): waits on jobs of one knowledge base through the core's wait engine
 * (one polling loop for all of them), shows each change the way the output allows (NDJSON, the
 * live view, plain lines), then the summary, failures first. Returns the exit code.
 */
import * as ExitCode from "@tensoras/ingestion/ExitCode"
import type { IngestionError, InvalidInput } from "@tensoras/ingestion/IngestionError"
import * as IngestionJob from "@tensoras/ingestion/IngestionJob"
import * as IngestionJobs from "@tensoras/ingestion/IngestionJobs"
import * as Wait from "@tensoras/ingestion/Wait"
import * as WaitEngine from "@tensoras/ingestion/WaitEngine"
import type { WaitError } from "@tensoras/ingestion/WaitError"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Queue from "effect/Queue"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import { changeLine, errorLine, retryLine, type WaitLimits } from "./format.js"
import { liveView } from "./progress.js"
import { detailOf, summaryLines } from "./summary.js"
import { Terminal } from "./terminal.js"

/** What the command knows of one job it waits on. */
export interface JobState {
  readonly jobId: string
  /** The last answer (no `document_details` until the job is terminal). */
  job: IngestionJob.IngestionJob | undefined
  /** How many documents the job has, when a first GET told. */
  total: number | undefined
  nextPollAt: number | null
  stalled: boolean
  /** How its wait ended, once it has. */
  result: Result.Result<Wait.CompletedJob, WaitError> | undefined
}

/** What the command knows of the whole wait. */
export interface RunState {
  readonly knowledgeBaseId: string
  readonly jobs: ReadonlyArray<JobState>
  retry: { readonly error: IngestionError; readonly until: number; readonly attempt: number } | undefined
  readonly startedAt: number
  finishedAt: number | undefined
}

/** One thing the engine said about one job. */
export type Update =
  | { readonly _tag: "Event"; readonly jobId: string; readonly event: WaitEngine.WaitEvent }
  | { readonly _tag: "Exit"; readonly jobId: string; readonly exit: WaitEngine.WaitExit }

/**
 * Every event of the waits on `jobIds`, registered with the engine for as long as the stream
 * runs; the stream ends with the last wait. An invalid ID fails it (nothing registered stays).
 */
export const updates = (
  knowledgeBaseId: string,
  jobIds: ReadonlyArray<string>,
  options: WaitEngine.WaitOptions
): Stream.Stream<Update, InvalidInput, WaitEngine.WaitEngine> =>
  // `callback`: an emission is a synchronous offer, not a fiber of its own (see `Wait.watchAll`).
  Stream.callback<Update, InvalidInput, WaitEngine.WaitEngine>((queue) =>
    Effect.gen(function* () {
      const engine = yield* WaitEngine.WaitEngine
      let left = jobIds.length
      if (left === 0) return void Queue.endUnsafe(queue)
      // Registered one after the other in one go: the engine's loop, a fiber of its own, sends its
      // first request only after this fiber yields, so an invalid ID further on sends nothing.
      yield* Effect.forEach(
        jobIds,
        (jobId) =>
          Effect.acquireRelease(
            engine.register(knowledgeBaseId, jobId, options, {
              onEvent: (event) => void Queue.offerUnsafe(queue, { _tag: "Event", jobId, event }),
              onExit: (exit) => {
                Queue.offerUnsafe(queue, { _tag: "Exit", jobId, exit })
                if (--left === 0) Queue.endUnsafe(queue)
              }
            }),
            (registration) => registration.leave
          ),
        { discard: true }
      )
    })
  )

/** Applies an update to the state. */
export const apply = (state: RunState, update: Update): void => {
  const job = state.jobs.find((candidate) => candidate.jobId === update.jobId)
  if (job === undefined) return
  if (update._tag === "Exit") {
    job.result = Wait.exitResult(update.exit)
    job.nextPollAt = null
    if (Exit.isSuccess(update.exit)) job.job = update.exit.value
    else if (Result.isFailure(job.result)) job.job = lastJobOf(job.result.failure) ?? job.job
    return
  }
  const { event } = update
  if (event._tag === "Polled") {
    job.job = event.job
    job.nextPollAt = event.nextPollAt
    job.stalled = event.stalled
    state.retry = undefined
  } else {
    state.retry = { error: event.error, until: event.at + event.delayMs, attempt: event.attempt }
  }
}

const lastJobOf = (error: WaitError): IngestionJob.IngestionJob | undefined => {
  switch (error._tag) {
    case "IngestionJobFailed":
      return error.job
    case "WaitTimeout":
      return error.lastJob ?? undefined
    default:
      return undefined
  }
}

/** The exit code of the whole wait: 0 only if every job completed; else the gravest: 4, 3, then 1. */
export const exitCodeOf = (jobs: ReadonlyArray<JobState>): number => {
  const codes = jobs.map((job) =>
    job.result === undefined || Result.isSuccess(job.result)
      ? ExitCode.ok
      : ExitCode.ofError(job.result.failure)
  )
  for (const code of [ExitCode.api, ExitCode.timeout, ExitCode.jobFailed])
    if (codes.includes(code)) return code
  return ExitCode.ok
}

const encodeJob = Schema.encodeSync(IngestionJob.IngestionJob)
const encodeDetail = Schema.encodeSync(IngestionJob.IngestionJobDetail)

const ended = (jobId: string, result: Result.Result<Wait.CompletedJob, WaitError>) => {
  if (Result.isSuccess(result)) {
    const {
      partial: _,
      failedDocuments: __,
      ...job
    } = result.success as Wait.CompletedJob & {
      readonly failedDocuments?: unknown
    }
    return {
      event: "ended",
      job_id: jobId,
      result: "completed",
      partial: result.success.partial,
      exit_code: ExitCode.ok,
      job: encodeDetail(job),
      error: null
    }
  }
  const error = result.failure
  const last = lastJobOf(error)
  return {
    event: "ended",
    job_id: jobId,
    result:
      error._tag === "IngestionJobFailed" ? "failed" : error._tag === "WaitTimeout" ? "timed_out" : "error",
    partial: false,
    exit_code: ExitCode.ofError(error),
    job:
      error._tag === "IngestionJobFailed"
        ? encodeDetail(error.job)
        : last === undefined
          ? null
          : encodeJob(last),
    error: {
      tag: error._tag,
      message: error.message,
      ...(error._tag === "WaitTimeout" ? { reason: error.reason } : {}),
      ...(error._tag === "NotFound" ? { missing: error.missing } : {}),
      ...("code" in error && error.code !== undefined ? { code: error.code } : {})
    }
  }
}

/**
 * The NDJSON of an update: `{"event":"changed","job_id":…,"job":{…}}` each time a job changes
 * (the API's list shape: no `document_details`), `{"event":"ended",…}` once per job with its
 * result, exit code, final job (with `document_details` when terminal) and error.
 */
export const jsonOf = (update: Update): string | undefined => {
  if (update._tag === "Exit") return JSON.stringify(ended(update.jobId, Wait.exitResult(update.exit)))
  const { event } = update
  if (!Wait.isChange(event) || event.nextPollAt === null) return undefined
  return JSON.stringify({ event: "changed", job_id: update.jobId, job: encodeJob(event.job) })
}

const line = (text: string) => Effect.flatMap(Terminal, (terminal) => terminal.out(`${text}\n`))

/** The plain view: one line per change, one per retry (once, however many waits share it). */
const plainView = <R>(state: RunState, stream: Stream.Stream<Update, InvalidInput, R>) => {
  let lastRetry = ""
  return Stream.runForEach(stream, (update) =>
    Effect.suspend(() => {
      apply(state, update)
      const job = state.jobs.find((candidate) => candidate.jobId === update.jobId)
      if (update._tag === "Exit") {
        // The terminal job is its last change; a wait that ended otherwise has none.
        const detail = job === undefined ? undefined : detailOf(job)
        return detail === undefined ? Effect.void : line(changeLine(detail))
      }
      const { event } = update
      if (event._tag === "Retrying") {
        const key = `${event.at}:${event.attempt}`
        if (key === lastRetry) return Effect.void
        lastRetry = key
        return line(retryLine(event.error, event.attempt, event.delayMs))
      }
      return Wait.isChange(event) && event.nextPollAt !== null
        ? line(changeLine(event.job, job?.total))
        : Effect.void
    })
  )
}
export interface WaitRun {
  readonly knowledgeBaseId: string
  readonly jobIds: ReadonlyArray<string>
  readonly options: WaitEngine.WaitOptions
  readonly limits: WaitLimits
  readonly json: boolean
  readonly verbose: boolean
}

/**
 * Registers every wait and leaves at once: the engine checks the IDs and options (`InvalidInput`)
 * and its loop, which only starts once this fiber yields, is stopped before it sends anything.
 */
const validate = (run: WaitRun) =>
  Effect.flatMap(WaitEngine.WaitEngine, (engine) =>
    Effect.scoped(
      Effect.forEach(
        run.jobIds,
        (jobId) =>
          Effect.acquireRelease(
            engine.register(run.knowledgeBaseId, jobId, run.options, { onExit: () => {} }),
            (r) => r.leave
          ),
        { discard: true }
      )
    )
  )

/** At most this many jobs get a first GET for their number of documents (the live view's bars). */
const TOTALS_UP_TO = 20

/**
 * How many documents each job has, from one GET each (a few jobs only, errors ignored). Their
 * retries go to stderr with their cause, as a `jobs get`'s do: a service that does not answer shows
 * from the first attempt, not only once the wait's own polls retry.
 */
const totalsOf = (knowledgeBaseId: string, jobIds: ReadonlyArray<string>, terminal: Terminal["Service"]) =>
  jobIds.length > TOTALS_UP_TO
    ? Effect.succeed(new Map<string, number>())
    : Effect.forEach(
        jobIds,
        (jobId) =>
          Effect.flatMap(IngestionJobs.IngestionJobs, (jobs) =>
            jobs.get(knowledgeBaseId, jobId, {
              onRetry: (retry) => terminal.err(retryLine(retry.error, retry.attempt, retry.delayMillis))
            })
          ).pipe(
            Effect.map((job) => [jobId, job.document_details.length] as const),
            Effect.option
          ),
        { concurrency: 4 }
      ).pipe(
        // A view without bars rather than a wait that starts late (a hung or retried GET).
        Effect.timeoutOrElse({ duration: "3 seconds", orElse: () => Effect.succeed([]) }),
        Effect.map(
          (entries) =>
            new Map(
              entries.flatMap((entry) => (entry._tag === "Some" && entry.value[1] > 0 ? [entry.value] : []))
            )
        )
      )

/**
 * Waits on the jobs to their ends, shown as the terminal allows, then the summary (not in JSON)
 * and one error line per job that did not complete on stderr. Returns the exit code.
 */
export const waitJobs = (
  run: WaitRun
): Effect.Effect<number, InvalidInput, Terminal | IngestionJobs.IngestionJobs | WaitEngine.WaitEngine> =>
  Effect.gen(function* () {
    const terminal = yield* Terminal
    const live = !run.json && terminal.interactive
    // Every ID and option checked before anything is sent (the GETs for the totals included).
    yield* validate(run)
    const totals = run.json
      ? new Map<string, number>()
      : yield* totalsOf(run.knowledgeBaseId, run.jobIds, terminal)
    const state: RunState = {
      knowledgeBaseId: run.knowledgeBaseId,
      jobs: run.jobIds.map((jobId) => ({
        jobId,
        job: undefined,
        total: totals.get(jobId),
        nextPollAt: null,
        stalled: false,
        result: undefined
      })),
      retry: undefined,
      startedAt: yield* Clock.currentTimeMillis,
      finishedAt: undefined
    }
    const stream = updates(run.knowledgeBaseId, run.jobIds, run.options)
    if (run.json) {
      yield* Stream.runForEach(stream, (update) => {
        apply(state, update)
        const json = jsonOf(update)
        return json === undefined ? Effect.void : line(json)
      })
    } else if (live) {
      yield* liveView(
        state,
        Stream.tap(stream, (update) => Effect.sync(() => apply(state, update)))
      )
    } else {
      yield* plainView(state, stream)
    }
    state.finishedAt ??= yield* Clock.currentTimeMillis
    if (!run.json) {
      const now = yield* Clock.currentTimeMillis
      yield* Effect.forEach(summaryLines(state, run.verbose, terminal.color, now), line, { discard: true })
    }
    const prefix = state.jobs.length === 1 ? "" : "job "
    for (const job of state.jobs) {
      if (job.result !== undefined && Result.isFailure(job.result)) {
        const text = errorLine(job.result.failure, run.limits)
        yield* terminal.err(prefix === "" ? text : text.replace(/^error: /, `error: ${prefix}${job.jobId}: `))
      }
    }
    return exitCodeOf(state.jobs)
  })
