#!/usr/bin/env bash
# The tikv-lens benchmark suite, in one run, every number printed as a ratio against a baseline
# measured the same way on the same machine in the same run:
#   1. throughput of a cached `GET /api/v1/clusters/default/stores` against the same server's
#      `/healthz` (the ceiling of this HTTP stack here): wrk -t2 -c64 -d10s each;
#   2. p50/p99 latency of an uncached `GET .../stores` (a cluster with `cache.stores = "0s"`)
#      against the same request straight to the simulated PD: wrk -t1 -c1 -d10s --latency each;
#   3. upstream requests caused by 1,000 simultaneous identical requests on a cold cache
#      (coalescing: the aim is 1), read from tikv-lens's own /metrics;
#   4. a 1,000-series x 240-point range query through tikv-lens (Prometheus caching off)
#      against the same query straight to a real Prometheus holding backfilled data:
#      medians of 20 sequential curl requests each way;
#   5. tikv-lens's RSS at idle and its peak (VmHWM) under 1,000 open connections.
# Then a summary table with the machine. Every process is started here, on free 127.0.0.1
# ports, and killed on exit.
#
# Usage: scripts/bench.sh   (about 2 minutes after the release build; the build itself takes
# a few more minutes on a cold 2-core machine).
# Needs cargo, python3 and curl; installs Debian's `wrk` and `prometheus` packages when missing
# (as root, or through sudo).
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS

die() { echo "error: $*" >&2; exit 1; }
for tool in cargo python3 curl; do
  command -v "$tool" >/dev/null || die "$tool is needed"
done

# --- set-up: Debian packages ------------------------------------------------------------------
missing=()
command -v wrk >/dev/null || missing+=(wrk)
if ! command -v prometheus >/dev/null || ! command -v promtool >/dev/null; then
  missing+=(prometheus)
fi
if [ "${#missing[@]}" -gt 0 ]; then
  echo "==> installing Debian packages: ${missing[*]}"
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || die "installing ${missing[*]} needs root or sudo"
    sudo="sudo"
  fi
  # prometheus' postinst would start a system service on :9090; policy-rc.d forbids it.
  guard=""
  if [[ " ${missing[*]} " == *" prometheus "* ]] && [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
    $sudo chmod +x /usr/sbin/policy-rc.d
    guard=1
  fi
  status=0
  $sudo apt-get update -qq || status=$?
  if [ "$status" -eq 0 ]; then
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      "${missing[@]}" >/dev/null || status=$?
  fi
  [ -z "$guard" ] || $sudo rm -f /usr/sbin/policy-rc.d
  [ "$status" -eq 0 ] || die "apt-get could not install ${missing[*]}"
fi

# wrk -c1000 and 1,000 client sockets need more than the usual 1,024 descriptors; every process
# started below inherits this.
nofile=$(ulimit -n)
if [ "$nofile" != unlimited ] && [ "$nofile" -lt 4096 ]; then
  ulimit -n 4096 || die "cannot raise the open-file limit to 4096 (hard limit: $(ulimit -Hn))"
fi

# --- build --------------------------------------------------------------------------------------
echo "==> cargo build --release --locked"
build_started=$SECONDS
cargo build --release --locked --quiet
build_seconds=$((SECONDS - build_started))
bin=${CARGO_TARGET_DIR:-target}/release/tikv-lens
[ "${bin#/}" != "$bin" ] || bin=$PWD/$bin
revision=$(git rev-parse --short HEAD 2>/dev/null || echo "unknown (not a git checkout)")
if git rev-parse --git-dir >/dev/null 2>&1 && ! git diff --quiet HEAD -- src Cargo.toml Cargo.lock 2>/dev/null; then
  revision="$revision, with uncommitted changes to the code"
fi

# --- processes: started here, all killed on exit ------------------------------------------------
bench_name=tikv-lens-bench
# shellcheck source=scripts/bench-processes.sh
source scripts/bench-processes.sh
# Seven distinct free ports, all held at once while they are picked.
read -r pd_port lens_a lens_b lens_c prom_port lens_d lens_e < <(python3 -c '
import socket
socks = [socket.socket() for _ in range(7)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))')

# --- small helpers ------------------------------------------------------------------------------
# run_wrk OUTFILE ARGS...: runs wrk; fails if it fails.
run_wrk() {
  local out=$1
  shift
  wrk "$@" >"$out" 2>&1 || { cat "$out" >&2; die "wrk $* failed"; }
}
rps_of() { awk '$1 == "Requests/sec:" {print $2}' "$1"; }
# Requests that were not 2xx/3xx, plus socket errors, as "N" (0 when wrk reports none).
errors_of() {
  awk '/Non-2xx or 3xx responses:/ {n += $NF}
       /Socket errors:/ {for (i = 3; i <= NF; i++) {gsub(",", "", $i); if ($i ~ /^[0-9]+$/) n += $i}}
       END {print n + 0}' "$1"
}
# A wrk --latency percentile (50%, 99%) in milliseconds.
pct_ms() {
  awk -v p="$2" '$1 == p {
      v = $2; n = v + 0
      if (v ~ /us$/) n /= 1000
      else if (v ~ /ms$/) n = n
      else if (v ~ /m$/) n *= 60000
      else if (v ~ /s$/) n *= 1000
      printf "%.3f", n; found = 1
    } END {if (!found) exit 1}' "$1"
}
calc() { awk "BEGIN {printf \"%.${2:-2}f\", $1}"; }
# verdict EXPR: "meets" or "MISSES" (EXPR evaluated by awk).
verdict() { awk "BEGIN {print (($1) ? \"meets\" : \"MISSES\")}"; }
kib_of() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }
mib() { calc "$1 / 1024" 1; }

stores_path=/api/v1/clusters/default/stores
pd=http://127.0.0.1:$pd_port

load() { cut -d' ' -f1 /proc/loadavg; }
load_before=$(load)
if awk "BEGIN {exit !($load_before > 0.5)}"; then
  echo "warning: the 1-minute load average is $load_before before measuring: other work on this machine makes the numbers noisy" >&2
fi

measure_started=$SECONDS
echo "==> simulated PD (3 stores) on 127.0.0.1:$pd_port"
start pd "$bin" simulate-pd --stores 3 --listen "127.0.0.1:$pd_port"
wait_ok pd "$pd/pd/api/v1/stores"

# --- 1. cached /stores against /healthz -----------------------------------------------------------
echo "==> 1. throughput: cached $stores_path against /healthz (wrk -t2 -c64 -d10s each, 2 s warm-up)"
start lens_a "$bin" serve --pd "$pd" --listen "127.0.0.1:$lens_a"
pid_lens_a=$started_pid
a=http://127.0.0.1:$lens_a
wait_ok lens_a "$a/readyz"
# The simulated cluster also has the scale cycle's store (being scaled in): as many as PD lists.
stores_seen=$(curl -sf "$a$stores_path" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["stores"]))')
stores_pd=$(curl -sf "$pd/pd/api/v1/stores" | python3 -c 'import json,sys; print(json.load(sys.stdin)["count"])')
[ "$stores_seen" = "$stores_pd" ] && [ "$stores_seen" -ge 3 ] \
  || die "tikv-lens lists $stores_seen stores, PD $stores_pd (at least 3 expected)"
run_wrk "$work/warm.txt" -t2 -c64 -d2s "$a/healthz"
run_wrk "$work/healthz.txt" -t2 -c64 -d10s "$a/healthz"
run_wrk "$work/warm.txt" -t2 -c64 -d2s "$a$stores_path"
run_wrk "$work/stores.txt" -t2 -c64 -d10s "$a$stores_path"
healthz_rps=$(rps_of "$work/healthz.txt")
stores_rps=$(rps_of "$work/stores.txt")
tput_errors=$(($(errors_of "$work/healthz.txt") + $(errors_of "$work/stores.txt")))
tput_ratio=$(calc "$stores_rps / $healthz_rps")
tput_verdict=$(verdict "$tput_ratio >= 0.6")
printf '  /healthz        %10.0f requests/s\n' "$healthz_rps"
printf '  cached /stores  %10.0f requests/s\n' "$stores_rps"
echo "  ratio $tput_ratio (aim: at least 0.6: $tput_verdict); failed requests: $tput_errors"
stop "$pid_lens_a"

# --- 2. uncached /stores against PD directly --------------------------------------------------------
echo "==> 2. latency: uncached $stores_path against PD's /pd/api/v1/stores (wrk -t1 -c1 -d10s --latency each)"
cat >"$work/uncached.toml" <<EOF
[[clusters]]
name = "default"
pd = ["$pd"]
cache = { stores = "0s" }
EOF
start lens_b "$bin" serve --config "$work/uncached.toml" --listen "127.0.0.1:$lens_b"
pid_lens_b=$started_pid
b=http://127.0.0.1:$lens_b
wait_ok lens_b "$b/readyz"
curl -sf -o /dev/null "$b$stores_path" || die "uncached tikv-lens does not answer $stores_path"
run_wrk "$work/warm.txt" -t1 -c1 -d2s "$pd/pd/api/v1/stores"
run_wrk "$work/pd_lat.txt" -t1 -c1 -d10s --latency "$pd/pd/api/v1/stores"
run_wrk "$work/warm.txt" -t1 -c1 -d2s "$b$stores_path"
run_wrk "$work/lens_lat.txt" -t1 -c1 -d10s --latency "$b$stores_path"
pd_p50=$(pct_ms "$work/pd_lat.txt" 50%)
pd_p99=$(pct_ms "$work/pd_lat.txt" 99%)
lens_p50=$(pct_ms "$work/lens_lat.txt" 50%)
lens_p99=$(pct_ms "$work/lens_lat.txt" 99%)
lat_errors=$(($(errors_of "$work/pd_lat.txt") + $(errors_of "$work/lens_lat.txt")))
p50_ratio=$(calc "$lens_p50 / $pd_p50")
p99_ratio=$(calc "$lens_p99 / $pd_p99")
p50_verdict=$(verdict "$lens_p50 <= 1.2 * $pd_p50 + 1")
p99_verdict=$(verdict "$lens_p99 <= 1.2 * $pd_p99 + 1")
p50_bound=$(calc "1.2 * $pd_p50 + 1" 3)
p99_bound=$(calc "1.2 * $pd_p99 + 1" 3)
echo "  PD directly:        p50 $pd_p50 ms, p99 $pd_p99 ms ($(rps_of "$work/pd_lat.txt") requests/s)"
echo "  through tikv-lens:  p50 $lens_p50 ms, p99 $lens_p99 ms ($(rps_of "$work/lens_lat.txt") requests/s)"
echo "  p50 ratio $p50_ratio (bound 1.2x + 1 ms = $p50_bound ms: $p50_verdict)"
echo "  p99 ratio $p99_ratio (bound 1.2x + 1 ms = $p99_bound ms: $p99_verdict); failed requests: $lat_errors"
stop "$pid_lens_b"

# --- 3. coalescing on a cold cache ---------------------------------------------------------------
echo "==> 3. coalescing: 1,000 simultaneous GET $stores_path on a cold cache"
start lens_c "$bin" serve --pd "$pd" --listen "127.0.0.1:$lens_c"
pid_lens_c=$started_pid
c=http://127.0.0.1:$lens_c
wait_ok lens_c "$c/healthz"
# 1,000 connections opened first; then every request is written in one tight loop (a few ms),
# and every answer read to the end.
read -r burst_ok burst_total burst_spread_ms burst_ms < <(python3 - "$lens_c" "$stores_path" <<'PY'
import asyncio, sys, time
port, path, n = int(sys.argv[1]), sys.argv[2], 1000
request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n".encode()

async def connect():
    for _ in range(100):
        try:
            return await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.05)
    raise SystemExit("cannot connect")

async def answer(reader, writer):
    try:
        data = await reader.read()
    except OSError:
        return 0
    finally:
        writer.close()
    parts = data.split(b" ", 2)
    return int(parts[1]) if data.startswith(b"HTTP/") and len(parts) > 1 else 0

async def main():
    conns = await asyncio.gather(*(connect() for _ in range(n)))
    t0 = time.monotonic()
    for _, writer in conns:
        writer.write(request)
    t1 = time.monotonic()
    statuses = await asyncio.wait_for(asyncio.gather(*(answer(r, w) for r, w in conns)), 60)
    t2 = time.monotonic()
    ok = sum(1 for s in statuses if s == 200)
    print(ok, n, f"{(t1 - t0) * 1000:.1f}", f"{(t2 - t0) * 1000:.0f}")

asyncio.run(main())
PY
)
curl -sf "$c/metrics" >"$work/metrics_c.txt" || die "no /metrics from tikv-lens"
read -r upstream_count cache_loads cache_coalesced cache_hits < <(python3 - "$work/metrics_c.txt" <<'PY'
import re, sys
upstream = 0.0
cache = {"load": 0.0, "coalesced": 0.0, "hit": 0.0}
for line in open(sys.argv[1]):
    m = re.match(r'^(\w+)\{(.*)\}\s+(\S+)', line)
    if not m:
        continue
    name, labels, value = m.group(1), dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(2))), float(m.group(3))
    if name == "tikv_lens_upstream_requests_total" and labels.get("upstream") == "pd" \
            and labels.get("endpoint") == "/pd/api/v1/stores":
        upstream += value
    if name == "tikv_lens_cache_reads_total" and labels.get("upstream") == "pd" and labels.get("kind") in cache:
        cache[labels["kind"]] += value
print(int(upstream), int(cache["load"]), int(cache["coalesced"]), int(cache["hit"]))
PY
)
coalesce_verdict=$(verdict "$upstream_count == 1")
echo "  upstream requests to PD's /pd/api/v1/stores: $upstream_count (aim: 1: $coalesce_verdict)"
echo "  client requests answered 200: $burst_ok of $burst_total (written within $burst_spread_ms ms, all answered after $burst_ms ms)"
echo "  PD cache reads: $cache_loads load, $cache_coalesced coalesced, $cache_hits hit"
stop "$pid_lens_c"

# --- 4. a large range query against Prometheus directly ------------------------------------------
echo "==> 4. range query: 1,000 series x 240 points through tikv-lens against Prometheus directly"
start_range_prometheus "$prom_port"
cat >"$work/prom.toml" <<EOF
[[clusters]]
name = "default"
pd = ["$pd"]
prometheus = "$prom"
cache = { prometheus_recent = "0s", prometheus_past = "0s" }
EOF
start lens_d "$bin" serve --config "$work/prom.toml" --listen "127.0.0.1:$lens_d"
pid_lens_d=$started_pid
d=http://127.0.0.1:$lens_d
wait_ok lens_d "$d/readyz"
lens_url="$d/api/v1/clusters/default/metrics/query_range?query=bench_gauge&start=$range_start&end=$end&step=15s"
prom_url="$prom/api/v1/query_range?query=bench_gauge&start=$range_start&end=$end&step=15"
curl -sf "$lens_url" -o "$work/lens_range.json" || die "tikv-lens did not answer the range query"
curl -sf "$prom_url" -o "$work/prom_range.json" || die "Prometheus did not answer the range query"
read -r shape_series shape_points shape_complete < <(python3 - "$work/lens_range.json" "$work/prom_range.json" <<'PY'
import json, sys
lens = json.load(open(sys.argv[1]))
prom = json.load(open(sys.argv[2]))
series, points = len(lens["series"]), len(lens["timestamps_ms"])
complete = all(len(s["values"]) == points and None not in s["values"] for s in lens["series"])
prom_series = prom["data"]["result"]
complete = complete and len(prom_series) == series and all(len(s["values"]) == points for s in prom_series)
print(series, points, "yes" if complete else "no")
PY
)
if [ "$shape_series" != 1000 ] || [ "$shape_points" != 240 ] || [ "$shape_complete" != yes ]; then
  die "the range query answered $shape_series series x $shape_points timestamps (complete: $shape_complete), not 1000 x 240"
fi
lens_bytes=$(wc -c <"$work/lens_range.json")
prom_bytes=$(wc -c <"$work/prom_range.json")
# time_get URL: "seconds" of one request (no --compressed: identity bodies both ways).
time_get() {
  local out
  out=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' "$1")
  [ "${out%% *}" = 200 ] || die "GET $1 answered ${out%% *}"
  echo "${out#* }"
}
for _ in 1 2 3; do time_get "$lens_url" >/dev/null; time_get "$prom_url" >/dev/null; done
: >"$work/lens_times"
: >"$work/prom_times"
for _ in $(seq 1 20); do   # interleaved, so that noise falls on both sides alike
  time_get "$prom_url" >>"$work/prom_times"
  time_get "$lens_url" >>"$work/lens_times"
done
median() { sort -g "$1" | awk '{v[NR] = $1} END {m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.1f", m * 1000}'; }
prom_med=$(median "$work/prom_times")
lens_med=$(median "$work/lens_times")
range_ratio=$(calc "$lens_med / $prom_med")
range_verdict=$(verdict "$range_ratio <= 1.3")
echo "  answer: $shape_series series x $shape_points timestamps, every value present"
echo "  Prometheus directly:  median $prom_med ms of 20 ($prom_bytes bytes)"
echo "  through tikv-lens:    median $lens_med ms of 20 ($lens_bytes bytes)"
echo "  ratio $range_ratio (aim: at most 1.3: $range_verdict)"
stop "$pid_lens_d"
stop "$pid_prometheus"

# --- 5. memory ----------------------------------------------------------------------------------
echo "==> 5. memory: RSS at idle, then peak under wrk -t2 -c1000 -d10s on the cached $stores_path"
start lens_e "$bin" serve --pd "$pd" --listen "127.0.0.1:$lens_e"
pid_lens_e=$started_pid
e=http://127.0.0.1:$lens_e
wait_ok lens_e "$e/readyz"
sleep 1
idle_kib=$(kib_of "$pid_lens_e" VmRSS)
run_wrk "$work/conn1000.txt" -t2 -c1000 -d10s "$e$stores_path"
peak_kib=$(kib_of "$pid_lens_e" VmHWM)
idle_mib=$(mib "$idle_kib")
peak_mib=$(mib "$peak_kib")
idle_verdict=$(verdict "$idle_mib < 30")
peak_verdict=$(verdict "$peak_mib < 60")
conn_rps=$(rps_of "$work/conn1000.txt")
conn_errors=$(errors_of "$work/conn1000.txt")
echo "  idle VmRSS $idle_mib MiB (aim: under 30: $idle_verdict)"
echo "  peak VmHWM $peak_mib MiB under 1,000 connections (aim: under 60: $peak_verdict)"
conn_socket=$(awk '/Socket errors:/ {sub(/^ +/, ""); print}' "$work/conn1000.txt")
printf '  (%.0f requests/s at 1,000 connections; failed requests or socket errors: %s%s)\n' "$conn_rps" "$conn_errors" \
  "${conn_socket:+; $conn_socket}"
stop "$pid_lens_e"

# --- summary --------------------------------------------------------------------------------------
row() { printf '| %-52s | %-44s | %-18s |\n' "$1" "$2" "$3"; }
echo
echo "==> summary ($(date -u +%Y-%m-%dT%H:%M:%SZ); measurements took $((SECONDS - measure_started)) s, build $build_seconds s, all $((SECONDS - started)) s)"
row "measure" "result" "aim"
row "---" "---" "---"
row "/healthz throughput (wrk -t2 -c64)" "$(printf '%.0f' "$healthz_rps") req/s" "(ceiling)"
row "cached /stores throughput (wrk -t2 -c64)" "$(printf '%.0f' "$stores_rps") req/s" ""
row "  ratio cached /stores / /healthz" "$tput_ratio" ">= 0.6: $tput_verdict"
row "PD /stores directly, p50 / p99 (wrk -t1 -c1)" "$pd_p50 ms / $pd_p99 ms" ""
row "uncached /stores via tikv-lens, p50 / p99" "$lens_p50 ms / $lens_p99 ms" ""
row "  ratio p50" "$p50_ratio (bound $p50_bound ms)" "<= 1.2x+1ms: $p50_verdict"
row "  ratio p99" "$p99_ratio (bound $p99_bound ms)" "<= 1.2x+1ms: $p99_verdict"
row "upstream PD /stores requests for 1,000 cold requests" "$upstream_count ($burst_ok of $burst_total answered 200)" "1: $coalesce_verdict"
row "range query 1,000 x 240, Prometheus directly" "median $prom_med ms" ""
row "range query 1,000 x 240, through tikv-lens" "median $lens_med ms" ""
row "  ratio tikv-lens / Prometheus" "$range_ratio" "<= 1.3: $range_verdict"
row "tikv-lens RSS idle (VmRSS)" "$idle_mib MiB" "< 30 MiB: $idle_verdict"
row "tikv-lens peak RSS, 1,000 connections (VmHWM)" "$peak_mib MiB" "< 60 MiB: $peak_verdict"
row "  requests/s at 1,000 connections (failed)" "$(printf '%.0f' "$conn_rps") ($conn_errors)" ""
echo
echo "revision: $revision"
echo "machine: $(nproc) cores, kernel $(uname -r); 1-minute load average $load_before before measuring, $(load) after"
free -g
