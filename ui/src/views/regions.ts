// Region lookup, by id or by key (hex, as region boundaries show it), with the boundaries
// decoded as TiDB keys, the peers and their roles, and the region's health.

import { ApiFailure, client, data } from "../api.js";
import type { Schemas } from "../api.js";
import { badge, h, replace, section, table } from "../dom.js";
import * as fmt from "../format.js";
import { clusterRoute, failure, freshness, link } from "./common.js";
import type { View } from "./common.js";

export const regions: View = async ({ cluster, args, root }) => {
  const query = args[0] ?? "";
  const input = h("input", { name: "region", placeholder: "region id, or a key in hex (e.g. 7480000000000000FF2F5F72…)", value: query, size: 60, autocomplete: "off" });
  const form = h("form", { class: "lookup" }, input, h("button", { type: "submit" }, "Look up"));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    location.hash = `#/${clusterRoute(cluster, "regions", input.value.trim())}`;
  });
  const result = h("div", { "data-region-result": "" });
  replace(root, h("h1", {}, `Regions of ${cluster}`), form, result);
  if (query === "") {
    replace(result, h("p", { class: "muted" }, "A decimal number is a region id; anything else is a key in hex. An empty key finds the first region."));
    return;
  }
  try {
    const answer = /^\d+$/.test(query)
      ? await data(client.GET("/api/v1/clusters/{cluster}/regions/{region_id}", { params: { path: { cluster, region_id: query } } }))
      : await data(client.GET("/api/v1/clusters/{cluster}/regions/by-key", { params: { path: { cluster }, query: { key: query } } }));
    replace(result, regionCard(cluster, answer));
  } catch (e) {
    if (e instanceof ApiFailure && e.status === 401) throw e;
    replace(result, failure(e));
  }
};

function regionCard(cluster: string, answer: Schemas["RegionDetail"]): HTMLElement {
  const r = answer.region;
  return section(
    `Region ${r.id}`,
    freshness(answer),
    h(
      "table",
      { class: "kv", "data-region-id": r.id },
      h(
        "tbody",
        {},
        row("start key", h("code", {}, r.start_key || "(start of the key space)")),
        row("start key decoded", decoded(r.start_key_decoded)),
        row("end key", h("code", {}, r.end_key || "(end of the key space)")),
        row("end key decoded", decoded(r.end_key_decoded)),
        row("epoch", `version ${r.epoch.version}, conf_ver ${r.epoch.conf_ver}`),
        row("size", `${fmt.bytes(r.approximate_size_bytes)}, ${fmt.num(r.approximate_keys)} keys`),
        row("written / read", `${fmt.bytes(r.written_bytes)} / ${fmt.bytes(r.read_bytes)}`),
        row("leader", r.leader ? `peer ${r.leader.id} on store ${r.leader.store_id}` : "none"),
      ),
    ),
    table<Schemas["Peer"]>(
      "region-peers",
      [
        { title: "peer", cell: (p) => p.id },
        { title: "store", cell: (p) => link(clusterRoute(cluster, "store", p.store_id), p.store_id) },
        { title: "role", cell: (p) => p.role + (p.is_witness ? " (witness)" : "") },
        {
          title: "health",
          cell: (p) => {
            const down = r.down_peers.find((d) => d.peer.id === p.id);
            if (down) return badge(`down ${fmt.duration(down.down_seconds)}`, "critical");
            if (r.pending_peers.some((x) => x.id === p.id)) return badge("pending", "warning");
            return r.leader?.id === p.id ? badge("leader", "ok") : badge("ok");
          },
        },
      ],
      r.peers,
    ),
  );
}

function row(label: string, value: Node | string): HTMLTableRowElement {
  return h("tr", {}, h("th", {}, label), h("td", {}, value));
}

function decoded(key: Schemas["DecodedKey"] | null): Node | string {
  if (!key) return "not a TiDB key";
  const parts: string[] = [key.kind];
  if (key.keyspace_id !== null) parts.push(`keyspace ${key.keyspace_id}`);
  if (key.table_id !== null) parts.push(`table ${key.table_id}`);
  if (key.row_handle !== null) parts.push(`row ${key.row_handle}`);
  if (key.common_handle_hex !== null) parts.push(`handle 0x${key.common_handle_hex}`);
  if (key.index_id !== null) parts.push(`index ${key.index_id}`);
  if (key.index_values_hex !== null) parts.push(`values 0x${key.index_values_hex}`);
  if (key.truncated) parts.push("(truncated)");
  return parts.join(", ");
}
