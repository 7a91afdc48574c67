import { NodeServer } from "@tensoras/ingestion-testkit"
import { describe, expect, it } from "vitest"
import { CANARY, envFor, linesOf, listed, runCli, WRONG_KEY, withSimulator } from "./helpers.js"

const closedPort = NodeServer.closedPort

// The demo runs about 16 s on the real clock, idle most of the time: it sits in this, the busiest
// file, so that it overlaps the other tests instead of adding to the project's time.
describe.concurrent("tensoras-ingest demo", () => {
  it("watches the realistic sync to its end on the real clock, then the documents and the request count", async () => {
    const run = await runCli(["demo"])
    expect(run.stderr).toBe("")
    expect(run.code).toBe(0)
    const lines = linesOf(run.stdout)
    expect(lines[0]).toMatch(/^Simulated Tensoras API on http:\/\/127\.0\.0\.1:\d+\/v1 /)
    // The first answer (queued, unless the sync started meanwhile), with the total from a first GET.
    expect(lines.find((line) => line.startsWith("job_demo_sync: "))).toMatch(
      /^job_demo_sync: (queued|processing) - \d+ processed, \d+ failed, \d+ chunks \(\d+\/40 documents\)$/
    )
    expect(lines.filter((line) => line.startsWith("job_demo_sync: processing")).length).toBeGreaterThan(3)
    // The failures, then a count of the rest.
    expect(lines.filter((line) => line.startsWith("[OK] "))).toHaveLength(0)
    expect(lines.filter((line) => line.startsWith("[FAIL] "))).toHaveLength(3)
    expect(lines).toContain("37 other documents ingested (--verbose lists them)")
    expect(lines).toContainEqual(
      expect.stringMatching(/^completed with failures: 37 documents ingested, 3 failed/)
    )
    // How many requests the wait took depends on the machine's speed (the real clock runs on while it
    // is busy); what holds everywhere: each change printed came from an answer of its own.
    const requests = Number(/^The wait used (\d+) HTTP requests\.$/.exec(lines.at(-1) ?? "")?.[1])
    const changes = lines.filter((line) => line.startsWith("job_demo_sync: ")).length
    expect(changes).toBeGreaterThanOrEqual(3)
    expect(requests).toBeGreaterThanOrEqual(changes)
  })
})

// Each test has its own simulator and child process, so they run side by side.
describe.concurrent("tensoras-ingest jobs list", () => {
  it("prints one line per job, as in the API docs", () =>
    withSimulator({ scenario: "docs" }, async (simulator) => {
      const run = await runCli(["jobs", "list", "kb_abc123"], { env: envFor(simulator) })
      expect(run.stderr).toBe("")
      expect(linesOf(run.stdout)).toEqual([
        "job_abc123: completed - 15 docs, 482 chunks",
        "job_def456: processing - 8 docs, 245 chunks, 1 failed"
      ])
      expect(run.code).toBe(0)
      expect(simulator.control.requests.map((r) => [r.route, r.authorized])).toEqual([["list", true]])
    }))

  it("--json prints the API's job objects, one per line", () =>
    withSimulator({ scenario: "docs" }, async (simulator) => {
      const run = await runCli(["jobs", "list", "kb_abc123", "--json"], { env: envFor(simulator) })
      expect(run.code).toBe(0)
      expect(run.stderr).toBe("")
      expect(linesOf(run.stdout).map((line) => JSON.parse(line))).toEqual([
        listed(simulator.control.getJob("kb_abc123", "job_abc123")),
        listed(simulator.control.getJob("kb_abc123", "job_def456"))
      ])
    }))

  it("--all --json follows the cursor through every page", () =>
    withSimulator({ scenario: "paginated" }, async (simulator) => {
      const run = await runCli(["jobs", "list", "kb_paginated", "--all", "--json", "--limit", "40"], {
        env: envFor(simulator)
      })
      expect(run.code).toBe(0)
      const jobs = linesOf(run.stdout).map((line) => JSON.parse(line))
      const expected = simulator.control
        .jobs("kb_paginated")
        .map((job) => listed(simulator.control.getJob("kb_paginated", job.id)))
      expect(jobs).toHaveLength(250)
      expect(jobs).toEqual(expected)
      // 250 jobs, 40 a page: 7 requests, each after the previous page's last job.
      const requests = simulator.control.requests
      expect(requests.map((r) => r.query.limit)).toEqual(Array(7).fill("40"))
      expect(requests[1]?.query.after).toBe("job_page_040")
    }))

  it("--status, --limit and --after go to the API; a page with more says how to go on", () =>
    withSimulator({ scenario: "paginated" }, async (simulator) => {
      const run = await runCli(
        ["jobs", "list", "kb_paginated", "--status", "failed", "--limit", "2", "--after", "job_page_100"],
        { env: envFor(simulator) }
      )
      expect(run.code).toBe(0)
      expect(simulator.control.requests[0]?.query).toEqual({
        status: "failed",
        limit: "2",
        after: "job_page_100"
      })
      const lines = linesOf(run.stdout)
      expect(lines).toHaveLength(3)
      expect(lines[0]).toMatch(/^job_page_1\d\d: failed - \d+ docs, \d+ chunks(, \d+ failed)? - .+$/)
      expect(lines[2]).toMatch(/^… more jobs: add --after job_page_\d{3}, or --all$/)
    }))
})

describe.concurrent("tensoras-ingest jobs get", () => {
  it("prints the counters, then one line per document", () =>
    withSimulator({ scenario: "docs" }, async (simulator) => {
      const run = await runCli(["jobs", "get", "kb_abc123", "job_def456"], { env: envFor(simulator) })
      expect(run.code).toBe(0)
      expect(run.stderr).toBe("")
      const lines = linesOf(run.stdout)
      expect(lines.slice(0, 4)).toEqual([
        "job_def456 (knowledge base kb_abc123, data source ds_lmn456)",
        "  status:     processing",
        "  documents:  8 processed, 1 failed, 20 in total",
        "  chunks:     245"
      ])
      expect(lines).toContain("  [OK] faq.md: 28 chunks")
      expect(lines).toContain("  [FAIL] legacy-manual-2019.pdf: The PDF is password-protected")
      expect(lines).toContain("  [PROCESSING] migration-guide.pdf")
      expect(lines).toContain("  [QUEUED] cli-reference.md")
      expect(lines.filter((line) => /^ {2}\[[A-Z]+\] /.test(line))).toHaveLength(20)
    }))

  it("--json prints the API's job with its documents, on one line", () =>
    withSimulator({ scenario: "docs" }, async (simulator) => {
      const run = await runCli(["jobs", "get", "kb_abc123", "job_abc123", "--json"], {
        env: envFor(simulator)
      })
      expect(run.code).toBe(0)
      expect(linesOf(run.stdout)).toHaveLength(1)
      expect(JSON.parse(run.stdout)).toEqual(simulator.control.getJob("kb_abc123", "job_abc123"))
    }))

  it("--json encodes a status it does not know back to the API's own string", () =>
    withSimulator({ scenario: "unknown-status" }, async (simulator) => {
      const run = await runCli(["jobs", "get", "kb_unknown", "job_skipped", "--json"], {
        env: envFor(simulator)
      })
      expect(run.code).toBe(0)
      const job = JSON.parse(run.stdout)
      expect(job).toEqual(simulator.control.getJob("kb_unknown", "job_skipped"))
      expect(job.document_details.map((d: { status: string }) => d.status)).toContain("skipped")
    }))
})

describe.concurrent("key and base URL", () => {
  it("flags win over TENSORAS_API_KEY and TENSORAS_BASE_URL", () =>
    withSimulator({ scenario: "docs" }, async (simulator) => {
      const run = await runCli(
        ["jobs", "get", "kb_abc123", "job_abc123", `--api-key=${CANARY}`, "--base-url", simulator.baseUrl],
        { env: { TENSORAS_API_KEY: WRONG_KEY, TENSORAS_BASE_URL: "http://127.0.0.1:9/v1" } }
      )
      expect(run.stderr).toBe("")
      expect(run.code).toBe(0)
      expect(simulator.control.requestCount({ authorized: true })).toBe(1)
    }))

  it("a wrong key is exit 4 with the API's code, and the key is not printed", () =>
    withSimulator({ scenario: "docs" }, async (simulator) => {
      const run = await runCli(["jobs", "list", "kb_abc123"], {
        env: { ...envFor(simulator), TENSORAS_API_KEY: WRONG_KEY }
      })
      expect(run.code).toBe(4)
      expect(run.stdout).toBe("")
      expect(run.stderr).toMatch(/^error: Unauthorized \(invalid_api_key\): .+\n$/)
      expect(simulator.control.requestCount({ authorized: false })).toBe(1)
    }))
})

describe.concurrent("exit code 4: API errors", () => {
  it("a job that does not exist", () =>
    withSimulator({ scenario: "docs" }, async (simulator) => {
      const run = await runCli(["jobs", "get", "kb_abc123", "job_x"], { env: envFor(simulator) })
      expect(run.code).toBe(4)
      expect(run.stdout).toBe("")
      expect(run.stderr).toBe("error: NotFound (ingestion_job_not_found): Ingestion job 'job_x' not found\n")
    }))

  it("a 503 storm: the client's retries run out", () =>
    withSimulator({ scenario: "docs" }, async (simulator) => {
      simulator.control.injectFault({ kind: "server-error", status: 503, times: Number.POSITIVE_INFINITY })
      const run = await runCli(["jobs", "get", "kb_abc123", "job_abc123"], { env: envFor(simulator) })
      expect(run.code).toBe(4)
      expect(run.stdout).toBe("")
      // Each retry as it happens, with its cause (1.1), then the error the last attempt got.
      expect(linesOf(run.stderr)).toEqual([
        ...[1, 2, 3, 4, 5].map((n) =>
          expect.stringMatching(new RegExp(`^HTTP 503 service_unavailable, retry ${n} in \\d+\\.\\d s$`))
        ),
        "error: ServerError (service_unavailable): The service is temporarily unavailable. Please retry."
      ])
      // The first attempt and the default schedule's 5 retries.
      expect(simulator.control.requestCount({ status: 503 })).toBe(6)
    }))
})

describe.concurrent("exit code 2: bad usage or input, and nothing is sent", () => {
  const cases: ReadonlyArray<readonly [string, ReadonlyArray<string>, RegExp]> = [
    [
      "limit 0",
      ["jobs", "list", "kb_abc123", "--limit", "0"],
      /^error: --limit must be an integer from 1 to 100/
    ],
    ["limit not a number", ["jobs", "list", "kb_abc123", "--limit", "ten"], /^error: --limit must be/],
    [
      "an unknown status",
      ["jobs", "list", "kb_abc123", "--status", "done"],
      /^error: --status must be one of/
    ],
    ["a job id with a slash", ["jobs", "get", "kb_abc123", "job/x"], /^error: InvalidInput \(jobId\): /],
    ["a duration without unit", ["jobs", "wait", "kb_abc123", "job_def456", "--interval", "5"], /--interval/],
    ["a zero timeout", ["jobs", "wait", "kb_abc123", "job_def456", "--timeout", "0s"], /^error: --timeout/],
    [
      "a request timeout without unit",
      ["jobs", "get", "kb_abc123", "job_abc123", "--request-timeout", "5"],
      /^error: --request-timeout must be a positive whole number with a unit/
    ],
    [
      "a request timeout of a wait, zero",
      ["jobs", "wait", "kb_abc123", "job_def456", "--request-timeout", "0ms"],
      /^error: --request-timeout must be/
    ],
    [
      "a max interval under the interval",
      ["jobs", "wait", "kb_abc123", "job_def456", "--interval", "5s", "--max-interval", "2s"],
      /^error: --max-interval must not be shorter/
    ],
    [
      "an unknown flag",
      ["jobs", "list", "kb_abc123", "--bogus"],
      /^error: unknown option '--bogus'\n\nUsage: /
    ],
    [
      "an unknown command",
      ["jobs", "delete", "kb_abc123"],
      /^error: unknown jobs command 'delete'\n\nUsage: /
    ],
    ["a missing job id", ["jobs", "get", "kb_abc123"], /^error: missing <job_id>\n\nUsage: /],
    ["an extra argument", ["jobs", "get", "kb_abc123", "job_abc123", "more"], /^error: unexpected argument/],
    [
      "a flag without its value",
      ["jobs", "list", "kb_abc123", "--limit"],
      /^error: option '--limit' needs a value/
    ]
  ]
  for (const [name, args, stderr] of cases) {
    it(name, () =>
      withSimulator({ scenario: "docs" }, async (simulator) => {
        const run = await runCli(args, { env: envFor(simulator) })
        expect(run.stderr).toMatch(stderr)
        expect(run.stdout).toBe("")
        expect(run.code).toBe(2)
        expect(simulator.control.requestCount()).toBe(0)
      })
    )
  }

  it("no key at all", () =>
    withSimulator({ scenario: "docs" }, async (simulator) => {
      const run = await runCli(["jobs", "list", "kb_abc123", "--base-url", simulator.baseUrl])
      expect([run.code, run.stderr]).toEqual([
        2,
        "error: no API key: pass --api-key <key> or set TENSORAS_API_KEY\n"
      ])
      expect(simulator.control.requestCount()).toBe(0)
    }))

  it("a key the client refuses, without printing it", () =>
    withSimulator({ scenario: "docs" }, async (simulator) => {
      const run = await runCli(["jobs", "list", "kb_abc123", "--api-key", `${CANARY} x`], {
        env: envFor(simulator)
      })
      expect([run.code, run.stderr]).toEqual([
        2,
        "error: InvalidInput (apiKey): apiKey must not contain whitespace or control characters\n"
      ])
      expect(simulator.control.requestCount()).toBe(0)
    }))

  it("an insecure base URL points to --allow-insecure-http, which lets it through", () =>
    withSimulator({ scenario: "docs" }, async (simulator) => {
      // The simulator's own address, written so that it is not recognised as loopback.
      const mapped = simulator.baseUrl.replace("127.0.0.1", "[::ffff:7f00:1]")
      const refused = await runCli(["jobs", "get", "kb_abc123", "job_abc123", "--base-url", mapped], {
        env: envFor(simulator)
      })
      expect(refused.code).toBe(2)
      expect(refused.stderr).toMatch(
        /^error: InvalidInput \(baseUrl\): baseUrl must use https: \(.*--allow-insecure-http.*\)\n$/
      )
      expect(simulator.control.requestCount()).toBe(0)
      const allowed = await runCli(
        ["jobs", "get", "kb_abc123", "job_abc123", "--base-url", mapped, "--allow-insecure-http"],
        { env: envFor(simulator) }
      )
      expect([allowed.code, allowed.stderr]).toEqual([0, ""])
      expect(simulator.control.requestCount()).toBe(1)
    }))

  it("an insecure base URL", () =>
    withSimulator({ scenario: "docs" }, async (simulator) => {
      const run = await runCli(
        ["jobs", "get", "kb_abc123", "job_abc123", "--base-url", "http://example.com/v1"],
        {
          env: envFor(simulator)
        }
      )
      expect(run.stderr).toMatch(/^error: InvalidInput \(baseUrl\): baseUrl must use https: .+\n$/)
      expect(run.code).toBe(2)
      expect(simulator.control.requestCount()).toBe(0)
    }))
})
// A service that echoes the Authorization header: every run's output is searched for the key (see
// helpers.ts), and here the echo is known to have arrived, scrubbed.
describe.concurrent("no secret from the server's own text", () => {
  it("jobs get --json: every string of the job, its documents and its error echoed the key", () =>
    withSimulator({ scenario: "failing" }, async (simulator) => {
      simulator.control.advanceToTerminal("kb_failing", "job_failing")
      simulator.control.injectFault({ kind: "echo-key" })
      const run = await runCli(["jobs", "get", "kb_failing", "job_failing", "--json"], {
        env: envFor(simulator)
      })
      expect(run.code).toBe(0)
      expect(JSON.parse(run.stdout).error.message).toContain(
        "[echo: <redacted> | Authorization: Bearer <redacted>]"
      )
    }))

  it("jobs list: the plain lines", () =>
    withSimulator({ scenario: "failing" }, async (simulator) => {
      simulator.control.injectFault({ kind: "echo-key" })
      const run = await runCli(["jobs", "list", "kb_failing"], { env: envFor(simulator) })
      expect(run.code).toBe(0)
      expect(run.stdout).toContain("<redacted>")
    }))

  it("an error body: exit 4, the API's message scrubbed", () =>
    withSimulator({ scenario: "failing" }, async (simulator) => {
      simulator.control.injectFault({ kind: "echo-key", status: 401 })
      const run = await runCli(["jobs", "list", "kb_failing"], { env: envFor(simulator) })
      expect(run.code).toBe(4)
      expect(run.stderr).toContain("<redacted>")
    }))
})

describe.concurrent("redirects", () => {
  it("are not followed: a typed error naming the target, exit 4, nothing sent there", () =>
    withSimulator({ scenario: "docs" }, async (simulator) => {
      simulator.control.injectFault({ kind: "redirect" })
      const run = await runCli(["jobs", "get", "kb_abc123", "job_abc123"], { env: envFor(simulator) })
      expect(run.code).toBe(4)
      expect(run.stderr).toMatch(
        /ResponseDecodeError.*HTTP 302, a redirect to http:\/\/127\.0\.0\.1:\d+\/v1\/knowledge-bases/
      )
      expect(simulator.control.requestCount()).toBe(1)
    }))
})

describe.concurrent("a service that cannot be reached, and the retries as they happen", () => {
  it("nothing listens: each retry on stderr with its cause, then Unreachable, exit 4, never the key", async () => {
    const port = await closedPort()
    const run = await runCli(["jobs", "get", "kb_abc123", "job_abc123"], {
      env: { TENSORAS_API_KEY: CANARY, TENSORAS_BASE_URL: `http://127.0.0.1:${port}/v1` }
    })
    expect(run.code).toBe(4)
    expect(run.stdout).toBe("")
    const lines = linesOf(run.stderr)
    // The default retries (5), each named by its cause, then the end: 6 attempts without an answer.
    expect(lines.slice(0, -1)).toEqual(
      [1, 2, 3, 4, 5].map((n) =>
        expect.stringMatching(
          new RegExp(`^ECONNREFUSED 127\\.0\\.0\\.1:${port}, retry ${n} in \\d+\\.\\d s$`)
        )
      )
    )
    expect(lines.at(-1)).toBe(
      `error: Unreachable (ECONNREFUSED): The service did not answer 6 attempts (the last: ECONNREFUSED 127.0.0.1:${port}): check that it runs at http://127.0.0.1:${port}/v1/ and that this is the right base URL`
    )
    expect(run.stderr).not.toContain(CANARY)
  })

  it("jobs wait with nothing listening: Unreachable after the client's attempts, exit 4, not the wait's timeout", async () => {
    const port = await closedPort()
    const run = await runCli(["jobs", "wait", "kb_abc123", "job_abc123", "--timeout", "30m"], {
      env: { TENSORAS_API_KEY: CANARY, TENSORAS_BASE_URL: `http://127.0.0.1:${port}/v1` }
    })
    expect(run.code).toBe(4)
    // Each retry with its cause (the first GET's on stderr, the wait's polls' in its view on stdout).
    const lines = linesOf(run.stderr)
    const retries = [...lines, ...linesOf(run.stdout)].filter((line) =>
      line.startsWith(`ECONNREFUSED 127.0.0.1:${port}, retry `)
    )
    expect(retries.length).toBeGreaterThan(0)
    expect(lines.at(-1)).toMatch(
      /^error: Unreachable \(ECONNREFUSED\): The service did not answer 6 attempts/
    )
    expect(run.stderr + run.stdout).not.toContain(CANARY)
  })

  it("--request-timeout bounds each attempt: a service that never answers is Unreachable (Timeout)", () =>
    withSimulator({ scenario: "docs" }, async (simulator) => {
      simulator.control.injectFault({ kind: "hang", times: Number.POSITIVE_INFINITY })
      const run = await runCli(["jobs", "get", "kb_abc123", "job_abc123", "--request-timeout", "100ms"], {
        env: envFor(simulator)
      })
      expect(run.code).toBe(4)
      expect(run.stdout).toBe("")
      const host = new URL(simulator.baseUrl).host
      const lines = linesOf(run.stderr)
      expect(lines[0]).toMatch(
        new RegExp(`^no response from ${host.replaceAll(".", "\\.")} in time, retry 1 in \\d+\\.\\d s$`)
      )
      expect(lines.at(-1)).toMatch(/^error: Unreachable \(Timeout\): The service did not answer 6 attempts/)
      // Each attempt was cut after 100 ms, and the request aborted: the simulator saw six hang up.
      const requests = await simulator.control.waitForRequests(6, { settled: true })
      expect(requests.map((request) => request.outcome)).toEqual(Array(6).fill("hung"))
      expect(simulator.control.requestCount()).toBe(6)
    }))

  it("a service that answered is an outage, not Unreachable: jobs list shows its retries, then its error", () =>
    withSimulator({ scenario: "docs" }, async (simulator) => {
      simulator.control.injectFault({ kind: "rate-limit", retryAfter: 1, times: 1 })
      const run = await runCli(["jobs", "list", "kb_abc123"], { env: envFor(simulator) })
      expect(run.code).toBe(0)
      expect(linesOf(run.stderr)).toEqual([
        expect.stringMatching(/^HTTP 429 rate limited, retry 1 in 1\.0 s$/)
      ])
      expect(linesOf(run.stdout)).toHaveLength(2)
    }))

  it("TENSORAS_LOG=debug: every request on stderr, with its status and time, never the key", () =>
    withSimulator({ scenario: "docs" }, async (simulator) => {
      const run = await runCli(["jobs", "get", "kb_abc123", "job_abc123", "--json"], {
        env: { ...envFor(simulator), TENSORAS_LOG: "debug" }
      })
      expect(run.code).toBe(0)
      expect(linesOf(run.stderr)).toEqual([
        expect.stringMatching(
          new RegExp(
            `^\\[tensoras\\] GET ${simulator.baseUrl}/knowledge-bases/kb_abc123/ingestion-jobs/job_abc123 → 200 in \\d+ ms$`
          )
        )
      ])
      expect(run.stderr).not.toContain(CANARY)
      expect(JSON.parse(run.stdout).id).toBe("job_abc123")
    }))
})
