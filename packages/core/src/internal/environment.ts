/**
 * The client's key and base URL when the caller does not give them: the variables
 * `TENSORAS_API_KEY` and `TENSORAS_BASE_URL`, read by one rule wherever they are read (Effect's
 * `Config`, the Promise client, the adapters, the commands): **a variable set to the empty string
 * is unset.**
 *
 * Why: `TENSORAS_API_KEY= cmd`, a `.env` line `TENSORAS_API_KEY=`, a CI secret that does not
 * exist (GitHub Actions expands it to ""), or a compose file's `${TENSORAS_API_KEY}` on a machine
 * without it all mean "not set", and shells (`${VAR:-default}`), dotenv and Effect 4's own
 * `ConfigProvider`s read them so. An empty key then fails as a missing one does, naming the
 * variable to set, rather than as an `apiKey` option the user never passed; an empty base URL is
 * the default one. A value given in code (`apiKey: ""`) is not a variable: it stays an error.
 */
import * as Config from "effect/Config"
import { identity } from "effect/Function"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import type { ClientEnvironment } from "../IngestionJobsClient.js"

/** The variable of the API key. */
export const API_KEY_VARIABLE = "TENSORAS_API_KEY"

/** The variable of the base URL. */
export const BASE_URL_VARIABLE = "TENSORAS_BASE_URL"

/** The variable that turns the Promise client's debug lines on (`debug`). */
export const LOG_VARIABLE = "TENSORAS_LOG"

/** The production base URL of the API: what an unset `TENSORAS_BASE_URL` means. */
export const DEFAULT_BASE_URL = "https://api.tensoras.ai/v1"

/** The value of a variable by the rule: an empty one is no value. */
export const variableValue = (value: string | undefined): string | undefined =>
  value === "" ? undefined : value

/** The process's environment where the runtime has one (Node, Bun, Deno's `process`), else none. */
const processEnv = (): Readonly<Record<string, string | undefined>> | undefined =>
  (globalThis as { readonly process?: { readonly env?: Record<string, string | undefined> } }).process?.env

/**
 * The variables of `env` (default: the process's environment, read now), by the rule. The key is
 * `Redacted` from the moment it is read. `TENSORAS_LOG` means debug when it says `debug` (in any
 * case, spaces around ignored); any other value, as none, leaves the debug lines off.
 */
export const readEnvironment = (
  env: Readonly<Record<string, string | undefined>> | undefined = processEnv()
): ClientEnvironment => {
  const apiKey = variableValue(env?.[API_KEY_VARIABLE])
  const environment = {
    apiKey: apiKey === undefined ? undefined : Redacted.make(apiKey),
    baseUrl: variableValue(env?.[BASE_URL_VARIABLE])
  }
  return env?.[LOG_VARIABLE]?.trim().toLowerCase() === "debug"
    ? { ...environment, logLevel: "debug" }
    : environment
}

/**
 * Absent, as an unset variable is, with the same message ("Expected string at [NAME]"). Config's
 * documented rule makes it so: an object schema that finds a plain value (here the empty string)
 * has no input there, and its failure is absence, which `withDefault` and `option` recover.
 */
const makeUnset = (): ((name: string) => Config.Config<never>) => {
  const UNSET = Schema.Struct({ unset: Schema.Never }).annotate({ message: "Expected string" })
  return (name) => Config.map(Config.schema(UNSET, name), (never) => never.unset)
}

/** `config` by the rule whatever the provider keeps (one built with `preserveEmptyStrings` keeps ""). */
const variable = <A>(
  unset: (name: string) => Config.Config<never>,
  config: Config.Config<A>,
  name: string,
  text: (value: A) => string
): Config.Config<A> =>
  Config.flatMap(config, (value) =>
    variableValue(text(value)) === undefined ? unset(name) : Config.succeed(value)
  )

/** What {@link config} reads. */
interface Configured {
  readonly apiKey: Redacted.Redacted<string>
  readonly baseUrl: string
}

const makeConfig = (): Config.Config<Configured> => {
  const unset = makeUnset()
  return Config.all({
    apiKey: variable(unset, Config.Redacted(API_KEY_VARIABLE), API_KEY_VARIABLE, Redacted.value),
    baseUrl: Config.withDefault(
      variable(unset, Config.String(BASE_URL_VARIABLE), BASE_URL_VARIABLE, identity),
      DEFAULT_BASE_URL
    )
  })
}

/**
 * The key (required, `Redacted`) and the base URL (default {@link DEFAULT_BASE_URL}) from configuration.
 * Built by a pure call, so a bundle that never reads it (the browser's) leaves `Config` out.
 */
export const config: Config.Config<Configured> = /* @__PURE__ */ makeConfig()
