import { TestLimit } from "@tensoras/ingestion-testkit"

/**
 * The one limit for everything a cluster test awaits from real processes (a runner ready, outcome rows in
 * PostgreSQL, a process exit): the repository's shared test limit (`TENSORAS_TEST_LIMIT_MS`), five times
 * over, because a cluster's events (every wait of a 2,000-wait run ended) take minutes on a loaded 2-core
 * machine. Tests wait for the event itself, never for a fixed time.
 */
export const EVENT_LIMIT_MS = 5 * TestLimit.ms

const CHECK_EVERY_MS = 250

/**
 * Resolves with the first truthy result of `check`, checked until {@link EVENT_LIMIT_MS}. When it gives up,
 * the error says what `describe` tells of the state it was in (the counts it saw, the processes' output).
 */
export const until = async <A>(
  what: string,
  check: () => Promise<A | undefined | false>,
  describe?: () => Promise<string> | string
): Promise<A> => {
  const start = Date.now()
  for (;;) {
    const result = await check()
    if (result !== undefined && result !== false) return result
    if (Date.now() - start > EVENT_LIMIT_MS) {
      const state = describe === undefined ? "" : `\n${await describe()}`
      throw new Error(`Gave up after ${EVENT_LIMIT_MS} ms waiting for ${what}${state}`)
    }
    await new Promise((resolve) => setTimeout(resolve, CHECK_EVERY_MS))
  }
}

/** `promise`, or a rejection naming `what` after {@link EVENT_LIMIT_MS}. */
export const within = <A>(what: string, promise: Promise<A>): Promise<A> => {
  let timer: NodeJS.Timeout | undefined
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`Gave up after ${EVENT_LIMIT_MS} ms waiting for ${what}`)),
        EVENT_LIMIT_MS
      )
    })
  ]).finally(() => clearTimeout(timer))
}
