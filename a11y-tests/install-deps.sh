#!/usr/bin/env bash
# Installs what the accessibility suite needs; safe to run again and again.
#  - Chromium from Debian (only if /usr/bin/chromium, or $CHROMIUM_PATH, is missing)
#  - a Java runtime from Debian for the Nu HTML Checker (only if `java` is missing or older than 11)
#  - the npm packages pinned in package-lock.json (npm ci, from the npm registry only, without
#    install scripts: playwright-core downloads no browser, vnu-jar's script would download a Java)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"

export DEBIAN_FRONTEND=noninteractive
sudo_cmd=""
if [ "$(id -u)" -ne 0 ]; then sudo_cmd="sudo"; fi
apt_updated=""
apt_install() {
  if [ -z "$apt_updated" ]; then $sudo_cmd apt-get update -qq; apt_updated=1; fi
  $sudo_cmd apt-get install -y -qq "$@" >/dev/null
}

chromium_path="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ ! -x "$chromium_path" ]; then
  echo "install-deps: installing Chromium from Debian" >&2
  apt_install chromium
fi

java_major() {
  java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n1
}
if ! command -v java >/dev/null 2>&1 || [ "$(java_major)" -lt 11 ]; then
  echo "install-deps: installing a Java runtime from Debian (for the Nu HTML Checker)" >&2
  apt_install default-jre-headless
fi

if ! command -v npm >/dev/null 2>&1; then
  echo "install-deps: npm is missing (Node.js 20+ is needed)" >&2
  exit 1
fi

npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null
echo "install-deps: ready ($("$chromium_path" --version 2>/dev/null | head -n1), Java $(java_major), $(node --version))" >&2
