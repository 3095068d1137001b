#!/usr/bin/env bash
# Fuzzes every operation of the JSON API from its OpenAPI document with schemathesis (issue 8):
# generated valid and invalid requests must never get a 5xx, and every answer must match the document
# (status codes, content types, response schemas and headers). Fixed seed, so a failure reproduces.
#
#   bash tests/fuzz_api.sh [path/to/teilhabe]      # default: target/debug/teilhabe
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

BIN="${1:-target/debug/teilhabe}"
DATA="$(mktemp -d)"
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
trap 'kill "${PID:-}" 2>/dev/null || true; rm -rf "$DATA"' EXIT
export TEILHABE_DATA_DIR="$DATA" TEILHABE_BIND="127.0.0.1:$PORT" TEILHABE_DEMO=true \
  TEILHABE_RATE_LIMITS=off RUST_LOG=warn
unset DATABASE_URL

"$BIN" seed-demo >/dev/null
TOKEN="$("$BIN" token add --email admin@demo.teilhabe.example --name "API fuzzing" 2>/dev/null | grep -xE '[0-9a-f]{64}')"
"$BIN" serve >/dev/null 2>"$DATA/server.log" &
PID=$!
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$PORT/ready" >/dev/null && break; sleep 0.2; done

schemathesis run "http://127.0.0.1:$PORT/api/openapi.json" \
  --header "Authorization: Bearer $TOKEN" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance \
  --max-examples "${FUZZ_EXAMPLES:-60}" --seed 1 --no-color
