/**
 * The `tensoras-ingest` command. Arguments are parsed and validated first (`NodeCommand.start`:
 * help, usage errors and exit 2 before the command loads; the key scrubbed from all it prints, even
 * a usage error); then the command runs.
 *
 * @since 0.1.0
 */
import * as NodeCommand from "@tensoras/ingestion-node/NodeCommand"
import { keysIn, parse } from "./internal/args.js"
import { version } from "./internal/version.js"

await NodeCommand.start({
  parse: (args, env) => parse(args, env, version),
  secrets: keysIn,
  run: async (command, scrub) => {
    const { main } = await import("./internal/main.js")
    main(command, scrub)
  }
})
