// A few DOM helpers: elements built from data with textContent only (never innerHTML, so
// nothing PD or a label says can become markup), and a sortable table.

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | null | undefined | ((e: Event) => void)>;

/** `h("td", { class: "num" }, "42")`: an element with attributes, listeners and children. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (typeof value === "function") el.addEventListener(name.replace(/^on/, ""), value);
    else if (value === true) el.setAttribute(name, "");
    else el.setAttribute(name, String(value));
  }
  append(el, children);
  return el;
}

export function append(parent: Node, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces everything inside `parent`. */
export function replace(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, children);
}

/** A status badge: `ok`, `warning`, `critical`, `unknown`, or a store state. */
export function badge(text: string, kind: string = text): HTMLSpanElement {
  return h("span", { class: `badge badge-${kind}` }, text);
}

export interface Column<T> {
  title: string;
  /** What the cell shows. */
  cell: (row: T) => Child;
  /** What the column sorts by; without it the column does not sort. */
  sort?: (row: T) => number | string | null;
  numeric?: boolean;
  /** Long text that may wrap (cells do not, by default). */
  wrap?: boolean;
}

/**
 * A table whose sortable headers re-sort it on click (again: the other way). Rows without a
 * value sort last either way. `key` names the table so that its sort survives a refresh.
 */
export function table<T>(
  key: string,
  columns: Column<T>[],
  rows: T[],
  rowAttrs: (row: T) => Attrs = () => ({}),
): HTMLTableElement {
  const state = sortState.get(key);
  const sorted = [...rows];
  const column = state ? columns[state.column] : undefined;
  if (state && column?.sort) {
    const by = column.sort;
    sorted.sort((a, b) => compare(by(a), by(b), state.descending));
  }
  const head = h(
    "tr",
    {},
    ...columns.map((c, i) => {
      const active = state?.column === i;
      const arrow = active ? (state?.descending ? " ▾" : " ▴") : "";
      const th = h("th", { class: c.numeric ? "num" : null }, c.title + arrow);
      if (c.sort) {
        th.classList.add("sortable");
        th.setAttribute("aria-sort", active ? (state?.descending ? "descending" : "ascending") : "none");
        th.addEventListener("click", () => {
          sortState.set(key, { column: i, descending: active ? !state?.descending : false });
          const fresh = table(key, columns, rows, rowAttrs);
          tableEl.replaceWith(fresh);
        });
      }
      return th;
    }),
  );
  const body = h(
    "tbody",
    {},
    ...sorted.map((row) =>
      h("tr", rowAttrs(row), ...columns.map((c) => h("td", { class: c.numeric ? "num" : c.wrap ? "wrap" : null }, c.cell(row)))),
    ),
  );
  const tableEl = h("table", { class: "grid", "data-table": key }, h("thead", {}, head), body);
  return tableEl;
}

const sortState = new Map<string, { column: number; descending: boolean }>();

function compare(a: number | string | null, b: number | string | null, descending: boolean): number {
  if (a === null && b === null) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  const order = typeof a === "number" && typeof b === "number" ? a - b : String(a).localeCompare(String(b));
  return descending ? -order : order;
}

/** A labelled value for the summary cards. */
export function stat(label: string, value: Child, hint?: string): HTMLDivElement {
  return h("div", { class: "stat" }, h("div", { class: "stat-label" }, label), h("div", { class: "stat-value", title: hint ?? null }, value));
}

export function section(title: string, ...children: Child[]): HTMLElement {
  return h("section", { class: "card" }, h("h2", {}, title), ...children);
}
