# Sourced by scripts/bench.sh and scripts/bench-range.sh, after `bench_name=...`: a scratch
# directory ($work), and the processes a benchmark starts, all killed (and the directory removed)
# on exit or interrupt.
#   start NAME CMD...          runs CMD in the background, output in $work/NAME.log; its pid in
#                              $started_pid
#   stop PID                   ends a process started here
#   wait_ok NAME URL [SECONDS] until URL answers 2xx (30 s by default); else shows NAME's log and
#                              exits 1

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
