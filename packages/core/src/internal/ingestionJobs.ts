/**
 * The ingestion-jobs client (`IngestionJobs`): its options checked once, then its four operations,
 * each a validated request (`validate.ts`) sent by `request.ts` and decoded by `response.ts`. To add
 * an endpoint: a path, its schema (in `IngestionJob`), a fast decoder if a wait reads it on every
 * poll (`fastDecode.ts`), and an operation here declared on the service in `IngestionJobs.ts`.
 */
import * as Effect from "effect/Effect"
import * as Headers from "effect/http/Headers"
import * as HttpBody from "effect/http/HttpBody"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import * as UrlParams from "effect/http/UrlParams"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import { type IngestionError, InvalidInput, ResponseDecodeError } from "../IngestionError.js"
import * as IngestionJob from "../IngestionJob.js"
import type {
  IngestionJobs,
  ListAllOptions,
  ListOptions,
  Options,
  RequestOptions,
  TerminalJob
} from "../IngestionJobs.js"
import * as RetrySchedule from "../RetrySchedule.js"
import * as internalDocumentCount from "./documentCount.js"
import { DEFAULT_BASE_URL } from "./environment.js"
import * as fastDecode from "./fastDecode.js"
import * as idRule from "./idRule.js"
import type { Polled } from "./polled.js"
import { makeSend, type Send, type Settings, TRACING } from "./request.js"
import type * as internalResponse from "./response.js"
import { DEFAULT_MAX_RESPONSE_BYTES } from "./responseBody.js"
import * as internalScrub from "./scrub.js"
import * as validate from "./validate.js"
import { version } from "./version.js"

export type { Polled } from "./polled.js"

/** The `User-Agent` the client sends. */
export const USER_AGENT = `@tensoras/ingestion/${version}`

type Service = IngestionJobs["Service"]

// A poll's answer: the terminal member is tried only when the status literal says so, so a
// running job's `document_details` are never decoded.
const TerminalJobSchema = Schema.Struct({
  ...IngestionJob.IngestionJobDetail.fields,
  status: Schema.Literals(IngestionJob.TERMINAL_STATUSES)
})
// A running job also carries the count of its ended documents, for poll schedules (the count's
// member falls back to the plain job when `document_details` are missing or unexpected).
const PolledJob: Schema.Codec<Polled | TerminalJob, IngestionJob.IngestionJobDetailEncoded> = Schema.Union([
  TerminalJobSchema,
  internalDocumentCount.PolledWithCount,
  IngestionJob.IngestionJob
]) as never

/** See `IngestionJobs.DEFAULT_UNREACHABLE_AFTER`. */
export const DEFAULT_UNREACHABLE_AFTER = 6

/** A number of attempts: a whole number of at least 1, or `Infinity` (no limit). */
const attempts = (param: string, value: unknown): Effect.Effect<number, InvalidInput> =>
  value === Number.POSITIVE_INFINITY || (typeof value === "number" && Number.isInteger(value) && value >= 1)
    ? Effect.succeed(value as number)
    : Effect.fail(
        new InvalidInput({
          param,
          message: `${param} must be a whole number of at least 1, or Infinity (got ${String(value)})`
        })
      )

/** A number of bytes: a whole number of at least 1 (`Infinity` is not one: a limit is the point). */
const byteCount = (param: string, value: unknown): Effect.Effect<number, InvalidInput> =>
  typeof value === "number" && Number.isSafeInteger(value) && value >= 1
    ? Effect.succeed(value)
    : Effect.fail(
        new InvalidInput({
          param,
          message: `${param} must be a whole number of bytes, at least 1 (got ${String(value)})`
        })
      )

/** The options, checked one after the other (the first bad one is the error), and the headers of every request. */
const checked = (options: Options) =>
  Effect.gen(function* () {
    const apiKey = options.apiKey === null ? null : yield* validate.apiKey(options.apiKey)
    const base = yield* validate.baseUrl(
      options.baseUrl ?? DEFAULT_BASE_URL,
      options.allowInsecureHttp ?? false
    )
    const timeout = yield* validate.duration("requestTimeout", options.requestTimeout ?? "30 seconds")
    const maxRetryAfter = yield* validate.duration("maxRetryAfter", options.maxRetryAfter ?? "60 seconds")
    const retrySchedule = options.retrySchedule ?? RetrySchedule.defaultSchedule
    const scrub = internalScrub.makeScrub(apiKey === null ? "" : Redacted.value(apiKey))
    const unreachableAfter = yield* attempts(
      "unreachableAfter",
      options.unreachableAfter ?? DEFAULT_UNREACHABLE_AFTER
    )
    const maxResponseBytes = yield* byteCount(
      "maxResponseBytes",
      options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES
    )
    if (options.log !== undefined && typeof options.log !== "function") {
      return yield* new InvalidInput({ param: "log", message: "log must be a function of one line" })
    }
    const tracing = options.tracing ?? "auto"
    if (!TRACING.includes(tracing)) {
      return yield* new InvalidInput({
        param: "tracing",
        message: `tracing must be one of ${TRACING.map((mode) => `"${mode}"`).join(", ")}`
      })
    }
    // Every request's headers, built once (no per-request chain of header copies).
    const headers = Headers.fromInput({
      ...(apiKey === null ? {} : { authorization: `Bearer ${Redacted.value(apiKey)}` }),
      "user-agent": USER_AGENT,
      accept: "application/json"
    })
    const settings: Omit<Settings, "client"> = {
      base,
      scrub,
      tracing,
      timeout,
      maxRetryAfter,
      retrySchedule,
      unreachableAfter,
      log: options.log,
      maxResponseBytes
    }
    return { settings, headers }
  })

/** Builds the client from options (see `IngestionJobs.make`). */
export const make = (options: Options): Effect.Effect<Service, InvalidInput, HttpClient.HttpClient> =>
  Effect.gen(function* () {
    const { settings, headers } = yield* checked(options)
    const client = yield* HttpClient.HttpClient
    return operations(makeSend({ ...settings, client }), settings.base, headers)
  })

/** A call's options as `send` wants them: none when there is neither `onRetry` nor a deadline. */
const withRetries = (requestOptions: RequestOptions | undefined) =>
  requestOptions?.onRetry === undefined && requestOptions?.deadline === undefined ? undefined : requestOptions

const jobsPath = (knowledgeBaseId: string) =>
  `knowledge-bases/${encodeURIComponent(knowledgeBaseId)}/ingestion-jobs`

/** The cursor of the next page; a page that claims more but cannot advance is a decode error. */
const nextCursor = (
  page: IngestionJob.IngestionJobList,
  previous: string | undefined
): Effect.Effect<readonly [IngestionJob.IngestionJobList, Option.Option<string>], ResponseDecodeError> => {
  if (!page.has_more) return Effect.succeed([page, Option.none()])
  const last = page.data[page.data.length - 1]
  if (last === undefined || last.id === previous) {
    return Effect.fail(
      new ResponseDecodeError({
        method: "GET",
        url: "",
        status: 200,
        message: "The list claims has_more but its last job cannot serve as the next cursor",
        excerpt: JSON.stringify({
          has_more: page.has_more,
          data_length: page.data.length,
          after: previous ?? null
        })
      })
    )
  }
  return Effect.succeed([page, Option.some(last.id)])
}

/** Every job of a knowledge base, page after page, on `list`. */
const listAllWith =
  (list: Service["list"]): Service["listAll"] =>
  (knowledgeBaseId: string, listAllOptions: ListAllOptions & RequestOptions = {}) =>
    Stream.unwrap(
      Effect.gen(function* () {
        // Validate once, up front: a bad option fails the stream before the first request.
        const kb = yield* validate.id("knowledgeBaseId", knowledgeBaseId)
        const limit = yield* validate.limit(listAllOptions.limit ?? 100)
        const status =
          listAllOptions.status === undefined ? undefined : yield* validate.status(listAllOptions.status)
        const first =
          listAllOptions.after === undefined ? undefined : yield* validate.id("after", listAllOptions.after)
        const { onRetry, deadline } = listAllOptions
        return Stream.paginate(first, (after: string | undefined) =>
          list(kb, { limit, status, after, onRetry, deadline }).pipe(
            Effect.flatMap((page) => nextCursor(page, after)),
            Effect.map(([page, next]) => [page.data, next] as const)
          )
        )
      })
    )

/** The client's operations on `send`, its requests built on `base` with `headers`. */
const operations = (send: Send, base: URL, headers: Headers.Headers): Service => {
  const request = (path: string, urlParams?: Record<string, string>) =>
    urlParams === undefined
      ? // A GET of one job, on every poll: the request built at once, its headers the client's own
        // (requests and headers are values, never changed in place), not through `get`'s three
        // requests and a copy of the headers.
        HttpClientRequest.makeWith(
          "GET",
          base.href + path,
          UrlParams.empty,
          Option.none(),
          headers,
          HttpBody.empty
        )
      : HttpClientRequest.get(base.href + path, { headers, urlParams })

  const list = (knowledgeBaseId: string, listOptions: ListOptions & RequestOptions = {}) =>
    Effect.gen(function* () {
      const kb = yield* validate.id("knowledgeBaseId", knowledgeBaseId)
      const params: Record<string, string> = {}
      if (listOptions.limit !== undefined) params.limit = String(yield* validate.limit(listOptions.limit))
      if (listOptions.after !== undefined) params.after = yield* validate.id("after", listOptions.after)
      if (listOptions.status !== undefined) params.status = yield* validate.status(listOptions.status)
      return yield* send(
        request(jobsPath(kb), params),
        IngestionJob.IngestionJobList,
        withRetries(listOptions),
        fastDecode.list
      )
    })

  const getWith =
    <A>(
      schema: Schema.Codec<A, IngestionJob.IngestionJobDetailEncoded>,
      fast?: internalResponse.FastDecoder<A>
    ) =>
    (
      knowledgeBaseId: string,
      jobId: string,
      requestOptions?: RequestOptions
    ): Effect.Effect<A, IngestionError> => {
      const sent = (kb: string, job: string) =>
        send(request(`${jobsPath(kb)}/${encodeURIComponent(job)}`), schema, withRetries(requestOptions), fast)
      // Two valid IDs (every poll): no generator; the request is still built when the effect runs.
      return idRule.isId(knowledgeBaseId) && idRule.isId(jobId)
        ? Effect.suspend(() => sent(knowledgeBaseId, jobId))
        : Effect.gen(function* () {
            const kb = yield* validate.id("knowledgeBaseId", knowledgeBaseId)
            const job = yield* validate.id("jobId", jobId)
            return yield* sent(kb, job)
          })
    }

  return {
    list,
    get: getWith(IngestionJob.IngestionJobDetail, fastDecode.jobDetail),
    // Read by the hand-written decoders: a running job's status, counters and timestamps (the
    // count of its ended documents beside them), an ended one in full, `document_details` included.
    poll: getWith(PolledJob, fastDecode.polledJob),
    listAll: listAllWith(list)
  }
}
