/**
 * The table of watched jobs: a row per job, built once and then patched cell by cell (an update
 * touches only the text that changed). The table is laid out as a grid, not by the table algorithm:
 * each row lays itself out alone and one off screen is skipped (`content-visibility`), so 1,000 rows
 * keep up where a table layout did every row again at each change. A filter hides rows; the arrow keys move between
 * them; Enter or a click selects one.
 */
import type { JobRow } from "../protocol.js"
import { cell, h, setAttribute, setText } from "./dom.js"
import { clock, countsText, duration, progressText, shownState } from "./format.js"

export type Filter = "all" | "running" | "attention" | "ended"

interface RowView {
  row: JobRow
  readonly tr: HTMLElement
  readonly button: HTMLButtonElement
  readonly state: HTMLElement
  readonly progress: HTMLProgressElement
  readonly progressLabel: HTMLElement
  readonly counts: HTMLElement
  readonly elapsed: HTMLElement
  readonly ended: HTMLElement
}

const build = (row: JobRow, onSelect: (key: number) => void): RowView => {
  const button = h("button", { type: "button", class: "job", "aria-pressed": "false" }, [row.jobId])
  button.addEventListener("click", () => onSelect(row.key))
  const state = h("span", { class: "badge" })
  const progress = h("progress", { "aria-label": `documents of ${row.jobId}` })
  const progressLabel = h("span", { class: "sub" })
  const counts = h("span", { class: "sub" })
  const elapsed = h("span")
  const ended = h("span")
  const tr = h("tr", { class: "job-row", "data-key": String(row.key), "data-testid": "job-row" }, [
    cell("Job", [button, h("span", { class: "sub" }, [row.knowledgeBaseId])]),
    cell("State", [state]),
    cell("Documents", [progress, progressLabel, counts], "progress"),
    cell("Elapsed", [elapsed]),
    cell("Ended", [ended])
  ])
  return { row, tr, button, state, progress, progressLabel, counts, elapsed, ended }
}

const matches = (row: JobRow, filter: Filter, text: string): boolean => {
  if (text !== "" && !`${row.jobId} ${row.knowledgeBaseId}`.toLowerCase().includes(text)) return false
  switch (filter) {
    case "all":
      return true
    case "running":
      return row.endedAt === null
    case "ended":
      return row.endedAt !== null
    case "attention":
      return row.ending?.attention === true || row.lastError !== null || row.failed > 0
  }
}

/** Up and down move between the visible rows' buttons. */
const arrowKeys = (tbody: HTMLElement) =>
  tbody.addEventListener("keydown", (event) => {
    if (event.key !== "ArrowDown" && event.key !== "ArrowUp") return
    const rows = [...tbody.children].filter((tr) => !(tr as HTMLElement).hidden)
    const at = rows.findIndex((tr) => tr.contains(document.activeElement))
    const next = rows[at + (event.key === "ArrowDown" ? 1 : -1)]
    if (next === undefined) return
    event.preventDefault()
    next.querySelector("button")?.focus()
  })

export interface JobsView {
  readonly upsert: (rows: ReadonlyArray<JobRow>, now: number) => void
  readonly tick: (now: number) => void
  readonly select: (key: number | undefined) => void
  readonly filter: (filter: Filter, text: string) => void
  readonly rows: () => Iterable<JobRow>
  readonly shown: () => number
}

/** The jobs table in `tbody`; `onSelect` hears the row a user picks. */
export const jobsView = (tbody: HTMLElement, onSelect: (key: number) => void): JobsView => {
  const views = new Map<number, RowView>()
  let filter: Filter = "all"
  let text = ""
  let selected: number | undefined

  const paintElapsed = (view: RowView, now: number) =>
    setText(view.elapsed, duration((view.row.endedAt ?? now) - view.row.startedAt))

  const paint = (view: RowView, now: number) => {
    const { row } = view
    const shown = shownState(row)
    setText(view.state, `${shown.symbol} ${shown.text}`)
    setAttribute(view.state, "data-tone", shown.tone)
    const total = row.documentsTotal
    setAttribute(view.progress, "max", total === null || total === 0 ? null : String(total))
    setAttribute(
      view.progress,
      "value",
      total === null || total === 0 ? null : String(row.documentsEnded ?? 0)
    )
    setText(view.progressLabel, progressText(row))
    setText(view.counts, countsText(row))
    paintElapsed(view, now)
    setText(view.ended, row.ending === null ? "" : `${clock(row.endedAt ?? now)} · ${row.ending.text}`)
    setAttribute(view.tr, "data-attention", row.ending?.attention === true ? "true" : null)
    const hidden = !matches(row, filter, text)
    if (view.tr.hidden !== hidden) view.tr.hidden = hidden
  }

  arrowKeys(tbody)

  return {
    upsert: (rows, now) => {
      const added: Array<HTMLElement> = []
      for (const row of rows) {
        let view = views.get(row.key)
        if (view === undefined) {
          view = build(row, onSelect)
          views.set(row.key, view)
          added.push(view.tr)
        }
        view.row = row
        paint(view, now)
      }
      if (added.length > 0) tbody.append(...added)
    },
    tick: (now) => {
      for (const view of views.values())
        if (view.row.endedAt === null && !view.tr.hidden) paintElapsed(view, now)
    },
    select: (key) => {
      if (selected !== undefined) {
        const old = views.get(selected)
        old?.tr.classList.remove("selected")
        old?.button.setAttribute("aria-pressed", "false")
      }
      selected = key
      const view = key === undefined ? undefined : views.get(key)
      view?.tr.classList.add("selected")
      view?.button.setAttribute("aria-pressed", "true")
    },
    filter: (next, nextText) => {
      filter = next
      text = nextText.trim().toLowerCase()
      for (const view of views.values()) view.tr.hidden = !matches(view.row, filter, text)
    },
    rows: () => [...views.values()].map((view) => view.row),
    shown: () => [...views.values()].filter((view) => !view.tr.hidden).length
  }
}
