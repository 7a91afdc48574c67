/**
 * `jobs wait` (and `demo`): waits on jobs of one knowledge base through the core's wait engine
 * (one polling loop for all of them, its rounds counted), shows each change the way the output
 * allows (NDJSON, the live view, plain lines), then the summary, failures first. A signal ends it
 * with an `interrupted` event or note. Returns the exit code.
 */
import * as ExitCode from "@tensoras/ingestion/ExitCode"
import type { IngestionError, InvalidInput } from "@tensoras/ingestion/IngestionError"
import type * as IngestionJob from "@tensoras/ingestion/IngestionJob"
import * as IngestionJobs from "@tensoras/ingestion/IngestionJobs"
import * as Wait from "@tensoras/ingestion/Wait"
import * as WaitEngine from "@tensoras/ingestion/WaitEngine"
import type { WaitError } from "@tensoras/ingestion/WaitError"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Queue from "effect/Queue"
import * as Result from "effect/Result"
import * as Stream from "effect/Stream"
import { interruptedJson, interruptedNote, jsonOf, lastJobOf } from "./events.js"
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
  /** The last the engine said of this job was a retry (of its GET, or of a sweep that covers it). */
  retrying: boolean
  /** How its wait ended, once it has. */
  result: Result.Result<Wait.CompletedJob, WaitError> | undefined
}

/** The HTTP requests of the wait's polls, from the engine's round reports. */
export interface RequestCount {
  /** Every request sent, retries included. */
  sent: number
  retries: number
}

/** What the command knows of the whole wait. */
export interface RunState {
  readonly knowledgeBaseId: string
  readonly jobs: ReadonlyArray<JobState>
  retry: { readonly error: IngestionError; readonly until: number; readonly attempt: number } | undefined
  readonly requests: RequestCount
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

// Each update names its job: an index per state, not a scan of a thousand jobs per update.
const indexes = new WeakMap<RunState, Map<string, JobState>>()

/** The job of `state` with this ID. */
export const jobOf = (state: RunState, jobId: string): JobState | undefined => {
  let index = indexes.get(state)
  if (index === undefined) {
    index = new Map(state.jobs.map((job) => [job.jobId, job]))
    indexes.set(state, index)
  }
  return index.get(jobId)
}

/** Applies an update to the state. */
export const apply = (state: RunState, update: Update): void => {
  const job = jobOf(state, update.jobId)
  if (job === undefined) return
  if (update._tag === "Exit") {
    job.result = Wait.exitResult(update.exit)
    job.nextPollAt = null
    job.retrying = false
    if (Exit.isSuccess(update.exit)) job.job = update.exit.value
    else if (Result.isFailure(job.result)) job.job = lastJobOf(job.result.failure) ?? job.job
    return
  }
  const { event } = update
  if (event._tag === "Polled") {
    job.job = event.job
    job.nextPollAt = event.nextPollAt
    job.stalled = event.stalled
    job.retrying = false
    state.retry = undefined
  } else {
    job.retrying = true
    state.retry = { error: event.error, until: event.at + event.delayMs, attempt: event.attempt }
  }
}

/** The exit code of the whole wait: 0 only if every job completed; else the gravest: 4, 3, then 1. */
export const exitCodeOf = (jobs: ReadonlyArray<JobState>): number => {
  const codes = new Set(
    jobs.map((job) =>
      job.result === undefined || Result.isSuccess(job.result)
        ? ExitCode.ok
        : ExitCode.ofError(job.result.failure)
    )
  )
  for (const code of [ExitCode.api, ExitCode.timeout, ExitCode.jobFailed]) if (codes.has(code)) return code
  return ExitCode.ok
}

const line = (text: string) => Effect.flatMap(Terminal, (terminal) => terminal.out(`${text}\n`))

/** The plain view: one line per change, one per retry (once, however many waits share it). */
const plainView = <R>(state: RunState, stream: Stream.Stream<Update, InvalidInput, R>) => {
  let lastRetry = ""
  return Stream.runForEach(stream, (update) =>
    Effect.suspend(() => {
      apply(state, update)
      const job = jobOf(state, update.jobId)
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

/** The NDJSON view: an event per change and per end, each stamped with its time. */
const jsonView = <R>(state: RunState, stream: Stream.Stream<Update, InvalidInput, R>) =>
  Stream.runForEach(stream, (update) =>
    Effect.flatMap(Clock.currentTimeMillis, (now) => {
      apply(state, update)
      const json = jsonOf(update, now)
      return json === undefined ? Effect.void : line(json)
    })
  )

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
 * The error line of each job whose wait did not complete, on stderr. When stderr shows on the
 * terminal of the live view (and not `--verbose`), a few of them and a count of the rest: the
 * summary above counts them all; `--verbose` or `--json` names each.
 */
export const errorLines = (
  state: RunState,
  limits: WaitLimits,
  room: number | undefined
): ReadonlyArray<string> => {
  const prefix = state.jobs.length === 1 ? "" : "job "
  const lines = state.jobs.flatMap((job) => {
    if (job.result === undefined || Result.isSuccess(job.result)) return []
    const text = errorLine(job.result.failure, limits)
    return [prefix === "" ? text : text.replace(/^error: /, `error: ${prefix}${job.jobId}: `)]
  })
  if (room === undefined || lines.length <= room) return lines
  const shown = Math.max(0, room - 1)
  return [
    ...lines.slice(0, shown),
    `error: … and ${lines.length - shown} more jobs that did not complete (--verbose prints every error)`
  ]
}

/**
 * Learns the jobs' totals (not for JSON), then shows the updates as the output allows; a signal
 * at any point of it leaves an `interrupted` event or note.
 */
const watch = (run: WaitRun, state: RunState, live: boolean) =>
  Effect.gen(function* () {
    const terminal = yield* Terminal
    if (!run.json) {
      const totals = yield* totalsOf(run.knowledgeBaseId, run.jobIds, terminal)
      for (const job of state.jobs) job.total = totals.get(job.jobId)
    }
    const stream = updates(run.knowledgeBaseId, run.jobIds, run.options)
    yield* run.json
      ? jsonView(state, stream)
      : live
        ? liveView(
            state,
            Stream.tap(stream, (update) => Effect.sync(() => apply(state, update)))
          )
        : plainView(state, stream)
  }).pipe(
    Effect.onInterrupt(() =>
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        Effect.flatMap(Terminal, (terminal) =>
          run.json ? terminal.out(`${interruptedJson(state, now)}\n`) : terminal.err(interruptedNote(state))
        )
      )
    )
  )

/** The summary (not in JSON) and the error lines, fitted to the terminal when the view was live. */
const report = (run: WaitRun, state: RunState, live: boolean) =>
  Effect.gen(function* () {
    const terminal = yield* Terminal
    const now = yield* Clock.currentTimeMillis
    const fit = live && !run.verbose
    // stderr on the same screen: its lines take a third of it at most, the summary the rest.
    const rows = Math.max(2, terminal.rows()) - 1
    const errors = errorLines(
      state,
      run.limits,
      fit && terminal.errInteractive ? Math.max(2, Math.floor(rows / 3)) : undefined
    )
    if (!run.json) {
      const summary = summaryLines(state, {
        verbose: run.verbose,
        color: terminal.color,
        now,
        rows: fit ? Math.max(1, rows - (terminal.errInteractive ? errors.length : 0)) : undefined
      })
      yield* Effect.forEach(summary, line, { discard: true })
    }
    yield* Effect.forEach(errors, (text) => terminal.err(text), { discard: true })
  })

/**
 * Waits on the jobs to their ends, shown as the terminal allows, then the summary (not in JSON)
 * and one error line per job that did not complete on stderr. Returns the exit code. The waits run
 * on an engine of their own, whose round reports count the requests the view shows.
 */
export const waitJobs = (
  run: WaitRun
): Effect.Effect<number, InvalidInput, Terminal | IngestionJobs.IngestionJobs> =>
  Effect.gen(function* () {
    const terminal = yield* Terminal
    const live = !run.json && terminal.interactive
    const requests: RequestCount = { sent: 0, retries: 0 }
    const engine = yield* WaitEngine.make({
      onRound: (round) => {
        requests.sent += round.requests + round.retries
        requests.retries += round.retries
      }
    })
    return yield* Effect.gen(function* () {
      // Every ID and option checked before anything is sent (the GETs for the totals included).
      yield* validate(run)
      const state: RunState = {
        knowledgeBaseId: run.knowledgeBaseId,
        jobs: run.jobIds.map((jobId) => ({
          jobId,
          job: undefined,
          total: undefined,
          nextPollAt: null,
          stalled: false,
          retrying: false,
          result: undefined
        })),
        retry: undefined,
        requests,
        startedAt: yield* Clock.currentTimeMillis,
        finishedAt: undefined
      }
      yield* watch(run, state, live)
      state.finishedAt ??= yield* Clock.currentTimeMillis
      yield* report(run, state, live)
      return exitCodeOf(state.jobs)
    }).pipe(Effect.provideService(WaitEngine.WaitEngine, engine))
  }).pipe(Effect.scoped)
