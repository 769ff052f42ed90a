// How the page shows the API's numbers: every field carries its unit in its name
// (`_bytes`, `_seconds`, `_per_second`), and these turn them into short human text.

const BYTE_UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];

export function bytes(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "–";
  let v = Math.abs(value);
  let unit = 0;
  while (v >= 1024 && unit < BYTE_UNITS.length - 1) {
    v /= 1024;
    unit += 1;
  }
  const sign = value < 0 ? "-" : "";
  return `${sign}${unit === 0 ? v.toFixed(0) : v.toFixed(v < 10 ? 2 : 1)} ${BYTE_UNITS[unit]}`;
}

export function num(value: number | null | undefined, digits = 2): string {
  if (value === null || value === undefined) return "–";
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value)) return value.toLocaleString("en-US");
  return value.toLocaleString("en-US", { maximumFractionDigits: digits });
}

export function percent(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "–";
  return `${(value * 100).toFixed(1)} %`;
}

/** Seconds as `3d 4h`, `5m 12s`, `820 ms`. */
export function duration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "–";
  const s = Math.abs(seconds);
  const sign = seconds < 0 ? "-" : "";
  if (s < 1) return `${sign}${(s * 1000).toFixed(0)} ms`;
  if (s < 60) return `${sign}${s.toFixed(s < 10 ? 1 : 0)} s`;
  const parts: Array<[number, string]> = [
    [86400, "d"],
    [3600, "h"],
    [60, "m"],
    [1, "s"],
  ];
  const out: string[] = [];
  let rest = Math.floor(s);
  for (const [size, unit] of parts) {
    if (rest >= size) {
      out.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
    if (out.length === 2) break;
  }
  return sign + out.join(" ");
}

/** Latency seconds in the unit that reads best: `820 µs`, `12.5 ms`, `1.2 s`. */
export function latency(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "–";
  if (seconds < 1e-3) return `${(seconds * 1e6).toFixed(0)} µs`;
  if (seconds < 1) return `${(seconds * 1e3).toFixed(1)} ms`;
  return `${seconds.toFixed(2)} s`;
}

/** An RFC 3339 time as local time with its age: `12:04:31 (3m 2s ago)`. */
export function when(rfc3339: string | null | undefined): string {
  if (!rfc3339) return "–";
  const at = new Date(rfc3339);
  if (Number.isNaN(at.getTime())) return rfc3339;
  const age = (Date.now() - at.getTime()) / 1000;
  const ago = age >= 0 ? `${duration(age)} ago` : `in ${duration(-age)}`;
  return `${at.toLocaleString()} (${ago})`;
}

export function days(value: number | null | undefined): string {
  if (value === null || value === undefined) return "–";
  if (!Number.isFinite(value)) return "never full";
  return `${value.toFixed(value < 10 ? 1 : 0)} days`;
}
