/**
 * The `tensoras-simulator` command: serves a scenario over HTTP until SIGINT/SIGTERM. The base URL is
 * alone on the first line of stdout, so scripts can read it.
 *
 * @module
 */
import { parseArgs } from "node:util"
import * as NodeSimulator from "./NodeSimulator.js"
import * as Scenarios from "./Scenarios.js"
import * as Simulator from "./Simulator.js"

const USAGE = `Usage: tensoras-simulator [options]

Serves a simulated Tensoras ingestion-jobs API. Prints the base URL on the first line.

Options:
  --port N            port to listen on (default: a free port)
  --host H            address to listen on (default: 127.0.0.1)
  --scenario NAME     ${Object.keys(Scenarios.builtIn).join(" | ")} (default: docs)
  --api-key KEY       the API key to accept (default: tns_your_key_here for docs, else generated)
  --clock MODE        real | manual (default: real; manual freezes the world at the scenario's start)
  -h, --help          show this help
`

function usageError(message: string): never {
  process.stderr.write(`tensoras-simulator: ${message}\n\n${USAGE}`)
  process.exit(2)
}

const parse = () => {
  try {
    return parseArgs({
      args: process.argv.slice(2),
      strict: true,
      allowPositionals: false,
      options: {
        port: { type: "string" },
        host: { type: "string" },
        scenario: { type: "string" },
        "api-key": { type: "string" },
        clock: { type: "string" },
        help: { type: "boolean", short: "h" }
      }
    }).values
  } catch (cause) {
    return usageError(cause instanceof Error ? cause.message : String(cause))
  }
}

const main = async (): Promise<void> => {
  const flags = parse()
  if (flags.help) {
    process.stdout.write(USAGE)
    return
  }
  const port = flags.port === undefined ? 0 : /^\d{1,5}$/.test(flags.port) ? Number(flags.port) : Number.NaN
  if (!(port >= 0 && port <= 65_535))
    usageError(`--port must be an integer from 0 to 65535, got '${flags.port}'`)
  const scenario = flags.scenario ?? "docs"
  if (!Scenarios.isScenarioName(scenario)) usageError(`unknown scenario '${scenario}'`)
  const clock = flags.clock ?? "real"
  if (clock !== "real" && clock !== "manual") usageError(`--clock must be 'real' or 'manual', got '${clock}'`)
  if (flags["api-key"] !== undefined && flags["api-key"].trim() === "")
    usageError("--api-key must not be empty")

  const simulator = await NodeSimulator.start({
    port,
    scenario,
    clock,
    ...(flags.host === undefined ? {} : { host: flags.host }),
    ...(flags["api-key"] === undefined ? {} : { apiKey: flags["api-key"] })
  })
  const { control, baseUrl } = simulator
  const lines = Simulator.describe(simulator)
  const firstKb = control.knowledgeBases()[0]
  if (firstKb !== undefined) {
    lines.push(
      `try: curl -H 'Authorization: Bearer ${control.apiKey}' ${baseUrl}/knowledge-bases/${firstKb}/ingestion-jobs`
    )
  }
  // Handlers go in before the URL is printed: a script may signal as soon as it reads the first line.
  const shutdown = (): void => {
    void simulator.close().then(() => process.exit(0))
  }
  process.once("SIGINT", shutdown)
  process.once("SIGTERM", shutdown)
  process.stdout.write(`${lines.join("\n")}\n`)
}

main().catch((cause: unknown) => {
  process.stderr.write(`tensoras-simulator: ${cause instanceof Error ? cause.message : String(cause)}\n`)
  process.exit(1)
})
