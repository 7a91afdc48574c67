import { inject } from "vitest"

export const simBaseUrl = inject("simBaseUrl")
export const simApiKey = inject("simApiKey")
const controlUrl = inject("controlUrl")

const call = async <A>(path: string): Promise<A> => {
  const response = await fetch(`${controlUrl}${path}`)
  if (!response.ok) throw new Error(`control ${path}: ${response.status} ${await response.text()}`)
  return (await response.json()) as A
}

/** The simulator's control, over HTTP from the page. */
export const sim = {
  newJob: (options: { fail?: boolean } = {}) =>
    call<{ knowledgeBaseId: string; jobId: string }>(`/job${options.fail === true ? "?fail=1" : ""}`),
  advance: (ms: number) => call<{ now: number }>(`/advance?ms=${ms}`),
  toTerminal: (kb: string, job: string) => call<{ status: string }>(`/terminal?kb=${kb}&job=${job}`),
  count: (job: string) => call<{ count: number }>(`/count?job=${job}`).then((r) => r.count),
  /** Injects a fault for `job`'s requests; `times: null` for every request (JSON has no Infinity). */
  injectFault: (job: string, fault: Record<string, unknown>) =>
    call<{ id: number }>(`/fault?job=${job}&fault=${encodeURIComponent(JSON.stringify(fault))}`).then(
      (r) => r.id
    ),
  /** How many requests an injected fault has answered. */
  applied: (id: number) => call<{ applied: number }>(`/applied?id=${id}`).then((r) => r.applied),
  waitForRequests: (job: string, n: number) =>
    call<{ count: number }>(`/wait?job=${job}&n=${n}`).then((r) => r.count)
}

/** A `fetch` that counts the requests the page sends. */
export const countingFetch = () => {
  const counter = {
    calls: 0,
    fetch: (input: RequestInfo | URL, init?: RequestInit) => {
      counter.calls++
      return globalThis.fetch(input, init)
    }
  }
  return counter
}
