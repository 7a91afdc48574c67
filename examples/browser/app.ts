// The React example: @xstate/react on the browser lifecycle machine. No JSX, so it builds and
// type-checks without a JSX set-up: `h` is React.createElement.
import { useActorRef, useSelector } from "@xstate/react"
import { createElement as h } from "react"
import { createRoot } from "react-dom/client"
import { BrowserIngestion } from "../../packages/browser/src/index.js"
import { type IngestionJob, PollSchedule } from "../../packages/core/src/index.js"
import type * as JobMachine from "../../packages/core/src/JobMachine.js"

const params = new URLSearchParams(location.search)
const knowledgeBaseId = params.get("kb") ?? "kb_abc123"
const jobId = params.get("job") ?? "job_def456"
const interval = Number(params.get("interval") ?? 1000)
// Set when the server started this job for a scenario (server.ts): the picker shows it.
const scenario = params.get("scenario")
// The scenarios of world.ts; a link opens a page without a job, and the server starts a new one.
const SCENARIO_NAMES = ["realistic", "failing", "partial"] as const

// The same-origin proxy: no key in the page (see server.ts).
const machine = BrowserIngestion.machine({
  baseUrl: "/api/tensoras/v1",
  schedule: PollSchedule.fixed(interval)
})

const JobView = () => {
  const actor = useActorRef(machine, { input: { knowledgeBaseId, jobId } })
  const state = useSelector(actor, (snapshot) =>
    snapshot.status === "done" ? String(snapshot.value) : jobStateOf(snapshot.value)
  )
  const job = useSelector(actor, (snapshot) => snapshot.context.job)
  const polls = useSelector(actor, (snapshot) => snapshot.context.polls)
  const output = useSelector(actor, (snapshot) => snapshot.output)
  // While a job runs, a poll reports its counters (the context's job); its documents come with the
  // ended job, in the machine's output.
  const documents: ReadonlyArray<IngestionJob.DocumentDetail> =
    output?._tag === "Completed" || output?._tag === "Failed" ? output.job.document_details : []
  const done = job === null ? 0 : job.documents_processed + job.documents_failed
  return h(
    "main",
    null,
    picker(),
    h("h1", null, `Ingestion job ${jobId}`),
    h("span", { className: `state ${state}`, "data-testid": "state" }, state),
    // How the wait ended, and why when it was not a clean completion.
    output === undefined
      ? null
      : h("p", { className: `outcome ${output._tag}`, "data-testid": "outcome" }, outcomeText(output)),
    // Indeterminate until the terminal job tells how many documents there were.
    h(
      "progress",
      documents.length === 0
        ? { "data-testid": "progress" }
        : { max: documents.length, value: done, "data-testid": "progress" }
    ),
    h(
      "div",
      { className: "counters" },
      counter("documents processed", job?.documents_processed ?? 0, "processed"),
      counter("documents failed", job?.documents_failed ?? 0, "failed"),
      counter("chunks created", job?.chunks_created ?? 0, "chunks"),
      counter("polls", polls, "polls")
    ),
    h(
      "table",
      null,
      h(
        "thead",
        null,
        h(
          "tr",
          null,
          h("th", null, ""),
          h("th", null, "document"),
          h("th", null, "status"),
          h("th", null, "chunks"),
          h("th", null, "why it failed")
        )
      ),
      h(
        "tbody",
        null,
        documents.map((doc) => {
          const ok = doc.error === null && doc.status === "completed"
          const pending = doc.error === null && doc.status !== "completed"
          const mark = ok ? "OK" : pending ? "…" : "FAIL"
          return h(
            "tr",
            { key: doc.document_id, "data-testid": "document-row" },
            h("td", { className: mark }, mark),
            h("td", null, doc.document_name),
            h("td", null, typeof doc.status === "string" ? doc.status : doc.status.raw),
            h("td", null, doc.chunks_created),
            h("td", { className: "reason", "data-testid": "document-reason" }, reasonOf(doc.error))
          )
        })
      )
    )
  )
}

const jobStateOf = (value: unknown): string => {
  const watching = (value as { watching?: { job?: string } }).watching
  return watching?.job ?? "starting"
}

/** An error of the API as a reader wants it: its message, and its code to search for. */
const reasonOf = (error: IngestionJob.JobError | null): string =>
  error === null
    ? ""
    : `${error.message}${error.code === undefined || error.code === null ? "" : ` (${error.code})`}`

const outcomeText = (output: JobMachine.Output): string => {
  switch (output._tag) {
    case "Completed": {
      const failed = output.job.partial ? output.job.failedDocuments.length : 0
      const total = output.job.document_details.length
      return failed === 0
        ? `Completed: all ${total} documents ingested.`
        : `Completed: ${total - failed} of ${total} documents ingested, ${failed} failed (see below why).`
    }
    case "Failed":
      return `Failed: ${output.error === null ? "the job gave no reason" : reasonOf(output.error)}`
    case "TimedOut":
      return `Gave up: ${output.message}`
    case "Cancelled":
      return "Cancelled."
    case "Errored":
      return `Could not wait: ${output.error._tag}: ${output.error.message}`
  }
}

/** Start a new job of a scenario: each link opens a page without a job, and the server starts one. */
const picker = () =>
  h(
    "nav",
    { "aria-label": "scenarios" },
    "Start a new job: ",
    ...SCENARIO_NAMES.flatMap((name, index) => [
      index === 0 ? "" : " · ",
      h(
        "a",
        { key: name, href: `/?scenario=${name}`, "aria-current": name === scenario ? "page" : undefined },
        name
      )
    ])
  )

const counter = (label: string, value: number, id: string) =>
  h("div", { key: id }, h("b", { "data-testid": id }, value), label)

const root = document.getElementById("root")
if (root !== null) createRoot(root).render(h(JobView))
