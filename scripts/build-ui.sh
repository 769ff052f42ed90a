#!/usr/bin/env bash
# Builds the page tikv-lens serves at /ui/ into ui/dist, which the binary embeds at compile
# time (so `cargo build` needs no Node.js, and ui/dist is committed):
#   1. TypeScript types from openapi/openapi.json (openapi-typescript) into
#      ui/src/generated/api.d.ts: the page's API calls are typed by the document;
#   2. ui/src compiled with tsc --strict (ui/tsconfig.json): a schema change that breaks the
#      page fails here;
#   3. ui/static (HTML, CSS, icon) and the two vendored browser libraries, copied from their npm
#      packages with their licences: uPlot (MIT) and openapi-fetch (MIT).
# `scripts/build-ui.sh --check` builds into a temporary directory and fails when the result
# differs from the committed ui/dist or ui/src/generated (CI runs it, like the OpenAPI drift
# test). Set-up: Node.js and npm (Debian's packages when missing, as root or through sudo),
# then `npm ci` in ui/ when ui/node_modules does not match ui/package-lock.json.
set -euo pipefail
cd "$(dirname "$0")/.."
ui=$PWD/ui

check=""
[ "${1:-}" = "--check" ] && check=1

# shellcheck source=scripts/npm-packages.sh
source scripts/npm-packages.sh
npm_ci_once "$ui"
bin=$ui/node_modules/.bin

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
mkdir -p "$out/generated" "$out/dist/vendor"

echo "==> openapi-typescript openapi/openapi.json"
"$bin/openapi-typescript" openapi/openapi.json --output "$out/generated/api.d.ts" >/dev/null
if [ -n "$check" ]; then
  if ! diff -q "$out/generated/api.d.ts" "$ui/src/generated/api.d.ts" >/dev/null; then
    echo "error: ui/src/generated/api.d.ts is not what openapi/openapi.json generates; run scripts/build-ui.sh" >&2
    diff -u "$ui/src/generated/api.d.ts" "$out/generated/api.d.ts" | head -40 >&2
    exit 1
  fi
else
  cp "$out/generated/api.d.ts" "$ui/src/generated/api.d.ts"
fi

echo "==> tsc --strict (ui)"
"$bin/tsc" --project "$ui/tsconfig.json" --outDir "$out/dist"

cp "$ui"/static/* "$out/dist/"
cp "$ui/node_modules/uplot/dist/uPlot.esm.js" "$out/dist/vendor/uPlot.esm.js"
cp "$ui/node_modules/uplot/dist/uPlot.min.css" "$out/dist/vendor/uPlot.min.css"
cp "$ui/node_modules/uplot/LICENSE" "$out/dist/vendor/uPlot.LICENSE.txt"
cp "$ui/node_modules/openapi-fetch/dist/index.mjs" "$out/dist/vendor/openapi-fetch.js"
cp "$ui/node_modules/openapi-fetch/LICENSE" "$out/dist/vendor/openapi-fetch.LICENSE.txt"

if [ -n "$check" ]; then
  if ! diff -r -q "$out/dist" "$ui/dist"; then
    echo "error: ui/dist is not what ui/ builds; run scripts/build-ui.sh and commit ui/dist" >&2
    exit 1
  fi
  echo "ui/dist and ui/src/generated match their sources"
else
  rm -rf "$ui/dist"
  cp -r "$out/dist" "$ui/dist"
  echo "built ui/dist ($(find "$ui/dist" -type f | wc -l) files, $(du -sh "$ui/dist" | cut -f1))"
fi
