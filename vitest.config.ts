import { playwright } from "@vitest/browser-playwright"
import { defaultClientConditions, defaultServerConditions } from "vite"
import { defineConfig } from "vitest/config"
import * as TestLimit from "./packages/testkit/src/TestLimit.js"

// Tests run against the packages' TypeScript sources (the `@tensoras/source` export condition),
// so no build is needed before `pnpm test`.
const source = "@tensoras/source"

// Tests wait for real events (a request, a child's output, a page's state) under one generous limit,
// TestLimit.ms (TENSORAS_TEST_LIMIT_MS, a minute by default); a test may wait for a few of them.
const testTimeout = 2 * TestLimit.ms

export default defineConfig({
  resolve: { conditions: [source, ...defaultClientConditions] },
  ssr: { resolve: { conditions: [source, ...defaultServerConditions] } },
  test: {
    testTimeout,
    hookTimeout: testTimeout,
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
        // The cluster package against a throwaway PostgreSQL (Debian's) and real runner processes.
        extends: true,
        test: {
          name: "cluster",
          include: ["packages/cluster/test/**/*.test.ts"],
          globalSetup: ["packages/cluster/test/globalSetup.ts"],
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
