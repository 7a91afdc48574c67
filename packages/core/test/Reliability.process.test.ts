import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "@effect/vitest"
import { Canary, NodeSimulator } from "@tensoras/ingestion-testkit"
import { startScript } from "./utils/script.js"

/**
 * The reliability suite's part in child processes (docs/reliability.md; the rest is
 * Reliability.test.ts): a script that waits through faults exits by itself, and a `kill -9` in
 * the middle of a machine's wait, then a resume from its persisted snapshot.
 */

const KEY = Canary.make()
const KB = "kb_abc123"
/** Completed from the start in the `docs` scenario: how a wait ends is up to the faults alone. */
const JOB = "job_abc123"

let simulator: NodeSimulator.RunningSimulator
beforeAll(async () => {
  simulator = await NodeSimulator.start({ scenario: "docs", apiKey: KEY, clock: "manual" })
})
afterAll(() => simulator.close())
beforeEach(() => simulator.control.setScenario("docs"))

// --- Leaks ----------------------------------------------------------------------------------

describe("leaks", () => {
  it("a script that waits through faults, with every API, exits by itself", async () => {
    simulator.control.injectFault({ kind: "server-error", status: 503, times: 2 })
    simulator.control.injectFault({ kind: "drop", times: 1 })
    simulator.control.injectFault({ kind: "echo-key", status: 502, times: 1 })
    const script = [
      `import { createIngestionJobsClient, IngestionJobs, Wait, WaitEngine } from "@tensoras/ingestion"`,
      `import * as JobActor from "@tensoras/ingestion/JobActor"`,
      `import * as FetchHttpClient from "effect/http/FetchHttpClient"`,
      `import * as Effect from "effect/Effect"`,
      `import * as Layer from "effect/Layer"`,
      `import * as Redacted from "effect/Redacted"`,
      `const options = { apiKey: ${JSON.stringify(KEY)}, baseUrl: ${JSON.stringify(simulator.baseUrl)} }`,
      `const promise = await createIngestionJobsClient(options).waitFor(${JSON.stringify(KB)}, ${JSON.stringify(JOB)})`,
      `const live = WaitEngine.layer().pipe(Layer.provide(IngestionJobs.layer({ ...options, apiKey: Redacted.make(options.apiKey) })), Layer.provide(FetchHttpClient.layer))`,
      `const effect = await Effect.runPromise(Wait.waitFor(${JSON.stringify(KB)}, ${JSON.stringify(JOB)}).pipe(Effect.provide(live)))`,
      `const machine = await Effect.runPromise(Effect.scoped(Effect.flatMap(JobActor.start(${JSON.stringify(KB)}, ${JSON.stringify(JOB)}), JobActor.result)).pipe(Effect.provide(live)))`,
      `console.log([promise.status, effect.status, machine.status].join(" "))`
    ].join("\n")
    const { code, stdout } = await startScript(script).exited
    expect(stdout.trim()).toBe("completed completed completed")
    expect(code).toBe(0)
    expect(Canary.leaks(KEY, stdout)).toStrictEqual([])
    expect(simulator.control.requestCount({ status: 503 })).toBe(2)
  })
})

// --- kill -9, then resume -----------------------------------------------------------------------

describe("kill -9 in the middle of a machine's wait, then resume from the persisted snapshot", () => {
  it("delivers the outcome once, against the original deadline, and the snapshot holds no key", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tensoras-kill9-"))
    const file = join(dir, "snapshot.json")
    try {
      const JOB_RUNNING = "job_def456"
      const machineOf = [
        `import { IngestionJobs, PollSchedule } from "@tensoras/ingestion"`,
        `import * as JobMachine from "@tensoras/ingestion/JobMachine"`,
        `import * as FetchHttpClient from "effect/http/FetchHttpClient"`,
        `import * as Layer from "effect/Layer"`,
        `import * as Redacted from "effect/Redacted"`,
        `import { readFileSync, writeFileSync } from "node:fs"`,
        `import { createActor, toPromise } from "xstate"`,
        `const machine = JobMachine.fromLayer(IngestionJobs.layer({ apiKey: Redacted.make(${JSON.stringify(KEY)}), baseUrl: ${JSON.stringify(simulator.baseUrl)} }).pipe(Layer.provide(FetchHttpClient.layer)), { schedule: PollSchedule.fixed("200 millis") })`,
        `const persist = (actor) => actor.subscribe(() => { writeFileSync(${JSON.stringify(file)}, JSON.stringify(actor.getPersistedSnapshot())); console.log("persisted " + actor.getSnapshot().context.polls) })`
      ]
      // The first process: starts the wait, persists every change; killed while it waits.
      const firstScript = startScript(
        [
          ...machineOf,
          `const actor = createActor(machine, { input: { knowledgeBaseId: ${JSON.stringify(KB)}, jobId: ${JSON.stringify(JOB_RUNNING)}, timeoutMs: 3_600_000 } })`,
          `persist(actor)`,
          `actor.start()`,
          `await toPromise(actor)`,
          `console.log("OUTCOME (first process)")`
        ].join("\n")
      )
      await firstScript.line("persisted 2")
      firstScript.kill("SIGKILL")
      const first = await firstScript.exited
      expect(first.signal).toBe("SIGKILL")
      const saved = readFileSync(file, "utf8")
      expect(Canary.leaks(KEY, saved)).toStrictEqual([])
      const original = JSON.parse(saved)
      expect(original.status).toBe("active")

      // Meanwhile the job ends; a second process restores the snapshot and delivers the outcome.
      simulator.control.advanceToTerminal(KB, JOB_RUNNING)
      const second = await startScript(
        [
          ...machineOf,
          `const snapshot = JSON.parse(readFileSync(${JSON.stringify(file)}, "utf8"))`,
          `const actor = createActor(machine, { snapshot, input: snapshot.context })`,
          `actor.start()`,
          `const output = await toPromise(actor)`,
          `console.log("OUTCOME " + JSON.stringify({ tag: output._tag, deadline: actor.getSnapshot().context.deadline }))`
        ].join("\n")
      ).exited
      expect(second.code).toBe(0)
      const outcomes = second.stdout.split("\n").filter((line) => line.startsWith("OUTCOME"))
      expect(outcomes.length).toBe(1)
      expect(JSON.parse(outcomes[0]!.slice("OUTCOME ".length))).toStrictEqual({
        tag: "Completed",
        deadline: original.context.deadline
      })
      expect(first.stdout).not.toContain("OUTCOME")
      expect(Canary.leaks(KEY, first.stdout, second.stdout, readFileSync(file, "utf8"))).toStrictEqual([])
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
