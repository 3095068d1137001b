#!/usr/bin/env bash
# Installs what the accessibility suite needs; safe to run again and again.
#  - Chromium from Debian (only if /usr/bin/chromium, or $CHROMIUM_PATH, is missing)
#  - the npm packages pinned in package-lock.json (npm ci, from the npm registry only;
#    playwright-core downloads no browser)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"

chromium_path="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ ! -x "$chromium_path" ]; then
  echo "install-deps: installing Chromium from Debian" >&2
  export DEBIAN_FRONTEND=noninteractive
  sudo_cmd=""
  if [ "$(id -u)" -ne 0 ]; then sudo_cmd="sudo"; fi
  $sudo_cmd apt-get update -qq
  $sudo_cmd apt-get install -y -qq chromium >/dev/null
fi

if ! command -v npm >/dev/null 2>&1; then
  echo "install-deps: npm is missing (Node.js 20+ is needed)" >&2
  exit 1
fi

npm ci --no-audit --no-fund --loglevel=error >/dev/null
echo "install-deps: ready ($("$chromium_path" --version 2>/dev/null | head -n1), $(node --version))" >&2
