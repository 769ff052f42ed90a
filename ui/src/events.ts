// Live updates: `GET /api/v1/clusters/{cluster}/events` (Server-Sent Events) read with `fetch`,
// not `EventSource`, because EventSource cannot send the bearer token. The stream is parsed as
// the SSE spec says (fields, comments, blank-line dispatch, `retry`), resumed with
// `Last-Event-ID` after a drop, and watched: when no byte arrives for 45 s (the server sends a
// heartbeat every 15 s) it is dropped and reopened. While it is down the page polls instead.

import { serviceBase, token } from "./api.js";
import type { Schemas } from "./api.js";

/** One event of the stream: a union discriminated by `type`, generated from the document. */
export type LiveEvent = Schemas["Event"];

/** How the page is being kept up to date. */
export type Liveness = "connecting" | "live" | "polling";

export interface Subscription {
  close(): void;
}

const SILENCE_LIMIT_MS = 45_000;
const MAX_BACKOFF_MS = 30_000;

export function subscribe(
  cluster: string,
  onEvent: (event: LiveEvent) => void,
  onLiveness: (state: Liveness) => void,
): Subscription {
  let closed = false;
  let lastEventId: string | null = null;
  let retryMs = 3000;
  let failures = 0;
  let controller: AbortController | null = null;

  const run = async (): Promise<void> => {
    while (!closed) {
      onLiveness(failures === 0 ? "connecting" : "polling");
      controller = new AbortController();
      let watchdog = 0;
      const rearm = (): void => {
        window.clearTimeout(watchdog);
        watchdog = window.setTimeout(() => controller?.abort(), SILENCE_LIMIT_MS);
      };
      try {
        const headers: Record<string, string> = { Accept: "text/event-stream" };
        const t = token();
        if (t !== null) headers["Authorization"] = `Bearer ${t}`;
        if (lastEventId !== null) headers["Last-Event-ID"] = lastEventId;
        rearm();
        const url = `${serviceBase}/api/v1/clusters/${encodeURIComponent(cluster)}/events`;
        const response = await fetch(url, { headers, signal: controller.signal, cache: "no-store" });
        if (!response.ok || response.body === null) throw new Error(`HTTP ${response.status}`);
        failures = 0;
        onLiveness("live");
        await readStream(response.body, rearm, (id, type, data) => {
          if (id !== null) lastEventId = id;
          if (type === "message" || data === "") return;
          const parsed = JSON.parse(data) as LiveEvent;
          onEvent(parsed);
        }, (ms) => {
          retryMs = ms;
        });
      } catch {
        // Dropped, refused or silent: poll meanwhile, and come back after a growing pause.
      } finally {
        window.clearTimeout(watchdog);
      }
      if (closed) break;
      failures += 1;
      onLiveness("polling");
      const pause = Math.min(MAX_BACKOFF_MS, retryMs * 2 ** Math.min(failures - 1, 4));
      await new Promise((resolve) => window.setTimeout(resolve, pause));
    }
  };
  void run();
  return {
    close(): void {
      closed = true;
      controller?.abort();
    },
  };
}

/** Reads an SSE stream to its end, calling `dispatch(id, event, data)` for every message. */
async function readStream(
  body: ReadableStream<Uint8Array>,
  onBytes: () => void,
  dispatch: (id: string | null, event: string, data: string) => void,
  onRetry: (ms: number) => void,
): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  let id: string | null = null;
  let event = "message";
  let data: string[] = [];
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    onBytes();
    buffer += decoder.decode(value, { stream: true });
    let newline: number;
    while ((newline = buffer.search(/\r\n|\r|\n/)) >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + (buffer.startsWith("\r\n", newline) ? 2 : 1));
      if (line === "") {
        if (data.length > 0) dispatch(id, event, data.join("\n"));
        event = "message";
        data = [];
        continue;
      }
      if (line.startsWith(":")) continue; // a comment: the heartbeat
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      const rawValue = colon < 0 ? "" : line.slice(colon + 1);
      const fieldValue = rawValue.startsWith(" ") ? rawValue.slice(1) : rawValue;
      if (field === "id") id = fieldValue;
      else if (field === "event") event = fieldValue;
      else if (field === "data") data.push(fieldValue);
      else if (field === "retry" && /^\d+$/.test(fieldValue)) onRetry(Number(fieldValue));
    }
  }
}

/** One line of text for the event feed. */
export function describe(e: LiveEvent): string {
  switch (e.type) {
    case "store_state_changed":
      return `store ${e.store_id} (${e.address}): ${e.from ?? "new"} → ${e.to ?? "gone"}`;
    case "check_status_changed":
      return `check ${e.check_id}: ${e.from ?? "new"} → ${e.to} (${e.summary})`;
    case "operator_started":
      return `operator started on region ${e.region_id}: ${e.description}`;
    case "operator_finished":
      return `operator no longer in flight on region ${e.region_id}: ${e.description}`;
    case "scale_in_progress": {
      const pct = e.progress === null ? "?" : `${(e.progress * 100).toFixed(1)} %`;
      return `store ${e.store_id} ${e.action ?? "idle"}: ${pct}`;
    }
    case "leader_changed":
      return `PD leader: ${e.from ?? "none"} → ${e.to ?? "none"}`;
    case "upstream_status":
      return `${e.upstream} ${e.ok ? "answers again" : `fails: ${e.detail ?? ""}`}`;
    case "resync":
      return "resynchronised: everything was read again";
  }
}
