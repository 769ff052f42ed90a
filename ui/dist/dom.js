// A few DOM helpers: elements built from data with textContent only (never innerHTML, so
// nothing PD or a label says can become markup), and a sortable table.
/** `h("td", { class: "num" }, "42")`: an element with attributes, listeners and children. */
export function h(tag, attrs = {}, ...children) {
    const el = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs)) {
        if (value === null || value === undefined || value === false)
            continue;
        if (typeof value === "function")
            el.addEventListener(name.replace(/^on/, ""), value);
        else if (value === true)
            el.setAttribute(name, "");
        else
            el.setAttribute(name, String(value));
    }
    append(el, children);
    return el;
}
export function append(parent, children) {
    for (const child of children) {
        if (child === null || child === undefined || child === false)
            continue;
        parent.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
    }
}
/** Replaces everything inside `parent`. */
export function replace(parent, ...children) {
    parent.replaceChildren();
    append(parent, children);
}
/** A status badge: `ok`, `warning`, `critical`, `unknown`, or a store state. */
export function badge(text, kind = text) {
    return h("span", { class: `badge badge-${kind}` }, text);
}
/**
 * A table whose sortable headers re-sort it on click (again: the other way). Rows without a
 * value sort last either way. `key` names the table so that its sort survives a refresh.
 */
export function table(key, columns, rows, rowAttrs = () => ({})) {
    const state = sortState.get(key);
    const sorted = [...rows];
    const column = state ? columns[state.column] : undefined;
    if (state && column?.sort) {
        const by = column.sort;
        sorted.sort((a, b) => compare(by(a), by(b), state.descending));
    }
    const head = h("tr", {}, ...columns.map((c, i) => {
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
    }));
    const body = h("tbody", {}, ...sorted.map((row) => h("tr", rowAttrs(row), ...columns.map((c) => h("td", { class: c.numeric ? "num" : c.wrap ? "wrap" : null }, c.cell(row))))));
    const tableEl = h("table", { class: "grid", "data-table": key }, h("thead", {}, head), body);
    return tableEl;
}
const sortState = new Map();
function compare(a, b, descending) {
    if (a === null && b === null)
        return 0;
    if (a === null)
        return 1;
    if (b === null)
        return -1;
    const order = typeof a === "number" && typeof b === "number" ? a - b : String(a).localeCompare(String(b));
    return descending ? -order : order;
}
/** A labelled value for the summary cards. */
export function stat(label, value, hint) {
    return h("div", { class: "stat" }, h("div", { class: "stat-label" }, label), h("div", { class: "stat-value", title: hint ?? null }, value));
}
export function section(title, ...children) {
    return h("section", { class: "card" }, h("h2", {}, title), ...children);
}
