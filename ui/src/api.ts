// The page's one way to call tikv-lens: openapi-fetch typed by the `paths` that openapi-typescript
// generates from openapi/openapi.json, so a schema change that breaks the page fails `tsc`.
// The API is found relative to the page (`<base>/ui/` → `<base>/api/v1/…`), so the page also
// works behind a reverse proxy that mounts tikv-lens under a prefix.

import createClient from "./vendor/openapi-fetch.js";
import type { components, paths } from "./generated/api.js";

export type Schemas = components["schemas"];
export type Problem = Schemas["Problem"];

const TOKEN_KEY = "tikv-lens-token";

/** The bearer token the user typed, kept for this browser tab only. */
export function token(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(value: string | null): void {
  if (value === null || value === "") sessionStorage.removeItem(TOKEN_KEY);
  else sessionStorage.setItem(TOKEN_KEY, value);
}

/** Where the service is: the directory above the page's own `/ui/`. */
export const serviceBase: string = new URL("..", new URL(".", location.href)).href.replace(/\/$/, "");

export const client = createClient<paths>({
  baseUrl: serviceBase,
  // The API takes comma-separated lists (`state=up,down`), OpenAPI's form style, explode false.
  querySerializer: { array: { style: "form", explode: false } },
});

client.use({
  onRequest({ request }) {
    const t = token();
    if (t !== null) request.headers.set("Authorization", `Bearer ${t}`);
    return request;
  },
});

/** A failed call: the problem tikv-lens answered, or a network error as a problem-like value. */
export class ApiFailure extends Error {
  constructor(
    /** The HTTP status, 0 when the service could not be reached at all. */
    readonly status: number,
    readonly problem: Problem | null,
    message?: string,
  ) {
    super(message ?? (problem ? `${problem.title}: ${problem.detail}` : `HTTP ${status}`));
  }
}

/** Listeners told when a call was refused for want of a valid token (the page asks for one). */
const unauthorizedListeners: Array<() => void> = [];
export function onUnauthorized(listener: () => void): void {
  unauthorizedListeners.push(listener);
}

/**
 * The data of an openapi-fetch result, or an `ApiFailure` thrown: views render the problem's
 * title and detail, and a 401 also opens the token prompt.
 */
export async function data<T>(
  call: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<T> {
  let result: { data?: T; error?: unknown; response: Response };
  try {
    result = await call;
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    throw new ApiFailure(0, null, `tikv-lens cannot be reached: ${reason}`);
  }
  if (result.data !== undefined) return result.data;
  const status = result.response.status;
  if (status === 401) unauthorizedListeners.forEach((l) => l());
  throw new ApiFailure(status, isProblem(result.error) ? result.error : null);
}

function isProblem(value: unknown): value is Problem {
  return typeof value === "object" && value !== null && "title" in value && "detail" in value;
}
