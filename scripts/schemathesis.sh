#!/usr/bin/env bash
# Schema fuzzing: Schemathesis generates requests for every operation of the OpenAPI document
# the service serves, sends them to `tikv-lens demo` on 127.0.0.1, and checks every answer:
#   - not_a_server_error: no 500 (an upstream's 502/503/504 is documented, a 500 is a bug);
#   - response_schema_conformance: the body matches the documented schema of its status;
#   - content_type_conformance: the Content-Type is the documented one.
# Valid and invalid data, a bounded number of examples per operation, a bounded total time.
# Nothing leaves 127.0.0.1 once the tools are installed (no report upload, no telemetry).
#
# Set-up: a Python virtualenv under .venv-tools/ (the one scripts/test.sh uses) with
# Schemathesis from PyPI; on Debian that needs python3-venv.
#
# Knobs (environment): ST_MAX_EXAMPLES (examples per operation and pass, default 400),
# ST_SEED (a Hypothesis seed, to replay a run: each pass prints its seed), ST_TIME_LIMIT
# (seconds for the fuzzing, every pass included, default 170).
set -euo pipefail
cd "$(dirname "$0")/.."

venv=.venv-tools
# Schemathesis 3.39.16 is the last 3.x. Hypothesis is pinned with it: later versions removed
# an API that hypothesis-jsonschema 0.23 still calls ("'many' object has no attribute 'more'").
st_version=3.39.16
hypothesis_version=6.124.9
if ! "$venv/bin/python" -c "import sys, schemathesis, hypothesis; sys.exit(not (schemathesis.__version__ == '$st_version' and hypothesis.__version__ == '$hypothesis_version'))" 2>/dev/null; then
  echo "==> installing schemathesis $st_version into $venv"
  if [ ! -x "$venv/bin/python" ] && ! python3 -m venv "$venv"; then
    echo "error: python3 cannot create a virtualenv; on Debian: apt-get install python3-venv" >&2
    exit 1
  fi
  "$venv/bin/pip" install --quiet --disable-pip-version-check \
    "schemathesis==$st_version" "hypothesis==$hypothesis_version"
fi

# The release binary when it is built, newer than the sources and has the demo (a production
# build, --no-default-features, does not); otherwise the debug one, built here (incrementally),
# so that a stale release build never costs minutes.
# Cargo's target directory: CARGO_TARGET_DIR when set, as cargo itself reads it.
target=${CARGO_TARGET_DIR:-target}
if [ -x "$target/release/tikv-lens" ] &&
  [ -z "$(find src crates Cargo.toml Cargo.lock -newer "$target/release/tikv-lens" -print -quit)" ] &&
  "$target/release/tikv-lens" demo --help >/dev/null 2>&1; then
  bin=$target/release/tikv-lens
else
  echo "==> cargo build"
  cargo build --locked --quiet --bin tikv-lens
  bin=$target/debug/tikv-lens
fi

work=$(mktemp -d -t tikv-lens-schemathesis.XXXXXX)
demo_pid=""
cleanup() {
  if [ -n "$demo_pid" ]; then
    kill "$demo_pid" 2>/dev/null || true
    wait "$demo_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

port=$("$venv/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
log="$work/demo.log"
echo "==> starting $bin demo on $base"
"$bin" demo --listen "127.0.0.1:$port" >"$log" 2>&1 &
demo_pid=$!

# Ready when /readyz answers 200 (the simulated PD has answered); at most 60 s.
"$venv/bin/python" - "$base" "$demo_pid" <<'PY'
import os, sys, time, urllib.request
base, pid = sys.argv[1], int(sys.argv[2])
deadline = time.monotonic() + 60
while True:
    try:
        with urllib.request.urlopen(base + "/readyz", timeout=2) as r:
            if r.status == 200:
                break
    except Exception:
        pass
    try:
        os.kill(pid, 0)
    except OSError:
        sys.exit("the demo exited before it was ready")
    if time.monotonic() > deadline:
        sys.exit("the demo was not ready within 60 s")
    time.sleep(0.2)
PY

# JSON is UTF-8 (RFC 8259) and its media types take no charset parameter. requests (under
# Schemathesis) knows that of application/json only, and guesses the charset of other `+json`
# types (application/problem+json): a problem quoting non-ASCII input then decodes as garbage
# and fails as "not JSON". This hook reads such bodies as UTF-8, as the RFC says.
cat >"$work/tikv_lens_st_hooks.py" <<'PY'
import schemathesis


@schemathesis.hook
def after_call(context, case, response):
    content_type = response.headers.get("content-type", "")
    if content_type.split(";")[0].strip().endswith("+json") and "charset=" not in content_type:
        response.encoding = "utf-8"


# `If-None-Match`, which every operation takes, is left out of the generated requests: it
# would double them (operations without other parameters would get hundreds of examples each)
# to test only the ETag comparison, which tests/it/caching.rs covers, and every answer stays a
# full one whose body is checked.
#
# Event streams (`text/event-stream`, `/events`) are left out altogether: a stream answers 200
# and never ends, and Schemathesis reads every answer to its end, so each example would hang
# until the request timeout. Their 400, 401, 404 and 503 answers, the `types` filter and
# `Last-Event-ID` are tested in tests/it/events.rs.
@schemathesis.hook
def before_load_schema(context, raw_schema):
    paths = raw_schema.get("paths", {})
    streams = [
        path for path, item in paths.items()
        if any(
            "text/event-stream" in response.get("content", {})
            for operation in item.values() if isinstance(operation, dict)
            for response in operation.get("responses", {}).values() if isinstance(response, dict)
        )
    ]
    for path in streams:
        del paths[path]
    for item in paths.values():
        for operation in item.values():
            if isinstance(operation, dict) and "parameters" in operation:
                operation["parameters"] = [
                    p for p in operation["parameters"]
                    if p.get("$ref") != "#/components/parameters/If-None-Match"
                ]


# A header value with a control character (other than a tab) is not an HTTP field value
# (RFC 9110 5.5): the HTTP server (hyper) refuses such a request with a bare 400 before
# tikv-lens sees it, so no answer of the API is tested by it. Schemathesis keeps out only what
# Python's HTTP client cannot send (CR, LF); the other control characters are dropped here, so
# every generated value of a documented header (If-None-Match) is sent as a valid one.
@schemathesis.hook
def map_headers(context, headers):
    if not headers:
        return headers
    def field_value(value):
        kept = "".join(c for c in value if not ((ord(c) < 0x20 and c != "\t") or ord(c) == 0x7F))
        # Nor may what is left start with whitespace (Python's client refuses it, NBSP too).
        return kept.lstrip()

    return {
        name: field_value(value) if isinstance(value, str) else value
        for name, value in headers.items()
    }
PY

seed_args=()
[ -z "${ST_SEED:-}" ] || seed_args=(--hypothesis-seed "$ST_SEED")

# One pass of Schemathesis over the operations its arguments select, within what is left of
# the time limit. `cluster` is always pinned to the demo's: an unknown cluster is a 404 before
# any other parameter matters (tests/it/hostile.rs covers those). The demo has no token, CORS
# or rate limit, so nothing is refused for those reasons, and no `Authorization` header is
# generated for the bearer scheme the document declares (the demo does not read it;
# tests/it/hostile.rs tests tokens). Nor is `If-None-Match` (see the hooks).
time_limit=${ST_TIME_LIMIT:-170}
started=$SECONDS
status=0
run_pass() {
  local name=$1
  shift
  local left=$((time_limit - (SECONDS - started)))
  if [ "$left" -le 5 ]; then
    echo "error: no time left for the pass '$name'" >&2
    status=124
    return
  fi
  echo "==> schemathesis ($name) against $base/openapi.json, at most ${left} s"
  local rc=0
  timeout --signal=INT "$left" \
    env SCHEMATHESIS_HOOKS=tikv_lens_st_hooks PYTHONPATH="$work" \
    NO_PROXY=127.0.0.1 no_proxy=127.0.0.1 \
    "$venv/bin/st" run "$base/openapi.json" \
    --experimental=openapi-3.1 \
    --checks not_a_server_error,response_schema_conformance,content_type_conformance \
    --data-generation-method all \
    --generation-with-security-parameters false \
    --set-path cluster=default \
    --hypothesis-max-examples "${ST_MAX_EXAMPLES:-400}" \
    --hypothesis-deadline 30000 \
    --hypothesis-database none \
    --hypothesis-suppress-health-check all \
    "${seed_args[@]}" \
    --request-timeout 30000 \
    --experimental-no-failfast \
    --schemathesis-io-telemetry false \
    --code-sample-style curl \
    --output-truncate false \
    "$@" || rc=$?
  if [ "$rc" -ne 0 ] && [ "$status" -eq 0 ]; then
    status=$rc
  fi
}

# 1. Every operation, every parameter but `cluster` generated.
run_pass "every operation"
# 2. The routes of one store and one region, with ids the demo has (1 and 2), so that their
#    other parameters reach the handlers, PD and the simulated Prometheus.
run_pass "store 1 and region 2" --set-path store_id=1 --set-path region_id=2 \
  --include-path-regex '[{](store_id|region_id)[}]'
# 3. The metric query routes with a PromQL the simulated Prometheus evaluates, so that times
#    and steps reach it.
run_pass "metric queries of 'up'" --set-query query=up \
  --include-path-regex '/metrics/query'

if [ "$status" -eq 124 ]; then
  echo "error: schemathesis did not finish within $time_limit s" >&2
fi
if [ "$status" -ne 0 ]; then
  echo "==> last lines of the demo's log:" >&2
  tail -n 40 "$log" >&2
fi
exit "$status"
