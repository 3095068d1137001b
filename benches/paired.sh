#!/usr/bin/env bash
# Two release binaries on the same data, alternating: the way BENCHMARKS.md measures a change on a
# shared host, where the same binary can serve half as much on one day as on the day before.
#
#   BENCH_BEFORE=/tmp/teilhabe-before bash benches/paired.sh            # against this tree's build
#   BENCH_BEFORE=… BENCH_AFTER=… BENCH_SCENARIOS="catalogue proposals-api" bash benches/paired.sh
#   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/teilhabe_paired BENCH_BEFORE=… bash benches/paired.sh
#
# The binaries read templates, static files and texts from this tree; when the "before" build needs
# its own (its templates use other fields), BENCH_BEFORE_ASSETS names a checkout of its commit
# (`git worktree add /tmp/before <commit>`).
#
# With BENCH_DATABASE_URL the two sides run on PostgreSQL: databases <name>_before and <name>_after
# (the second a copy of the first made with CREATE DATABASE … TEMPLATE, then migrated by the "after"
# binary, both VACUUM ANALYZEd), dropped at the end.
# The data (seed-demo, seed-bulk with BENCH_COURSES, BENCH_DATES, BENCH_PROPOSALS, then reindex) is
# made once by the "before" binary, started once so every migration of the "after" binary applies,
# and copied for each run, so both binaries read the same files. Scenarios: catalogue (1,188
# changing filter addresses), catalogue-text (120 addresses with a search text, with and without a
# period), dates-api (the same filters as catalogue on GET /api/v1/dates), course (one course page),
# proposals (1,760 changing searches), proposals-api (the same on GET /api/v1/proposals), bookings
# (booking POSTs through the JSON API spread over 20 dates, as in run.sh; each side books on its own
# copy, so later rounds meet fuller dates on both sides about alike), rush
# (benches/booking_rush.rs: 1,000 bookings at once for 20 places on a new date; its row gives the
# wall time in place of requests/s).
# BENCH_ROUNDS (default 3) pairs per scenario, BENCH_DURATION (default 8s) per run after a 3 s
# warm-up. Prints requests/s, p99 and the server's CPU time per request (utime + stime over the
# requests wrk counted) for each run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source benches/common.sh

PROPOSALS="${BENCH_PROPOSALS:-100000}"
ROUNDS="${BENCH_ROUNDS:-3}"
export MEASURE_DURATION="${BENCH_DURATION:-8s}"
PORT="${BENCH_PORT:-18130}"
SCENARIOS="${BENCH_SCENARIOS:-catalogue dates-api course proposals proposals-api}"
BEFORE_BIN="${BENCH_BEFORE:?BENCH_BEFORE names the release binary to compare against}"
if [ -z "${BENCH_AFTER:-}" ]; then
  cargo build --release --locked --bin teilhabe >&2
  AFTER_BIN="$PWD/target/release/teilhabe"
else
  AFTER_BIN="$BENCH_AFTER"
fi
command -v wrk >/dev/null || apt-get install -y wrk >/dev/null
RUSH_BIN=""
if [[ " $SCENARIOS " == *" rush "* ]]; then
  RUSH_BIN=$(cargo bench --locked --bench booking_rush --no-run 2>&1 |
    grep -o 'target/release/deps/booking_rush-[0-9a-f]*' | tail -1)
fi

bench_environment "$PORT"
export TEILHABE_PAGE_CACHE_SECONDS=0
unset DATABASE_URL TEILHABE_MEILISEARCH_URL
PG_SERVER="" PG_NAME=""
if [ -n "${BENCH_DATABASE_URL:-}" ]; then
  PG_SERVER="${BENCH_DATABASE_URL%/*}" PG_NAME="${BENCH_DATABASE_URL##*/}"
  export TEILHABE_PSEUDONYM_KEY="${TEILHABE_PSEUDONYM_KEY:-bench-pseudonym-key-0123456789abcdef}"
  # One instance per side: the embedded index is allowed with PostgreSQL.
  export TEILHABE_SINGLE_INSTANCE=true
fi
pg() { psql "$PG_SERVER/postgres" -qX "$@" >&2; }
drop_databases() {
  [ -z "$PG_NAME" ] || pg -c "DROP DATABASE IF EXISTS ${PG_NAME}_before" -c "DROP DATABASE IF EXISTS ${PG_NAME}_after"
}
trap 'kill "${PID:-}" 2>/dev/null || true; sleep 1; rm -rf "$DATA"; drop_databases' EXIT
# side_database SIDE: DATABASE_URL for the side's database (PostgreSQL), nothing for SQLite.
side_database() {
  if [ -n "$PG_NAME" ]; then echo "DATABASE_URL=$PG_SERVER/${PG_NAME}_$1"; else echo "DATABASE_URL="; fi
}
SEEDED="$DATA/seeded"
mkdir -p "$SEEDED"
if [ -n "$PG_NAME" ]; then
  drop_databases
  pg -c "CREATE DATABASE ${PG_NAME}_before"
fi
seed() { env "$(side_database before)" TEILHABE_DATA_DIR="$SEEDED" "$BEFORE_BIN" "$@" >/dev/null 2>&1; }
seed seed-demo
seed seed-bulk --courses "$COURSES" --dates "$DATES" --proposals "$PROPOSALS"
seed reindex
# Each binary applies its migrations to the copy it runs on; a copy of its own keeps the other's
# data unchanged.
for side in before after; do
  cp -r "$SEEDED" "$DATA/$side"
done
if [ -n "$PG_NAME" ]; then
  pg -c "CREATE DATABASE ${PG_NAME}_after TEMPLATE ${PG_NAME}_before"
  env "$(side_database after)" TEILHABE_DATA_DIR="$DATA/after" "$AFTER_BIN" migrate >/dev/null 2>&1
  for side in before after; do psql "$PG_SERVER/${PG_NAME}_$side" -qXc "VACUUM ANALYZE" >&2; done
fi
env "$(side_database before)" TEILHABE_DATA_DIR="$DATA/before" "$BEFORE_BIN" serve >/dev/null 2>&1 &
PID=$!
wait_for_health 120
SLUG=$(course_slug)
DATE_IDS=$(curl -fs "$BASE/api/v1/dates?frei=1&seite=20" |
  python3 -c 'import json,sys; print(",".join(str(d["id"]) for d in json.load(sys.stdin)["items"]))')
export DATE_IDS
kill "$PID"; wait "$PID" 2>/dev/null || true

wrk_args() { # scenario
  case "$1" in
    catalogue) echo "-s benches/mixed_filters.lua $BASE/kurse" ;;
    catalogue-text) echo "-s benches/catalogue_texts.lua $BASE/kurse" ;;
    dates-api) echo "-s benches/mixed_filters.lua $BASE/api/v1/dates" ;;
    course) echo "$BASE/kurse/$SLUG" ;;
    proposals) echo "-s benches/proposal_queries.lua $BASE/vorschlaege" ;;
    proposals-api) echo "-s benches/proposal_queries.lua $BASE/api/v1/proposals" ;;
    bookings) echo "-s benches/booking.lua $BASE" ;;
    *) echo "unknown scenario $1" >&2; exit 2 ;;
  esac
}

measure() { # side, binary, scenario
  local assets="$PWD"
  [ "$1" = before ] && assets="${BENCH_BEFORE_ASSETS:-$PWD}"
  env "$(side_database "$1")" TEILHABE_DATA_DIR="$DATA/$1" TEILHABE_ASSETS_DIR="$assets" "$2" serve >/dev/null 2>&1 &
  PID=$!
  wait_for_health 120
  if [ "$3" = rush ]; then
    local row
    row=$(env "$(side_database "$1")" TEILHABE_DATA_DIR="$DATA/$1" BENCH_BASE_URL="$BASE" "$RUSH_BIN" |
      grep '^| Booking rush' | awk -F'|' '{gsub(/^ +| +$/, "", $3); gsub(/^ +| +$/, "", $4); printf "%s | %s", $3, $4}')
    echo "| rush | $1 | $row | | |"
  else
    # shellcheck disable=SC2046 # the arguments are words on purpose
    measure_row "$PID" "$3" "$1" $(wrk_args "$3")
  fi
  kill "$PID"; wait "$PID" 2>/dev/null || true
}

echo "${PG_NAME:+PostgreSQL; }$COURSES courses, $DATES dates, $PROPOSALS proposals; before: $BEFORE_BIN; after: $AFTER_BIN; $(date -u +%F); load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| Scenario | Build | Requests/s | p99 | CPU per request | Non-2xx |"
echo "|---|---|---:|---:|---:|---:|"
for scenario in $SCENARIOS; do
  for _ in $(seq 1 "$ROUNDS"); do
    measure before "$BEFORE_BIN" "$scenario"
    measure after "$AFTER_BIN" "$scenario"
  done
done
