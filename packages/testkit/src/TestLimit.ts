/**
 * The one limit a test puts on waiting for a real event (a request reaching the simulator, a child
 * process printing a line, a page showing a state). Tests never wait a fixed time and never assert a
 * speed: they wait for the event itself, and give up only after this generous limit, so a busy machine
 * makes them slower, never red.
 *
 * Set `TENSORAS_TEST_LIMIT_MS` to change it for every package's tests at once (CI raises it for its run
 * under load). Read from `process.env` on Node, `Deno.env` on Deno (with `--allow-env`); elsewhere (a
 * browser) the default holds.
 *
 * @since 0.1.0
 */

/**
 * The environment variable that sets {@link ms}.
 *
 * @example
 * ```ts
 * import { TestLimit } from "@tensoras/ingestion-testkit"
 *
 * console.log(`${TestLimit.ENV}=120000 pnpm test`)
 * ```
 * @since 0.1.0
 * @category constants
 */
export const ENV = "TENSORAS_TEST_LIMIT_MS"

/**
 * The limit when {@link ENV} is not set: one minute.
 *
 * @example
 * ```ts
 * import { TestLimit } from "@tensoras/ingestion-testkit"
 *
 * TestLimit.DEFAULT_MS // 60000
 * ```
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_MS = 60_000

interface Runtime {
  readonly process?: { readonly env?: Record<string, string | undefined> }
  readonly Deno?: { readonly env: { get(name: string): string | undefined } }
}

const readEnv = (name: string): string | undefined => {
  const runtime = globalThis as Runtime
  try {
    if (runtime.Deno !== undefined) return runtime.Deno.env.get(name)
    return runtime.process?.env?.[name]
  } catch {
    // Deno without --allow-env: the default holds.
    return undefined
  }
}

/**
 * Parses a limit: a positive whole number of milliseconds; anything else is the default.
 *
 * @example
 * ```ts
 * import { TestLimit } from "@tensoras/ingestion-testkit"
 *
 * TestLimit.parse("120000") // 120000
 * TestLimit.parse("fast") // 60000
 * ```
 * @since 0.1.0
 * @category constructors
 */
export const parse = (text: string | undefined): number => {
  const value = text === undefined ? Number.NaN : Number(text.trim())
  return Number.isInteger(value) && value > 0 ? value : DEFAULT_MS
}

/**
 * The limit, in real milliseconds: `TENSORAS_TEST_LIMIT_MS` or one minute.
 *
 * @example
 * ```ts
 * import { TestLimit } from "@tensoras/ingestion-testkit"
 *
 * // e.g. vitest: await expect.poll(() => page.title(), { timeout: TestLimit.ms }).toBe("done")
 * const giveUp = setTimeout(() => console.error("no answer within the test limit"), TestLimit.ms)
 * clearTimeout(giveUp)
 * ```
 * @since 0.1.0
 * @category constants
 */
export const ms: number = parse(readEnv(ENV))
