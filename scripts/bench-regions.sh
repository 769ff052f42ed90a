#!/usr/bin/env bash
# Region benchmarks, in one run:
#   1. normalization throughput against serde_json parse-only of the same bytes (cargo bench);
#   2. tikv-lens's peak RSS while a client walks every region of a simulated 1,000,000-region
#      cluster at limit=10000 (tikv-lens and the simulated PD are separate processes, so the
#      RSS is the façade's alone).
# Usage: scripts/bench-regions.sh [REGIONS]   (default 1000000). Needs cargo and python3.
set -euo pipefail
cd "$(dirname "$0")/.."
regions="${1:-1000000}"

cargo build --release --locked --quiet
echo "==> cargo bench --bench regions"
cargo bench --locked --quiet --bench regions

bin=target/release/tikv-lens
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
pd_port=$(free_port)
lens_port=$(free_port)
"$bin" simulate-pd --regions "$regions" --listen "127.0.0.1:$pd_port" >/dev/null &
pd_pid=$!
RUST_LOG=warn "$bin" serve --pd "http://127.0.0.1:$pd_port" --listen "127.0.0.1:$lens_port" 2>/dev/null &
lens_pid=$!
trap 'kill $pd_pid $lens_pid 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$lens_port/readyz" >/dev/null && break
  sleep 0.1
done

rss_kib() { awk -v k="$2" '$1 == k":" {print $2}' "/proc/$1/status"; }
idle=$(rss_kib "$lens_pid" VmRSS)
echo "==> walking $regions regions through tikv-lens at limit=10000"
python3 - "$lens_port" <<'PY'
import json, sys, time, urllib.request
port = sys.argv[1]
base = f"http://127.0.0.1:{port}/api/v1/clusters/default/regions?limit=10000"
cursor, seen, pages, prev_end, start = None, 0, 0, None, time.monotonic()
while True:
    url = base + (f"&cursor={cursor}" if cursor else "")
    with urllib.request.urlopen(url, timeout=120) as r:
        page = json.load(r)
    pages += 1
    for region in page["regions"]:
        if prev_end is not None and region["start_key"] != prev_end:
            sys.exit(f"gap or overlap at region {region['id']}")
        prev_end = region["end_key"]
    seen += page["count"]
    cursor = page["next_cursor"]
    if cursor is None:
        break
elapsed = time.monotonic() - start
print(f"  walked {seen} regions in {pages} pages in {elapsed:.1f} s ({seen / elapsed:,.0f} regions/s through HTTP and JSON)")
PY
peak=$(rss_kib "$lens_pid" VmHWM)
sim_peak=$(rss_kib "$pd_pid" VmHWM)
echo "  tikv-lens RSS: idle $((idle / 1024)) MiB, peak $((peak / 1024)) MiB (aim: under 50 MiB, floor 100 MiB; default --memory-budget 128MiB)"
echo "  simulated PD peak RSS (another process, for reference): $((sim_peak / 1024)) MiB"
