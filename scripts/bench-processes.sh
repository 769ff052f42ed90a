# Sourced by scripts/bench.sh and scripts/bench-range.sh, after `bench_name=...`: a scratch
# directory ($work), and the processes a benchmark starts, all killed (and the directory removed)
# on exit or interrupt.
#   start NAME CMD...          runs CMD in the background, output in $work/NAME.log; its pid in
#                              $started_pid
#   stop PID                   ends a process started here
#   wait_ok NAME URL [SECONDS] until URL answers 2xx (30 s by default); else shows NAME's log and
#                              exits 1
#   start_range_prometheus PORT
#                              a real Prometheus on 127.0.0.1:PORT holding the range benchmark's
#                              data (1,000 series x 240 points of bench_gauge, 15 s apart); sets
#                              $prom (its URL), $end and $range_start (the hour it covers) and
#                              $pid_prometheus

work=$(mktemp -d "${TMPDIR:-/tmp}/${bench_name:?}.XXXXXX")
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
export RUST_LOG=warn

start() {
  local name=$1
  shift
  "$@" >"$work/$name.log" 2>&1 &
  started_pid=$!
  pids+=("$started_pid")
}

stop() {
  kill "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

wait_ok() {
  local name=$1 url=$2 deadline=$((SECONDS + ${3:-30}))
  until curl -sf -o /dev/null "$url"; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "--- $work/$name.log" >&2
      tail -n 30 "$work/$name.log" >&2 || true
      echo "error: $name did not answer $url" >&2
      exit 1
    fi
    sleep 0.1
  done
}

start_range_prometheus() {
  local port=$1
  # A fixed end time (2026-11-01T00:00:00Z, a multiple of 15 s), so that every run queries the
  # same data; retention 100y keeps it.
  end=1793491200
  range_start=$((end - 3585))
  mkdir -p "$work/prom"
  python3 - "$end" "$work/prom/bench.om" <<'PY'
import sys
end, path = int(sys.argv[1]), sys.argv[2]
with open(path, "w") as f:
    f.write("# HELP bench_gauge A benchmark gauge.\n# TYPE bench_gauge gauge\n")
    for i in range(1000):
        f.write("".join(
            f'bench_gauge{{series="{i}"}} {((i * 7919 + k * 104729) % 100000) / 100} {end - 3585 + 15 * k}\n'
            for k in range(240)))
    f.write("# EOF\n")
PY
  if ! promtool tsdb create-blocks-from openmetrics "$work/prom/bench.om" "$work/prom/data" >"$work/promtool.log" 2>&1; then
    cat "$work/promtool.log" >&2
    echo "error: promtool could not backfill" >&2
    exit 1
  fi
  printf 'global:\n  scrape_interval: 15s\nscrape_configs: []\n' >"$work/prom/prometheus.yml"
  start prometheus prometheus --config.file="$work/prom/prometheus.yml" --storage.tsdb.path="$work/prom/data" \
    --storage.tsdb.retention.time=100y --web.listen-address="127.0.0.1:$port" --log.level=warn
  pid_prometheus=$started_pid
  prom=http://127.0.0.1:$port
  wait_ok prometheus "$prom/-/ready" 60
}
