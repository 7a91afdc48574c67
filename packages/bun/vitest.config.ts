import { fileURLToPath } from "node:url"
import { defaultClientConditions, defaultServerConditions } from "vite"
import { defineConfig } from "vitest/config"
import * as TestLimit from "../testkit/src/TestLimit.js"

// The Bun package's tests run in vitest (Node), with the simulator in the test process; the programs under
// test run on real Bun (the `bun` package the workspace installs), as child processes. Their own run, like
// Deno's (`pnpm test:bun`), since the root config's projects are the Node-side ones.
const source = "@tensoras/source"
const testTimeout = 2 * TestLimit.ms

export default defineConfig({
  resolve: { conditions: [source, ...defaultClientConditions] },
  ssr: { resolve: { conditions: [source, ...defaultServerConditions] } },
  test: {
    name: "bun",
    root: fileURLToPath(new URL(".", import.meta.url)),
    include: ["test/**/*.test.ts"],
    testTimeout,
    hookTimeout: testTimeout
  }
})
