#!/usr/bin/env bash
# Measure 4 of scripts/bench.sh alone, for A/B comparisons: the 1,000-series x 240-point range
# query straight to a real Prometheus and through one or more tikv-lens binaries (Prometheus
# caching off), their requests alternated round by round so that the machine's noise falls on
# every side alike. Prints each side's median and its ratio to Prometheus (and to the first
# binary when there are several).
#
# Usage: scripts/bench-range.sh [-n ROUNDS] BINARY [BINARY...]
#   e.g. scripts/bench-range.sh -n 40 /work/tgt/release/tikv-lens /tmp/old/tikv-lens
# Needs python3, curl, prometheus and promtool (scripts/bench.sh installs them).
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=20
if [ "${1:-}" = -n ]; then
  rounds=$2
  shift 2
fi
[ "$#" -ge 1 ] || { echo "usage: $0 [-n ROUNDS] BINARY [BINARY...]" >&2; exit 2; }
bins=("$@")
for b in "${bins[@]}"; do [ -x "$b" ] || { echo "error: $b is not an executable" >&2; exit 1; }; done

bench_name=tikv-lens-bench-range
# shellcheck source=scripts/bench-processes.sh
source scripts/bench-processes.sh
free_ports() {
  python3 -c '
import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))' "$1"
}
read -r -a ports < <(free_ports $((2 + ${#bins[@]})))
pd_port=${ports[0]}
prom_port=${ports[1]}

# The same data as scripts/bench.sh's measure 4.
start_range_prometheus "$prom_port"
start pd "${bins[0]}" simulate-pd --stores 3 --listen "127.0.0.1:$pd_port"
wait_ok pd "http://127.0.0.1:$pd_port/pd/api/v1/stores" 60
cat >"$work/prom.toml" <<EOF
[[clusters]]
name = "default"
pd = ["http://127.0.0.1:$pd_port"]
prometheus = "$prom"
cache = { prometheus_recent = "0s", prometheus_past = "0s" }
EOF

urls=("$prom/api/v1/query_range?query=bench_gauge&start=$range_start&end=$end&step=15")
names=("prometheus")
for i in "${!bins[@]}"; do
  port=${ports[$((2 + i))]}
  start "lens$i" "${bins[$i]}" serve --config "$work/prom.toml" --listen "127.0.0.1:$port"
  wait_ok "lens$i" "http://127.0.0.1:$port/readyz" 60
  urls+=("http://127.0.0.1:$port/api/v1/clusters/default/metrics/query_range?query=bench_gauge&start=$range_start&end=$end&step=15s")
  names+=("lens$i (${bins[$i]})")
done
# Every binary must give the same bytes, apart from `observed_at`.
for i in "${!urls[@]}"; do
  [ "$i" -eq 0 ] && continue
  curl -sf "${urls[$i]}" | sed 's/"observed_at":"[^"]*"//' >"$work/answer$i.json"
  if [ "$i" -gt 1 ] && ! cmp -s "$work/answer1.json" "$work/answer$i.json"; then
    echo "error: ${names[$i]} answers other bytes than ${names[1]}" >&2
    exit 1
  fi
done

time_get() {
  local out
  out=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' "$1")
  [ "${out%% *}" = 200 ] || { echo "error: GET $1 answered ${out%% *}" >&2; exit 1; }
  echo "${out#* }"
}
for _ in 1 2 3; do
  for u in "${urls[@]}"; do time_get "$u" >/dev/null; done
done
for i in "${!urls[@]}"; do : >"$work/times$i"; done
for r in $(seq 1 "$rounds"); do
  # Rotate who goes first each round.
  for k in "${!urls[@]}"; do
    i=$(((k + r) % ${#urls[@]}))
    time_get "${urls[$i]}" >>"$work/times$i"
  done
done
median() { sort -g "$1" | awk '{v[NR] = $1} END {m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.1f", m * 1000}'; }
meds=()
for i in "${!urls[@]}"; do meds+=("$(median "$work/times$i")"); done
echo "range query 1,000 x 240, medians of $rounds alternated rounds (load $(cut -d' ' -f1 /proc/loadavg)):"
for i in "${!urls[@]}"; do
  line=$(printf '  %-60s %7s ms' "${names[$i]}" "${meds[$i]}")
  if [ "$i" -gt 0 ]; then
    line+=$(awk -v a="${meds[$i]}" -v p="${meds[0]}" 'BEGIN {printf "   / prometheus %.2f", a / p}')
  fi
  if [ "$i" -gt 1 ]; then
    line+=$(awk -v a="${meds[$i]}" -v b="${meds[1]}" 'BEGIN {printf "   / lens0 %.2f", a / b}')
  fi
  echo "$line"
done
