/**
 * The one limit for everything a cluster test awaits from real processes (a runner ready, outcome rows in
 * PostgreSQL, a process exit): generous, because CI runs on a loaded 2-core machine. Tests wait for the
 * event itself, never for a fixed time.
 */
export const EVENT_LIMIT_MS = 300_000

const CHECK_EVERY_MS = 250

/** Resolves with the first truthy result of `check`, checked until {@link EVENT_LIMIT_MS}. */
export const until = async <A>(what: string, check: () => Promise<A | undefined | false>): Promise<A> => {
  const start = Date.now()
  for (;;) {
    const result = await check()
    if (result !== undefined && result !== false) return result
    if (Date.now() - start > EVENT_LIMIT_MS)
      throw new Error(`Gave up after ${EVENT_LIMIT_MS} ms waiting for ${what}`)
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
