import type { WireErrorBody } from "../WireFormat.js"

/**
 * An error answer before it becomes a body.
 *
 * @example
 * const missing: ApiError = { status: 404, type: "not_found_error", param: "job_id", code: "ingestion_job_not_found", message: "…" }
 */
export interface ApiError {
  readonly status: number
  readonly type: string
  readonly message: string
  readonly param: string | null
  readonly code: string | null
}

/** Browser clients (and Service Worker tests) read the simulator cross-origin. */
const CORS_HEADERS = {
  "access-control-allow-origin": "*",
  "access-control-expose-headers": "date, retry-after, x-request-id"
} as const

/**
 * Headers on every answer.
 *
 * @example
 * baseHeaders(Date.UTC(2024, 1, 28), "req_sim_000001").date // => "Wed, 28 Feb 2024 00:00:00 GMT"
 */
export const baseHeaders = (engineNow: number, requestId: string): Record<string, string> => ({
  // The Date header follows the engine clock so a client can read an HTTP-date Retry-After against it.
  date: new Date(engineNow).toUTCString(),
  "cache-control": "no-store",
  "x-request-id": requestId,
  ...CORS_HEADERS
})

const encoder = new TextEncoder()

/**
 * A JSON answer, optionally cut after a fraction of its bytes (the `truncated` fault), with its
 * `Content-Length` (of what is sent), as an API server sends a JSON answer it has whole.
 *
 * @example
 * jsonResponse(200, { object: "list", data: [], has_more: false }, {})
 */
export const jsonResponse = (
  status: number,
  body: unknown,
  headers: Record<string, string>,
  truncateAt?: number
): Response => {
  let payload = encoder.encode(JSON.stringify(body))
  if (truncateAt !== undefined) payload = payload.slice(0, Math.floor(payload.length * truncateAt))
  return new Response(payload as BodyInit, {
    status,
    headers: { ...headers, "content-type": "application/json", "content-length": String(payload.length) }
  })
}

/**
 * The documented error body.
 *
 * @example
 * errorBody(serverError(503)).error.type // => "api_error"
 */
export const errorBody = (error: ApiError): WireErrorBody => ({
  error: { message: error.message, type: error.type, param: error.param, code: error.code }
})

const SERVER_ERRORS: Record<number, Omit<ApiError, "status" | "param">> = {
  500: {
    type: "server_error",
    code: "internal_server_error",
    message: "The server had an error while processing your request. Please retry."
  },
  502: {
    type: "api_error",
    code: "bad_gateway",
    message: "Bad gateway: an upstream service returned an invalid response. Please retry."
  },
  503: {
    type: "api_error",
    code: "service_unavailable",
    message: "The service is temporarily unavailable. Please retry."
  },
  504: {
    type: "api_error",
    code: "gateway_timeout",
    message: "An upstream service timed out. Please retry."
  }
}

/**
 * A 5xx error as an API gateway would describe it.
 *
 * @example
 * serverError(500).type // => "server_error"
 */
export const serverError = (status: number): ApiError => ({
  status,
  param: null,
  ...(SERVER_ERRORS[status] ?? {
    type: "api_error",
    code: "server_error",
    message: `The server returned HTTP ${status}. Please retry.`
  })
})

const TYPE_BY_STATUS: Record<number, { type: string; code: string; message: string }> = {
  400: { type: "invalid_request_error", code: "invalid_request", message: "The request is invalid." },
  401: { type: "authentication_error", code: "invalid_api_key", message: "Invalid API key provided." },
  403: {
    type: "permission_error",
    code: "permission_denied",
    message: "This API key does not have access to this knowledge base."
  },
  404: { type: "not_found_error", code: "not_found", message: "The requested resource was not found." },
  409: {
    type: "conflict_error",
    code: "conflict",
    message: "The request conflicts with the resource's state."
  },
  429: { type: "rate_limit_error", code: "rate_limit_exceeded", message: "Rate limit reached for requests." }
}

/**
 * The error a real service would most likely send with this status.
 *
 * @example
 * errorForStatus(403).type // => "permission_error"
 */
export const errorForStatus = (status: number): ApiError => {
  if (status >= 500) return serverError(status)
  const known = TYPE_BY_STATUS[status]
  return {
    status,
    param: null,
    ...(known ?? { type: "invalid_request_error", code: "http_error", message: `HTTP ${status}.` })
  }
}

const BAD_GATEWAY_PAGE = `<html>
<head><title>502 Bad Gateway</title></head>
<body>
<center><h1>502 Bad Gateway</h1></center>
<hr><center>nginx</center>
</body>
</html>
`

const MAINTENANCE_PAGE = `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Tensoras - Scheduled maintenance</title></head>
<body><h1>We'll be right back</h1><p>Tensoras is undergoing scheduled maintenance.</p></body>
</html>
`

/**
 * An HTML page: nginx's 502 page for 502, a maintenance page otherwise.
 *
 * @example
 * nonJsonPage(502).includes("502 Bad Gateway") // => true
 */
export const nonJsonPage = (status: number): string => (status === 502 ? BAD_GATEWAY_PAGE : MAINTENANCE_PAGE)

/**
 * The `extra-fields` fault's default fields: a scalar, a nested object and an array.
 *
 * @example
 * Object.keys(DEFAULT_EXTRA_FIELDS) // => ["sim_trace_id", "metadata", "beta_flags"]
 */
export const DEFAULT_EXTRA_FIELDS: Readonly<Record<string, unknown>> = {
  sim_trace_id: "trc_7d1f0c2a",
  metadata: { region: "eu-west-1", pipeline: { version: 3, stages: ["parse", "chunk", "embed"] } },
  beta_flags: []
}
