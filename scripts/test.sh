#!/usr/bin/env bash
# The one command that runs every tikv-lens test on a fresh machine, doing its own set-up:
#   1. a Python virtualenv with openapi-spec-validator (from PyPI), under .venv-tools/;
#   2. `cargo test` (unit, property and integration tests; fake PDs on 127.0.0.1);
#   3. the committed OpenAPI document through a real OpenAPI validator.
# Needs: cargo, python3 with venv (Debian: apt-get install python3 python3-venv).
set -euo pipefail
cd "$(dirname "$0")/.."

venv=.venv-tools
if [ ! -x "$venv/bin/openapi-spec-validator" ]; then
  echo "==> setting up $venv (openapi-spec-validator)"
  if ! python3 -m venv "$venv"; then
    echo "error: python3 cannot create a virtualenv; on Debian: apt-get install python3-venv" >&2
    exit 1
  fi
  "$venv/bin/pip" install --quiet --disable-pip-version-check 'openapi-spec-validator>=0.7,<0.9'
fi

echo "==> cargo test"
cargo test --locked --all-targets "$@"

echo "==> validating openapi/openapi.json"
"$venv/bin/openapi-spec-validator" openapi/openapi.json
