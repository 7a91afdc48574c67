/**
 * Faults a test injects to see how a client copes with a misbehaving API or network.
 *
 * @since 0.1.0
 */

/**
 * Which endpoint a fault applies to: `list` (`GET …/ingestion-jobs`), `get` (`GET …/ingestion-jobs/{job_id}`)
 * or `any` of the two. Unknown paths and wrong methods are never faulted.
 *
 * @example
 * ```ts
 * import type { Fault } from "@tensoras/ingestion-testkit"
 *
 * const route: Fault.FaultRoute = "get"
 * ```
 * @category models
 * @since 0.1.0
 */
export type FaultRoute = "list" | "get" | "any"

/**
 * Where and how often a fault applies.
 *
 * @example
 * ```ts
 * import type { Fault } from "@tensoras/ingestion-testkit"
 *
 * // The third and fourth polls of job_abc123.
 * const target: Fault.FaultTarget = { route: "get", jobId: "job_abc123", skip: 2, times: 2 }
 * ```
 * @category models
 * @since 0.1.0
 */
export interface FaultTarget {
  /** Default `any`. */
  readonly route?: FaultRoute
  /** Only requests for this knowledge base. */
  readonly kbId?: string
  /** Only requests for this job (so only `get` requests). */
  readonly jobId?: string
  /** How many requests it applies to: default 1, `Infinity` for every matching request. */
  readonly times?: number
  /**
   * How many matching requests go by before it applies (default 0): `skip: 2` faults the third. Every
   * matching request counts, also one another fault answered.
   *
   * @since 1.1.0
   */
  readonly skip?: number
}

/**
 * How `Retry-After` is sent: delta seconds (`"2"`), an HTTP date computed from the engine clock
 * (`"Wed, 28 Feb 2024 12:30:42 GMT"`; every response also has a `Date` header from the same clock), or not at all.
 *
 * @example
 * ```ts
 * import type { Fault } from "@tensoras/ingestion-testkit"
 *
 * const format: Fault.RetryAfterFormat = "http-date"
 * ```
 * @category models
 * @since 0.1.0
 */
export type RetryAfterFormat = "seconds" | "http-date" | "none"

/**
 * One fault. Faults are matched in injection order; each request consumes at most one `latency` fault
 * (its delay comes first) and at most one fault of any other kind.
 *
 * - `rate-limit`: 429, `rate_limit_error`, with `Retry-After` (`retryAfter` seconds, default 1).
 * - `server-error`: 500 (`server_error`) or 502/503/504 (`api_error`), optional `Retry-After`.
 * - `http-error`: any status with the JSON error body (e.g. 403 `permission_error`).
 * - `latency`: the normal answer, `ms` later. `clock: "real"` (default) waits real time, even on the manual
 *   clock; `clock: "engine"` waits until the engine clock has moved `ms` (on the manual clock: `advance`).
 * - `hang`: never answers; ends when the client aborts or the server closes.
 * - `drop`: the connection is destroyed without a response (the client sees a network error).
 * - `non-json`: a non-JSON body, by default a 502 HTML gateway page; `status: 200` makes a 200 HTML page.
 * - `truncated`: the normal answer cut after `fraction` (default 0.5) of its bytes, with a clean end of body.
 * - `extra-fields`: `fields` (default: a few, nested objects included) added to the list object, every job,
 *   every document detail and every error object of a successful answer.
 * - `unknown-status`: jobs report `jobStatus` (default `"paused"`), documents `documentStatus`
 *   (default `"skipped"`); `null` leaves that level alone. Successful answers only.
 * - `echo-key`: a misconfigured service that echoes the request's `Authorization` header. Without
 *   `status`, every string field of the list, every job, every document detail and every error object of
 *   a successful answer (all but `object`) gets ` [echo: <key> | Authorization: Bearer <key>]` appended,
 *   `<key>` being the key the request sent; with `status` (4xx/5xx), the answer is that error, and its
 *   `message`, `type`, `code` and `param` carry the echo. For canary tests: no key may come out of a client.
 * - `redirect`: a `302` (or `status`) to `location`, by default the same URL on the same origin with
 *   `redirected=1` added to the query, so a client that followed it shows up in the request log.
 * - `huge-body` (since 1.1.0): the normal answer (or, with `status` 4xx/5xx, that error) with a `padding`
 *   array of strings ahead of its fields, `bytes` in all (default 4 GiB), streamed in chunks of about
 *   `chunkBytes` (default 64 KiB) as the connection takes them, `intervalMs` of real time apart (default 0).
 *   Never held whole: a chunk is made when the connection asks for it. `contentLength`: `false` (default)
 *   sends none (chunked), `true` the true size, a number that number whatever is sent (a lying header). A
 *   client that reads it all decodes the normal answer; one that stops shows up in the request log as
 *   `outcome: "aborted"`, with the `bodyBytes` the simulator had sent.
 *
 * @example
 * ```ts
 * import type { Simulator } from "@tensoras/ingestion-testkit"
 *
 * declare const control: Simulator.SimulatorControl
 *
 * control.injectFault({ kind: "rate-limit", retryAfter: 2, retryAfterFormat: "http-date", route: "get" })
 * control.injectFault({ kind: "server-error", status: 503, times: 2 })
 * control.injectFault({ kind: "latency", ms: 5_000, clock: "engine", times: Infinity })
 * control.injectFault({ kind: "echo-key", route: "get" })
 * control.injectFault({ kind: "redirect", location: "https://elsewhere.example/v1/knowledge-bases" })
 * control.injectFault({ kind: "huge-body", route: "get", bytes: 1024 ** 3, contentLength: false })
 * ```
 * @category models
 * @since 0.1.0
 */
export type Fault = FaultTarget &
  (
    | {
        readonly kind: "rate-limit"
        readonly retryAfter?: number
        readonly retryAfterFormat?: RetryAfterFormat
      }
    | {
        readonly kind: "server-error"
        readonly status?: 500 | 502 | 503 | 504
        readonly retryAfter?: number
        readonly retryAfterFormat?: RetryAfterFormat
      }
    | {
        readonly kind: "http-error"
        readonly status: number
        readonly error?: {
          readonly message?: string
          readonly type?: string
          readonly param?: string | null
          readonly code?: string | null
        }
      }
    | { readonly kind: "latency"; readonly ms: number; readonly clock?: "real" | "engine" }
    | { readonly kind: "hang" }
    | { readonly kind: "drop" }
    | {
        readonly kind: "non-json"
        readonly status?: number
        readonly body?: string
        readonly contentType?: string
      }
    | { readonly kind: "truncated"; readonly fraction?: number }
    | { readonly kind: "extra-fields"; readonly fields?: Readonly<Record<string, unknown>> }
    | {
        readonly kind: "unknown-status"
        readonly jobStatus?: string | null
        readonly documentStatus?: string | null
      }
    | { readonly kind: "echo-key"; readonly status?: number }
    | {
        readonly kind: "redirect"
        readonly status?: 301 | 302 | 303 | 307 | 308
        readonly location?: string
      }
    | {
        readonly kind: "huge-body"
        readonly bytes?: number
        readonly contentLength?: boolean | number
        readonly chunkBytes?: number
        readonly intervalMs?: number
        readonly status?: number
      }
  )

/**
 * The `kind` of a {@link Fault}.
 *
 * @example
 * ```ts
 * import type { Fault } from "@tensoras/ingestion-testkit"
 *
 * const transient: ReadonlyArray<Fault.FaultKind> = ["rate-limit", "server-error", "drop"]
 * ```
 * @category models
 * @since 0.1.0
 */
export type FaultKind = Fault["kind"]

/**
 * A fault once injected: live counters, and a way to withdraw it.
 *
 * @example
 * ```ts
 * import type { Simulator } from "@tensoras/ingestion-testkit"
 *
 * declare const control: Simulator.SimulatorControl
 *
 * const fault = control.injectFault({ kind: "server-error", times: Infinity })
 * // ... later
 * fault.applied // how many requests it answered
 * fault.remove()
 * ```
 * @category models
 * @since 0.1.0
 */
export interface InjectedFault {
  /** 1-based, in injection order; request records refer to it. */
  readonly id: number
  readonly fault: Fault
  /** Requests it will still apply to (`Infinity` for unlimited). */
  readonly remaining: number
  /** Requests it has applied to so far. */
  readonly applied: number
  remove(): void
}

/**
 * A fault as recorded on a request.
 *
 * @example
 * ```ts
 * import type { Fault } from "@tensoras/ingestion-testkit"
 *
 * const applied: Fault.AppliedFault = { id: 1, kind: "rate-limit" }
 * ```
 * @category models
 * @since 0.1.0
 */
export interface AppliedFault {
  readonly id: number
  readonly kind: FaultKind
}
