/**
 * The `tensoras-cluster` command. Arguments are parsed and validated first, without loading the
 * Effect runtime, so that help and usage errors answer at once; then the command runs.
 *
 * @since 0.1.0
 */
import { makeScrub, parse, secretsIn } from "./internal/cli/args.js"
import { version } from "./internal/version.js"

const args = process.argv.slice(2)
// Every text printed passes through this: the API key and the database password never show up.
const scrub = makeScrub(secretsIn(args, process.env))

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
  case "Run": {
    const { main } = await import("./internal/cli/main.js")
    main(parsed.command, scrub)
  }
}
