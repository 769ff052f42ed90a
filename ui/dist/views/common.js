// What every view shares: its context, links between views, and how a failure is shown.
import { ApiFailure } from "../api.js";
import { badge, h } from "../dom.js";
export function link(route, ...children) {
    return h("a", { href: `#/${route}` }, ...children);
}
export function clusterRoute(cluster, view, ...args) {
    return ["c", encodeURIComponent(cluster), view, ...args.map(encodeURIComponent)].join("/");
}
/** A failed call as the page shows it: the problem's title, detail and upstream. */
export function failure(error) {
    if (error instanceof ApiFailure) {
        const p = error.problem;
        return h("div", { class: "problem", role: "alert" }, h("strong", {}, p ? p.title : error.message), p ? h("div", {}, p.detail) : null, p?.upstream ? h("div", { class: "muted" }, `upstream: ${p.upstream}${p.upstream_status ? ` (HTTP ${p.upstream_status})` : ""}`) : null);
    }
    return h("div", { class: "problem", role: "alert" }, String(error));
}
/** The warnings an answer carries (a part that could not be read), shown above the view. */
export function warnings(list) {
    if (list.length === 0)
        return null;
    return h("ul", { class: "warnings" }, ...list.map((w) => h("li", {}, badge(w.source, "warning"), " ", w.message)));
}
/** The line under a view's title: when the data was read, and whether it is a stale copy. */
export function freshness(meta) {
    return h("p", { class: "muted freshness" }, `read ${new Date(meta.observed_at).toLocaleTimeString()}`, meta.stale ? h("span", { class: "badge badge-warning" }, "stale: upstream unreachable, last good answer") : null);
}
const STATUS_ORDER = { critical: 0, warning: 1, unknown: 2, ok: 3 };
export function byStatus(a, b) {
    return STATUS_ORDER[a.status] - STATUS_ORDER[b.status] || a.id.localeCompare(b.id);
}
/** A check with its evidence: the numbers, thresholds and ids that decided it. */
export function checkRow(c) {
    const e = c.evidence;
    const values = Object.entries(e.values);
    return h("li", { class: `check check-${c.status}`, "data-check": c.id, "data-status": c.status }, h("div", { class: "check-head" }, badge(c.status), " ", h("strong", {}, c.id), " ", c.summary), h("div", { class: "evidence" }, values.length > 0 ? h("span", {}, values.map(([k, v]) => `${k} = ${Number.isFinite(v) ? +v.toFixed(4) : v}`).join(", ")) : null, e.warning_threshold !== null ? h("span", {}, ` · warning at ${e.warning_threshold}`) : null, e.critical_threshold !== null ? h("span", {}, ` · critical at ${e.critical_threshold}`) : null, e.store_ids.length > 0 ? h("span", {}, ` · stores ${e.store_ids.join(", ")}`) : null, e.names.length > 0 ? h("span", {}, ` · ${e.names.join(", ")}`) : null), h("div", { class: "source muted" }, h("code", {}, c.source)));
}
