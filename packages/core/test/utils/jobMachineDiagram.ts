import type { AnyStateMachine, AnyStateNode } from "xstate"

// Renders a machine's definition (its state nodes and transitions) as documentation, so the
// docs cannot drift from the code: a Mermaid state diagram and a table of the states.

type Transition = AnyStateNode["transitions"] extends Map<string, Array<infer T>> ? T : never

const idOf = (node: AnyStateNode): string => (node.path.length === 0 ? "root" : node.path.join("_"))

const children = (node: AnyStateNode): ReadonlyArray<AnyStateNode> =>
  Object.values(node.states as Record<string, AnyStateNode>).sort((a, b) => a.order - b.order)

const isDescendant = (node: AnyStateNode, ancestor: AnyStateNode): boolean =>
  node.path.length > ancestor.path.length && ancestor.path.every((key, i) => node.path[i] === key)

const guardName = (guard: unknown): string | undefined => {
  if (guard === undefined) return undefined
  if (typeof guard === "string") return guard
  if (typeof guard === "object" && guard !== null && "type" in guard) return String(guard.type)
  return typeof guard === "function" && guard.name ? guard.name : "guard"
}

const eventName = (eventType: string): string => {
  const invoked = /^xstate\.error\.actor\.(.+)$/.exec(eventType)
  return invoked ? `${invoked[1]} throws` : eventType
}

const label = (transition: Transition): string => {
  const guard = guardName(transition.guard)
  return guard === undefined
    ? eventName(transition.eventType)
    : `${eventName(transition.eventType)} [${guard}]`
}

const transitionsOf = (node: AnyStateNode): ReadonlyArray<Transition> =>
  [...node.transitions.values()].flat().filter((t) => t.target !== undefined && t.target.length > 0)

/**
 * A Mermaid `stateDiagram-v2` of the machine. Parallel regions are concurrent sections; a
 * transition a compound state takes from whichever child is active (the region-level `on` of
 * XState) starts from a pseudo-state labelled "any", since Mermaid cannot draw an edge from a
 * composite state into itself.
 */
export const toMermaid = (machine: AnyStateMachine): string => {
  const lines: Array<string> = ["stateDiagram-v2"]
  const edges = (node: AnyStateNode, indent: string) => {
    for (const t of transitionsOf(node)) {
      for (const target of t.target ?? []) {
        const inside = isDescendant(target, node)
        const from = inside ? `${idOf(node)}_any` : idOf(node)
        lines.push(`${indent}${from} --> ${idOf(target)} : ${label(t)}`)
      }
    }
  }
  const hasInnerEdges = (node: AnyStateNode) =>
    transitionsOf(node).some((t) => (t.target ?? []).some((target) => isDescendant(target, node)))

  const body = (node: AnyStateNode, indent: string) => {
    const states = children(node)
    if (node.type === "parallel") {
      states.forEach((region, i) => {
        if (i > 0) lines.push(`${indent}--`)
        declare(region, indent)
      })
    } else {
      const initial = node.initial?.target[0]
      if (initial !== undefined) lines.push(`${indent}[*] --> ${idOf(initial)}`)
      for (const state of states) declare(state, indent)
      if (hasInnerEdges(node)) lines.push(`${indent}state "any" as ${idOf(node)}_any`)
    }
    for (const state of states) {
      if (state.type === "atomic" || state.type === "final") edges(state, indent)
      if (state.type === "final") lines.push(`${indent}${idOf(state)} --> [*]`)
    }
    if (node.type !== "parallel" && hasInnerEdges(node)) edges(node, indent)
  }

  const declare = (node: AnyStateNode, indent: string) => {
    if (node.type === "atomic" || node.type === "final") {
      lines.push(`${indent}state "${node.key}" as ${idOf(node)}`)
      return
    }
    lines.push(`${indent}state "${node.key}" as ${idOf(node)} {`)
    body(node, `${indent}  `)
    lines.push(`${indent}}`)
  }

  body(machine.root, "  ")
  // Transitions of composite states that leave them are drawn at the top level, after every
  // state exists (Mermaid resolves an edge's ends where it is written).
  const composites = (node: AnyStateNode): ReadonlyArray<AnyStateNode> =>
    children(node).flatMap((child) =>
      child.type === "compound" || child.type === "parallel" ? [child, ...composites(child)] : []
    )
  for (const node of composites(machine.root)) {
    for (const t of transitionsOf(node)) {
      for (const target of t.target ?? []) {
        if (!isDescendant(target, node)) lines.push(`  ${idOf(node)} --> ${idOf(target)} : ${label(t)}`)
      }
    }
  }
  return lines.join("\n")
}

/** A Markdown table of every state with its description, in document order. */
export const statesTable = (machine: AnyStateMachine): string => {
  const rows: Array<string> = ["| state | type | what it means |", "| --- | --- | --- |"]
  const walk = (node: AnyStateNode) => {
    for (const child of children(node)) {
      rows.push(`| \`${child.path.join(".")}\` | ${child.type} | ${child.description ?? ""} |`)
      walk(child)
    }
  }
  walk(machine.root)
  return rows.join("\n")
}

/** The generated sections of a document: name → content. */
export const sections = (machine: AnyStateMachine): Record<string, string> => ({
  diagram: ["```mermaid", toMermaid(machine), "```"].join("\n"),
  states: statesTable(machine)
})

/**
 * The document with each `<!-- name:start -->` … `<!-- name:end -->` section replaced by its
 * generated content. Fails on a section the document lacks, so a renamed marker is noticed.
 */
export const updateDocument = (markdown: string, generated: Record<string, string>): string => {
  let out = markdown
  for (const [name, content] of Object.entries(generated)) {
    const start = `<!-- ${name}:start -->`
    const end = `<!-- ${name}:end -->`
    const from = out.indexOf(start)
    const to = out.indexOf(end)
    if (from === -1 || to < from) throw new Error(`the document has no ${start} … ${end} section`)
    out = `${out.slice(0, from + start.length)}\n${content}\n${out.slice(to)}`
  }
  return out
}
