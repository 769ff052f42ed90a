// The fleet: every configured cluster side by side, with its worst check.
import { client, data } from "../api.js";
import { badge, h, replace, section, table } from "../dom.js";
import * as fmt from "../format.js";
import { clusterRoute, link, warnings } from "./common.js";
export const fleet = async ({ root }) => {
    const answer = await data(client.GET("/api/v1/fleet"));
    const rows = answer.clusters;
    replace(root, h("h1", {}, "Fleet"), warnings(answer.warnings), section(`${rows.length} cluster${rows.length === 1 ? "" : "s"}`, table("fleet", [
        { title: "cluster", cell: (r) => link(clusterRoute(r.name, "overview"), r.name), sort: (r) => r.name },
        { title: "status", cell: (r) => (r.checks ? badge(r.checks.worst_status) : badge(r.answered ? "unknown" : "no answer", "unknown")), sort: (r) => r.checks?.worst_status ?? null },
        { title: "version", cell: (r) => r.version ?? "–", sort: (r) => r.version },
        { title: "stores up", cell: (r) => (r.stores ? `${r.stores.up} / ${r.stores.total}` : "–"), sort: (r) => r.stores?.up ?? null, numeric: true },
        { title: "down / disconnected", cell: (r) => (r.stores ? `${r.stores.down} / ${r.stores.disconnected}` : "–"), numeric: true },
        { title: "used", cell: (r) => (r.storage ? `${fmt.bytes(r.storage.used_bytes)} of ${fmt.bytes(r.storage.capacity_bytes)}` : "–"), sort: (r) => r.storage?.used_bytes ?? null, numeric: true },
        { title: "runway", cell: (r) => fmt.days(r.runway_days), sort: (r) => r.runway_days, numeric: true },
        { title: "checks not ok", wrap: true, cell: (r) => notOk(r) },
    ], rows)));
};
function notOk(r) {
    if (!r.answered)
        return r.warnings.map((w) => w.message).join("; ") || "no answer in time";
    if (r.not_ok.length === 0)
        return "none";
    return h("ul", { class: "compact" }, ...r.not_ok.map((c) => h("li", {}, badge(c.status), " ", h("strong", {}, c.id), " ", c.summary)));
}
