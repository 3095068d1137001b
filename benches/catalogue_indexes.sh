#!/usr/bin/env bash
# The catalogue with and without the covering indexes of migration m20261204_000021, paired: one
# release binary, the same generated data copied twice, the copy "before" with the narrower indexes
# put back, then alternating wrk runs (BENCHMARKS.md, "covering indexes for the catalogue").
#
#   bash benches/catalogue_indexes.sh                                  # 1,000 courses / 5,000 dates
#   BENCH_COURSES=10000 BENCH_DATES=50000 bash benches/catalogue_indexes.sh
#
# BENCH_ROUNDS (default 2) pairs per scenario. Prints requests/s, p99 and the server's CPU time per
# request (utime + stime over the requests wrk counted) for each run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source benches/common.sh

ROUNDS="${BENCH_ROUNDS:-2}"
PORT="${BENCH_PORT:-18120}"
command -v wrk >/dev/null || apt-get install -y wrk >/dev/null
command -v sqlite3 >/dev/null || apt-get install -y sqlite3 >/dev/null
cargo build --release --locked --bin teilhabe >&2
BIN="$PWD/target/release/teilhabe"

bench_environment "$PORT"
trap 'kill "${PID:-}" 2>/dev/null || true; sleep 1; rm -rf "$DATA"' EXIT
export TEILHABE_PAGE_CACHE_SECONDS=0
AFTER="$DATA/after" BEFORE="$DATA/before"
mkdir -p "$AFTER"
TEILHABE_DATA_DIR="$AFTER" "$BIN" seed-demo >/dev/null 2>&1
TEILHABE_DATA_DIR="$AFTER" "$BIN" seed-bulk --courses "$COURSES" --dates "$DATES" --proposals 0 >/dev/null 2>&1
# One start applies every migration.
TEILHABE_DATA_DIR="$AFTER" "$BIN" serve >/dev/null 2>&1 &
PID=$!
wait_for_health
kill "$PID"; wait "$PID" 2>/dev/null || true
sqlite3 "$AFTER/teilhabe.db" "PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
cp -r "$AFTER" "$BEFORE"
sqlite3 "$BEFORE/teilhabe.db" "CREATE INDEX idx_offer_venue_topic ON offers (venue_id, topic);
  CREATE INDEX idx_offer_date_offer_start ON offer_dates (offer_id, starts_at);
  DROP INDEX idx_offer_catalogue; DROP INDEX idx_offer_date_catalogue;"
for dir in "$BEFORE" "$AFTER"; do sqlite3 "$dir/teilhabe.db" "DELETE FROM sqlite_stat1; ANALYZE;"; done

measure() { # label, data directory, path
  TEILHABE_DATA_DIR="$2" "$BIN" serve >/dev/null 2>&1 &
  PID=$!
  wait_for_health
  measure_row "$PID" "$1" "$3" -s benches/mixed_filters.lua "$BASE$3"
  kill "$PID"; wait "$PID" 2>/dev/null || true
}
echo "| Indexes | Path | Requests/s | p99 | CPU per request | Non-2xx |"
echo "|---|---|---:|---:|---:|---:|"
for _ in $(seq 1 "$ROUNDS"); do
  for path in /kurse /api/v1/dates; do
    measure before "$BEFORE" "$path"
    measure after "$AFTER" "$path"
  done
done
