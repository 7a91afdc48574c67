/**
 * The page's small lists, drawn again whole when they change (a few dozen rows at most): the runners' cards, and
 * the tables of rounds, ended waits and pending waits, the cluster's and the selected knowledge base's. Each cell
 * carries its column's name (`data-label`): on a narrow screen a row is a card that names its fields.
 */
import { cell, h } from "@tensoras/ingestion-cli/internal/web/page/dom"
import type { EndedWaitView, PendingWaitView, RoundView, RunnerView } from "../protocol.js"
import { clock, count, OUTCOMES, runnerShown, type Shown, shownText, when } from "./words.js"

const badge = (shown: Shown, testId?: string) =>
  h("span", { class: "badge", "data-tone": shown.tone, "data-testid": testId }, [shownText(shown)])

const figure = (term: string, value: string, testId: string) => [
  h("dt", {}, [term]),
  h("dd", { "data-testid": testId }, [value])
]

const runnerCard = (runner: RunnerView, totalShards: number) =>
  h("section", { class: "kb", "data-runner": runner.address, "aria-label": `runner ${runner.address}` }, [
    h("h3", {}, [runner.address]),
    h("p", { class: "state" }, [badge(runnerShown(runner), "runner-state")]),
    h("dl", {}, [
      ...figure("shards held", `${count(runner.shards)} of ${count(totalShards)}`, "runner-shards"),
      ...figure("knowledge bases", count(runner.knowledgeBases), "runner-kbs"),
      ...figure("waits it ended", count(runner.ended), "runner-ended")
    ])
  ])

/** The runners' cards in `container`. */
export const drawRunners = (
  container: HTMLElement,
  runners: ReadonlyArray<RunnerView>,
  totalShards: number
): void => {
  container.replaceChildren(
    ...(runners.length === 0
      ? [h("p", { class: "hint" }, ["No runner is registered, and no session holds a shard."])]
      : runners.map((runner) => runnerCard(runner, totalShards)))
  )
}

const roundRow = (round: RoundView, withKb: boolean) =>
  h("tr", { "data-testid": "round-row", "data-seq": String(round.seq) }, [
    cell("When", [clock(round.at)]),
    ...(withKb ? [cell("Knowledge base", [round.knowledgeBaseId], "mono")] : []),
    cell("Runner", [round.runner], "mono"),
    cell("Mode", [round.mode === "sweep" ? "⇉ sweep" : "→ get"]),
    cell(
      "Requests",
      [`${count(round.requests)}${round.retries === 0 ? "" : ` (${round.retries} retried)`}`],
      "num"
    ),
    cell("Jobs watched", [count(round.watchedJobs)], "num"),
    cell("Waits ended", [count(round.endedWaits)], "num")
  ])

export const ROUND_COLUMNS = (withKb: boolean): ReadonlyArray<string> => [
  "When",
  ...(withKb ? ["Knowledge base"] : []),
  "Runner",
  "Mode",
  "Requests",
  "Jobs watched",
  "Waits ended"
]

const endedRow = (wait: EndedWaitView, now: number, withKb: boolean) =>
  h("tr", { "data-testid": "ended-row", "data-job": wait.jobId, "data-outcome": wait.outcome }, [
    cell("Ended", [when(wait.endedAt, now)]),
    ...(withKb ? [cell("Knowledge base", [wait.knowledgeBaseId], "mono")] : []),
    cell("Job", [wait.jobId], "mono"),
    cell("Outcome", [
      badge(OUTCOMES[wait.outcome]),
      ...(wait.outcome === "completed" && wait.message === null
        ? []
        : [h("span", { class: "sub" }, [`${wait.tag}${wait.message === null ? "" : `: ${wait.message}`}`])])
    ]),
    cell("Ended by", [wait.endedBy ?? "unknown"], "mono")
  ])

export const ENDED_COLUMNS = (withKb: boolean): ReadonlyArray<string> => [
  "Ended",
  ...(withKb ? ["Knowledge base"] : []),
  "Job",
  "Outcome",
  "Ended by"
]

const pendingRow = (wait: PendingWaitView, now: number) =>
  h("tr", { "data-testid": "pending-row", "data-job": wait.jobId }, [
    cell("Job", [wait.jobId], "mono"),
    cell("Last seen", [wait.lastStatus ?? "not yet"]),
    cell("Registered", [when(wait.registeredAt, now)]),
    cell("Deadline", [when(wait.deadlineAt, now)])
  ])

export const PENDING_COLUMNS: ReadonlyArray<string> = ["Job", "Last seen", "Registered", "Deadline"]

/** A table of `columns` (their names a screen reader reads, and a narrow screen shows in each card). */
export const table = (
  columns: ReadonlyArray<string>,
  rows: ReadonlyArray<HTMLElement>,
  empty: string,
  testId?: string
): HTMLElement =>
  rows.length === 0
    ? h("p", { class: "hint", "data-testid": testId }, [empty])
    : h("div", { class: "scroll" }, [
        h("table", { class: "cards", "data-testid": testId }, [
          h("thead", {}, [
            h(
              "tr",
              {},
              columns.map((name) => h("th", { scope: "col" }, [name]))
            )
          ]),
          h("tbody", {}, rows)
        ])
      ])

export const roundsTable = (rounds: ReadonlyArray<RoundView>, withKb: boolean, testId: string) =>
  table(
    ROUND_COLUMNS(withKb),
    rounds.map((round) => roundRow(round, withKb)),
    "No round recorded yet.",
    testId
  )

export const endedTable = (
  waits: ReadonlyArray<EndedWaitView>,
  now: number,
  withKb: boolean,
  testId: string
) =>
  table(
    ENDED_COLUMNS(withKb),
    waits.map((wait) => endedRow(wait, now, withKb)),
    "No wait has ended yet.",
    testId
  )

export const pendingTable = (waits: ReadonlyArray<PendingWaitView>, now: number, testId: string) =>
  table(
    PENDING_COLUMNS,
    waits.map((wait) => pendingRow(wait, now)),
    "No wait is pending.",
    testId
  )
