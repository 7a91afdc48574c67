/**
 * The knowledge bases' table: a row per knowledge base with waits, built once and patched cell by cell (a read
 * changes few of them), kept in order of their IDs. A filter hides rows; the arrow keys move between them; Enter
 * or a click selects one.
 */
import { cell, h, setAttribute, setText } from "@tensoras/ingestion-cli/internal/web/page/dom"
import type { KnowledgeBaseView } from "../protocol.js"
import { clock, count, endedText, needsAttention, notCompleted, ownerShown, shownText } from "./words.js"

export type Filter = "all" | "pending" | "attention"

interface RowView {
  kb: KnowledgeBaseView
  readonly tr: HTMLElement
  readonly button: HTMLButtonElement
  readonly owner: HTMLElement
  readonly shard: HTMLElement
  readonly pending: HTMLElement
  readonly ended: HTMLElement
  readonly endedBy: HTMLElement
  readonly round: HTMLElement
}

const build = (kb: KnowledgeBaseView, onSelect: (id: string) => void): RowView => {
  const button = h("button", { type: "button", class: "job", "aria-pressed": "false" }, [kb.id])
  button.addEventListener("click", () => onSelect(kb.id))
  const owner = h("span", { class: "badge", "data-testid": "kb-owner" })
  const shard = h("span", { class: "sub" })
  const pending = h("span", { "data-testid": "kb-pending" })
  const ended = h("span", { "data-testid": "kb-ended" })
  const endedBy = h("span", { "data-testid": "kb-ended-by" })
  const round = h("span", { "data-testid": "kb-round" })
  const tr = h("tr", { "data-kb": kb.id, "data-testid": "kb-row" }, [
    cell("Knowledge base", [button]),
    cell("Held by", [owner, shard]),
    cell("Pending", [pending], "num"),
    cell("Ended", [ended]),
    cell("Ended by", [endedBy], "mono"),
    cell("Last round", [round])
  ])
  return { kb, tr, button, owner, shard, pending, ended, endedBy, round }
}

const matches = (kb: KnowledgeBaseView, filter: Filter, text: string): boolean => {
  if (text !== "" && !`${kb.id} ${kb.owner ?? ""}`.toLowerCase().includes(text)) return false
  return filter === "all" || (filter === "pending" ? kb.pending > 0 : needsAttention(kb))
}

const paint = (view: RowView, filter: Filter, text: string) => {
  const { kb } = view
  const owner = ownerShown(kb)
  setText(view.owner, shownText(owner))
  setAttribute(view.owner, "data-tone", owner.tone)
  setText(view.shard, `shard ${kb.shard}`)
  setText(view.pending, count(kb.pending))
  setText(view.ended, endedText(kb))
  setText(view.endedBy, kb.endedBy.map((by) => `${by.runner}: ${count(by.count)}`).join(", ") || "–")
  const last = kb.rounds[0]
  setText(
    view.round,
    last === undefined ? "–" : `${clock(last.at)} · ${last.requests} request${last.requests === 1 ? "" : "s"}`
  )
  setAttribute(
    view.tr,
    "data-attention",
    notCompleted(kb) > 0 || (kb.pending > 0 && kb.owner === null) ? "true" : null
  )
  const hidden = !matches(kb, filter, text)
  if (view.tr.hidden !== hidden) view.tr.hidden = hidden
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

/** The table in `tbody`; `onSelect` hears the knowledge base a user picks. */
export const knowledgeBasesView = (tbody: HTMLElement, onSelect: (id: string) => void) => {
  const views = new Map<string, RowView>()
  let filter: Filter = "all"
  let text = ""
  let selected: string | undefined
  arrowKeys(tbody)

  return {
    upsert: (all: ReadonlyArray<KnowledgeBaseView>) => {
      let added = false
      for (const kb of all) {
        let view = views.get(kb.id)
        if (view === undefined) {
          view = build(kb, onSelect)
          views.set(kb.id, view)
          added = true
        }
        view.kb = kb
        paint(view, filter, text)
      }
      if (added)
        tbody.append(...[...views.values()].sort((a, b) => (a.kb.id < b.kb.id ? -1 : 1)).map((v) => v.tr))
    },
    remove: (ids: ReadonlyArray<string>) => {
      for (const id of ids) {
        views.get(id)?.tr.remove()
        views.delete(id)
      }
    },
    select: (id: string | undefined) => {
      const old = selected === undefined ? undefined : views.get(selected)
      old?.tr.classList.remove("selected")
      old?.button.setAttribute("aria-pressed", "false")
      selected = id
      const view = id === undefined ? undefined : views.get(id)
      view?.tr.classList.add("selected")
      view?.button.setAttribute("aria-pressed", "true")
    },
    filter: (next: Filter, nextText: string) => {
      filter = next
      text = nextText.trim().toLowerCase()
      for (const view of views.values()) view.tr.hidden = !matches(view.kb, filter, text)
    },
    get: (id: string) => views.get(id)?.kb,
    ids: () => [...views.keys()],
    first: () => [...views.values()].sort((a, b) => (a.kb.id < b.kb.id ? -1 : 1))[0]?.kb.id,
    shown: () => [...views.values()].filter((view) => !view.tr.hidden).length,
    size: () => views.size
  }
}
