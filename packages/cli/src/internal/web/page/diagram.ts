/**
 * The machine's diagram as SVG, drawn from the server's layout: states, transitions and their
 * labels; the selected job's states marked (a thicker outline, bold name and a ● before it, not a
 * colour alone), and on each state the number of jobs in it now.
 */
import type { Diagram, DiagramNode } from "../protocol.js"
import { s, setText } from "./dom.js"

export interface DiagramView {
  /** The selected job's active states (leaves) and their parents; `[]` for none. */
  readonly mark: (states: ReadonlyArray<string>) => void
  /** How many jobs each state holds now (leaves and final states). */
  readonly counts: (byState: ReadonlyMap<string, number>) => void
}

/** The state IDs of the leaves and every state above them. */
export const withParents = (states: ReadonlyArray<string>): Set<string> => {
  const all = new Set<string>()
  for (const state of states) {
    const parts = state.split(".")
    for (let i = 1; i <= parts.length; i++) all.add(parts.slice(0, i).join("."))
  }
  return all
}

const arrowHead = () =>
  s("defs", {}, [
    s(
      "marker",
      {
        id: "arrow",
        viewBox: "0 0 10 10",
        refX: 9,
        refY: 5,
        markerWidth: 7,
        markerHeight: 7,
        orient: "auto-start-reverse"
      },
      [s("path", { d: "M 0 0 L 10 5 L 0 10 z", class: "arrowhead" })]
    )
  ])

interface Drawn {
  readonly group: SVGGElement
  readonly name: SVGTextElement
  readonly count: SVGTextElement | undefined
  readonly label: string
}

const drawNode = (node: DiagramNode): Drawn => {
  const group = s("g", { class: `state ${node.kind}`, "data-state": node.id })
  if (node.kind === "initial") {
    const r = node.width / 2
    group.append(s("circle", { cx: node.x + r, cy: node.y + r, r, class: "start" }))
    return { group, name: s("text"), count: undefined, label: "" }
  }
  const leaf = node.kind === "atomic" || node.kind === "final"
  group.append(
    s("title", {}, [node.description === "" ? node.label : `${node.label}: ${node.description}`]),
    s("rect", { x: node.x, y: node.y, width: node.width, height: node.height, rx: leaf ? 8 : 10 })
  )
  if (node.kind === "final") {
    group.append(
      s("rect", {
        x: node.x + 3,
        y: node.y + 3,
        width: node.width - 6,
        height: node.height - 6,
        rx: 6,
        class: "inner"
      })
    )
  }
  const name = s("text", { x: node.x + 10, y: node.y + (leaf ? node.height / 2 + 4.5 : 18), class: "name" }, [
    node.label
  ])
  group.append(name)
  const count = leaf
    ? s("text", { x: node.x + node.width - 10, y: node.y + node.height / 2 + 4.5, class: "count" })
    : undefined
  if (count !== undefined) group.append(count)
  return { group, name, count, label: node.label }
}

/** Draws the diagram into `svg`; returns how to mark states and show counts. */
export const drawDiagram = (svg: SVGSVGElement, diagram: Diagram): DiagramView => {
  svg.replaceChildren(arrowHead())
  svg.setAttribute("viewBox", `0 0 ${diagram.width} ${diagram.height}`)
  svg.setAttribute("width", String(diagram.width))
  svg.setAttribute("height", String(diagram.height))
  const drawn = new Map<string, Drawn>()
  const states = s("g")
  for (const node of diagram.nodes) {
    const one = drawNode(node)
    drawn.set(node.id, one)
    states.append(one.group)
  }
  const edges = s("g", { class: "edges" })
  for (const edge of diagram.edges) {
    edges.append(
      s("polyline", {
        points: edge.points.map(([x, y]) => `${x},${y}`).join(" "),
        "marker-end": "url(#arrow)"
      })
    )
    const box = edge.labelBox
    if (box !== undefined) {
      edges.append(
        s("rect", { x: box.x - 1, y: box.y, width: box.width + 2, height: box.height, class: "label-bg" }),
        s("text", { x: box.x + 2, y: box.y + box.height - 4 }, [edge.label])
      )
    }
  }
  svg.append(states, edges)
  let marked = new Set<string>()
  return {
    mark: (active) => {
      const next = withParents(active)
      for (const id of marked) {
        const one = drawn.get(id)
        if (one !== undefined && !next.has(id)) {
          one.group.classList.remove("current")
          setText(one.name, one.label)
        }
      }
      for (const id of next) {
        const one = drawn.get(id)
        if (one !== undefined) {
          one.group.classList.add("current")
          setText(one.name, `● ${one.label}`)
        }
      }
      marked = next
    },
    counts: (byState) => {
      for (const [id, one] of drawn) {
        if (one.count === undefined) continue
        const n = byState.get(id) ?? 0
        setText(one.count, n === 0 ? "" : String(n))
        one.group.classList.toggle("held", n > 0)
      }
    }
  }
}
