/**
 * The rule every knowledge-base and job ID follows, the one every call of the client applies
 * before it sends anything: non-empty, at most 256 characters, not `.` or `..`, no `/ \ ? # %`,
 * whitespace or control characters (an ID is a segment of a URL path).
 *
 * The module loads no Effect, so a command can check the IDs of its arguments while it parses
 * them, with the client's own words, before the Effect runtime is loaded (`tensoras-ingest`,
 * `tensoras-cluster`). `IngestionJobs.isValidId` is the same function.
 *
 * @module
 * @since 1.1.0
 */
import * as internal from "./internal/idRule.js"

/**
 * Whether a value is a knowledge-base or job ID the client accepts. For code that routes IDs of
 * its own, such as a proxy or a command line.
 *
 * @example
 * ```ts
 * import * as IngestionId from "@tensoras/ingestion/IngestionId"
 *
 * IngestionId.isValidId("job_abc123") // true
 * IngestionId.isValidId("../admin") // false
 * ```
 * @category validation
 * @since 1.1.0
 */
export const isValidId: (value: unknown) => value is string = internal.isId

/**
 * What is wrong with an ID, as the client's `InvalidInput` for the input `param` says it (its
 * `message`); `undefined` for an ID the client accepts.
 *
 * @example
 * ```ts
 * import * as IngestionId from "@tensoras/ingestion/IngestionId"
 *
 * IngestionId.idProblem("jobId", "job_abc123") // undefined
 * IngestionId.idProblem("jobId", "job/x")
 * // 'jobId must not contain "/" (/, \, ?, #, %, whitespace and control characters are not allowed; got "job/x")'
 * IngestionId.idProblem("knowledgeBaseId", "") // "knowledgeBaseId must not be empty"
 * ```
 * @category validation
 * @since 1.1.0
 */
export const idProblem: (param: string, value: unknown) => string | undefined = internal.idProblem
