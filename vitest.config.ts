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
      }
    ]
  }
})
