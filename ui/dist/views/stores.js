// The stores table: state, labels, sizes, and each store's current metrics from Prometheus
// (`include=metrics`), sortable by any number.
import { client, data } from "../api.js";
import { badge, h, replace, section, table } from "../dom.js";
import * as fmt from "../format.js";
import { clusterRoute, freshness, link, warnings } from "./common.js";
export const stores = async ({ cluster, root }) => {
    const answer = await data(client.GET("/api/v1/clusters/{cluster}/stores", {
        params: { path: { cluster }, query: { include: ["metrics"] } },
    }));
    replace(root, h("h1", {}, `Stores of ${cluster}`), freshness(answer), warnings(answer.warnings), section(`${answer.count} stores`, table("stores", [
        { title: "id", cell: (s) => link(clusterRoute(cluster, "store", s.id), s.id), sort: (s) => Number(s.id), numeric: true },
        { title: "address", cell: (s) => s.address, sort: (s) => s.address },
        { title: "state", cell: (s) => badge(s.state), sort: (s) => s.state },
        { title: "labels", wrap: true, cell: (s) => labels(s.labels) },
        { title: "version", cell: (s) => s.version ?? "–", sort: (s) => s.version },
        { title: "used", cell: (s) => fmt.bytes(s.used_bytes), sort: (s) => s.used_bytes, numeric: true },
        { title: "available", cell: (s) => fmt.bytes(s.available_bytes), sort: (s) => s.available_bytes, numeric: true },
        { title: "capacity", cell: (s) => fmt.bytes(s.capacity_bytes), sort: (s) => s.capacity_bytes, numeric: true },
        { title: "leaders", cell: (s) => fmt.num(s.leader_count), sort: (s) => s.leader_count, numeric: true },
        { title: "regions", cell: (s) => fmt.num(s.region_count), sort: (s) => s.region_count, numeric: true },
        { title: "CPU cores", cell: (s) => fmt.num(s.metrics?.cpu_cores), sort: (s) => s.metrics?.cpu_cores ?? null, numeric: true },
        { title: "memory", cell: (s) => fmt.bytes(s.metrics?.memory_resident_bytes), sort: (s) => s.metrics?.memory_resident_bytes ?? null, numeric: true },
        { title: "gRPC /s", cell: (s) => fmt.num(s.metrics?.grpc_requests_per_second, 0), sort: (s) => s.metrics?.grpc_requests_per_second ?? null, numeric: true },
        { title: "gRPC p99", cell: (s) => fmt.latency(s.metrics?.grpc_p99_latency_seconds), sort: (s) => s.metrics?.grpc_p99_latency_seconds ?? null, numeric: true },
        { title: "last heartbeat", cell: (s) => fmt.when(s.last_heartbeat_at), sort: (s) => s.last_heartbeat_at },
    ], answer.stores, (s) => ({ "data-store-id": s.id, "data-state": s.state }))));
};
function labels(map) {
    const entries = Object.entries(map);
    return entries.length === 0 ? "–" : entries.map(([k, v]) => `${k}=${v}`).join(" ");
}
