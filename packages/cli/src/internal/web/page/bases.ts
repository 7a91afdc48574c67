/**
 * A card per knowledge base: its jobs ended, the engine's rounds, requests and 429 pauses, and
 * the requests the API docs' 5-second loop would have sent for the same waits.
 */
import type { KnowledgeBaseStats } from "../protocol.js"
import { h, setText } from "./dom.js"
import { count } from "./format.js"

interface CardView {
  readonly jobs: HTMLElement
  readonly rounds: HTMLElement
  readonly requests: HTMLElement
  readonly pauses: HTMLElement
  readonly docsLoop: HTMLElement
}

const figure = (term: string, testId: string): [HTMLElement, HTMLElement] => {
  const value = h("dd", { "data-testid": testId })
  return [h("dt", {}, [term]), value]
}

const build = (stats: KnowledgeBaseStats): [HTMLElement, CardView] => {
  const [jobsTerm, jobs] = figure("jobs ended", "kb-jobs")
  const [roundsTerm, rounds] = figure("engine rounds", "kb-rounds")
  const [requestsTerm, requests] = figure("requests sent", "kb-requests")
  const [pausesTerm, pauses] = figure("429 pauses", "kb-pauses")
  const [docsTerm, docsLoop] = figure("the docs' 5 s loop would send", "kb-docs-loop")
  const card = h(
    "section",
    { class: "kb", "data-kb": stats.knowledgeBaseId, "aria-label": stats.knowledgeBaseId },
    [
      h("h3", {}, [stats.knowledgeBaseId]),
      h("dl", {}, [
        jobsTerm,
        jobs,
        roundsTerm,
        rounds,
        requestsTerm,
        requests,
        pausesTerm,
        pauses,
        docsTerm,
        docsLoop
      ])
    ]
  )
  return [card, { jobs, rounds, requests, pauses, docsLoop }]
}

/** The cards in `container`, added as knowledge bases appear and patched as their figures change. */
export const basesView = (container: HTMLElement) => {
  const cards = new Map<string, CardView>()
  return (all: ReadonlyArray<KnowledgeBaseStats>) => {
    for (const stats of all) {
      let card = cards.get(stats.knowledgeBaseId)
      if (card === undefined) {
        const [element, view] = build(stats)
        container.append(element)
        cards.set(stats.knowledgeBaseId, view)
        card = view
      }
      setText(card.jobs, `${count(stats.ended)} of ${count(stats.jobs)}`)
      setText(
        card.rounds,
        `${count(stats.rounds)}${stats.lastMode === null ? "" : ` · last ${stats.lastMode}`}`
      )
      setText(
        card.requests,
        `${count(stats.requests)}${stats.retries === 0 ? "" : ` · ${count(stats.retries)} retried`}`
      )
      setText(card.pauses, count(stats.rateLimitPauses))
      setText(card.docsLoop, count(stats.docsLoopRequests))
    }
  }
}
