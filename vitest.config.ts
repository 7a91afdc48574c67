import { availableParallelism } from "node:os"
import { playwright } from "@vitest/browser-playwright"
import { defaultClientConditions, defaultServerConditions } from "vite"
import { defineConfig } from "vitest/config"
import { BaseSequencer, type TestSpecification } from "vitest/node"
import * as TestLimit from "./packages/testkit/src/TestLimit.js"

// Tests run against the packages' TypeScript sources (the `@tensoras/source` export condition),
// so no build is needed before `pnpm test`.
const source = "@tensoras/source"

// Tests wait for real events (a request, a child's output, a page's state) under one generous limit,
// TestLimit.ms (TENSORAS_TEST_LIMIT_MS, a minute by default); a test may wait for a few of them.
const testTimeout = 2 * TestLimit.ms

/**
 * Test files run side by side, at least 3 at a time: much of their time they wait for real events (a
 * simulator's job on the real clock, a child process, a cluster's failover), not for a CPU. Vitest's
 * default, one fewer than the cores, ran them one after another on a 2-core machine: `vitest run` took
 * 544 s in CI, 287 s with 3 at a time on the same kind of machine, busy with other work (4: no faster).
 */
const maxWorkers = Math.max(3, availableParallelism() - 1)

/**
 * The cluster's files first: they are the longest (real runner processes, minutes of real time), and a long
 * file started last would run on alone at the end. The rest in Vitest's order (project by project, the
 * slowest file first by the last run's times, else the largest).
 */
class ClusterFirst extends BaseSequencer {
  override async sort(files: Array<TestSpecification>): Promise<Array<TestSpecification>> {
    const sorted = await super.sort(files)
    const cluster = sorted.filter((file) => file.project.name === "cluster")
    return [...cluster, ...sorted.filter((file) => file.project.name !== "cluster")]
  }
}

export default defineConfig({
  resolve: { conditions: [source, ...defaultClientConditions] },
  ssr: { resolve: { conditions: [source, ...defaultServerConditions] } },
  test: {
    testTimeout,
    hookTimeout: testTimeout,
    maxWorkers,
    sequence: { sequencer: ClusterFirst },
    projects: [
      {
        extends: true,
        test: { name: "core", include: ["packages/core/test/**/*.test.ts"] }
      },
      {
        extends: true,
        test: { name: "testkit", include: ["packages/testkit/test/**/*.test.ts"] }
      },
      {
        extends: true,
        test: { name: "node", include: ["packages/node/test/**/*.test.ts"] }
      },
      {
        extends: true,
        test: {
          name: "cli",
          include: ["packages/cli/test/**/*.test.ts"],
          // CI's loaded pass leaves Chromium (the --web page's test) to the first (see .ci/run).
          exclude: process.env.TENSORAS_SKIP_CHROMIUM === "1" ? ["packages/cli/test/cli.web.test.ts"] : []
        }
      },
      {
        extends: true,
        test: { name: "examples", include: ["examples/test/**/*.test.ts"] }
      },
      {
        // The cluster package against a throwaway PostgreSQL (Debian's) and real runner processes, started
        // from the command bundled once by the global setup (test/support/command.ts).
        extends: true,
        test: {
          name: "cluster",
          include: ["packages/cluster/test/**/*.test.ts"],
          globalSetup: ["packages/cluster/test/globalSetup.ts"],
          setupFiles: ["packages/cluster/test/support/setup.ts"],
          // A test awaits a few cluster events, each under 5 × TestLimit.ms (test/support/eventLimit.ts).
          testTimeout: 12 * TestLimit.ms,
          hookTimeout: 6 * TestLimit.ms
        }
      },
      {
        // The browser package in real headless Chromium (Debian's), against the simulator over HTTP.
        extends: true,
        test: {
          name: "browser",
          include: ["packages/browser/test/**/*.browser.test.ts"],
          globalSetup: ["packages/browser/test/globalSetup.ts"],
          // One file at a time, after the others (a project of its own worker count runs in a group of its
          // own): its files' pages share one Chromium, and a page a test hides while another file's page is
          // shown never sees itself visible again (BrowserEngine's visibility tests time out).
          maxWorkers: 1,
          sequence: { groupOrder: 1 },
          browser: {
            enabled: true,
            headless: true,
            instances: [{ browser: "chromium" }],
            provider: playwright({
              launchOptions: {
                executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
                args: [
                  "--no-sandbox",
                  "--disable-gpu",
                  "--disable-background-networking",
                  "--disable-component-update",
                  "--disable-sync",
                  "--no-first-run"
                ]
              }
            })
          }
        }
      },
      {
        // The browser package's Node-side tests: the proxy handler, the example page, the size report.
        extends: true,
        test: {
          name: "browser-node",
          include: ["packages/browser/test/**/*.test.ts"],
          exclude: [
            "packages/browser/test/**/*.browser.test.ts",
            // CI's loaded pass leaves Chromium to the first (see .ci/run).
            ...(process.env.TENSORAS_SKIP_CHROMIUM === "1" ? ["packages/browser/test/example.test.ts"] : [])
          ]
        }
      }
    ]
  }
})
