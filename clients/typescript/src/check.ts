// A small dashboard client written against the types openapi-typescript generates from
// openapi/openapi.json (src/generated/api.d.ts). It is compiled, never run: it checks that the
// document gives a client what it needs, strictly (`--strict --exactOptionalPropertyTypes`).
// It must not compile when a field the API always sends is declared optional, when a required
// parameter is declared optional, or when an answer's type does not match its schema.

import type { components, operations, paths } from "./generated/api";

type Schemas = components["schemas"];
type Store = Schemas["Store"];
type StoreList = Schemas["StoreList"];
type RegionPage = Schemas["RegionPage"];
type RangeQueryResult = Schemas["RangeQueryResult"];
type Problem = Schemas["Problem"];
type LiveEvent = Schemas["Event"];

/** The JSON a GET of `P` answers with `S`, as the document's paths say. */
type Answer<P extends keyof paths, S extends number = 200> =
  paths[P]["get"] extends { responses: infer R }
    ? S extends keyof R
      ? R[S] extends { content: infer C }
        ? C[keyof C]
        : never
      : never
    : never;

type QueryOf<O extends keyof operations> = operations[O]["parameters"] extends {
  query?: infer Q;
}
  ? Q
  : never;

// ---- Every field is sent: no schema has an optional property. ----

/** The keys of `T` that may be missing. */
type OptionalKeys<T> = {
  [K in keyof T]-?: object extends Pick<T, K> ? K : never;
}[keyof T];

/** The schemas with a property declared optional (none: the API never omits a field). */
type SchemasWithOptionalFields = {
  [N in keyof Schemas]: Schemas[N] extends readonly unknown[]
    ? never
    : Schemas[N] extends object
      ? [OptionalKeys<Schemas[N]>] extends [never]
        ? never
        : N
      : never;
}[keyof Schemas];

// A compile error here names the schema whose property became optional.
const noOptionalFields: [SchemasWithOptionalFields] extends [never]
  ? true
  : { schemas_with_optional_fields: SchemasWithOptionalFields } = true;

// ---- The paths answer with the component schemas. ----

const sameStoreList = (answer: Answer<"/api/v1/clusters/{cluster}/stores">): StoreList => answer;
const sameRegionPage = (answer: Answer<"/api/v1/clusters/{cluster}/regions">): RegionPage =>
  answer;
const sameProblem = (answer: Answer<"/api/v1/clusters/{cluster}/regions", 400>): Problem =>
  answer;
// The event stream's messages: each `data` is one `Event`.
const sameEvent = (answer: Answer<"/api/v1/clusters/{cluster}/events">): LiveEvent => answer;

// ---- A client. ----

class ApiProblem extends Error {
  constructor(readonly problem: Problem) {
    super(`${problem.title}: ${problem.detail}`);
  }
}

/** What a dashboard says about a problem. */
function explain(problem: Problem): string {
  // `type` is an enum of URNs: comparing it with a type the API does not list fails to compile.
  if (problem.type === "urn:tikv-lens:problem:bad-parameter") {
    const parameter: string | null = problem.parameter;
    return `fix the parameter ${parameter ?? "(unknown)"}: ${problem.detail}`;
  }
  if (problem.type === "urn:tikv-lens:problem:rate-limited") {
    return "slow down and retry after the Retry-After header's seconds";
  }
  const upstream: string | null = problem.upstream;
  const upstreamStatus: number | null = problem.upstream_status;
  if (upstream !== null) {
    return `${upstream} failed${upstreamStatus === null ? "" : ` with HTTP ${upstreamStatus}`}`;
  }
  return `${problem.status} ${problem.title}`;
}

async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url, { headers: { accept: "application/json" } });
  const body: unknown = await response.json();
  if (!response.ok) {
    throw new ApiProblem(body as Problem);
  }
  return body as T;
}

function queryString(query: Record<string, string | number | readonly string[] | undefined>): string {
  const parts: string[] = [];
  for (const [name, value] of Object.entries(query)) {
    if (value === undefined) continue;
    // Arrays are comma-separated (`style: form, explode: false`).
    const text = Array.isArray(value) ? value.join(",") : String(value);
    parts.push(`${encodeURIComponent(name)}=${encodeURIComponent(text)}`);
  }
  return parts.length === 0 ? "" : `?${parts.join("&")}`;
}

/** Share of each up store's disk in use; `null` where PD reports no sizes. */
async function diskUse(base: string, cluster: string): Promise<Map<string, number | null>> {
  const query: QueryOf<"list_stores"> = { state: ["up", "disconnected"], include: ["metrics"] };
  const list = await getJson<StoreList>(
    `${base}/api/v1/clusters/${cluster}/stores${queryString(query)}`,
  );
  const use = new Map<string, number | null>();
  for (const store of list.stores) {
    use.set(store.id, usedFraction(store));
  }
  if (list.stale || list.warnings.length > 0) {
    console.warn(`stores as of ${list.observed_at}:`, list.warnings.map((w) => w.message));
  }
  return use;
}

function usedFraction(store: Store): number | null {
  const capacity: number | null = store.capacity_bytes;
  const used: number | null = store.used_bytes;
  // Prefer TiKV's exact sizes when the metrics were joined.
  const exact = store.metrics;
  if (exact !== null && exact.capacity_bytes !== null && exact.used_bytes !== null) {
    return exact.used_bytes / exact.capacity_bytes;
  }
  if (capacity === null || used === null || capacity === 0) {
    return null;
  }
  return used / capacity;
}

/** Walks every region, page by page, following `next_cursor` until it is `null`. */
async function countRegions(base: string, cluster: string): Promise<number> {
  let cursor: string | null = null;
  let regions = 0;
  do {
    const query: QueryOf<"list_regions"> = cursor === null ? { limit: 1000 } : { limit: 1000, cursor };
    const page: RegionPage = await getJson<RegionPage>(
      `${base}/api/v1/clusters/${cluster}/regions${queryString(query)}`,
    );
    regions += page.count;
    for (const region of page.regions) {
      const leaderStore: string | null = region.leader === null ? null : region.leader.store_id;
      const table: number | null = region.start_key_decoded?.table_id ?? null;
      void leaderStore;
      void table;
    }
    cursor = page.next_cursor;
  } while (cursor !== null);
  return regions;
}

/** A range query as uPlot's columns: the time axis in seconds, then one column per series. */
async function cpuChart(base: string, cluster: string): Promise<(number | null)[][]> {
  // `query` is required: leaving it out does not compile.
  const query: QueryOf<"range_query"> = {
    query: 'sum by (instance) (rate(process_cpu_seconds_total{job="tikv"}[1m]))',
    start: "2026-11-27T01:50:00Z",
    end: "2026-11-27T02:00:00Z",
    step: "2m",
  };
  const result: RangeQueryResult = await getJson<RangeQueryResult>(
    `${base}/api/v1/clusters/${cluster}/metrics/query_range${queryString(query)}`,
  );
  const columns: (number | null)[][] = [result.timestamps_ms.map((ms) => ms / 1000)];
  for (const series of result.series) {
    const values: (number | null)[] = series.values;
    for (const point of series.non_finite) {
      console.warn(`${JSON.stringify(series.labels)} at ${point.index}: ${point.value}`);
    }
    columns.push(values);
  }
  return columns;
}

/** One line about a live event; `type` narrows the union, and a type left out fails to compile. */
function describeEvent(event: LiveEvent): string {
  const id: string = event.id;
  switch (event.type) {
    case "store_state_changed": {
      const storeId: string = event.store_id;
      return `${id}: store ${storeId} (${event.address}) ${event.from ?? "new"} -> ${event.to ?? "gone"}`;
    }
    case "check_status_changed":
      return `${id}: ${event.check_id} ${event.from ?? "new"} -> ${event.to}: ${event.summary}`;
    case "operator_started":
      return `${id}: region ${event.region_id ?? "?"} ${event.kind.join(",")} ${event.brief}`;
    case "operator_finished":
      return `${id}: region ${event.region_id ?? "?"} ${event.description} done`;
    case "scale_in_progress": {
      const progress: number | null = event.progress;
      const blockers = event.blockers.map((b) => b.kind).join(", ");
      return `${id}: store ${event.store_id} ${event.action ?? "idle"} ${progress ?? "?"} ${blockers}`;
    }
    case "leader_changed":
      return `${id}: PD leader ${event.from ?? "none"} -> ${event.to ?? "none"}`;
    case "upstream_status":
      return `${id}: ${event.upstream} ${event.ok ? "recovered" : `failing: ${event.detail ?? ""}`}`;
    case "resync":
      return `${id}: refetch everything (${event.at})`;
    default: {
      const unhandled: never = event;
      return unhandled;
    }
  }
}

/** The `data` lines of an SSE body, parsed: what `EventSource` would hand to its listeners. */
function liveEvents(body: string): string[] {
  return body
    .split("\n")
    .filter((line) => line.startsWith("data: "))
    .map((line) => describeEvent(JSON.parse(line.slice("data: ".length)) as LiveEvent));
}

export async function dashboard(base: string): Promise<string[]> {
  const lines: string[] = [];
  try {
    const use = await diskUse(base, "default");
    for (const [id, fraction] of use) {
      lines.push(`store ${id}: ${fraction === null ? "unknown" : `${(fraction * 100).toFixed(1)}%`}`);
    }
    lines.push(`${await countRegions(base, "default")} regions`);
    lines.push(`${(await cpuChart(base, "default")).length - 1} CPU series`);
  } catch (error) {
    if (error instanceof ApiProblem) {
      lines.push(explain(error.problem));
    } else {
      throw error;
    }
  }
  return lines;
}

export const typeChecks = [
  noOptionalFields,
  sameStoreList,
  sameRegionPage,
  sameProblem,
  sameEvent,
  liveEvents,
] as const;
