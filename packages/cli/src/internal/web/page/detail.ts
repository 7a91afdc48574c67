/**
 * The selected job: what it is doing (the machine's states in words), its figures, how its wait
 * ended and, once it has ended, its documents with their status, chunks and, for the failed
 * ones, the reason. The documents come from the local server once, when the job has ended.
 */
import type { DocumentRow, Documents, JobRow } from "../protocol.js"
import { h, setText } from "./dom.js"
import { clock, countsText, duration, progressText, shownState } from "./format.js"

const statePath = (row: JobRow): string =>
  row.states.map((state) => state.replace(/^ingestionJob\./, "").replaceAll(".", " › ")).join("; ")

const fact = (term: string, value: string): Array<HTMLElement> => [h("dt", {}, [term]), h("dd", {}, [value])]

const documentRow = (document: DocumentRow) => {
  const failed = document.reason !== null
  const ok = !failed && document.status === "completed"
  const mark = failed ? "✗" : ok ? "✓" : "•"
  return h("tr", { "data-testid": "document-row", "data-result": failed ? "failed" : ok ? "ok" : "other" }, [
    h("td", {}, [`${mark} ${document.status}`]),
    h("td", {}, [
      document.name,
      ...(failed
        ? [h("span", { class: "reason", "data-testid": "failure-reason" }, [document.reason ?? ""])]
        : [])
    ]),
    h("td", { class: "num" }, [String(document.chunks)])
  ])
}

const documentsTable = (answer: Documents) => {
  // The failed ones first: they are what a reader came for.
  const sorted = [...answer.documents].sort((a, b) => Number(b.reason !== null) - Number(a.reason !== null))
  const failed = sorted.filter((document) => document.reason !== null).length
  return [
    h("h3", {}, [`Documents: ${answer.documents.length}, ${failed} failed`]),
    ...(answer.jobError === null
      ? []
      : [h("p", { class: "job-error" }, [`The job's error: ${answer.jobError}`])]),
    h("table", { class: "documents" }, [
      h("thead", {}, [
        h("tr", {}, [
          h("th", { scope: "col" }, ["Status"]),
          h("th", { scope: "col" }, ["Document (and why it failed)"]),
          h("th", { scope: "col", class: "num" }, ["Chunks"])
        ])
      ]),
      h("tbody", {}, sorted.map(documentRow))
    ])
  ]
}

/** The panel in `container`: `show` with the selected row (again at each of its updates). */
export const detailView = (container: HTMLElement, onMark: (states: ReadonlyArray<string>) => void) => {
  let shownKey: number | undefined
  let loaded: number | undefined
  const heading = h("h2", { id: "detail-title", tabindex: "-1" })
  const facts = h("dl", { class: "facts" })
  const documents = h("div", { "aria-live": "polite" })
  container.replaceChildren(heading, facts, documents)
  setText(heading, "Select a job")

  const load = async (row: JobRow) => {
    loaded = row.key
    setText(documents, "Loading the documents…")
    try {
      const response = await fetch(`documents/${row.key}`)
      if (shownKey !== row.key) return
      if (!response.ok) {
        documents.replaceChildren(h("p", {}, ["The wait ended without the job's documents."]))
        return
      }
      documents.replaceChildren(...documentsTable((await response.json()) as Documents))
    } catch {
      if (shownKey === row.key) documents.replaceChildren(h("p", {}, ["The documents could not be loaded."]))
      loaded = undefined
    }
  }

  return {
    show: (row: JobRow | undefined, now: number) => {
      if (row === undefined) return
      if (shownKey !== row.key) {
        shownKey = row.key
        loaded = undefined
        documents.replaceChildren()
      }
      const shown = shownState(row)
      setText(heading, `${row.jobId} — ${shown.symbol} ${shown.text}`)
      facts.replaceChildren(
        ...fact("Knowledge base", row.knowledgeBaseId),
        ...fact("Machine states", statePath(row)),
        ...fact("Documents", progressText(row)),
        ...fact("Counts", countsText(row)),
        ...fact("Elapsed", duration((row.endedAt ?? now) - row.startedAt)),
        ...fact("Polls", `${row.polls} answered, ${row.retries} retried`),
        ...(row.lastError === null ? [] : fact("Last error", row.lastError)),
        ...(row.ending === null ? [] : fact("Ended", `${clock(row.endedAt ?? now)} · ${row.ending.text}`))
      )
      onMark(row.states)
      if (row.endedAt !== null && loaded !== row.key) void load(row)
      if (row.endedAt === null) setText(documents, "Its documents show here once it has ended.")
    },
    // Beside the jobs (a wide screen) the panel is in view: no scrolling; below them, go to it.
    focus: () => heading.focus({ preventScroll: matchMedia("(min-width: 1100px)").matches })
  }
}
