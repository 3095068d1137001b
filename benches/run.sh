#!/usr/bin/env bash
# Load benchmark (see BENCHMARKS.md): a release build seeded with the demo data plus generated courses,
# dates and proposals, measured with wrk at 32 connections; then the booking rush (1,000 bookings at
# once for 20 places), cold start, binary size and memory. Ends with one summary table for
# BENCHMARKS.md.
#
#   bash benches/run.sh                      # SQLite in a temporary data directory, page cache off
#   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/teilhabe_bench bash benches/run.sh
#   BENCH_COURSES=10000 BENCH_DATES=50000 bash benches/run.sh         # ten times the dates
#   BENCH_PROPOSALS=1000000 BENCH_ONLY=proposals bash benches/run.sh  # the search at a million
#   TEILHABE_PAGE_CACHE_SECONDS=5 bash benches/run.sh                 # with the page cache
#   BENCH_MEILISEARCH=1 BENCH_ONLY=proposals bash benches/run.sh      # the search on Meilisearch
#
# BENCH_MEILISEARCH=1 starts a Meilisearch server of its own (the binary from ../shared/meilisearch,
# unpacked into target/ as tests/all.sh does, or `meilisearch` on the PATH) on a free port with a
# fresh data directory and a master key, and points the portal at it; the table then also shows the
# server's memory and the size of its data.
#
# BENCH_DURATION (default 15s) and BENCH_CONNECTIONS (32) set the wrk runs; BENCH_ONLY=catalogue,
# proposals or bookings runs one group of scenarios (all by default).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source benches/common.sh

DURATION="${BENCH_DURATION:-15s}"
CONNECTIONS="${BENCH_CONNECTIONS:-32}"
PORT="${BENCH_PORT:-18080}"
PROPOSALS="${BENCH_PROPOSALS:-100000}"
ONLY="${BENCH_ONLY:-all}"
# Other work on the same cores distorts every figure; the table says how busy the machine was.
LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
# The targets hold without the page cache; it stays on by default in production.
export TEILHABE_PAGE_CACHE_SECONDS="${TEILHABE_PAGE_CACHE_SECONDS:-0}"

if ! command -v wrk >/dev/null; then
  echo "installing wrk from Debian" >&2
  apt-get install -y wrk >/dev/null
fi
cargo build --release --locked --bin teilhabe >&2

bench_environment "$PORT"
trap 'kill "${PID:-}" "${MEILI_PID:-}" 2>/dev/null || true; sleep 1; rm -rf "$DATA"' EXIT
DB_NAME=SQLite
if [ -n "${BENCH_DATABASE_URL:-}" ]; then
  db="${BENCH_DATABASE_URL##*/}"
  psql "${BENCH_DATABASE_URL%/*}/postgres" -qc "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >&2
  export DATABASE_URL="$BENCH_DATABASE_URL"
  # A database server needs a configured key for the stored addresses' pseudonyms.
  export TEILHABE_PSEUDONYM_KEY="${TEILHABE_PSEUDONYM_KEY:-bench-pseudonym-key-0123456789abcdef}"
  # One instance: the embedded index is allowed with PostgreSQL (BENCH_MEILISEARCH sets a server up).
  export TEILHABE_SINGLE_INSTANCE=true
  DB_NAME=PostgreSQL
fi
SEARCH_NAME="embedded index"
MEILI_PID=""
if [ -n "${BENCH_MEILISEARCH:-}" ]; then
  MEILISEARCH_XZ=../shared/meilisearch/meilisearch-1.50.0-linux-x86_64.xz
  if [ -f "$MEILISEARCH_XZ" ]; then
    if [ ! -x target/meilisearch ] || [ "$MEILISEARCH_XZ" -nt target/meilisearch ]; then
      xz -dc "$MEILISEARCH_XZ" > target/meilisearch.part && chmod +x target/meilisearch.part
      mv target/meilisearch.part target/meilisearch
    fi
    MEILI_BIN=target/meilisearch
  else
    MEILI_BIN=$(command -v meilisearch)
  fi
  MEILI_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  MEILI_KEY=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
  "$MEILI_BIN" --db-path "$DATA/meilisearch" --http-addr "127.0.0.1:$MEILI_PORT" \
    --master-key "$MEILI_KEY" --no-analytics >"$DATA/meilisearch.log" 2>&1 &
  MEILI_PID=$!
  for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$MEILI_PORT/health" >/dev/null && break; sleep 0.1; done
  export TEILHABE_MEILISEARCH_URL="http://127.0.0.1:$MEILI_PORT" TEILHABE_MEILISEARCH_KEY="$MEILI_KEY"
  SEARCH_NAME="Meilisearch $("$MEILI_BIN" --version | awk '{print $NF}') (same machine)"
fi
BIN=./target/release/teilhabe
# Wall time (s) and peak resident memory (MB) of one command, from GNU time.
timed() {
  local report="$DATA/time.$1"; shift
  # A failed step ends the run: figures measured after it would describe a broken set-up.
  /usr/bin/time -f '%e %M' -o "$report" "$@" >&2 || { echo "failed: $*" >&2; return 1; }
  awk '{printf "%.1f s, %d MB peak", $1, $2 / 1024}' "$report"
}
$BIN seed-demo >&2
SEEDED=$(timed seed $BIN seed-bulk --courses "$COURSES" --dates "$DATES" --proposals "$PROPOSALS")
INDEXED=$(timed reindex $BIN reindex)

$BIN serve >/dev/null 2>"$DATA/server.log" &
PID=$!
wait_for_health
IDLE_KB=$(awk '/VmRSS/ {print $2}' "/proc/$PID/status")
[ -n "$MEILI_PID" ] && MEILI_IDLE_KB=$(awk '/VmRSS/ {print $2}' "/proc/$MEILI_PID/status")

SLUG=$(course_slug)
DATE_IDS=$(curl -fs "$BASE/api/v1/dates?frei=1&seite=20" | python3 -c 'import json,sys; print(",".join(str(d["id"]) for d in json.load(sys.stdin)["items"]))')
export DATE_IDS

ROWS=()
row() { # name, wrk args…
  local name="$1"; shift
  local out rps p50 p99 errors line
  out="$(wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency "$@")"
  rps="$(awk '/Requests\/sec/ {printf "%.0f", $2}' <<<"$out")"
  p50="$(awk '$1=="50%" {print $2}' <<<"$out")"
  p99="$(awk '$1=="99%" {print $2}' <<<"$out")"
  errors="$(awk '/Non-2xx/ {print $NF}' <<<"$out")"
  line="$(printf '| %s | %s | %s | %s | %s |' "$name" "$rps" "$p50" "$p99" "${errors:-0}")"
  ROWS+=("$line")
  echo "$line" >&2
}

if [ "$ONLY" = all ] || [ "$ONLY" = catalogue ]; then
  row "Home page (/)" "$BASE/"
  row "Catalogue, filtered (/kurse?kreis=16051&thema=…&frei=1&stufenlos=1)" \
    "$BASE/kurse?kreis=16051&thema=smartphone-grundlagen&frei=1&stufenlos=1"
  row "Catalogue, text search and date range" "$BASE/kurse?q=smartphone&von=2026-12-01&bis=2027-02-28"
  row "Catalogue, 1,188 changing filter combinations" -s benches/mixed_filters.lua "$BASE"
  row "GET /api/v1/dates, 1,188 changing filter combinations" -s benches/mixed_filters.lua "$BASE/api/v1/dates"
  row "Course page (/kurse/$SLUG)" "$BASE/kurse/$SLUG"
fi
if [ "$ONLY" = all ] || [ "$ONLY" = proposals ]; then
  row "Proposal search, one query (/vorschlaege?q=glasfaser+ausbau)" "$BASE/vorschlaege?q=glasfaser+ausbau"
  row "Proposal search, 1,760 changing queries" -s benches/proposal_queries.lua "$BASE"
  row "GET /api/v1/proposals, 1,760 changing queries" -s benches/proposal_queries.lua "$BASE/api/v1/proposals"
fi
if [ "$ONLY" = all ] || [ "$ONLY" = bookings ]; then
  row "Booking POST (JSON API, distinct addresses)" -s benches/booking.lua "$BASE"
fi
PEAK_KB=$(awk '/VmHWM/ {print $2}' "/proc/$PID/status")
[ -n "$MEILI_PID" ] && MEILI_PEAK_KB=$(awk '/VmHWM/ {print $2}' "/proc/$MEILI_PID/status")

RUSH="not run"
if [ "$ONLY" = all ] || [ "$ONLY" = bookings ]; then
  # Against the same server and database (release build of benches/booking_rush.rs).
  RUSH=$(BENCH_BASE_URL="$BASE" cargo bench --locked --bench booking_rush 2>/dev/null | grep '^| Booking rush' \
    | awk -F'|' '{gsub(/^ +| +$/, "", $3); gsub(/^ +| +$/, "", $4); printf "%s; %s", $3, $4}')
fi

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
echo "Database: $DB_NAME; search: $SEARCH_NAME; $COURSES courses, $DATES dates, $PROPOSALS proposals; page cache $([ "$TEILHABE_PAGE_CACHE_SECONDS" = 0 ] && echo off || echo "${TEILHABE_PAGE_CACHE_SECONDS} s"); wrk -t2 -c$CONNECTIONS -d$DURATION on the same machine ($(nproc) cores); $(date -u +%F); commit $(git rev-parse --short HEAD); load average before the run $LOAD_BEFORE, after it $(cut -d' ' -f1-3 /proc/loadavg)."
echo
echo "| Scenario | Requests/s | p50 | p99 | Non-2xx |"
echo "|---|---:|---:|---:|---:|"
printf '%s\n' "${ROWS[@]}"
echo
echo "| Measure | Result |"
echo "|---|---|"
echo "| Booking rush, 1,000 at once for 20 places | $RUSH |"
echo "| Seeding (seed-bulk) | $SEEDED |"
echo "| Search index build (reindex, $PROPOSALS proposals) | $INDEXED |"
echo "| Cold start to first response | $(( (END_NS - START_NS) / 1000000 )) ms |"
echo "| Server memory idle (after start / 5 s after a cold start) | $((IDLE_KB / 1024)) MB / $((COLD_IDLE_KB / 1024)) MB |"
echo "| Server memory peak over the load (VmHWM) | $((PEAK_KB / 1024)) MB |"
if [ -n "$MEILI_PID" ]; then
  echo "| Meilisearch memory (before the load / peak since its start, VmHWM) | $((MEILI_IDLE_KB / 1024)) MB / $((MEILI_PEAK_KB / 1024)) MB |"
  echo "| Meilisearch data directory | $(du -sm "$DATA/meilisearch" | cut -f1) MB |"
fi
echo "| Binary (release, debug info stripped) | $(( $(stat -c %s "$BIN") / 1024 / 1024 )) MB |"
