// What PD is doing: schedulers (paused, and what the evict/grant ones hold), operators in
// flight, and every store being added or removed with its progress, ETA and blockers.
import { client, data } from "../api.js";
import { badge, h, replace, section, table } from "../dom.js";
import * as fmt from "../format.js";
import { clusterRoute, failure, link, warnings } from "./common.js";
export const operations = async ({ cluster, root }) => {
    const path = { path: { cluster } };
    const [schedulers, operators, stores] = await Promise.allSettled([
        data(client.GET("/api/v1/clusters/{cluster}/schedulers", { params: path })),
        data(client.GET("/api/v1/clusters/{cluster}/operators", { params: path })),
        // Every state: a store being removed is `offline`, one being added is `up` but preparing.
        data(client.GET("/api/v1/clusters/{cluster}/stores", { params: { path: { cluster }, query: { state: ["up", "offline", "disconnected", "down"] } } })),
    ]);
    const moving = stores.status === "fulfilled" ? stores.value.stores.filter((s) => s.state === "offline" || s.node_state === "preparing" || s.node_state === "removing") : [];
    const progress = await Promise.allSettled(moving.map((s) => data(client.GET("/api/v1/clusters/{cluster}/stores/{store_id}/progress", { params: { path: { cluster, store_id: s.id } } }))));
    replace(root, h("h1", {}, `Operations of ${cluster}`), section("Scale-in and scale-out", stores.status === "rejected" ? failure(stores.reason) : moving.length === 0 ? h("p", { class: "muted" }, "No store is being added or removed.") : null, ...progress.map((p) => (p.status === "fulfilled" ? progressCard(cluster, p.value) : failure(p.reason)))), schedulers.status === "fulfilled" ? schedulersCard(schedulers.value) : section("Schedulers", failure(schedulers.reason)), operators.status === "fulfilled" ? operatorsCard(operators.value) : section("Operators in flight", failure(operators.reason)));
};
function progressCard(cluster, p) {
    const fill = h("div", { class: "bar-fill" });
    fill.style.width = `${((p.progress ?? 0) * 100).toFixed(1)}%`;
    return h("div", { class: "progress", "data-progress-store": p.store_id }, h("h3", {}, link(clusterRoute(cluster, "store", p.store_id), `store ${p.store_id}`), " ", badge(p.action ?? "idle", "info"), " ", badge(p.state)), warnings(p.warnings), h("div", { class: "bar" }, fill), h("p", {}, `${fmt.percent(p.progress)} done, ${fmt.num(p.regions_left)} regions left, `, `${fmt.bytes(p.speed_bytes_per_second)}/s, ETA ${fmt.duration(p.eta_seconds)}`, p.source === "tikv_lens" ? h("span", { class: "muted" }, " (computed by tikv-lens: PD has no progress for it)") : null), p.blockers.length > 0
        ? h("ul", { class: "blockers" }, ...p.blockers.map((b) => h("li", { "data-blocker": b.kind }, badge("blocked", "critical"), " ", b.message, " ", h("code", { class: "muted" }, b.source))))
        : h("p", { class: "muted" }, "Nothing blocks it."));
}
function schedulersCard(list) {
    return section(`Schedulers (${list.count})`, warnings(list.warnings), table("schedulers", [
        { title: "name", cell: (s) => s.name, sort: (s) => s.name },
        { title: "kind", cell: (s) => s.kind, sort: (s) => s.kind },
        { title: "status", cell: (s) => (s.status ? badge(s.status, s.status === "running" ? "ok" : "warning") : badge("unknown")), sort: (s) => s.status },
        { title: "paused until", cell: (s) => fmt.when(s.paused_until) },
        { title: "holds stores", cell: (s) => s.config?.store_ids?.join(", ") ?? "–" },
    ], list.schedulers));
}
function operatorsCard(list) {
    return section(`Operators in flight (${list.count})`, warnings(list.warnings), list.count === 0
        ? h("p", { class: "muted" }, "None.")
        : table("operators", [
            { title: "region", cell: (o) => o.region_id ?? "–", sort: (o) => (o.region_id === null ? null : Number(o.region_id)), numeric: true },
            { title: "kind", cell: (o) => o.kind.join(", ") },
            { title: "description", wrap: true, cell: (o) => o.description },
            { title: "brief", wrap: true, cell: (o) => o.brief },
            { title: "from → to", cell: (o) => `${o.from_store_ids?.join(",") ?? "?"} → ${o.to_store_ids?.join(",") ?? "?"}` },
            { title: "status", cell: (o) => o.status ?? "–" },
            { title: "created", cell: (o) => fmt.when(o.created_at), sort: (o) => o.created_at },
            { title: "timeout", cell: (o) => fmt.duration(o.timeout_seconds), numeric: true },
        ], list.operators));
}
