// Hot regions by store, read and write: the load each store carries as leader and as peer,
// and its hottest regions.
import { client, data } from "../api.js";
import { h, replace, section, table } from "../dom.js";
import * as fmt from "../format.js";
import { clusterRoute, freshness, link, warnings } from "./common.js";
export const hot = async ({ cluster, root }) => {
    const [read, write] = await Promise.all(["read", "write"].map((kind) => data(client.GET("/api/v1/clusters/{cluster}/hotspots/{kind}", { params: { path: { cluster, kind } } }))));
    if (!read || !write)
        return;
    replace(root, h("h1", {}, `Hot regions of ${cluster}`), freshness(read), kindSection(cluster, read), kindSection(cluster, write));
};
function kindSection(cluster, answer) {
    const rows = answer.stores.flatMap((store) => [
        ...(store.as_leader ? [{ store, role: "leader", load: store.as_leader }] : []),
        ...(store.as_peer ? [{ store, role: "peer", load: store.as_peer }] : []),
    ]);
    return section(`Hot ${answer.kind} regions`, warnings(answer.warnings), rows.length === 0
        ? h("p", { class: "muted" }, "PD reports no hot regions.")
        : table(`hot-${answer.kind}`, [
            { title: "store", cell: (r) => link(clusterRoute(cluster, "store", r.store.store_id), r.store.store_id), sort: (r) => Number(r.store.store_id), numeric: true },
            { title: "as", cell: (r) => r.role, sort: (r) => r.role },
            { title: "hot regions", cell: (r) => fmt.num(r.load.hot_region_count), sort: (r) => r.load.hot_region_count, numeric: true },
            { title: "hot bytes/s", cell: (r) => `${fmt.bytes(r.load.hot_bytes_per_second)}/s`, sort: (r) => r.load.hot_bytes_per_second, numeric: true },
            { title: "hot keys/s", cell: (r) => fmt.num(r.load.hot_keys_per_second, 0), sort: (r) => r.load.hot_keys_per_second, numeric: true },
            { title: "store bytes/s", cell: (r) => `${fmt.bytes(r.load.store_bytes_per_second)}/s`, sort: (r) => r.load.store_bytes_per_second, numeric: true },
            {
                title: "hottest regions",
                wrap: true,
                cell: (r) => [...r.load.regions]
                    .sort((a, b) => b.bytes_per_second - a.bytes_per_second)
                    .slice(0, 3)
                    .map((x) => `${x.region_id} (${fmt.bytes(x.bytes_per_second)}/s)`)
                    .join(", ") || "–",
            },
        ], rows));
}
