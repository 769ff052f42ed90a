# Sourced by scripts/check-openapi.sh and scripts/build-ui.sh: Node.js and npm (Debian's
# packages when missing, as root or through sudo), then `npm_ci_once DIR`, which runs `npm ci`
# in DIR only when DIR/node_modules was not installed from DIR/package-lock.json as it is now
# (npm ci wipes node_modules, so it is skipped when nothing changed).

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "==> installing Debian's nodejs and npm packages"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi

npm_ci_once() {
  local dir=$1
  local stamp=$dir/node_modules/.installed-from-lock
  local lock_sum
  lock_sum=$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)
  if [ "$(cat "$stamp" 2>/dev/null)" != "$lock_sum" ]; then
    echo "==> npm ci ($dir)"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
    echo "$lock_sum" >"$stamp"
  fi
}
