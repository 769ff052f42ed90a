#!/usr/bin/env bash
# The one command that runs every tikv-lens test on a fresh machine, doing its own set-up:
#   1. Debian's `prometheus` package (prometheus + promtool) and `victoria-metrics` package,
#      installed when missing: the integration tests start a real Prometheus and a real
#      VictoriaMetrics on 127.0.0.1 with TiKV-shaped history;
#      Debian's `chromium` and `chromium-driver`, installed when missing: the page's test drives
#      a real headless Chromium against `tikv-lens demo`;
#   2. a Python virtualenv with openapi-spec-validator (from PyPI), under .venv-tools/;
#   3. the page's build checked against its sources (scripts/build-ui.sh --check: types from
#      openapi/openapi.json, tsc --strict, the embedded ui/dist unchanged; npm tools);
#   4. `cargo test --workspace` (the service and the simulator crate: unit, property and
#      integration tests; fake PDs and a real Prometheus on 127.0.0.1);
#   5. the committed OpenAPI document through a real OpenAPI validator, then through Redocly's
#      recommended lint and a strict TypeScript client (scripts/check-openapi.sh, npm tools;
#      Debian's nodejs and npm are installed when missing).
# Needs: cargo, python3 with venv (Debian: apt-get install python3 python3-venv), and root or
# sudo the first time, to install prometheus, victoria-metrics and chromium.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
if ! command -v prometheus >/dev/null || ! command -v promtool >/dev/null; then missing+=(prometheus); fi
if ! command -v victoria-metrics >/dev/null; then missing+=(victoria-metrics); fi
if ! command -v chromium >/dev/null; then missing+=(chromium); fi
if ! command -v chromedriver >/dev/null; then missing+=(chromium-driver); fi
if [ "${#missing[@]}" -gt 0 ]; then
  echo "==> installing Debian's ${missing[*]} (for the real-backend and browser tests)"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  # The packages' postinst would start system services (:9090, :8428); policy-rc.d forbids it.
  guard=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
    $sudo chmod +x /usr/sbin/policy-rc.d
    guard=1
  fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  [ -z "$guard" ] || $sudo rm -f /usr/sbin/policy-rc.d
fi

venv=.venv-tools
if [ ! -x "$venv/bin/openapi-spec-validator" ]; then
  echo "==> setting up $venv (openapi-spec-validator)"
  if ! python3 -m venv "$venv"; then
    echo "error: python3 cannot create a virtualenv; on Debian: apt-get install python3-venv" >&2
    exit 1
  fi
  "$venv/bin/pip" install --quiet --disable-pip-version-check 'openapi-spec-validator>=0.7,<0.9'
fi

scripts/build-ui.sh --check

echo "==> cargo test"
cargo test --locked --workspace --all-targets "$@"

echo "==> validating openapi/openapi.json"
"$venv/bin/openapi-spec-validator" openapi/openapi.json
scripts/check-openapi.sh
