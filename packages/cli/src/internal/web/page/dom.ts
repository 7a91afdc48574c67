/** The page's few DOM helpers: elements with attributes and children, text set only when it changed. */

type Child = Node | string

/** An HTML element with attributes (`undefined` ones left out) and children. */
export const h = <K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Readonly<Record<string, string | undefined>> = {},
  children: ReadonlyArray<Child> = []
): HTMLElementTagNameMap[K] => {
  const element = document.createElement(tag)
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== undefined) element.setAttribute(name, value)
  }
  element.append(...children)
  return element
}

const SVG = "http://www.w3.org/2000/svg"

/** An SVG element with attributes and children. */
export const s = <K extends keyof SVGElementTagNameMap>(
  tag: K,
  attributes: Readonly<Record<string, string | number>> = {},
  children: ReadonlyArray<Child> = []
): SVGElementTagNameMap[K] => {
  const element = document.createElementNS(SVG, tag)
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value))
  element.append(...children)
  return element
}

/**
 * A table cell labelled for the narrow layout (the style sheet shows `data-label` before the value
 * when a row becomes a card, at 375 px).
 */
export const cell = (
  label: string,
  children: ReadonlyArray<Child>,
  className?: string
): HTMLTableCellElement => h("td", { "data-label": label, class: className }, children)

/** Sets a node's text, touching the DOM only when it differs (most updates change few cells). */
export const setText = (node: Node, text: string): void => {
  if (node.textContent !== text) node.textContent = text
}

/** Sets or removes an attribute, only when it differs. */
export const setAttribute = (element: Element, name: string, value: string | null): void => {
  if (value === null) {
    if (element.hasAttribute(name)) element.removeAttribute(name)
  } else if (element.getAttribute(name) !== value) element.setAttribute(name, value)
}

/** The element with this ID, which the page's HTML has. */
export const byId = <E extends Element = HTMLElement>(id: string): E => {
  const element = document.getElementById(id)
  if (element === null) throw new Error(`the page has no #${id}`)
  return element as unknown as E
}
