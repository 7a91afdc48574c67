/**
 * The world of the failover tests (`failover.test.ts`, `failover.singletons.test.ts`): a simulator, a database of
 * their own, 3 `tensoras-cluster runner` processes with their shards settled, and `tensoras-cluster wait`
 * commands against them; each test file kills runners in its own world.
 */
import { Eventually, NodeSimulator, type TestProcess } from "@tensoras/ingestion-testkit"
import { EVENTS } from "./eventLimit.js"
import { createDatabase, psql } from "./postgres.js"
import {
  holderOf,
  type RunnerProcess,
  runnerPort,
  shardsSettled,
  startRunner,
  startWait,
  stopAll
} from "./processes.js"

const API_KEY = "tns_cluster_failover_loopback_only"

/** Resolves with the time it exited at (and how), once it has. */
export const exitOf = (run: TestProcess.Spawned) => run.exited.then((exit) => ({ ...exit, at: Date.now() }))

export interface FailoverWorld {
  readonly sim: NodeSimulator.RunningSimulator
  readonly databaseUrl: string
  /** Every runner started, dead or alive. */
  readonly runners: ReadonlyArray<RunnerProcess>
  readonly alive: () => ReadonlyArray<RunnerProcess>
  /** Starts one more runner (not awaited). */
  readonly start: (name: string) => RunnerProcess
  /** `tensoras-cluster wait … --json` against the world's database. */
  readonly wait: (args: ReadonlyArray<string>) => TestProcess.Spawned
  /** How many responses the polls of a job's waits recorded (0 before its first wait is registered). */
  readonly responsesOf: (knowledgeBaseId: string, jobId: string) => Promise<number>
  /** A knowledge base that `runner` polls (the holder of its watcher's shard): `${prefix}_0`, `_1`, … */
  readonly knowledgeBaseOf: (
    runner: RunnerProcess,
    live: ReadonlyArray<RunnerProcess>,
    prefix: string
  ) => string
  /** Jobs in a new knowledge base that end `inMs` from now, one every `everyMs`; their ids. */
  readonly addJobs: (
    knowledgeBaseId: string,
    prefix: string,
    count: number,
    inMs: number,
    everyMs: number
  ) => ReadonlyArray<string>
  /** Ends the runners and commands still running, and the simulator. */
  readonly close: () => Promise<void>
}

/** A simulator, the database `database` on the tests' server, and 3 runners, ready, their shards settled. */
export const startFailoverWorld = async (postgresUrl: string, database: string): Promise<FailoverWorld> => {
  const databaseUrl = await createDatabase(postgresUrl, database)
  const sim = await NodeSimulator.start({ scenario: "empty", clock: "real", apiKey: API_KEY })
  const runners: Array<RunnerProcess> = []
  const start = (name: string) => {
    const runner = startRunner({
      name,
      databaseUrl,
      baseUrl: sim.baseUrl,
      apiKey: API_KEY,
      port: runnerPort(),
      pollInterval: "1s"
    })
    runners.push(runner)
    return runner
  }
  const world: FailoverWorld = {
    sim,
    databaseUrl,
    runners,
    alive: () =>
      runners.filter((runner) => runner.child.exitCode === null && runner.child.signalCode === null),
    start,
    wait: (args) => startWait([...args, "--json"], { TENSORAS_DATABASE_URL: databaseUrl }),
    responsesOf: async (knowledgeBaseId, jobId) =>
      Number(
        (
          await psql(
            databaseUrl,
            `SELECT coalesce(max((observed->>'responses')::int), 0) FROM tensoras_waits WHERE job_id = '${jobId}' AND knowledge_base_id = '${knowledgeBaseId}'`
          )
        )[0]?.[0] ?? 0
      ),
    knowledgeBaseOf: (runner, live, prefix) => {
      let n = 0
      while (holderOf(live, `${prefix}_${n}`) !== runner) n++
      return `${prefix}_${n}`
    },
    addJobs: (knowledgeBaseId, prefix, count, inMs, everyMs) => {
      sim.control.addKnowledgeBase(knowledgeBaseId)
      return Array.from({ length: count }, (_, i) => {
        const jobId = `${prefix}_${String(i).padStart(4, "0")}`
        sim.control.addDataSource(knowledgeBaseId, {
          jobId,
          queuedMs: inMs + i * everyMs,
          documents: [{ name: "notes.md", durationMs: 500 }]
        })
        return jobId
      })
    },
    close: async () => {
      await stopAll()
      await sim.close()
    }
  }
  try {
    for (const name of ["r1", "r2", "r3"]) start(name)
    await Eventually.within("3 runners ready", Promise.all(runners.map((runner) => runner.ready)), EVENTS)
    await Eventually.until("the shards settled on the 3 runners", () => shardsSettled(runners), EVENTS)
    return world
  } catch (error) {
    await world.close()
    throw error
  }
}
