import type { NodeSimulator } from "../src/index.js"

/** 2025-01-01T00:00:00Z: tests that need exact timestamps start their scenarios here. */
export const EPOCH_MS = Date.UTC(2025, 0, 1)
export const EPOCH_S = EPOCH_MS / 1000

export interface CallOptions {
  /** `null` sends no Authorization header; default: the simulator's key. */
  readonly key?: string | null
  readonly method?: string
  readonly signal?: AbortSignal
  readonly redirect?: RequestRedirect
}

/** A bare `fetch` against the simulator, the way any client would call the API. */
export const call = (
  sim: NodeSimulator.RunningSimulator,
  path: string,
  options: CallOptions = {}
): Promise<Response> => {
  const key = options.key === undefined ? sim.apiKey : options.key
  return fetch(`${sim.baseUrl}${path}`, {
    method: options.method ?? "GET",
    headers: key === null ? {} : { authorization: `Bearer ${key}` },
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    ...(options.redirect === undefined ? {} : { redirect: options.redirect })
  })
}

export const callJson = async (
  sim: NodeSimulator.RunningSimulator,
  path: string,
  options: CallOptions = {}
): Promise<{ status: number; body: any; headers: Headers }> => {
  const response = await call(sim, path, options)
  return { status: response.status, body: await response.json(), headers: response.headers }
}
