import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import { describe, expect, it } from "vitest"
import { Simulator } from "../src/index.js"
import * as ScenarioFile from "../src/ScenarioFile.js"

const EXAMPLE = fileURLToPath(new URL("../../../examples/simulator-scenario/scenario.json", import.meta.url))

/** The error `fromJson` throws for `input`. */
const refusal = (input: unknown): ScenarioFile.ScenarioFileError => {
  try {
    ScenarioFile.fromJson(input)
  } catch (error) {
    if (error instanceof ScenarioFile.ScenarioFileError) return error
    throw error
  }
  throw new Error("the file was accepted")
}

const request = (control: Simulator.SimulatorControl, path: string): Request =>
  new Request(`http://sim/v1${path}`, { headers: { authorization: `Bearer ${control.apiKey}` } })

describe("ScenarioFile.fromJson: a scenario file made a Scenario", () => {
  it("builds its knowledge bases, jobs (timeline, documents, failures with reasons) at its start time", () => {
    const scenario = ScenarioFile.fromJson(
      {
        name: "two",
        startAt: "2025-01-01T00:00:00Z",
        knowledgeBases: [
          {
            id: "kb_a",
            jobs: [
              {
                id: "job_a",
                dataSource: "ds_a",
                queuedMs: 1_000,
                documents: [
                  { name: "a.pdf", chunks: 3, durationMs: 2_000 },
                  { name: "b.pdf", fail: "The PDF is password-protected" }
                ]
              },
              { id: "job_a2", dataSource: "ds_a", ageMs: 5_000, failure: { afterMs: 500, error: "Gone" } }
            ]
          },
          { id: "kb_b", jobs: [{ id: "job_b", documents: { count: 4, failures: 1, seed: 2 } }] }
        ]
      },
      { name: "ignored: the file has one" }
    )
    expect(scenario.name).toBe("two")
    const { control, dispose } = Simulator.make({ scenario, clock: "manual" })
    expect(control.now()).toBe(Date.UTC(2025, 0, 1))
    expect(control.knowledgeBases()).toEqual(["kb_a", "kb_b"])
    // job_a2 syncs ds_a and was created 5 s before the start: it lists first.
    expect(control.jobs("kb_a").map((job) => [job.id, job.dataSourceId, job.outcome])).toEqual([
      ["job_a2", "ds_a", "failed"],
      ["job_a", "ds_a", "completed"]
    ])
    expect(control.jobTerminalAt("kb_a", "job_a") - control.now()).toBe(1_000 + 2_000 + 500)
    const failed = control.advanceToTerminal("kb_a", "job_a").document_details?.[1]
    expect(failed).toMatchObject({ status: "failed", error: { message: "The PDF is password-protected" } })
    expect(control.getJob("kb_a", "job_a2")).toMatchObject({ status: "failed", error: { message: "Gone" } })
    expect(control.jobs("kb_b")[0]?.documents).toHaveLength(4)
    dispose()
  })

  it("injects its faults on load, a job's aimed at that job (`skip` lets requests by first)", async () => {
    const scenario = ScenarioFile.fromJson({
      knowledgeBases: [
        { id: "kb_a", jobs: [{ id: "job_a", faults: [{ kind: "server-error", status: 503, skip: 1 }] }] }
      ],
      faults: [{ kind: "rate-limit", retryAfter: 2, route: "list", times: "always" }]
    })
    const { handler, control, dispose } = Simulator.make({ scenario, clock: "manual" })
    const statuses = []
    for (const path of [
      "/knowledge-bases/kb_a/ingestion-jobs",
      ...Array(3).fill("/knowledge-bases/kb_a/ingestion-jobs/job_a")
    ]) {
      statuses.push((await handler(request(control, path))).status)
    }
    expect(statuses).toEqual([429, 200, 503, 200])
    expect(control.faults.map((fault) => [fault.fault.kind, fault.remaining])).toEqual([
      ["rate-limit", Infinity]
    ])
    control.reset()
    expect(control.faults.map((fault) => fault.fault.kind)).toEqual(["rate-limit", "server-error"])
    dispose()
  })

  it('takes every kind of fault as JSON, `times: "always"` for Infinity', () => {
    const faults = [
      { kind: "rate-limit", retryAfter: 2, retryAfterFormat: "http-date", route: "get" },
      { kind: "server-error", status: 502, retryAfter: 1, times: 3 },
      { kind: "http-error", status: 403, error: { code: "forbidden", param: null } },
      { kind: "latency", ms: 250, clock: "engine", skip: 1 },
      { kind: "hang", kbId: "kb_a" },
      { kind: "drop", times: "always" },
      { kind: "non-json", status: 200, body: "<html>", contentType: "text/html" },
      { kind: "truncated", fraction: 0.25 },
      { kind: "extra-fields", fields: { beta: { nested: true } } },
      { kind: "unknown-status", jobStatus: "paused", documentStatus: null },
      { kind: "echo-key", status: 401 },
      { kind: "redirect", status: 307, location: "https://elsewhere.example/v1" },
      {
        kind: "huge-body",
        bytes: 1_048_576,
        contentLength: 10,
        chunkBytes: 4_096,
        intervalMs: 5,
        status: 503
      }
    ]
    const scenario = ScenarioFile.fromJson({ knowledgeBases: [{ id: "kb_a" }], faults })
    expect(scenario.faults).toEqual(
      faults.map((fault) =>
        fault.times === "always" ? { ...fault, times: Number.POSITIVE_INFINITY } : fault
      )
    )
  })

  it.each([
    [
      { knowledgeBases: [{ id: "kb", jobs: [{ queuedMs: -1 }] }] },
      "knowledgeBases[0].jobs[0].queuedMs",
      /greater than or equal to 0, got -1/
    ],
    [
      { knowledgeBases: [{ id: "kb", jobs: [{ queuMs: 1 }] }] },
      "knowledgeBases[0].jobs[0].queuMs",
      /unknown field/
    ],
    [{ knowledgeBases: [{ jobs: [] }] }, "knowledgeBases[0].id", /missing/],
    [
      { knowledgeBases: [], faults: [{ kind: "slow" }] },
      "faults[0]",
      /"kind" is one of "rate-limit".*got \{"kind":"slow"\}/
    ],
    [
      { knowledgeBases: [], faults: [{ kind: "server-error", status: 501 }] },
      "faults[0].status",
      /Expected 500 \| 502 \| 503 \| 504, got 501/
    ],
    [{ knowledgeBases: [], faults: [{ kind: "drop", times: 0 }] }, "faults[0].times", /got 0/],
    [
      { knowledgeBases: [{ id: "kb", jobs: [{ documents: [{ name: "a.md", fail: 3 }] }] }] },
      "knowledgeBases[0].jobs[0].documents[0].fail",
      /got 3/
    ],
    [
      { knowledgeBases: [{ id: "kb", jobs: [{ faults: [{ kind: "drop" }] }] }] },
      "knowledgeBases[0].jobs[0].id",
      /a job with faults needs an id/
    ],
    [{ startAt: "yesterday", knowledgeBases: [] }, "startAt", /got "yesterday"/],
    [[], "", /\(the file\): Expected object, got \[\]/]
  ])("refuses %j, naming %s", (input, path, message) => {
    const error = refusal(input)
    expect(error.path).toBe(path)
    expect(error.message.startsWith(path === "" ? "(the file)" : path)).toBe(true)
    expect(error.message).toMatch(message)
  })

  it("names every bad field, one a line", () => {
    const error = refusal({ name: 7, knowledgeBases: "none" })
    expect(error.message.split("\n")).toEqual([
      "name: Expected string, got 7",
      'knowledgeBases: Expected array, got "none"'
    ])
  })

  it("reports what the world refuses (a reused id, a duplicate document) by the job's path", () => {
    expect(
      refusal({ knowledgeBases: [{ id: "kb", jobs: [{ id: "job_1" }, { id: "job_1" }] }] }).message
    ).toBe("knowledgeBases[0].jobs[1]: Id 'job_1' is already used in this simulator")
    expect(
      refusal({
        knowledgeBases: [
          {
            id: "kb",
            jobs: [
              {
                documents: [
                  { id: "d", name: "a" },
                  { id: "d", name: "b" }
                ]
              }
            ]
          }
        ]
      }).path
    ).toBe("knowledgeBases[0].jobs[0]")
    expect(refusal({ knowledgeBases: [{ id: "kb" }, { id: "kb" }] }).path).toBe("knowledgeBases[1].id")
  })

  it("parse: text that is not JSON is refused as the file", () => {
    expect(() => ScenarioFile.parse("{ nope")).toThrow(/^\(the file\): not JSON/)
    expect(ScenarioFile.parse('{ "knowledgeBases": [] }', { name: "blank" }).name).toBe("blank")
  })

  it("decode: the same in Effect, failing with the ScenarioFileError", async () => {
    const ok = await Effect.runPromise(ScenarioFile.decode({ knowledgeBases: [{ id: "kb_1" }] }))
    expect(ok.name).toBe("custom")
    const exit = await Effect.runPromiseExit(ScenarioFile.decode({ knowledgeBases: 1 }))
    expect(exit).toStrictEqual(
      Exit.fail(
        new ScenarioFile.ScenarioFileError({
          path: "knowledgeBases",
          message: "knowledgeBases: Expected array, got 1"
        })
      )
    )
  })

  it("the example file (examples/simulator-scenario) is valid and has what its README says", () => {
    const scenario = ScenarioFile.parse(readFileSync(EXAMPLE, "utf8"))
    const { control, dispose } = Simulator.make({ scenario, clock: "manual" })
    const ends = control
      .knowledgeBases()
      .flatMap((kb) =>
        control.jobs(kb).map((job) => [job.id, job.outcome, (job.terminalAt - control.now()) / 1_000])
      )
    expect(ends).toEqual([
      ["job_docs", "completed", 9],
      ["job_wiki", "completed", 11],
      ["job_crawl", "failed", 8]
    ])
    expect(control.faults.map((fault) => fault.fault.kind)).toEqual(["rate-limit", "server-error"])
    dispose()
  })
})
