/**
 * A scenario file made a `Scenario`: the JSON decoded (every issue named by its path), each job added
 * as its spec says, its faults aimed, and the whole set up once on a scratch world so that what the
 * engine refuses (a reused id, a duplicate document) is reported by path before anything is served.
 */
import * as Result from "effect/Result"
import * as Documents from "../Documents.js"
import type { Fault } from "../Fault.js"
import { ScenarioFileError } from "../ScenarioFile.js"
import type { Scenario } from "../Scenarios.js"
import * as SimulatorClock from "../SimulatorClock.js"
import type { DataSourceOptions, JobInfo, JobOptions, SyncOptions } from "../SimulatorEngine.js"
import * as SimulatorEngine from "../SimulatorEngine.js"
import { FaultQueue } from "./faultQueue.js"
import { toFault } from "./faultSchema.js"
import { type JobJson, ScenarioJson } from "./scenarioSchema.js"
import { decodeStrict, pathText } from "./schemaIssues.js"

/**
 * Where jobs are added: the engine of a scenario's `setup`, or a running simulator's control.
 *
 * @example
 * const target: JobTarget = engineTarget(engine)
 */
export interface JobTarget {
  readonly now: () => number
  readonly hasDataSource: (kbId: string, dataSourceId: string) => boolean
  readonly addDataSource: (kbId: string, options: DataSourceOptions) => JobInfo
  readonly syncDataSource: (kbId: string, dataSourceId: string, options: SyncOptions) => JobInfo
}

/**
 * The {@link JobTarget} of an engine.
 *
 * @example
 * addJob(engineTarget(engine), "kb_1", { id: "job_1" })
 */
export const engineTarget = (engine: SimulatorEngine.SimulatorEngine): JobTarget => ({
  now: () => engine.clock.now(),
  hasDataSource: (kbId, dataSourceId) =>
    engine.dataSources(kbId).some((source) => source.id === dataSourceId),
  addDataSource: (kbId, options) => engine.addDataSource(kbId, options).job,
  syncDataSource: (kbId, dataSourceId, options) => engine.syncDataSource(kbId, dataSourceId, options)
})

const decodeFile = decodeStrict(ScenarioJson)

/** Runs `build`, reporting what it throws as the file's error at `path`. */
const at = <A>(path: ReadonlyArray<PropertyKey>, build: () => A): A => {
  try {
    return build()
  } catch (cause) {
    if (cause instanceof ScenarioFileError) throw cause
    const reason = cause instanceof Error ? cause.message : String(cause)
    throw new ScenarioFileError({ path: pathText(path), message: `${pathText(path)}: ${reason}` })
  }
}

/**
 * Adds the job a spec describes: a data source of its own, or the one it names (added by its first job,
 * synced by the later ones), created `ageMs` before now.
 *
 * @example
 * const info = addJob(engineTarget(engine), "kb_1", { id: "job_1", documents: { count: 3 } })
 */
export const addJob = (target: JobTarget, kbId: string, job: JobJson): JobInfo => {
  const options: JobOptions = {
    ...(job.id === undefined ? {} : { jobId: job.id }),
    createdAt: target.now() - (job.ageMs ?? 0),
    ...(job.queuedMs === undefined ? {} : { queuedMs: job.queuedMs }),
    ...(job.failure === undefined ? {} : { failure: job.failure }),
    ...(job.reportStatus === undefined ? {} : { reportStatus: job.reportStatus })
  }
  const documents =
    job.documents === undefined
      ? undefined
      : Array.isArray(job.documents)
        ? job.documents
        : Documents.generate(job.documents as Documents.GenerateOptions)
  const withDocuments = documents === undefined ? options : { ...options, documents }
  if (job.dataSource !== undefined && target.hasDataSource(kbId, job.dataSource)) {
    return target.syncDataSource(kbId, job.dataSource, withDocuments)
  }
  return target.addDataSource(kbId, {
    ...withDocuments,
    ...(job.dataSource === undefined ? {} : { id: job.dataSource }),
    ...(job.dataSourceName === undefined ? {} : { name: job.dataSourceName })
  })
}

/** The file's faults, each with where it is written: the file's own, then each job's (aimed at it). */
const faultsOf = (
  file: ScenarioJson
): Array<{ readonly path: Array<PropertyKey>; readonly fault: Fault }> => [
  ...(file.faults ?? []).map((fault, index) => ({ path: ["faults", index], fault: toFault(fault) })),
  ...file.knowledgeBases.flatMap((kb, kbIndex) =>
    (kb.jobs ?? []).flatMap((job, jobIndex) =>
      (job.faults ?? []).map((fault, index) => ({
        path: ["knowledgeBases", kbIndex, "jobs", jobIndex, "faults", index],
        // A job with faults has an id: the schema says so.
        fault: toFault(fault, { kbId: kb.id, jobId: job.id as string })
      }))
    )
  )
]

const epochOf = (startAt: number | string | undefined): number | undefined =>
  startAt === undefined ? undefined : typeof startAt === "number" ? startAt : Date.parse(startAt)

/** The `Scenario` of a decoded file. */
const toScenario = (file: ScenarioJson, name: string): Scenario => {
  const faults = faultsOf(file)
  const epochMs = epochOf(file.startAt)
  return {
    name: file.name ?? name,
    description: file.description ?? `${file.knowledgeBases.length} knowledge base(s), from a scenario file`,
    ...(epochMs === undefined ? {} : { epochMs }),
    faults: faults.map((entry) => entry.fault),
    setup: (engine) => {
      const target = engineTarget(engine)
      file.knowledgeBases.forEach((kb, kbIndex) => {
        at(["knowledgeBases", kbIndex, "id"], () => engine.addKnowledgeBase(kb.id))
        ;(kb.jobs ?? []).forEach((job, jobIndex) => {
          at(["knowledgeBases", kbIndex, "jobs", jobIndex], () => addJob(target, kb.id, job))
        })
      })
    }
  }
}

/** Sets the scenario up once on a scratch world, so the engine's refusals surface now, by path. */
const rehearse = (scenario: Scenario, file: ScenarioJson): void => {
  const clock = SimulatorClock.make({ mode: "manual", epochMs: scenario.epochMs ?? Date.UTC(2025, 0, 1) })
  scenario.setup(SimulatorEngine.make(clock))
  const queue = new FaultQueue()
  for (const { path, fault } of faultsOf(file)) at(path, () => queue.add(fault))
  clock.dispose()
}

/**
 * A scenario file's JSON value as a `Scenario` (see `ScenarioFile.fromJson`), or the error naming the
 * first bad field (and listing every issue in its message).
 *
 * @example
 * const result = decode({ knowledgeBases: [{ id: "kb_1" }] }, "one")
 */
export const decode = (input: unknown, name: string): Result.Result<Scenario, ScenarioFileError> => {
  const decoded = decodeFile(input)
  if (Result.isFailure(decoded)) return Result.fail(new ScenarioFileError(decoded.failure))
  try {
    const scenario = toScenario(decoded.success, name)
    rehearse(scenario, decoded.success)
    return Result.succeed(scenario)
  } catch (cause) {
    if (cause instanceof ScenarioFileError) return Result.fail(cause)
    throw cause
  }
}
