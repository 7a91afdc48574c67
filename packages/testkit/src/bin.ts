/**
 * The `tensoras-simulator` command: serves a built-in scenario or a scenario file over HTTP, with the
 * control API on the same port, until SIGINT/SIGTERM. The base URL is alone on the first line of stdout,
 * so scripts can read it; the control URL and token follow on lines of their own.
 *
 * @module
 */
import { readFileSync, statSync } from "node:fs"
import { basename, extname } from "node:path"
import { parseArgs } from "node:util"
import * as NodeSimulator from "./NodeSimulator.js"
import * as ScenarioFile from "./ScenarioFile.js"
import * as Scenarios from "./Scenarios.js"
import * as Simulator from "./Simulator.js"
import * as SimulatorControl from "./SimulatorControl.js"

/** The API docs' example key: public, so printing it gives nothing away. */
const DOCS_KEY = "tns_your_key_here"

const scenarioLines = (): string => {
  const names = Object.keys(Scenarios.builtIn) as Array<Scenarios.ScenarioName>
  const width = Math.max(...names.map((name) => name.length)) + 2
  return names.map((name) => `  ${name.padEnd(width)}${Scenarios.builtIn[name].description}`).join("\n")
}

const USAGE = `Usage: tensoras-simulator [options]

Serves a simulated Tensoras ingestion-jobs API. Prints the base URL on the first line.

Options:
  --port N               port to listen on (default: a free port)
  --host H               address to listen on (default: 127.0.0.1)
  --scenario NAME|FILE   a built-in scenario (below) or a scenario file, JSON (default: docs)
  --key KEY              the API key to accept (default: the API docs' example key, ${DOCS_KEY});
                         a key you give is never printed (--api-key KEY is the same)
  --clock MODE           real | manual (default: real; manual: time moves only through the control API)
  --control-token T      the control API's token (default: a new one, printed at start)
  -h, --help             show this help

Scenarios:
${scenarioLines()}

Control API, on the same port under ${SimulatorControl.PATH}, with the header ${SimulatorControl.TOKEN_HEADER}: T
  GET / (state), POST /advance?ms=N, POST /time?epochMs=N, POST /knowledge-bases?id=ID,
  POST /jobs?kbId=ID&job=JSON, GET /jobs/KB/JOB, POST|GET|DELETE /faults (fault=JSON),
  GET|DELETE /requests (route=, kbId=, jobId=, status=, count=N to wait), POST /reset.
  Scenario files and the control API: docs/simulator.md.
`

function usageError(message: string): never {
  process.stderr.write(`tensoras-simulator: ${message}\n\n${USAGE}`)
  process.exit(2)
}

/** A scenario file that cannot be served: its problems, one a line, and no usage (the flags were fine). */
function fileError(path: string, message: string): never {
  process.stderr.write(
    `tensoras-simulator: cannot serve the scenario file ${path}:\n  ${message.split("\n").join("\n  ")}\n`
  )
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
        key: { type: "string" },
        "api-key": { type: "string" },
        clock: { type: "string" },
        "control-token": { type: "string" },
        help: { type: "boolean", short: "h" }
      }
    }).values
  } catch (cause) {
    return usageError(cause instanceof Error ? cause.message : String(cause))
  }
}

const isFile = (path: string): boolean => {
  try {
    return statSync(path).isFile()
  } catch {
    return false
  }
}

/** A built-in scenario by name, else a scenario file, validated before anything is served. */
const scenarioOf = (value: string): Scenarios.ScenarioName | Scenarios.Scenario => {
  if (Scenarios.isScenarioName(value)) return value
  if (!isFile(value)) usageError(`unknown scenario '${value}' (neither a built-in scenario nor a file)`)
  let text: string
  try {
    text = readFileSync(value, "utf8")
  } catch (cause) {
    return fileError(value, cause instanceof Error ? cause.message : String(cause))
  }
  try {
    return ScenarioFile.parse(text, { name: basename(value, extname(value)) })
  } catch (cause) {
    if (cause instanceof ScenarioFile.ScenarioFileError) return fileError(value, cause.message)
    throw cause
  }
}

const nonEmpty = (flag: string, value: string | undefined): string | undefined => {
  if (value !== undefined && (value.trim() === "" || /\s/.test(value)))
    usageError(`${flag} must be one word, not empty`)
  return value
}

/** The options the flags describe; exits 2 on a bad one. */
const startOptions = (flags: ReturnType<typeof parse>) => {
  const port = flags.port === undefined ? 0 : /^\d{1,5}$/.test(flags.port) ? Number(flags.port) : Number.NaN
  if (!(port >= 0 && port <= 65_535))
    usageError(`--port must be an integer from 0 to 65535, got '${flags.port}'`)
  const clock = flags.clock ?? "real"
  if (clock !== "real" && clock !== "manual") usageError(`--clock must be 'real' or 'manual', got '${clock}'`)
  if (flags.key !== undefined && flags["api-key"] !== undefined)
    usageError("give --key or --api-key, not both")
  const key = nonEmpty(flags.key === undefined ? "--api-key" : "--key", flags.key ?? flags["api-key"])
  const token = nonEmpty("--control-token", flags["control-token"])
  return {
    key,
    token,
    options: {
      port,
      clock,
      scenario: scenarioOf(flags.scenario ?? "docs"),
      apiKey: key ?? DOCS_KEY,
      controlToken: token ?? SimulatorControl.generateToken(),
      ...(flags.host === undefined ? {} : { host: flags.host })
    } satisfies NodeSimulator.StartOptions
  }
}

const main = async (): Promise<void> => {
  const flags = parse()
  if (flags.help) {
    process.stdout.write(USAGE)
    return
  }
  const { key, token, options } = startOptions(flags)
  const simulator = await NodeSimulator.start(options)
  const { control, baseUrl } = simulator
  // Only the docs' example key is printed: a key or token someone chose stays theirs.
  const lines = Simulator.describe(simulator, { showKey: key === undefined })
  lines.push(`control: ${simulator.controlUrl}`)
  lines.push(
    `control token: ${token === undefined ? options.controlToken : "not shown (the token you gave)"}`
  )
  const firstKb = control.knowledgeBases()[0]
  if (firstKb !== undefined) {
    const header =
      key === undefined ? `'Authorization: Bearer ${DOCS_KEY}'` : `"Authorization: Bearer $TENSORAS_API_KEY"`
    lines.push(`try: curl -H ${header} ${baseUrl}/knowledge-bases/${firstKb}/ingestion-jobs`)
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
