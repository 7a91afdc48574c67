/**
 * `JobMachine`'s diagram: its states and transitions read from the machine's own definition (its
 * `toJSON()`, what Stately renders), laid out by elkjs (layered, the nesting of states kept), once
 * per command. The page only draws what it gets: no layout code ships to the browser.
 */
import { createRequire } from "node:module"
import type { ELK, ElkExtendedEdge, ElkNode } from "elkjs/lib/elk-api.js"
import type { Diagram, DiagramEdge, DiagramNode } from "./protocol.js"

/** The part of XState's state-node JSON this reads (`machine.toJSON()`, through JSON). */
export interface StateJson {
  readonly id: string
  readonly key: string
  readonly type: string
  readonly description?: string
  readonly initial?: { readonly target?: ReadonlyArray<string> }
  readonly states?: Readonly<Record<string, StateJson>>
  readonly transitions?: ReadonlyArray<{
    readonly eventType: string
    readonly guard?: string | { readonly type?: string }
    readonly target?: ReadonlyArray<string>
  }>
}

// Sizes in CSS pixels of the page's fonts (13 px states, 11 px labels): an estimate is enough, the
// boxes have room around their text.
const STATE_CHAR = 7.6
const LABEL_CHAR = 6.4
const STATE_HEIGHT = 34
const LABEL_HEIGHT = 15
const INITIAL_SIZE = 10
/** Room for a state's count of jobs, right of its name. */
const COUNT_ROOM = 34

const idOf = (target: string) => (target.startsWith("#") ? target.slice(1) : target)

/** XState's internal events by what they mean: `xstate.error.actor.poller` is the poller failing. */
const eventName = (eventType: string): string => {
  const actor = /^xstate\.(error|done)\.actor\.(.+)$/.exec(eventType)
  return actor === null ? eventType : `${actor[1] === "error" ? "error" : "done"}: ${actor[2]}`
}

const guardName = (guard: string | { readonly type?: string } | undefined): string | undefined =>
  typeof guard === "string" ? guard : guard?.type

const kindOf = (state: StateJson): DiagramNode["kind"] =>
  state.type === "parallel" || state.type === "final" || state.type === "compound" ? state.type : "atomic"

interface Collected {
  readonly nodes: Map<string, { readonly state: StateJson | undefined; readonly kind: DiagramNode["kind"] }>
  readonly edges: Array<{ readonly from: string; readonly to: string; readonly label: string }>
}

/** The ELK node of a state, its children nested; its transitions and start arrow into `collected`. */
const elkNodeOf = (state: StateJson, collected: Collected, parentIsParallel = false): ElkNode => {
  const kind = kindOf(state)
  collected.nodes.set(state.id, { state, kind })
  for (const transition of state.transitions ?? []) {
    const guard = guardName(transition.guard)
    const label = `${eventName(transition.eventType)}${guard === undefined ? "" : ` [${guard}]`}`
    for (const target of transition.target ?? [])
      collected.edges.push({ from: state.id, to: idOf(target), label })
  }
  const children = Object.values(state.states ?? {}).map((child) =>
    elkNodeOf(child, collected, kind === "parallel")
  )
  if (children.length === 0) {
    const width = state.key.length * STATE_CHAR + 24 + COUNT_ROOM
    return { id: state.id, width: Math.round(width), height: STATE_HEIGHT }
  }
  const start = state.initial?.target?.[0]
  if (start !== undefined) {
    const marker = `init:${state.id}`
    collected.nodes.set(marker, { state: undefined, kind: "initial" })
    collected.edges.push({ from: marker, to: idOf(start), label: "" })
    children.unshift({ id: marker, width: INITIAL_SIZE, height: INITIAL_SIZE })
  }
  return {
    id: state.id,
    children,
    layoutOptions: {
      // Room at the top for the state's name; regions of a parallel state side by side.
      "elk.padding": `[top=${kind === "parallel" ? 30 : 28},left=12,bottom=12,right=12]`,
      "elk.direction": kind === "parallel" || parentIsParallel ? "RIGHT" : "DOWN",
      "elk.nodeSize.constraints": "MINIMUM_SIZE",
      "elk.nodeSize.minimum": `(${Math.round(state.key.length * STATE_CHAR + 40)}, 40)`
    }
  }
}

const ROOT_OPTIONS = {
  "elk.algorithm": "layered",
  "elk.direction": "RIGHT",
  // Edges between nested states are laid out with the states they cross, and every coordinate
  // comes back relative to the root: the page needs no offsets.
  "elk.hierarchyHandling": "INCLUDE_CHILDREN",
  "elk.json.shapeCoords": "ROOT",
  "elk.json.edgeCoords": "ROOT",
  "elk.edgeRouting": "ORTHOGONAL",
  "elk.layered.spacing.nodeNodeBetweenLayers": "34",
  "elk.spacing.nodeNode": "22",
  "elk.spacing.edgeLabel": "3",
  "elk.edgeLabels.placement": "CENTER",
  "elk.padding": "[top=8,left=8,bottom=8,right=8]",
  // The states in the order the machine defines them, where the layout allows.
  "elk.layered.considerModelOrder.strategy": "NODES_AND_EDGES"
} as const

const flatten = (node: ElkNode, into: Array<ElkNode> = []): Array<ElkNode> => {
  into.push(node)
  for (const child of node.children ?? []) flatten(child, into)
  return into
}

const pointsOf = (edge: ElkExtendedEdge): Array<readonly [number, number]> =>
  (edge.sections ?? []).flatMap((section) =>
    [section.startPoint, ...(section.bendPoints ?? []), section.endPoint].map(
      (point) => [Math.round(point.x), Math.round(point.y)] as const
    )
  )

/** The machine's definition laid out: states (parents first) and transitions with their routes. */
export const layOut = async (machine: StateJson): Promise<Diagram> => {
  const collected: Collected = { nodes: new Map(), edges: [] }
  const top = elkNodeOf(machine, collected)
  const elkEdges: Array<ElkExtendedEdge> = collected.edges.map((edge, index) => ({
    id: `e${index}`,
    sources: [edge.from],
    targets: [edge.to],
    labels:
      edge.label === ""
        ? []
        : [{ text: edge.label, width: Math.round(edge.label.length * LABEL_CHAR + 6), height: LABEL_HEIGHT }]
  }))
  // elkjs is CommonJS (`module.exports = ELK`), its bundle 1.6 MB: loaded here, when a page is served.
  const Elk = createRequire(import.meta.url)("elkjs/lib/elk.bundled.js") as new () => ELK
  const root: ElkNode = { id: "root", layoutOptions: { ...ROOT_OPTIONS }, children: [top], edges: elkEdges }
  const graph: ElkNode = await new Elk().layout(root)
  const nodes: Array<DiagramNode> = flatten(graph)
    .slice(1)
    .map((node) => {
      const known = collected.nodes.get(node.id)
      return {
        id: node.id,
        label: known?.state?.key ?? "",
        kind: known?.kind ?? "atomic",
        description: known?.state?.description ?? "",
        x: Math.round(node.x ?? 0),
        y: Math.round(node.y ?? 0),
        width: Math.round(node.width ?? 0),
        height: Math.round(node.height ?? 0)
      }
    })
  const edges: Array<DiagramEdge> = (graph.edges ?? []).map((edge, index) => {
    const source = collected.edges[index] ?? { from: "", to: "", label: "" }
    const label = edge.labels?.[0]
    return {
      from: source.from,
      to: source.to,
      label: source.label,
      points: pointsOf(edge),
      ...(label === undefined || source.label === ""
        ? {}
        : {
            labelBox: {
              x: Math.round(label.x ?? 0),
              y: Math.round(label.y ?? 0),
              width: Math.round(label.width ?? 0),
              height: Math.round(label.height ?? 0)
            }
          })
    }
  })
  return { width: Math.ceil(graph.width ?? 0), height: Math.ceil(graph.height ?? 0), nodes, edges }
}

/** A machine's definition as plain JSON (`toJSON()` holds state nodes; JSON turns targets into IDs). */
export const definitionOf = (machine: { readonly toJSON: () => unknown }): StateJson =>
  JSON.parse(JSON.stringify(machine.toJSON())) as StateJson
