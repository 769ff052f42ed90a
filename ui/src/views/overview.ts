// One cluster at a glance: PD (leader, members), stores by state, storage with its runway,
// region health, and every check with its evidence.

import { client, data } from "../api.js";
import type { Schemas } from "../api.js";
import { badge, h, replace, section, stat, table } from "../dom.js";
import * as fmt from "../format.js";
import { byStatus, checkRow, failure, freshness, warnings } from "./common.js";
import type { View } from "./common.js";

export const overview: View = async ({ cluster, root }) => {
  const path = { path: { cluster } };
  const [overviewAnswer, members, checks] = await Promise.allSettled([
    data(client.GET("/api/v1/clusters/{cluster}", { params: path })),
    data(client.GET("/api/v1/clusters/{cluster}/members", { params: path })),
    data(client.GET("/api/v1/clusters/{cluster}/checks", { params: path })),
  ]);
  if (overviewAnswer.status === "rejected") throw overviewAnswer.reason;
  const o = overviewAnswer.value;
  const runway = checks.status === "fulfilled" ? checks.value.checks.find((c) => c.id === "capacity-runway")?.evidence.values["min_runway_days"] : undefined;

  replace(
    root,
    h("h1", {}, `Cluster ${o.name}`, " ", badge(o.checks.worst_status)),
    freshness(o),
    warnings(o.warnings),
    h(
      "div",
      { class: "stats" },
      stat("PD version", o.pd.version ?? "–"),
      stat("PD leader", o.pd.leader?.name ?? "none"),
      stat("PD members healthy", `${fmt.num(o.pd.healthy_member_count)} / ${fmt.num(o.pd.member_count)}`),
      stat("regions", fmt.num(o.region_count)),
      stat("gRPC requests", o.metrics ? `${fmt.num(o.metrics.grpc_requests_per_second, 0)} /s` : "–"),
      stat("gRPC p99", fmt.latency(o.metrics?.grpc_p99_latency_seconds)),
    ),
    h("div", { class: "columns" }, storesCard(o.stores), storageCard(o.storage, runway), healthCard(o.region_health)),
    members.status === "fulfilled" ? membersCard(members.value) : section("PD members", failure(members.reason)),
    checks.status === "fulfilled" ? checksCard(checks.value) : section("Checks", failure(checks.reason)),
  );
};

function storesCard(s: Schemas["StoreStateCounts"] | null): HTMLElement {
  if (!s) return section("Stores", "unknown");
  const states: Array<[string, number]> = [
    ["up", s.up],
    ["disconnected", s.disconnected],
    ["down", s.down],
    ["offline", s.offline],
    ["tombstone", s.tombstone],
    ["unknown", s.unknown],
  ];
  return section(
    "Stores",
    h("div", { class: "big" }, `${s.total}`),
    h("ul", { class: "compact", "data-store-counts": "" }, ...states.filter(([, n]) => n > 0).map(([state, n]) => h("li", { "data-state": state }, badge(state), ` ${n}`))),
    s.tiflash > 0 ? h("p", { class: "muted" }, `${s.tiflash} TiFlash`) : null,
  );
}

function storageCard(s: Schemas["StorageTotals"] | null, runwayDays: number | undefined): HTMLElement {
  if (!s) return section("Storage", "unknown");
  const used = s.capacity_bytes > 0 ? (s.capacity_bytes - s.available_bytes) / s.capacity_bytes : 0;
  // Set through the CSSOM: the page's Content-Security-Policy forbids inline style attributes.
  const fill = h("div", { class: "bar-fill" });
  fill.style.width = `${(used * 100).toFixed(1)}%`;
  return section(
    "Storage",
    h("div", { class: "big" }, fmt.percent(used)),
    h("div", { class: "bar" }, fill),
    h("p", {}, `${fmt.bytes(s.used_bytes)} used, ${fmt.bytes(s.available_bytes)} available of ${fmt.bytes(s.capacity_bytes)} on ${s.store_count} stores`),
    h("p", {}, "runway: ", h("strong", {}, runwayDays === undefined ? "unknown" : fmt.days(runwayDays))),
  );
}

function healthCard(r: Schemas["RegionHealthCounts"] | null): HTMLElement {
  if (!r) return section("Region health", "unknown");
  const rows: Array<[string, number | null]> = [
    ["miss peer", r.miss_peer],
    ["down peer", r.down_peer],
    ["pending peer", r.pending_peer],
    ["extra peer", r.extra_peer],
    ["offline peer", r.offline_peer],
    ["learner peer", r.learner_peer],
    ["empty", r.empty],
    ["oversized", r.oversized],
    ["undersized", r.undersized],
  ];
  return section(
    "Region health",
    h("table", { class: "kv" }, h("tbody", {}, ...rows.map(([k, v]) => h("tr", { class: v ? "nonzero" : null }, h("th", {}, k), h("td", { class: "num" }, fmt.num(v)))))),
  );
}

function membersCard(m: Schemas["MemberList"]): HTMLElement {
  return section(
    "PD members",
    table<Schemas["Member"]>("members", [
      { title: "name", cell: (x) => x.name, sort: (x) => x.name },
      { title: "role", cell: (x) => (x.is_leader ? badge("leader", "ok") : "follower") },
      { title: "healthy", cell: (x) => (x.healthy === null ? badge("unknown") : x.healthy ? badge("healthy", "ok") : badge("unhealthy", "critical")) },
      { title: "version", cell: (x) => x.binary_version ?? "–" },
      { title: "client URLs", cell: (x) => x.client_urls.join(", ") },
    ], m.members),
  );
}

function checksCard(list: Schemas["CheckList"]): HTMLElement {
  const c = list.summary.counts;
  return section(
    "Checks",
    h("p", {}, `${c.critical} critical, ${c.warning} warning, ${c.unknown} unknown, ${c.ok} ok`),
    h("ul", { class: "checks", "data-checks": "" }, ...[...list.checks].sort(byStatus).map(checkRow)),
  );
}
