/** The commands of `tensoras-ingest`, as Effects that return an exit code. */
import * as ExitCode from "@tensoras/ingestion/ExitCode"
import type { IngestionError } from "@tensoras/ingestion/IngestionError"
import type * as IngestionJob from "@tensoras/ingestion/IngestionJob"
import * as IngestionJobs from "@tensoras/ingestion/IngestionJobs"
import * as PollSchedule from "@tensoras/ingestion/PollSchedule"
import * as Wait from "@tensoras/ingestion/Wait"
import { NodeIngestion } from "@tensoras/ingestion-node"
import type { NodeSimulator } from "@tensoras/ingestion-testkit"
import * as Clock from "effect/Clock"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import type { Command, Connection } from "./args.js"
import { interruptedListing } from "./events.js"
import { jobDetailJson, jobDetailLines, jobJson, jobLine, retryLine } from "./format.js"
import { Terminal } from "./terminal.js"
import { waitJobs } from "./waitJobs.js"

type CommandOf<Tag extends Command["_tag"]> = Extract<Command, { readonly _tag: Tag }>

/** The client and engine of a command; with `TENSORAS_LOG=debug`, every attempt and retry on stderr. */
export const clientLayer = (connection: Connection) =>
  Layer.unwrap(
    Effect.map(Terminal, (terminal) =>
      NodeIngestion.layer({
        apiKey: Redacted.make(connection.apiKey),
        baseUrl: connection.baseUrl,
        allowInsecureHttp: connection.allowInsecureHttp,
        requestTimeout:
          connection.requestTimeoutMs === undefined
            ? undefined
            : Duration.millis(connection.requestTimeoutMs),
        log: connection.debug ? (text) => Effect.runSync(terminal.err(`[tensoras] ${text}`)) : undefined
      })
    )
  )

const line = (text: string) => Effect.flatMap(Terminal, (terminal) => terminal.out(`${text}\n`))

/**
 * A call's retries on stderr as they happen, with their cause (`ECONNREFUSED 127.0.0.1:9, retry 3 in
 * 2.1 s`): a hanging or refusing service is never a silent command. stdout keeps the data alone.
 */
const showRetries = Effect.map(
  Terminal,
  (terminal): IngestionJobs.RequestOptions => ({
    onRetry: (retry) => terminal.err(retryLine(retry.error, retry.attempt, retry.delayMillis))
  })
)

const list = (command: CommandOf<"List">) =>
  Effect.gen(function* () {
    const print = (job: IngestionJob.IngestionJob) => line(command.json ? jobJson(job) : jobLine(job))
    const options = {
      limit: command.limit,
      status: command.status,
      after: command.after,
      ...(yield* showRetries)
    }
    if (command.all) {
      const count = yield* IngestionJobs.listAll(command.knowledgeBaseId, options).pipe(
        Stream.runFoldEffect(
          () => 0,
          (seen, job) => Effect.as(print(job), seen + 1)
        )
      )
      if (count === 0 && !command.json) yield* line("(no ingestion jobs)")
      return ExitCode.ok
    }
    const jobs = yield* IngestionJobs.IngestionJobs
    const page = yield* jobs.list(command.knowledgeBaseId, options)
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
    const jobs = yield* IngestionJobs.IngestionJobs
    const job = yield* jobs.get(command.knowledgeBaseId, command.jobId, yield* showRetries)
    if (command.json) yield* line(jobDetailJson(job))
    else yield* Effect.forEach(jobDetailLines(job), line, { discard: true })
    return ExitCode.ok
  }).pipe(Effect.provide(clientLayer(command.connection)))

const scheduleOf = (command: CommandOf<"Wait">): PollSchedule.PollSchedule => {
  const { intervalMs, maxIntervalMs, maxPolls } = command
  const schedule =
    maxIntervalMs !== undefined
      ? PollSchedule.backoff({
          initial: Duration.millis(intervalMs ?? 1_000),
          max: Duration.millis(maxIntervalMs)
        })
      : intervalMs !== undefined
        ? PollSchedule.fixed(Duration.millis(intervalMs))
        : PollSchedule.defaultSchedule
  // The first poll is immediate: n polls are n - 1 recurrences. The cadence's output is kept.
  return maxPolls === undefined ? schedule : schedule.pipe(Schedule.upTo({ times: maxPolls - 1 }))
}

/**
 * Every job of the knowledge base queued or processing when the command began, by the library's
 * `Wait.activeJobs`: one that ends while the list is read is still waited for (its wait reports it
 * at once); its retries on stderr, as a list's.
 */
const activeJobs = (knowledgeBaseId: string) =>
  Effect.gen(function* () {
    const terminal = yield* Terminal
    const jobs = yield* Wait.activeJobs(knowledgeBaseId, {
      onRetry: (retry) => Effect.runSync(terminal.err(retryLine(retry.error, retry.attempt, retry.delayMs)))
    })
    return jobs.map((job) => job.id)
  })

const wait = (command: CommandOf<"Wait">) =>
  Effect.gen(function* () {
    const jobIds = command.allActive
      ? yield* activeJobs(command.knowledgeBaseId).pipe(
          Effect.onInterrupt(() =>
            Effect.flatMap(Clock.currentTimeMillis, (now) => {
              const text = interruptedListing(command.knowledgeBaseId, command.json, now)
              return command.json ? line(text) : Effect.flatMap(Terminal, (terminal) => terminal.err(text))
            })
          )
        )
      : command.jobIds
    if (jobIds.length === 0) {
      if (!command.json) yield* line(`no queued or processing jobs in ${command.knowledgeBaseId}`)
      return ExitCode.ok
    }
    return yield* waitJobs({
      knowledgeBaseId: command.knowledgeBaseId,
      jobIds,
      options: { schedule: scheduleOf(command), timeout: Duration.millis(command.timeoutMs) },
      limits: { timeout: command.timeout, maxPolls: command.maxPolls },
      json: command.json,
      verbose: command.verbose
    })
  }).pipe(Effect.provide(clientLayer(command.connection)))

// Loaded on demand: only `simulate` and `demo` need the simulator.
const simulator = (options: NodeSimulator.StartOptions) =>
  Effect.acquireRelease(
    Effect.tryPromise({
      try: () =>
        import("@tensoras/ingestion-testkit").then(async ({ NodeSimulator, Simulator }) => {
          const running = await NodeSimulator.start(options)
          return Object.assign(running, { describe: () => Simulator.describe(running) })
        }),
      catch: (cause) =>
        new SimulatorError({ message: cause instanceof Error ? cause.message : String(cause) })
    }),
    (running) => Effect.promise(() => running.close())
  )

/** The simulator could not start (e.g. the port is taken). */
export class SimulatorError extends Data.TaggedError("SimulatorError")<{ readonly message: string }> {}

const describeSimulator = (
  running: NodeSimulator.RunningSimulator & { readonly describe: () => Array<string> }
): ReadonlyArray<string> => {
  const { control, baseUrl } = running
  const lines = running.describe()
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

const demo = (command: CommandOf<"Demo">) =>
  Effect.gen(function* () {
    const running = yield* simulator({ scenario: "realistic" })
    yield* line(
      `Simulated Tensoras API on ${running.baseUrl} (scenario realistic: no network, no key needed)`
    )
    yield* line(`Watching ${DEMO_JOB} in ${DEMO_KB}: a sync of 40 documents of a company handbook`)
    yield* line("")
    const code = yield* waitJobs({
      knowledgeBaseId: DEMO_KB,
      jobIds: [DEMO_JOB],
      // Fast while the job moves, slower when it does not: about one request a second here.
      options: { schedule: PollSchedule.progressive(), timeout: "2 minutes" },
      limits: { timeout: "2m", maxPolls: undefined },
      json: false,
      verbose: command.verbose
    }).pipe(
      Effect.provide(NodeIngestion.layer({ apiKey: Redacted.make(running.apiKey), baseUrl: running.baseUrl }))
    )
    yield* line(`The wait used ${running.control.requestCount()} HTTP requests.`)
    return code
  })

/** The command as an Effect of its exit code; the caller handles the errors. */
export const runCommand = (
  command: Command
): Effect.Effect<number, IngestionError | SimulatorError, Terminal | Scope.Scope> => {
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
      return demo(command)
  }
}
