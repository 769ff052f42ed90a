// The page's shell: the header (cluster, views, liveness, token), the router over the URL's
// hash, live updates from the events stream with polling as the fallback, and the event feed.
//
// Routes: `#/fleet`, `#/c/{cluster}/{view}/{args…}` with view one of `overview`, `stores`,
// `store/{id}`, `operations`, `hot`, `regions/{id or hex key}`.

import { client, data, onUnauthorized, setToken, token } from "./api.js";
import { badge, h, replace } from "./dom.js";
import { describe, subscribe } from "./events.js";
import type { LiveEvent, Liveness, Subscription } from "./events.js";
import { clusterRoute, failure } from "./views/common.js";
import type { View } from "./views/common.js";
import { fleet } from "./views/fleet.js";
import { hot } from "./views/hot.js";
import { operations } from "./views/operations.js";
import { overview } from "./views/overview.js";
import { regions } from "./views/regions.js";
import { store } from "./views/store.js";
import { stores } from "./views/stores.js";

const VIEWS: Record<string, { title: string; view: View; nav: boolean; liveRefresh: boolean }> = {
  overview: { title: "Overview", view: overview, nav: true, liveRefresh: true },
  stores: { title: "Stores", view: stores, nav: true, liveRefresh: true },
  store: { title: "Store", view: store, nav: false, liveRefresh: false },
  operations: { title: "Operations", view: operations, nav: true, liveRefresh: true },
  hot: { title: "Hot regions", view: hot, nav: true, liveRefresh: false },
  regions: { title: "Regions", view: regions, nav: true, liveRefresh: false },
};

/** Without events (or for what events do not cover, like metrics), views are read again this often. */
const REFRESH_LIVE_MS = 30_000;
const REFRESH_POLLING_MS = 5_000;
const FEED_LENGTH = 50;

interface Route {
  name: string;
  cluster: string | null;
  args: string[];
}

const els = {
  clusterSelect: h("select", { "aria-label": "cluster" }),
  nav: h("nav", {}),
  liveness: h("span", { class: "liveness", "data-live": "connecting" }, "connecting"),
  tokenButton: h("button", { type: "button" }, "Token"),
  view: h("main", { id: "view" }),
  feed: h("ol", { class: "feed", "data-feed": "" }),
};

let clusters: string[] = [];
let subscription: Subscription | null = null;
let subscribedCluster: string | null = null;
let liveness: Liveness = "connecting";
let renderGeneration = 0;
let refreshTimer = 0;
let eventRefresh = 0;

function parseRoute(): Route {
  const parts = location.hash.replace(/^#\/?/, "").split("/").filter((p) => p !== "").map(decodeURIComponent);
  if (parts[0] === "c" && parts[1] !== undefined) {
    const name = parts[2] !== undefined && parts[2] in VIEWS ? parts[2] : "overview";
    return { name, cluster: parts[1], args: parts.slice(3) };
  }
  return { name: "fleet", cluster: null, args: [] };
}

/** Renders the route's view off-screen and swaps it in, unless a newer render started. */
async function render(): Promise<void> {
  const generation = ++renderGeneration;
  const route = parseRoute();
  renderNav(route);
  follow(route.cluster);
  const container = h("div", {});
  const view = route.name === "fleet" ? fleet : (VIEWS[route.name]?.view ?? fleet);
  els.view.setAttribute("aria-busy", "true");
  try {
    await view({ cluster: route.cluster ?? "", args: route.args, root: container });
  } catch (e) {
    replace(container, failure(e));
  }
  if (generation !== renderGeneration) return;
  els.view.replaceChildren(...container.childNodes);
  els.view.dataset["view"] = route.name;
  els.view.dataset["renderedAt"] = String(Date.now());
  els.view.removeAttribute("aria-busy");
  scheduleRefresh();
}

function scheduleRefresh(): void {
  window.clearTimeout(refreshTimer);
  refreshTimer = window.setTimeout(() => void render(), liveness === "live" ? REFRESH_LIVE_MS : REFRESH_POLLING_MS);
}

function renderNav(route: Route): void {
  const current = route.cluster ?? clusters[0] ?? null;
  const links: HTMLElement[] = [h("a", { href: "#/fleet", class: route.name === "fleet" ? "active" : null }, "Fleet")];
  if (current !== null) {
    for (const [name, v] of Object.entries(VIEWS)) {
      if (!v.nav) continue;
      const active = route.cluster !== null && (route.name === name || (name === "stores" && route.name === "store"));
      links.push(h("a", { href: `#/${clusterRoute(current, name)}`, class: active ? "active" : null, "data-nav": name }, v.title));
    }
  }
  replace(els.nav, ...links);
  if (current !== null) els.clusterSelect.value = current;
}

/** Listens to the events of the cluster on screen (the fleet view follows the first cluster). */
function follow(cluster: string | null): void {
  const target = cluster ?? clusters[0] ?? null;
  if (target === subscribedCluster) return;
  subscription?.close();
  subscribedCluster = target;
  els.feed.replaceChildren();
  if (target === null) return;
  subscription = subscribe(target, onEvent, (state) => {
    liveness = state;
    els.liveness.dataset["live"] = state;
    els.liveness.textContent = state === "live" ? "live" : state === "polling" ? "polling (events unavailable)" : "connecting";
    scheduleRefresh();
  });
}

function onEvent(event: LiveEvent): void {
  const item = h(
    "li",
    { "data-event-type": event.type, "data-event-id": event.id },
    h("time", { datetime: event.at }, new Date(event.at).toLocaleTimeString()),
    " ",
    badge(event.type.replace(/_/g, " "), event.type === "upstream_status" && !event.ok ? "critical" : "info"),
    " ",
    describe(event),
  );
  els.feed.prepend(item);
  while (els.feed.children.length > FEED_LENGTH) els.feed.lastElementChild?.remove();
  // Coalesce a burst of events into one refresh of the view on screen.
  const route = parseRoute();
  const refreshes = route.name === "fleet" || (VIEWS[route.name]?.liveRefresh ?? false) || event.type === "resync";
  if (refreshes) {
    window.clearTimeout(eventRefresh);
    eventRefresh = window.setTimeout(() => void render(), 250);
  }
}

function askForToken(): void {
  const input = h("input", { type: "password", name: "token", autocomplete: "off", placeholder: "bearer token" });
  const dialog = h(
    "dialog",
    { class: "token-dialog" },
    h(
      "form",
      { method: "dialog" },
      h("p", {}, "This tikv-lens asks for a bearer token (its --token / tokens setting)."),
      input,
      h("menu", {}, h("button", { value: "cancel", type: "submit" }, "Cancel"), h("button", { value: "ok", type: "submit" }, "Use token")),
    ),
  );
  dialog.addEventListener("close", () => {
    if (dialog.returnValue === "ok") {
      setToken(input.value.trim());
      void start();
    }
    dialog.remove();
  });
  document.body.appendChild(dialog);
  dialog.showModal();
}

let asking = false;
onUnauthorized(() => {
  if (asking || document.querySelector("dialog[open]")) return;
  asking = true;
  askForToken();
  window.setTimeout(() => (asking = false), 1000);
});

async function start(): Promise<void> {
  try {
    const list = await data(client.GET("/api/v1/clusters"));
    clusters = list.clusters.map((c) => c.name);
  } catch (e) {
    replace(els.view, failure(e));
    return;
  }
  replace(els.clusterSelect, ...clusters.map((name) => h("option", { value: name }, name)));
  subscribedCluster = null;
  await render();
}

function shell(): void {
  els.clusterSelect.addEventListener("change", () => {
    const route = parseRoute();
    const view = route.name === "fleet" || route.name === "store" ? "overview" : route.name;
    location.hash = `#/${clusterRoute(els.clusterSelect.value, view)}`;
  });
  els.tokenButton.addEventListener("click", askForToken);
  els.tokenButton.title = token() === null ? "no token set" : "a token is set";
  document.body.replaceChildren(
    h(
      "header",
      {},
      h("a", { href: "#/fleet", class: "brand" }, "tikv-lens"),
      els.clusterSelect,
      els.nav,
      h("span", { class: "spacer" }),
      els.liveness,
      els.tokenButton,
      h("a", { href: "../docs/", class: "muted" }, "API"),
    ),
    h("div", { class: "layout" }, els.view, h("aside", {}, h("h2", {}, "Events"), els.feed)),
  );
  window.addEventListener("hashchange", () => void render());
}

shell();
void start();
