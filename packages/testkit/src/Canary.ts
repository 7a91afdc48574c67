/**
 * Canary keys: a key unique to a test run that must never come out of a client. Pair it with the
 * `echo-key` fault (a service that echoes the key into every string it sends) and search everything
 * the client produced with {@link leaks}: values, errors (message, stack, cause, fields), JSON.
 *
 * @since 0.1.0
 */

/**
 * A fresh canary key, `tns_canary_` and 24 random hex digits: it cannot occur by chance.
 *
 * @example
 * ```ts
 * import { Canary, NodeSimulator } from "@tensoras/ingestion-testkit"
 *
 * const key = Canary.make()
 * const sim = await NodeSimulator.start({ scenario: "failing", apiKey: key })
 * sim.control.injectFault({ kind: "echo-key", times: Infinity })
 * await sim.close()
 * ```
 * @since 0.1.0
 * @category constructors
 */
export const make = (): string => {
  const bytes = crypto.getRandomValues(new Uint8Array(12))
  return `tns_canary_${Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("")}`
}

const textsOf = (
  value: unknown,
  seen: Set<unknown>,
  out: Array<readonly [string, string]>,
  path: string
): void => {
  if (typeof value === "string") {
    out.push([path, value])
    return
  }
  if (typeof value !== "object" || value === null || seen.has(value)) return
  seen.add(value)
  if (value instanceof Error) {
    out.push(
      [`${path}.message`, value.message],
      [`${path}.stack`, value.stack ?? ""],
      [`${path}.toString()`, String(value)]
    )
    if (value.cause !== undefined) textsOf(value.cause, seen, out, `${path}.cause`)
  }
  try {
    out.push([`JSON(${path})`, JSON.stringify(value) ?? ""])
  } catch {
    // A cycle: its parts are searched one by one below.
  }
  const entries = value instanceof Map ? [...value.entries()] : Object.entries(value)
  for (const [key, item] of entries) {
    out.push([`${path} key`, String(key)])
    textsOf(item, seen, out, `${path}.${String(key)}`)
  }
}

/**
 * Where `key` shows up in `values`: every string inside them, every error's message, stack and
 * cause, their JSON and their property names are searched. Empty when nothing leaked; else the paths,
 * so a failing test says where the key came out.
 *
 * @example
 * ```ts
 * import { Canary } from "@tensoras/ingestion-testkit"
 *
 * const key = Canary.make()
 * Canary.leaks(key, { job: { error: { message: "ok" } } }) // []
 * Canary.leaks(key, new Error(`bad key ${key}`)) // ["value.message", "value.stack", ...]
 * ```
 * @since 0.1.0
 * @category utils
 */
export const leaks = (key: string, ...values: ReadonlyArray<unknown>): ReadonlyArray<string> => {
  const texts: Array<readonly [string, string]> = []
  const seen = new Set<unknown>()
  for (const [index, value] of values.entries()) {
    textsOf(value, seen, texts, values.length === 1 ? "value" : `value[${index}]`)
  }
  return texts.filter(([, text]) => text.includes(key)).map(([path]) => path)
}
