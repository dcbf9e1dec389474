// A tiny element builder: text is always set as text, never parsed as HTML.

type Child = Node | string | number | null | undefined | false;
type Props = Record<string, string | number | boolean | null | undefined>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") element.className = String(value);
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  element.append(...children.filter(isChild).map(toNode));
  return element;
}

function isChild(child: Child): child is Node | string | number {
  return child !== null && child !== undefined && child !== false;
}

function toNode(child: Node | string | number): Node | string {
  return typeof child === "number" ? String(child) : child;
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`#${id} is missing from index.html`);
  return element as T;
}

/** Replace all children of ``parent``. */
export function fill(parent: Element, ...children: Child[]): void {
  parent.replaceChildren(...children.filter(isChild).map(toNode));
}
