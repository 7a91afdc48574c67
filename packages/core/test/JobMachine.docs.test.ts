import { readFileSync, writeFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "@effect/vitest"
import * as JobMachine from "@tensoras/ingestion/JobMachine"
import { createMachine } from "xstate"
import { sections, statesTable, toMermaid, updateDocument } from "./utils/jobMachineDiagram.js"

// docs/lifecycle.md shows the machine's diagram and states generated from its definition.
// When this test fails, the doc is stale: regenerate it with
//   UPDATE_DOCS=1 pnpm exec vitest run --project core JobMachine.docs
const doc = fileURLToPath(new URL("../../../docs/lifecycle.md", import.meta.url))

describe("docs/lifecycle.md", () => {
  it("shows the machine as it is defined", () => {
    const current = readFileSync(doc, "utf8")
    const generated = updateDocument(current, sections(JobMachine.ingestionJobMachine))
    if (process.env.UPDATE_DOCS === "1" && generated !== current) writeFileSync(doc, generated)
    else expect(current).toBe(generated)
  })

  it("draws every state and every transition of the definition", () => {
    const diagram = toMermaid(JobMachine.ingestionJobMachine)
    for (const state of ["queued", "processing", "polling", "stalled", "retrying", "rateLimited"]) {
      expect(diagram).toContain(`state "${state}" as watching_`)
    }
    for (const final of ["completed", "failed", "timedOut", "cancelled", "errored"]) {
      expect(diagram).toContain(`${final} --> [*]`)
    }
    expect(diagram).toContain("watching --> completed : POLLED [jobCompleted]")
    expect(diagram).toContain("watching --> errored : poller throws")
    expect(diagram).toContain(
      "watching_watcher_any --> watching_watcher_rateLimited : RETRYING [rateLimited]"
    )
    expect(diagram.split("\n").filter((line) => line.includes(" --> ") && !line.includes("[*]")).length).toBe(
      13
    )
  })

  it("its config as JSON, what docs/inspect.md pastes into Stately's editor, is the same machine", () => {
    // JSON drops the implementations (the context factory, the poller's input, the outputs); the
    // states, transitions, guard and action names and descriptions all survive.
    const imported = createMachine(JSON.parse(JSON.stringify(JobMachine.ingestionJobMachine.config)))
    expect(toMermaid(imported)).toBe(toMermaid(JobMachine.ingestionJobMachine))
    expect(statesTable(imported)).toBe(statesTable(JobMachine.ingestionJobMachine))
    // The resolved definition (`toJSON()`) is plain JSON too.
    const definition = JSON.parse(JSON.stringify(JobMachine.ingestionJobMachine.toJSON()))
    expect(Object.keys(definition.states)).toStrictEqual([
      "watching",
      "completed",
      "failed",
      "timedOut",
      "cancelled",
      "errored"
    ])
  })

  it("replaces only what is between the markers, and notices a missing one", () => {
    const text = "intro\n<!-- diagram:start -->\nold\n<!-- diagram:end -->\noutro\n"
    expect(updateDocument(text, { diagram: "new" })).toBe(
      "intro\n<!-- diagram:start -->\nnew\n<!-- diagram:end -->\noutro\n"
    )
    expect(() => updateDocument("no markers", { diagram: "new" })).toThrow("diagram:start")
  })
})
