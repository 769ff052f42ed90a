// One store: its PD record and charts of its columnar series (`/stores/{id}/metrics`), drawn
// with uPlot, which takes exactly the API's shape: one timestamps array and a column per metric.
import { client, data } from "../api.js";
import { badge, h, replace, section, stat } from "../dom.js";
import * as fmt from "../format.js";
import uPlot from "../vendor/uPlot.esm.js";
import { freshness, warnings } from "./common.js";
const CHARTS = [
    { title: "CPU (cores)", series: [{ label: "cores", column: "cpu_cores" }], value: (v) => fmt.num(v) },
    { title: "Resident memory", series: [{ label: "resident", column: "memory_resident_bytes" }], value: (v) => fmt.bytes(v) },
    { title: "gRPC requests per second", series: [{ label: "requests/s", column: "grpc_requests_per_second" }], value: (v) => fmt.num(v, 0) },
    { title: "gRPC p99 latency", series: [{ label: "p99", column: "grpc_p99_latency_seconds" }], value: (v) => fmt.latency(v) },
    {
        title: "Regions and leaders",
        series: [
            { label: "regions", column: "region_count" },
            { label: "leaders", column: "leader_count" },
        ],
        value: (v) => fmt.num(v, 0),
    },
    {
        title: "Storage",
        series: [
            { label: "used", column: "used_bytes" },
            { label: "available", column: "available_bytes" },
            { label: "capacity", column: "capacity_bytes" },
        ],
        value: (v) => fmt.bytes(v),
    },
];
const COLORS = ["#2b6cb0", "#c05621", "#2f855a"];
/** Charts drawn by the last render, destroyed by the next one. */
let drawn = [];
export const store = async ({ cluster, args, root }) => {
    const storeId = args[0] ?? "";
    const path = { cluster, store_id: storeId };
    const [detail, series] = await Promise.all([
        data(client.GET("/api/v1/clusters/{cluster}/stores/{store_id}", { params: { path } })),
        data(client.GET("/api/v1/clusters/{cluster}/stores/{store_id}/metrics", { params: { path, query: { step: "30s" } } })),
    ]);
    const s = detail.store;
    drawn.forEach((chart) => chart.destroy());
    drawn = [];
    const grid = h("div", { class: "charts" });
    replace(root, h("h1", {}, `Store ${s.id} `, badge(s.state)), freshness(series), warnings([...detail.warnings, ...series.warnings]), h("div", { class: "stats" }, stat("address", s.address), stat("instance", series.instance), stat("version", s.version ?? "–"), stat("uptime", fmt.duration(s.uptime_seconds)), stat("leaders / regions", `${fmt.num(s.leader_count)} / ${fmt.num(s.region_count)}`), stat("last heartbeat", fmt.when(s.last_heartbeat_at))), section(`Last hour, one point every ${series.step_seconds} s`, grid));
    const xs = series.timestamps_ms.map((ms) => ms / 1000);
    for (const chart of CHARTS) {
        const cell = h("figure", { class: "chart", "data-chart": chart.series.map((x) => x.column).join(",") }, h("figcaption", {}, chart.title));
        grid.appendChild(cell);
        const columns = chart.series.map((x) => series.metrics[x.column]);
        const points = columns.reduce((n, col) => n + col.filter((v) => v !== null).length, 0);
        cell.dataset["points"] = String(points);
        drawn.push(new uPlot({
            width: 460,
            height: 200,
            series: [
                {},
                ...chart.series.map((x, i) => ({
                    label: x.label,
                    stroke: COLORS[i % COLORS.length] ?? "#333",
                    width: 1.5,
                    spanGaps: false,
                    value: (_u, v) => (v === null ? "–" : chart.value(v)),
                })),
            ],
            axes: [{}, { values: (_u, ticks) => ticks.map(chart.value), size: 70 }],
        }, [xs, ...columns], cell));
    }
};
