/**
 * The `tensoras-ingest` command. Arguments are parsed and validated first, without loading the
 * Effect runtime, so that help and usage errors answer at once; then the command runs.
 *
 * @since 0.1.0
 */
import { keysIn, makeScrub, parse } from "./internal/args.js"
import { version } from "./internal/version.js"

const args = process.argv.slice(2)
// Every text printed passes through this: the key must not show up, even in a usage error.
const scrub = makeScrub(keysIn(args, process.env))

// `tensoras-ingest jobs list … | head -1`: a closed pipe ends the command quietly.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(0)
  throw error
})

const parsed = parse(args, process.env, version)
switch (parsed._tag) {
  case "Print":
    process.stdout.write(scrub(parsed.text))
    break
  case "Usage":
    process.stderr.write(scrub(`error: ${parsed.message}\n\n${parsed.usage}`))
    process.exitCode = 2
    break
  case "Invalid":
    process.stderr.write(scrub(`error: ${parsed.message}\n`))
    process.exitCode = 2
    break
  case "Run": {
    const { main } = await import("./internal/main.js")
    main(parsed.command, scrub)
  }
}
