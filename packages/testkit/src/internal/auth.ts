/**
 * Authentication: the bearer token of an `Authorization` header, and the 401 for a request without an
 * accepted key.
 */
import type { ApiError } from "./responses.js"

/**
 * The token of a `Bearer <token>` header (the scheme in any case); `undefined` when absent or malformed.
 *
 * @example
 * bearerToken("bearer tns_x") // => "tns_x"
 */
export const bearerToken = (header: string | null): string | undefined => {
  if (header === null) return undefined
  const found = /^bearer[ \t]+(\S+)[ \t]*$/i.exec(header)
  return found?.[1]
}

/**
 * The 401 for a request whose key was not accepted when it arrived; `undefined` when it was.
 *
 * @example
 * unauthorized(new Headers(), undefined, false)?.message // => "Missing API key. Send it in the Authorization header as 'Bearer <key>'."
 */
export const unauthorized = (
  headers: Headers,
  token: string | undefined,
  authorized: boolean
): ApiError | undefined => {
  if (token !== undefined && authorized) return undefined
  return {
    status: 401,
    type: "authentication_error",
    param: null,
    code: "invalid_api_key",
    message:
      headers.get("authorization") === null
        ? "Missing API key. Send it in the Authorization header as 'Bearer <key>'."
        : token === undefined
          ? "Malformed Authorization header. Expected 'Bearer <key>'."
          : "Invalid API key provided."
  }
}
