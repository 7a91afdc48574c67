/**
 * What the tests of `Wait.waitForActive` / `client.waitForActive` share: a knowledge base whose jobs
 * are all processing when a call begins and end while its list is read, and a `fetch` that moves the
 * simulated world once, just before a chosen request: the race of "list, then wait", made to happen.
 */
import type { NodeSimulator, Scenarios } from "@tensoras/ingestion-testkit"

/** When the calls of these tests begin: the scenario's start. */
export const EPOCH_MS = Date.UTC(2026, 2, 1, 9, 0, 0)

export const KB = "kb_race"

/** How many jobs are processing at {@link EPOCH_MS}: three pages of 100. */
export const RUNNING = 250

/** When every running job of a scenario starting at `epochMs` ends: ten minutes after the call began. */
export const endsAt = (epochMs: number) => epochMs + 600_000

export const ENDS_AT = endsAt(EPOCH_MS)

export const idOf = (index: number) => `job_${String(index).padStart(3, "0")}`

export const TIE_KB = "kb_tie"

/**
 * `kb_race`: `job_old`, which ended an hour before the call, then `job_000` … `job_249`, created a
 * second apart from 300 s before the call, each processing one document until ten minutes after the call, then
 * `job_done`, created after them and ended 40 s before the call.
 *
 * `kb_tie`: three jobs created within one second (the API's timestamps are whole seconds):
 * `job_q` and `job_x` queued, then `job_p` processing.
 */
export const raceScenarioAt = (epochMs: number): Scenarios.Scenario => ({
  name: "race",
  description: `${RUNNING} jobs processing when the call begins, ending while it lists them`,
  epochMs,
  setup: (engine) => {
    const end = endsAt(epochMs)
    engine.addKnowledgeBase(KB)
    engine.addDataSource(KB, {
      id: "ds_old",
      jobId: "job_old",
      createdAt: epochMs - 3_600_000,
      queuedMs: 1_000,
      documents: [{ name: "old.md", durationMs: 60_000 }]
    })
    for (let index = 0; index < RUNNING; index++) {
      const createdAt = epochMs - 300_000 + index * 1_000
      engine.addDataSource(KB, {
        id: `ds_${index}`,
        jobId: idOf(index),
        createdAt,
        queuedMs: 1_000,
        documents: [{ name: `doc_${index}.md`, chunks: 3, durationMs: end - createdAt - 1_000 }]
      })
    }
    engine.addDataSource(KB, {
      id: "ds_done",
      jobId: "job_done",
      createdAt: epochMs - 50_500,
      queuedMs: 500,
      documents: [{ name: "done.md", durationMs: 10_000 }]
    })
    engine.addKnowledgeBase(TIE_KB)
    const tie = (jobId: string, createdAt: number, queuedMs: number) =>
      engine.addDataSource(TIE_KB, {
        id: `ds_${jobId}`,
        jobId,
        createdAt,
        queuedMs,
        documents: [{ name: `${jobId}.md`, durationMs: 60_000 }]
      })
    tie("job_q", epochMs - 10_000, 600_000)
    tie("job_x", epochMs - 9_800, 600_000)
    tie("job_p", epochMs - 9_500, 100)
  }
})

/** {@link raceScenarioAt} {@link EPOCH_MS}: for tests on the `TestClock`, set to the simulator's time. */
export const raceScenario: Scenarios.Scenario = raceScenarioAt(EPOCH_MS)

/** A job of `kb_race` created `afterMs` after the call began (at `epochMs`), done a second later. */
export const addNewJob = (
  simulator: NodeSimulator.RunningSimulator,
  jobId: string,
  afterMs: number,
  epochMs = EPOCH_MS
) =>
  simulator.control.addDataSource(KB, {
    id: `ds_${jobId}`,
    jobId,
    createdAt: epochMs + afterMs,
    queuedMs: 0,
    documents: [{ name: `${jobId}.md`, chunks: 2, durationMs: 1_000 }]
  }).job

/**
 * A `fetch` that, before the first request whose path and query match `when`, runs `then` (moves the
 * simulator's clock, adds a job): the world changes between two requests of the call, as it does
 * when a list of many pages takes its time.
 */
export const fetchChangingWorld = (
  when: RegExp,
  then: () => void,
  inner: typeof globalThis.fetch = globalThis.fetch
): { readonly fetch: typeof globalThis.fetch; readonly fired: () => boolean } => {
  let fired = false
  return {
    fired: () => fired,
    fetch: (input, init) => {
      const url = new URL(input instanceof Request ? input.url : String(input))
      if (!fired && when.test(`${url.pathname}${url.search}`)) {
        fired = true
        then()
      }
      return inner(input, init)
    }
  }
}
