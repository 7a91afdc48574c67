import { playwright } from "@vitest/browser-playwright"
import { defaultClientConditions, defaultServerConditions } from "vite"
import { defineConfig } from "vitest/config"

// Tests run against the packages' TypeScript sources (the `@tensoras/source` export condition),
// so no build is needed before `pnpm test`.
const source = "@tensoras/source"

export default defineConfig({
  resolve: { conditions: [source, ...defaultClientConditions] },
  ssr: { resolve: { conditions: [source, ...defaultServerConditions] } },
  test: {
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
        test: { name: "node", include: ["packages/node/test/**/*.test.ts"], testTimeout: 30_000 }
      },
      {
        extends: true,
        test: { name: "examples", include: ["examples/test/**/*.test.ts"], testTimeout: 30_000 }
      },
      {
        // The cluster package against a throwaway PostgreSQL (Debian's) and real runner processes.
        extends: true,
        test: {
          name: "cluster",
          include: ["packages/cluster/test/**/*.test.ts"],
          globalSetup: ["packages/cluster/test/globalSetup.ts"],
          testTimeout: 600_000,
          hookTimeout: 300_000
        }
      },
      {
        // The browser package in real headless Chromium (Debian's), against the simulator over HTTP.
        extends: true,
        test: {
          name: "browser",
          include: ["packages/browser/test/**/*.browser.test.ts"],
          globalSetup: ["packages/browser/test/globalSetup.ts"],
          testTimeout: 20_000,
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
          exclude: ["packages/browser/test/**/*.browser.test.ts"],
          testTimeout: 60_000
        }
      }
    ]
  }
})
