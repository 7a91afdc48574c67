/** The commands of `tensoras-ingest`, as Effects that return an exit code. */
import type { IngestionError } from "@tensoras/ingestion/IngestionError"
import type * as IngestionJob from "@tensoras/ingestion/IngestionJob"
import * as IngestionJobs from "@tensoras/ingestion/IngestionJobs"
import * as Poller from "@tensoras/ingestion/Poller"
import * as PollSchedule from "@tensoras/ingestion/PollSchedule"
import type { WaitTimeout } from "@tensoras/ingestion/WaitError"
import type { RunningSimulator, StartSimulatorOptions } from "@tensoras/ingestion-testkit/startSimulator"
import * as Clock from "effect/Clock"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as NodeIngestion from "../../NodeIngestion.js"
import type { Command, Connection } from "./args.js"
import {
  changeLine,
  documentLine,
  ExitCode,
  errorLine,
  formatDuration,
  jobDetailJson,
  jobDetailLines,
  jobJson,
  jobLine,
  retryReason
} from "./format.js"
import { progressView } from "./progress.js"
import { painter, Terminal } from "./terminal.js"

type CommandOf<Tag extends Command["_tag"]> = Extract<Command, { readonly _tag: Tag }>

const clientLayer = (connection: Connection) =>
  NodeIngestion.layer({ apiKey: connection.apiKey, baseUrl: connection.baseUrl })

const line = (text: string) => Effect.flatMap(Terminal, (terminal) => terminal.out(`${text}\n`))

const list = (command: CommandOf<"List">) =>
  Effect.gen(function* () {
    const print = (job: IngestionJob.IngestionJob) => line(command.json ? jobJson(job) : jobLine(job))
    const options = { limit: command.limit, status: command.status, after: command.after }
    if (command.all) {
      const count = yield* IngestionJobs.listAll(command.knowledgeBaseId, options).pipe(
        Stream.runFoldEffect(0, (seen, job) => Effect.as(print(job), seen + 1))
      )
      if (count === 0 && !command.json) yield* line("(no ingestion jobs)")
      return ExitCode.ok
    }
    const page = yield* IngestionJobs.list(command.knowledgeBaseId, options)
    yield* Effect.forEach(page.data, print, { discard: true })
    if (!command.json) {
      if (page.data.length === 0) yield* line("(no ingestion jobs)")
      const last = page.data[page.data.length - 1]
      if (page.has_more && last !== undefined) yield* line(`… more jobs: add --after ${last.id}, or --all`)
    }
    return ExitCode.ok
  }).pipe(Effect.provide(clientLayer(command.connection)))

const get = (command: CommandOf<"Get">) =>
  Effect.gen(function* () {
    const job = yield* IngestionJobs.get(command.knowledgeBaseId, command.jobId)
    if (command.json) yield* line(jobDetailJson(job))
    else yield* Effect.forEach(jobDetailLines(job), line, { discard: true })
    return ExitCode.ok
  }).pipe(Effect.provide(clientLayer(command.connection)))

const scheduleOf = (command: CommandOf<"Wait">): PollSchedule.PollSchedule => {
  const { intervalMs, maxIntervalMs } = command
  if (maxIntervalMs !== undefined) {
    return PollSchedule.backoff({
      initial: Duration.millis(intervalMs ?? 1_000),
      max: Duration.millis(maxIntervalMs)
    })
  }
  if (intervalMs !== undefined) return PollSchedule.fixed(Duration.millis(intervalMs))
  return PollSchedule.defaultSchedule
}

/** The plain view: one line per change, one per retry. */
const plainView = <E, R>(events: Stream.Stream<Poller.PollEvent, E, R>) =>
  events.pipe(
    Stream.runFoldEffect(undefined as IngestionJob.IngestionJobDetail | undefined, (_, event) => {
      if (event._tag === "Retrying") {
        return Effect.as(
          line(
            `${retryReason(event.error)}, retrying in ${formatDuration(event.delayMs)} (retry ${event.attempt})`
          ),
          _
        )
      }
      const print = event.changed || event.nextPollAt === null ? line(changeLine(event.job)) : Effect.void
      return Effect.as(print, event.job)
    })
  )

/**
 * Watches a job to its end, the way the terminal allows: NDJSON of each change, the live view,
 * or plain lines; then, unless JSON, one line per document and the outcome. Returns the exit code.
 */
const watchJob = (
  target: { readonly knowledgeBaseId: string; readonly jobId: string },
  options: Poller.WaitOptions & { readonly json: boolean }
): Effect.Effect<number, IngestionError | WaitTimeout, IngestionJobs.IngestionJobs | Terminal> =>
  Effect.gen(function* () {
    const terminal = yield* Terminal
    const startedAt = yield* Clock.currentTimeMillis
    const { knowledgeBaseId, jobId } = target
    const last = options.json
      ? yield* Poller.watch(knowledgeBaseId, jobId, options).pipe(
          Stream.tap((job) => line(jobDetailJson(job))),
          Stream.runLast,
          Effect.map(Option.getOrUndefined)
        )
      : terminal.interactive
        ? yield* progressView(target, Poller.events(knowledgeBaseId, jobId, options))
        : yield* plainView(Poller.events(knowledgeBaseId, jobId, options))
    if (last === undefined) return yield* Effect.dieMessage("the wait ended without a job")
    if (!options.json) {
      const paint = painter(terminal.color)
      const colorOf = { ok: "green", fail: "red", other: "dim" } as const
      yield* Effect.forEach(
        last.document_details,
        (document) => line(documentLine(document, (mark, text) => paint(colorOf[mark], text))),
        { discard: true }
      )
    }
    const completed = yield* Poller.outcome(last).pipe(
      Effect.catchTag("IngestionJobFailed", (error) => Effect.as(terminal.err(errorLine(error)), undefined))
    )
    if (completed === undefined) return ExitCode.jobFailed
    if (!options.json) {
      const elapsed = formatDuration((yield* Clock.currentTimeMillis) - startedAt)
      yield* line(
        completed.partial
          ? `completed with failures: ${completed.documents_processed} documents ingested, ${completed.documents_failed} failed, ${completed.chunks_created} chunks (${elapsed})`
          : `completed: ${completed.documents_processed} documents ingested, ${completed.chunks_created} chunks (${elapsed})`
      )
    }
    return ExitCode.ok
  })

const wait = (command: CommandOf<"Wait">) =>
  watchJob(command, {
    json: command.json,
    schedule: scheduleOf(command),
    timeout: Duration.millis(command.timeoutMs)
  }).pipe(Effect.provide(clientLayer(command.connection)))

// Loaded on demand: only `simulate` and `demo` need the simulator.
const simulator = (options: StartSimulatorOptions) =>
  Effect.acquireRelease(
    Effect.tryPromise({
      try: () =>
        import("@tensoras/ingestion-testkit/startSimulator").then(({ startSimulator }) =>
          startSimulator(options)
        ),
      catch: (cause) =>
        new SimulatorError({ message: cause instanceof Error ? cause.message : String(cause) })
    }),
    (running) => Effect.promise(() => running.close())
  )

/** The simulator could not start (e.g. the port is taken). */
export class SimulatorError extends Data.TaggedError("SimulatorError")<{ readonly message: string }> {}

const describeSimulator = (running: RunningSimulator): ReadonlyArray<string> => {
  const { control, baseUrl } = running
  const lines = [
    baseUrl,
    `scenario: ${control.scenario}`,
    `api key: ${control.apiKey}`,
    `clock: ${control.clockMode}, starting at ${new Date(control.now()).toISOString()}`
  ]
  for (const kbId of control.knowledgeBases()) {
    const jobs = control.jobs(kbId).map((job) => `${job.id} (${control.getJob(kbId, job.id).status})`)
    const shown = jobs.length > 6 ? [...jobs.slice(0, 6), `… ${jobs.length - 6} more`] : jobs
    lines.push(`knowledge base ${kbId}: ${shown.length === 0 ? "no jobs" : shown.join(", ")}`)
  }
  const firstKb = control.knowledgeBases()[0]
  if (firstKb !== undefined) {
    lines.push(
      `try: TENSORAS_API_KEY=${control.apiKey} TENSORAS_BASE_URL=${baseUrl} tensoras-ingest jobs list ${firstKb}`
    )
  }
  return lines
}

const simulate = (command: CommandOf<"Simulate">) =>
  Effect.gen(function* () {
    const running = yield* simulator({ scenario: command.scenario, port: command.port })
    yield* line(describeSimulator(running).join("\n"))
    return yield* Effect.never
  })

const DEMO_KB = "kb_demo"
const DEMO_JOB = "job_demo_sync"

const demo = Effect.gen(function* () {
  const running = yield* simulator({ scenario: "realistic" })
  yield* line(`Simulated Tensoras API on ${running.baseUrl} (scenario realistic: no network, no key needed)`)
  yield* line(`Watching ${DEMO_JOB} in ${DEMO_KB}: a sync of 40 documents of a company handbook`)
  yield* line("")
  const code = yield* watchJob(
    { knowledgeBaseId: DEMO_KB, jobId: DEMO_JOB },
    // Fast while the job moves, slower when it does not: about one request a second here.
    { json: false, schedule: PollSchedule.progressive(), timeout: "2 minutes" }
  ).pipe(
    Effect.provide(NodeIngestion.layer({ apiKey: Redacted.make(running.apiKey), baseUrl: running.baseUrl }))
  )
  yield* line(`The wait used ${running.control.requestCount()} HTTP requests.`)
  return code
})

/** The command as an Effect of its exit code; the caller handles the errors. */
export const runCommand = (
  command: Command
): Effect.Effect<number, IngestionError | WaitTimeout | SimulatorError, Terminal | Scope.Scope> => {
  switch (command._tag) {
    case "List":
      return list(command)
    case "Get":
      return get(command)
    case "Wait":
      return wait(command)
    case "Simulate":
      return simulate(command)
    case "Demo":
      return demo
  }
}
