/**
 * One request in flight: its request id and log record, and the ways it ends (an answer, an API error with
 * the keys redacted, or a dropped connection), each written to the record as it ends.
 */
import { droppedConnection } from "../FetchHandler.js"
import type { RequestRecord } from "../RequestLog.js"
import type { SimulatorClock } from "../SimulatorClock.js"
import { type ApiError, baseHeaders, errorBody, jsonResponse } from "./responses.js"

type Ending = Partial<Pick<RequestRecord, "status" | "outcome" | "faults" | "bodyBytes">>

/**
 * A request being answered. One object per request, its methods on the prototype: the hot path allocates
 * nothing more to answer.
 *
 * @example
 * const exchange = new Exchange(clock, apiKeys, seq, token, authorized, finish)
 * return exchange.fail(serverError(503))
 */
export class Exchange {
  /** The `x-request-id` header: the log record's number. */
  readonly requestId: string

  constructor(
    readonly clock: SimulatorClock,
    private readonly apiKeys: () => ReadonlyArray<string>,
    seq: number,
    /** The bearer token the request sent, if it sent one. */
    readonly token: string | undefined,
    /** Whether that token was an accepted key when the request arrived. */
    readonly authorized: boolean,
    /** Writes how the request ended into its log record. */
    readonly finish: (changes: Ending) => void
  ) {
    this.requestId = `req_sim_${String(seq).padStart(6, "0")}`
  }

  /** Headers on every answer, dated now on the engine clock. */
  headers(): Record<string, string> {
    return baseHeaders(this.clock.now(), this.requestId)
  }

  /** Sends `response`. */
  respond(response: Response): Response {
    this.finish({ status: response.status, outcome: "responded" })
    return response
  }

  /** Sends the documented error body, with every API key (and the key sent) out of its message. */
  fail(error: ApiError, extra: Record<string, string> = {}): Response {
    return this.respond(
      jsonResponse(error.status, errorBody({ ...error, message: this.redact(error.message) }), {
        ...this.headers(),
        ...extra
      })
    )
  }

  /** Ends without an answer: the adapter destroys the connection. */
  drop(outcome: "aborted" | "hung" | "dropped"): Response {
    this.finish({ outcome })
    return droppedConnection()
  }

  private redact(message: string): string {
    let redacted = message
    for (const secret of [...this.apiKeys(), ...(this.token === undefined ? [] : [this.token])]) {
      if (secret.length >= 4) redacted = redacted.split(secret).join("***")
    }
    return redacted
  }
}
