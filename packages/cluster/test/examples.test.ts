import { existsSync } from "node:fs"
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { Eventually, NodeSimulator, TestProcess } from "@tensoras/ingestion-testkit"
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest"
import { EVENTS } from "./support/eventLimit.js"
import { createDatabase } from "./support/postgres.js"
import { programOptions, runnerPort, stopAll } from "./support/processes.js"

const PIPELINE = fileURLToPath(new URL("../../../examples/cluster/pipeline.ts", import.meta.url))
const DEMO = fileURLToPath(new URL("../../../examples/cluster/demo.ts", import.meta.url))
const API_KEY = "tns_cluster_example_loopback_only"

describe("examples/cluster/pipeline.ts: a workflow that waits for several jobs, then runs its next step", () => {
  let sim: NodeSimulator.RunningSimulator
  let env: Record<string, string>
  let runner: TestProcess.Spawned

  beforeAll(async () => {
    sim = await NodeSimulator.start({ scenario: "empty", clock: "real", apiKey: API_KEY })
    sim.control.addKnowledgeBase("kb_example")
    for (const jobId of ["job_docs", "job_wiki"]) {
      sim.control.addDataSource("kb_example", {
        jobId,
        queuedMs: 1_000,
        documents: [{ name: "a.md", durationMs: 2_000 }]
      })
    }
    sim.control.addDataSource("kb_example", {
      jobId: "job_tickets",
      queuedMs: 1_000,
      documents: [{ name: "t.md", durationMs: 2_000 }],
      failure: { afterMs: 3_000, error: { message: "Source unreachable" } }
    })
    env = {
      TENSORAS_DATABASE_URL: await createDatabase(inject("postgresUrl"), "cluster_example"),
      TENSORAS_API_KEY: API_KEY,
      TENSORAS_BASE_URL: sim.baseUrl
    }
    const port = runnerPort()
    runner = TestProcess.node(PIPELINE, ["runner", "--port", String(port)], programOptions(env))
    await Eventually.within("the example runner ready", runner.printed(`runner on port ${port}`), EVENTS)
  })

  afterAll(async () => {
    await stopAll()
    await sim?.close()
  })

  it("prints the pipeline's result once every job ended, and runs the next step once", async () => {
    const start = TestProcess.node(
      PIPELINE,
      ["start", "kb_example", "job_docs", "job_wiki", "job_tickets"],
      programOptions({ TENSORAS_DATABASE_URL: env.TENSORAS_DATABASE_URL! })
    )
    expect((await Eventually.within("the pipeline's end", start.exited, EVENTS)).code).toBe(0)
    expect(start.stdout()).toBe("pipeline done: 2 ingested, failed: job_tickets\n")
    const steps = runner
      .stdout()
      .split("\n")
      .filter((line) => line.startsWith("next step:"))
    expect(steps).toEqual(["next step: refreshing the search index of kb_example (2 sources ingested)"])
  })

  it("answers a second start of the same pipeline with the same result, without running it again", async () => {
    const again = TestProcess.node(
      PIPELINE,
      ["start", "kb_example", "job_docs", "job_wiki", "job_tickets"],
      programOptions({ TENSORAS_DATABASE_URL: env.TENSORAS_DATABASE_URL! })
    )
    expect((await Eventually.within("the second start's end", again.exited, EVENTS)).code).toBe(0)
    expect(again.stdout()).toBe("pipeline done: 2 ingested, failed: job_tickets\n")
    expect(
      runner
        .stdout()
        .split("\n")
        .filter((line) => line.startsWith("next step:"))
    ).toHaveLength(1)
  })
})

// Only as root: the demo looks for a `postgres` user only then (PostgreSQL refuses to run as root).
describe.runIf(process.getuid?.() === 0)("examples/cluster/demo.ts, run as root", () => {
  it("creates no user on a machine without a 'postgres' user: it says so and stops", async () => {
    const bin = await mkdtemp(join(tmpdir(), "tensoras-demo-path-"))
    try {
      // A machine without a `postgres` user, whose user-creating commands leave a trace if called.
      const script = async (name: string, body: string) => {
        await writeFile(join(bin, name), `#!/bin/sh\n${body}\n`)
        await chmod(join(bin, name), 0o755)
      }
      await script("id", 'if [ "$2" = postgres ]; then exit 1; fi; exec /usr/bin/id "$@"')
      await script("useradd", `touch ${join(bin, "created")}`)
      await script("groupadd", `touch ${join(bin, "created")}`)
      const demo = TestProcess.node(DEMO, [], programOptions({ PATH: `${bin}:${process.env.PATH ?? ""}` }))
      expect((await Eventually.within("the demo's exit", demo.exited, EVENTS)).code).toBe(1)
      expect(demo.stderr()).toContain("no 'postgres' user")
      expect(existsSync(join(bin, "created"))).toBe(false)
    } finally {
      await rm(bin, { recursive: true, force: true })
    }
  })
})
