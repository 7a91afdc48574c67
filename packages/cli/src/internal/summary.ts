/**
 * The summary `jobs wait` prints at the end: what failed first, then a count of the rest. After the
 * live view it fits the terminal (`rows`): as many of the jobs that did not fully succeed as the
 * screen holds, their failed documents with the room left, and a count of what is not shown;
 * `--verbose` lists everything, and so does a pipe or a file (a log wants every failure).
 */
import type * as IngestionJob from "@tensoras/ingestion/IngestionJob"
import * as Result from "effect/Result"
import { changeLine, documentLine, documentMark, formatDuration } from "./format.js"
import { painter } from "./terminal.js"
import type { JobState, RunState } from "./waitJobs.js"

const ingested = (document: IngestionJob.DocumentDetail) => documentMark(document) === "ok"

/** The job as it ended, when it ended as a job (completed, or failed as a whole). */
export const detailOf = (job: JobState): IngestionJob.IngestionJobDetail | undefined => {
  if (job.result === undefined) return undefined
  if (Result.isSuccess(job.result)) return job.result.success
  return job.result.failure._tag === "IngestionJobFailed" ? job.result.failure.job : undefined
}

/** How the summary is drawn. */
export interface SummaryOptions {
  /** Every job and document. */
  readonly verbose: boolean
  readonly color: boolean
  readonly now: number
  /** The lines it may take (the terminal's), or `undefined`: no limit (always, with `verbose`). */
  readonly rows: number | undefined
}

type Paint = (mark: "ok" | "fail" | "other", text: string) => string

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`

/** At most `room` of `lines`, the last one shown saying how many more there are. */
const upTo = (lines: ReadonlyArray<string>, room: number, more: (hidden: number) => string) => {
  if (lines.length <= room) return lines
  const shown = Math.max(0, room - 1)
  return room <= 0 ? [] : [...lines.slice(0, shown), more(lines.length - shown)]
}

/** One job: its documents not ingested first, then the ingested ones listed (verbose) or counted. */
const singleLines = (state: RunState, job: JobState, options: SummaryOptions, paint: Paint) => {
  const elapsed = formatDuration((state.finishedAt ?? options.now) - state.startedAt)
  const detail = detailOf(job)
  const problems = (detail?.document_details ?? []).filter((document) => !ingested(document))
  const fine = (detail?.document_details ?? []).filter(ingested)
  const tail: Array<string> = []
  if (!options.verbose && fine.length > 0) {
    const other = problems.length > 0 ? "other " : ""
    tail.push(
      `${fine.length} ${other}document${fine.length === 1 ? "" : "s"} ingested (--verbose lists them)`
    )
  }
  const result = job.result
  if (result !== undefined && Result.isSuccess(result)) {
    const completed = result.success
    tail.push(
      completed.partial
        ? `completed with failures: ${completed.documents_processed} documents ingested, ${completed.documents_failed} failed, ${completed.chunks_created} chunks (${elapsed})`
        : `completed: ${completed.documents_processed} documents ingested, ${completed.chunks_created} chunks (${elapsed})`
    )
  }
  const listed = (options.verbose ? [...problems, ...fine] : problems).map((document) =>
    documentLine(document, paint)
  )
  const shown =
    options.rows === undefined
      ? listed
      : upTo(
          listed,
          options.rows - tail.length,
          (hidden) => `… ${plural(hidden, "more document")} not ingested (--verbose lists them)`
        )
  return [...shown, ...tail]
}

type Kind = "failed" | "timed out" | "error" | "partial" | "completed"

const kindOf = (job: JobState): Kind => {
  const result = job.result
  if (result === undefined) return "error"
  if (Result.isSuccess(result)) return result.success.partial ? "partial" : "completed"
  return result.failure._tag === "IngestionJobFailed"
    ? "failed"
    : result.failure._tag === "WaitTimeout"
      ? "timed out"
      : "error"
}

const ORDER: ReadonlyArray<Kind> = ["failed", "timed out", "error", "partial", "completed"]

const kindText = (kind: Kind) => (kind === "partial" ? "completed with failures" : kind)

/** A job of several: its line, and the documents worth listing under it. */
interface Entry {
  readonly kind: Kind
  readonly head: string
  readonly documents: ReadonlyArray<string>
}

const entryOf = (job: JobState, kind: Kind, verbose: boolean, label: string, paint: Paint): Entry => {
  const result = job.result
  const what =
    job.job !== undefined
      ? changeLine(job.job, job.total)
      : `${job.jobId}: ${result !== undefined && Result.isFailure(result) ? result.failure._tag : "no answer"}`
  const detail = detailOf(job)
  const documents =
    detail === undefined
      ? []
      : (verbose
          ? detail.document_details
          : detail.document_details.filter((d) => documentMark(d) === "fail")
        ).map((document) => `  ${documentLine(document, paint)}`)
  return { kind, head: `${label} ${what}`, documents }
}

/**
 * The entries in `room` lines: the heads first (as many as fit, the rest counted on one line),
 * then the documents under them with the room left, each job's cut short with a count.
 */
const fitEntries = (entries: ReadonlyArray<Entry>, room: number): ReadonlyArray<string> => {
  const cut = entries.length > room
  const shown = cut ? entries.slice(0, Math.max(0, room - 1)) : entries
  let left = room - shown.length - (cut ? 1 : 0)
  const lines: Array<string> = []
  for (const entry of shown) {
    lines.push(entry.head)
    const documents = upTo(entry.documents, left, (hidden) => `  … ${plural(hidden, "more failed document")}`)
    lines.push(...documents)
    left -= documents.length
  }
  if (cut && room > 0) {
    const hidden = entries.slice(shown.length)
    const counts = ORDER.flatMap((kind) => {
      const n = hidden.filter((entry) => entry.kind === kind).length
      return n === 0 ? [] : [`${n} ${kindText(kind)}`]
    })
    lines.push(
      `… ${plural(hidden.length, "more job")} that did not fully succeed: ${counts.join(", ")} (--verbose lists them)`
    )
  }
  return lines
}

/** Several jobs: those that did not fully succeed (fitted), a count of the others, the tally. */
const manyLines = (state: RunState, options: SummaryOptions, paint: Paint) => {
  const color = painter(options.color)
  const label: Record<Kind, string> = {
    failed: color("red", "[FAILED]"),
    "timed out": color("yellow", "[TIMED OUT]"),
    error: color("red", "[ERROR]"),
    partial: color("yellow", "[PARTIAL]"),
    completed: color("green", "[OK]")
  }
  const byKind = new Map<Kind, Array<JobState>>(ORDER.map((kind) => [kind, []]))
  for (const job of state.jobs) byKind.get(kindOf(job))?.push(job)
  const entries = ORDER.flatMap((kind) =>
    kind === "completed" && !options.verbose
      ? []
      : (byKind.get(kind) ?? []).map((job) => entryOf(job, kind, options.verbose, label[kind], paint))
  )
  const tail: Array<string> = []
  const completed = byKind.get("completed")?.length ?? 0
  if (!options.verbose && completed > 0) {
    const other = entries.length > 0 ? "other " : ""
    tail.push(`${completed} ${other}job${completed === 1 ? "" : "s"} completed (--verbose lists them)`)
  }
  const tally = ORDER.flatMap((kind) => {
    const n = byKind.get(kind)?.length ?? 0
    return n === 0 ? [] : [`${n} ${kindText(kind)}`]
  })
  const elapsed = formatDuration((state.finishedAt ?? options.now) - state.startedAt)
  tail.push(`${state.jobs.length} jobs: ${tally.join(", ")} (${elapsed})`)
  const listed =
    options.rows === undefined
      ? entries.flatMap((entry) => [entry.head, ...entry.documents])
      : fitEntries(entries, options.rows - tail.length)
  return [...listed, ...tail]
}

/**
 * The summary after the wait, on stdout: for one job, its documents (failures first) and the
 * outcome; for several, the jobs that did not fully succeed (with their failed documents), then
 * a count of the others, then the tally. `verbose` lists everything; `rows` bounds the rest.
 */
export const summaryLines = (state: RunState, options: SummaryOptions): ReadonlyArray<string> => {
  const colorOf = { ok: "green", fail: "red", other: "dim" } as const
  const color = painter(options.color)
  const paint: Paint = (mark, text) => color(colorOf[mark], text)
  // `verbose` is everything, whatever the terminal's height.
  const drawn = options.verbose ? { ...options, rows: undefined } : options
  const [single] = state.jobs
  return state.jobs.length === 1 && single !== undefined
    ? singleLines(state, single, drawn, paint)
    : manyLines(state, drawn, paint)
}
