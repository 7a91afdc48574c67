/**
 * The selected knowledge base: the runner that holds it (and its shard), its waits by outcome and by the runners
 * that ended them, its pending waits (the nearest deadline first), its last ended waits (who ended each) and its
 * recent rounds. Drawn again at each of its updates.
 */
import { h, setText } from "@tensoras/ingestion-cli/internal/web/page/dom"
import type { KnowledgeBaseView } from "../protocol.js"
import { endedTable, pendingTable, roundsTable } from "./lists.js"
import { count, endedText, ownerShown, shownText, when } from "./words.js"

const fact = (term: string, value: string, testId?: string): Array<HTMLElement> => [
  h("dt", {}, [term]),
  h("dd", { "data-testid": testId }, [value])
]

/** The panel in `container`: `show` with the selected knowledge base (again at each of its updates). */
export const detailView = (container: HTMLElement) => {
  const heading = h("h2", { id: "detail-title", tabindex: "-1" })
  const body = h("div")
  container.replaceChildren(heading, body)
  setText(heading, "Select a knowledge base")
  body.replaceChildren(h("p", { class: "hint" }, ["Its waits, who ended them and its rounds show here."]))

  return {
    show: (kb: KnowledgeBaseView | undefined, now: number) => {
      if (kb === undefined) return
      setText(heading, `${kb.id} — ${count(kb.pending)} pending`)
      body.replaceChildren(
        h("dl", { class: "facts" }, [
          ...fact("Held by", `${shownText(ownerShown(kb))} (shard ${kb.shard})`, "detail-owner"),
          ...fact("Pending", count(kb.pending)),
          ...fact("Next deadline", when(kb.nextDeadlineAt, now)),
          ...fact("Ended", endedText(kb)),
          ...fact(
            "Ended by",
            kb.endedBy.map((by) => `${by.runner}: ${count(by.count)}`).join(", ") || "–",
            "detail-ended-by"
          )
        ]),
        h("h3", {}, ["Pending waits, nearest deadline first"]),
        pendingTable(kb.pendingWaits, now, "detail-pending"),
        h("h3", {}, ["Last ended waits"]),
        endedTable(kb.endedWaits, now, false, "detail-ended"),
        h("h3", {}, ["Recent rounds"]),
        roundsTable(kb.rounds, false, "detail-rounds")
      )
    },
    // Beside the tables (a wide screen) the panel is in view: no scrolling; below them, go to it.
    focus: () => heading.focus({ preventScroll: matchMedia("(min-width: 1100px)").matches })
  }
}
