#!/usr/bin/env bash
# Load benchmark (see BENCHMARKS.md): a release build seeded with the demo data plus 1,000 courses,
# 5,000 dates and 100,000 proposals, measured with wrk at 32 connections; then the booking rush
# (1,000 bookings at once for 20 places), cold start, binary size and idle memory.
#
#   bash benches/run.sh                      # SQLite in a temporary data directory
#   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/teilhabe_bench bash benches/run.sh
#
# Prints one Markdown table row per scenario: requests/s, p50, p99, errors, and the server's memory.
# BENCH_PROPOSALS (default 100000) sets the number of generated proposals.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

DURATION="${BENCH_DURATION:-20s}"
CONNECTIONS="${BENCH_CONNECTIONS:-32}"
PORT="${BENCH_PORT:-18080}"

if ! command -v wrk >/dev/null; then
  echo "installing wrk from Debian" >&2
  apt-get install -y wrk >/dev/null
fi
cargo build --release --locked --bin teilhabe >&2

DATA="$(mktemp -d)"
trap 'kill "${PID:-}" 2>/dev/null || true; rm -rf "$DATA"' EXIT
export TEILHABE_DATA_DIR="$DATA" TEILHABE_BIND="127.0.0.1:$PORT" TEILHABE_DEMO=false \
  TEILHABE_RATE_LIMITS=off RUST_LOG=warn
if [ -n "${BENCH_DATABASE_URL:-}" ]; then
  db="${BENCH_DATABASE_URL##*/}"
  psql "${BENCH_DATABASE_URL%/*}/postgres" -qc "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >&2
  export DATABASE_URL="$BENCH_DATABASE_URL"
fi
BIN=./target/release/teilhabe
$BIN seed-demo >&2
$BIN seed-bulk --courses 1000 --dates 5000 --proposals "${BENCH_PROPOSALS:-100000}" >&2
$BIN reindex >&2

$BIN serve >/dev/null 2>"$DATA/server.log" &
PID=$!
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$PORT/health" >/dev/null && break; sleep 0.1; done
BASE="http://127.0.0.1:$PORT"
IDLE_KB=$(awk '/VmRSS/ {print $2}' "/proc/$PID/status")

SLUG=$(curl -fs "$BASE/api/v1/courses?per_page=1&page=500" | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["slug"])')
DATE_IDS=$(curl -fs "$BASE/api/v1/dates?frei=1&seite=20" | python3 -c 'import json,sys; print(",".join(str(d["id"]) for d in json.load(sys.stdin)["items"]))')
export DATE_IDS

row() { # name, wrk args…
  local name="$1"; shift
  local out
  out="$(wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency "$@")"
  local rps p50 p99 errors
  rps="$(awk '/Requests\/sec/ {printf "%.0f", $2}' <<<"$out")"
  p50="$(awk '$1=="50%" {print $2}' <<<"$out")"
  p99="$(awk '$1=="99%" {print $2}' <<<"$out")"
  errors="$(awk '/Non-2xx/ {print $NF}' <<<"$out")"
  printf '| %s | %s | %s | %s | %s |\n' "$name" "$rps" "$p50" "$p99" "${errors:-0}"
}

echo "| Scenario ($CONNECTIONS connections, $DURATION) | Requests/s | p50 | p99 | Non-2xx |"
echo "|---|---:|---:|---:|---:|"
row "Home page (/)" "$BASE/"
row "Catalogue, filtered (/kurse?kreis=16051&thema=…&frei=1&stufenlos=1)" \
  "$BASE/kurse?kreis=16051&thema=smartphone-grundlagen&frei=1&stufenlos=1"
row "Catalogue, text search and date range" "$BASE/kurse?q=smartphone&von=2026-12-01&bis=2027-02-28"
row "Catalogue, 1,188 changing filter combinations" -s benches/mixed_filters.lua "$BASE"
row "Course page (/kurse/$SLUG)" "$BASE/kurse/$SLUG"
row "Proposal search, one query (/vorschlaege?q=glasfaser+ausbau)" "$BASE/vorschlaege?q=glasfaser+ausbau"
row "Proposal search, 1,760 changing queries" -s benches/proposal_queries.lua "$BASE"
row "Booking POST (JSON API, distinct addresses)" -s benches/booking.lua "$BASE"
PEAK_KB=$(awk '/VmHWM/ {print $2}' "/proc/$PID/status")
echo
echo "Server memory: idle after start $((IDLE_KB / 1024)) MB, peak under load $((PEAK_KB / 1024)) MB (VmRSS / VmHWM)."

# The booking rush runs against the same server and database (release build of benches/booking_rush.rs).
echo
echo "| Rush | wall time | outcome | counter | order |"
echo "|---|---:|---|---|---|"
BENCH_BASE_URL="$BASE" cargo bench --locked --bench booking_rush 2>/dev/null | grep '^| Booking rush'

# Cold start with the migrations already applied: from exec to the first answer of /health.
kill "$PID"; wait "$PID" 2>/dev/null || true
START_NS=$(date +%s%N)
$BIN serve >/dev/null 2>>"$DATA/server.log" &
PID=$!
until curl -fs "$BASE/health" >/dev/null 2>&1; do sleep 0.005; done
END_NS=$(date +%s%N)
sleep 5
COLD_IDLE_KB=$(awk '/VmRSS/ {print $2}' "/proc/$PID/status")
echo
echo "Cold start to first response: $(( (END_NS - START_NS) / 1000000 )) ms; binary: $(( $(stat -c %s "$BIN") / 1024 / 1024 )) MB; idle memory 5 s after start: $((COLD_IDLE_KB / 1024)) MB."
echo "Database: $([ -n "${BENCH_DATABASE_URL:-}" ] && echo PostgreSQL || echo SQLite); machine: $(nproc) cores; $(date -u +%F); commit $(git rev-parse --short HEAD)."
