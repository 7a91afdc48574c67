/**
 * The `tensoras-cluster` command. Arguments are parsed and validated first (`NodeCommand.start`:
 * help, usage errors and exit 2 before the Effect runtime loads; the API key and the database
 * password scrubbed from all it prints, even a usage error); then the command runs.
 *
 * @since 0.1.0
 */
import * as NodeCommand from "@tensoras/ingestion-node/NodeCommand"
import { parse, secretsIn } from "./internal/cli/args.js"
import { version } from "./internal/version.js"

await NodeCommand.start({
  parse: (args, env) => parse(args, env, version),
  secrets: secretsIn,
  run: async (command, scrub) => {
    const { main } = await import("./internal/cli/main.js")
    main(command, scrub)
  }
})
