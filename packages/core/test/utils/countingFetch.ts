/**
 * A `fetch` that counts requests in flight, from the call until the whole body has arrived: how a
 * virtual-time test knows the engine is idle (nothing on the real event loop) before it moves the
 * clock. One counter per test file (vitest isolates each file's modules).
 */
let inFlight = 0

export const fetchesInFlight = (): number => inFlight

/** Every request's path and query, in the order `fetch` was called (not the order answers came in). */
export const fetchCalls: Array<string> = []

export const countingFetch: typeof globalThis.fetch = async (input, init) => {
  const url = new URL(input instanceof Request ? input.url : String(input))
  fetchCalls.push(`${url.pathname}${url.search}`)
  return fetchCounted(input, init)
}

const fetchCounted: typeof globalThis.fetch = async (input, init) => {
  inFlight++
  try {
    const response = await globalThis.fetch(input, init)
    const body = await response.arrayBuffer()
    return new Response(body, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers
    })
  } finally {
    inFlight--
  }
}
