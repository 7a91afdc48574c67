// The parts of `tensoras-ingest watch --web` that need no browser: its command line, the diagram's
// layout of `JobMachine`, the docs' loop's count, a snapshot's states.
import * as JobMachine from "@tensoras/ingestion/JobMachine"
import { describe, expect, it } from "vitest"
import { definitionOf, layOut, type StateJson } from "../src/internal/web/diagram.js"
import { docsLoopRequests, leafStates } from "../src/internal/web/jobRow.js"
import type { JobRow } from "../src/internal/web/protocol.js"
import { parseDemoWeb, parseWatch } from "../src/internal/web/webArgs.js"

const env = { TENSORAS_API_KEY: "tns_test" }

describe("watch's command line", () => {
  it("groups job IDs under the knowledge base before them; --all-active takes those without", () => {
    const parsed = parseWatch(
      ["kb_a", "job_1", "job_2", "--kb", "kb_b", "--kb", "kb_a", "job_3", "--all-active", "--web"],
      env
    )
    expect(parsed._tag).toBe("Run")
    if (parsed._tag !== "Run" || parsed.command._tag !== "Watch") return
    expect(parsed.command.groups).toEqual([
      { knowledgeBaseId: "kb_a", jobIds: ["job_1", "job_2", "job_3"], allActive: false },
      { knowledgeBaseId: "kb_b", jobIds: [], allActive: true }
    ])
    expect([parsed.command.port, parsed.command.timeoutMs, parsed.command.intervalMs]).toEqual([
      0,
      1_800_000,
      undefined
    ])
  })

  for (const [args, message] of [
    [["kb_a", "job_1"], "watch shows the jobs on a local page: add --web (in a terminal: jobs wait)"],
    [["kb_a", "--web"], "missing <job_id> for kb_a (or --all-active)"],
    [["--web"], "missing <kb_id>"],
    [
      ["kb_a", "job_1", "--all-active", "--web"],
      "--all-active is for a knowledge base given without job IDs, and every one here has some"
    ],
    [["kb_a", "job/1", "--web"], "InvalidInput (jobId): "],
    [
      ["kb_a", "job_1", "--web", "--port", "70000"],
      "--port must be an integer from 0 to 65535 (got '70000')"
    ],
    [["kb_a", "job_1", "--web", "--interval", "5"], "--interval must be a positive whole number"]
  ] as const) {
    it(`'${args.join(" ")}': ${message}`, () => {
      const parsed = parseWatch(args, env)
      expect(parsed._tag === "Usage" || parsed._tag === "Invalid").toBe(true)
      expect("message" in parsed ? parsed.message : "").toContain(message)
    })
  }

  it("demo --web takes a port, and nothing else", () => {
    expect(parseDemoWeb(["--web", "--port", "8080"])).toEqual({
      _tag: "Run",
      command: { _tag: "DemoWeb", port: 8080 }
    })
    expect(parseDemoWeb(["--web", "--verbose"])._tag).toBe("Usage")
  })
})

/** Every state and transition of a definition, by ID. */
const statesOf = (state: StateJson): Array<StateJson> => [
  state,
  ...Object.values(state.states ?? {}).flatMap(statesOf)
]

describe("the diagram", () => {
  it("draws every state and transition of JobMachine's definition, each state inside its parent", async () => {
    const definition = definitionOf(JobMachine.ingestionJobMachine)
    const diagram = await layOut(definition)
    const states = statesOf(definition)
    const nodes = new Map(diagram.nodes.map((node) => [node.id, node]))
    expect(states.map((state) => state.id).every((id) => nodes.has(id))).toBe(true)
    const transitions = states.flatMap((state) =>
      (state.transitions ?? []).flatMap((t) =>
        (t.target ?? []).map((target) => `${state.id}→${target.slice(1)}`)
      )
    )
    const edges = diagram.edges
      .filter((edge) => !edge.from.startsWith("init:"))
      .map((edge) => `${edge.from}→${edge.to}`)
    expect(edges.sort()).toEqual(transitions.sort())
    for (const state of states) {
      const box = nodes.get(state.id)!
      for (const child of Object.values(state.states ?? {})) {
        const inner = nodes.get(child.id)!
        expect(inner.x >= box.x && inner.y >= box.y).toBe(true)
        expect(
          inner.x + inner.width <= box.x + box.width && inner.y + inner.height <= box.y + box.height
        ).toBe(true)
      }
    }
    expect(diagram.edges.every((edge) => edge.points.length >= 2)).toBe(true)
  })
})

describe("the docs' loop's requests", () => {
  const row = (startedAt: number, endedAt: number | null) => ({ startedAt, endedAt }) as JobRow

  it("a GET at the start and every 5 s, until the first at or after the end", () => {
    expect(docsLoopRequests(row(0, 0), null, 0)).toBe(1)
    expect(docsLoopRequests(row(0, 5_000), null, 9_000)).toBe(2)
    expect(docsLoopRequests(row(0, 5_001), null, 9_000)).toBe(3)
    // The job's own end, when the wait saw it later: the loop would have seen it at its next GET.
    expect(docsLoopRequests(row(0, 20_000), 4_000, 30_000)).toBe(2)
    // Still running: the GETs so far.
    expect(docsLoopRequests(row(0, null), null, 12_000)).toBe(3)
  })
})

describe("a snapshot's states", () => {
  it("are its leaves, by ID", () => {
    expect(leafStates({ watching: { job: "queued", watcher: "rateLimited" } })).toEqual([
      "ingestionJob.watching.job.queued",
      "ingestionJob.watching.watcher.rateLimited"
    ])
    expect(leafStates("completed")).toEqual(["ingestionJob.completed"])
  })
})
