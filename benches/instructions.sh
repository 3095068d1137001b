#!/usr/bin/env bash
# CPU cost per request, counted in instructions under valgrind's callgrind. Unlike requests per second,
# the count is the same on a busy machine as on a quiet one, so two builds can be compared while other
# work runs (see BENCHMARKS.md, "Instructions per request").
#
#   bash benches/instructions.sh                              # this tree's release build
#   BENCH_BIN=/elsewhere/target/release/teilhabe bash benches/instructions.sh   # another build
#
# Each build gets the same generated data (seed-demo, then seed-bulk with BENCH_COURSES, BENCH_DATES,
# BENCH_PROPOSALS; the generator is seeded), SQLite and the embedded index, page cache off. The server
# runs under callgrind with instrumentation off until it is warm; then each scenario's requests are sent
# one after another from a fixed list and counted from zero. Prints one Markdown table row per scenario.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source benches/common.sh

PROPOSALS="${BENCH_PROPOSALS:-20000}"
REQUESTS="${BENCH_REQUESTS:-200}"
ROUNDS="${BENCH_ROUNDS:-3}"
PORT="${BENCH_PORT:-18090}"
if [ -z "${BENCH_BIN:-}" ]; then
  cargo build --release --locked --bin teilhabe >&2
  BIN="$PWD/target/release/teilhabe"
else
  BIN="$BENCH_BIN"
fi
command -v valgrind >/dev/null || apt-get install -y valgrind >/dev/null

bench_environment "$PORT"
trap 'kill "${PID:-}" 2>/dev/null || true; sleep 1; rm -rf "$DATA"' EXIT
export TEILHABE_PAGE_CACHE_SECONDS=0
unset DATABASE_URL TEILHABE_MEILISEARCH_URL
"$BIN" seed-demo >/dev/null 2>&1
"$BIN" seed-bulk --courses "$COURSES" --dates "$DATES" --proposals "$PROPOSALS" >/dev/null 2>&1
"$BIN" reindex >/dev/null 2>&1

valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$DATA/callgrind.out" \
  "$BIN" serve >/dev/null 2>"$DATA/server.log" &
PID=$!
wait_for_health 180
SLUG=$(course_slug)
DATE_IDS=$(curl -fs "$BASE/api/v1/dates?frei=1&seite=20" |
  python3 -c 'import json,sys; print(",".join(str(d["id"]) for d in json.load(sys.stdin)["items"]))')
SCENARIOS="${BENCH_SCENARIOS:-catalogue api-dates course-page search-page api-proposals bookings}"

# The request lists follow benches/mixed_filters.lua and benches/proposal_queries.lua.
python3 - "$DATA" "$REQUESTS" "$SLUG" "$BASE" "$DATE_IDS" "$ROUNDS" <<'PY'
import sys, urllib.parse
data, n, slug, base_url = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
date_ids, rounds = sys.argv[5].split(","), int(sys.argv[6])
districts = ["16051", "16052", "16053", "16054", "16055", "16061", "16062", "16063", "16064", "16065",
             "16066", "16067", "16068", "16069", "16070", "16071", "16072", "16073", "16074", "16075",
             "16076", "16077"]
topics = ["smartphone-grundlagen", "tablet-grundlagen", "videotelefonie", "sicher-online-bezahlen",
          "sicher-im-netz", "behoerdengaenge-online", "ki-im-alltag", "fotos-und-nachrichten",
          "beteiligung-vor-ort"]
words = ["glasfaser", "breitband", "mobilfunk", "funkloch", "wlan", "bürgeramt", "onlineantrag",
         "terminvergabe", "personalausweis", "bauantrag", "wohngeld", "serviceportal", "zulassung",
         "schule", "tablet", "kurs", "volkshochschule", "senioren", "rampe", "aufzug", "leichte sprache",
         "vorlesen", "gebärdensprache", "datenschutz", "passwort", "betrug", "phishing", "sicherheit",
         "bibliothek", "bus", "bahnhof", "marktplatz", "sprechstunde", "ausbau", "digital", "app",
         "formular", "netz", "glasfasr", "breitbnd"]
def catalogue(base):
    for k in range(1, n + 1):
        i = k * 7919
        yield "%s?kreis=%s&thema=%s%s&seite=%d" % (base, districts[i % 22], topics[(i // 3) % 9],
                                                  "&frei=1" if i % 2 == 0 else "", i % 3 + 1)
def search(base, district, newest):
    for k in range(1, n + 1):
        i = k * 7919
        q = urllib.parse.quote_plus(words[i % len(words)])
        yield "%s?q=%s&%s=%s%s" % (base, q, district, districts[(i // 5) % 22],
                                   newest if i % 2 == 0 else "")
lists = {
    "catalogue": catalogue("/kurse"),
    "api-dates": catalogue("/api/v1/dates"),
    "course-page": ("/kurse/" + slug for _ in range(n)),
    "search-page": search("/vorschlaege", "kreis", "&sortierung=neueste"),
    "api-proposals": search("/api/v1/proposals", "district", "&sort=newest"),
}
for name, paths in lists.items():
    with open("%s/%s.curl" % (data, name), "w") as f:
        for path in paths:
            f.write('url = "%s%s"\noutput = "/dev/null"\n' % (base_url, path))
# Booking POSTs (benches/booking.lua, one after another): every round books with new addresses, the
# warm-up (round 0) too, spread over the same 20 dates, which fill and then take waiting lists.
for r in range(rounds + 1):
    with open("%s/bookings.%d.curl" % (data, r), "w") as f:
        for k in range(n):
            body = '{"name":"Last Test","email":"last-%d-%d@bench.example","places":1}' % (r, k)
            f.write('url = "%s/api/v1/dates/%s/bookings"\nheader = "Content-Type: application/json"\n'
                    'data = "%s"\noutput = "/dev/null"\n%s'
                    % (base_url, date_ids[k % len(date_ids)], body.replace('"', '\\"'),
                       "next\n" if k + 1 < n else ""))
PY

callgrind_control -i on "$PID" >/dev/null 2>&1
# Warm-up: the first requests fill connection pools, statement caches and the index's pages.
for name in catalogue api-dates course-page search-page api-proposals; do
  curl -sf -K "$DATA/$name.curl" >/dev/null
done
cp "$DATA/bookings.0.curl" "$DATA/bookings.curl"
curl -sf -K "$DATA/bookings.curl" >/dev/null

# Every request must succeed (`curl -f`): a refused one costs less and would lower the count unseen.
# Background work (mail, index and housekeeping rounds) runs on its own clock and sometimes falls into a
# scenario's window; each scenario runs ROUNDS times and the lowest count is the request's own cost.
count_once() { # scenario name → instructions per request
  local name="$1" dumps dump total
  callgrind_control -z "$PID" >/dev/null 2>&1
  # Each round of bookings has addresses of its own (a repeated one would be refused).
  [ "$name" = bookings ] && cp "$DATA/bookings.$ROUND.curl" "$DATA/bookings.curl"
  curl -sf -K "$DATA/$name.curl" >/dev/null || { echo "a request of $name failed" >&2; return 1; }
  dumps=$(find "$DATA" -maxdepth 1 -name "callgrind.out.*" | wc -l)
  callgrind_control -d "$name" "$PID" >/dev/null 2>&1
  # The dump is written by the server a moment after the command returns; it ends with `totals:`.
  dump="$DATA/callgrind.out.$((dumps + 1))"
  until grep -qs '^totals:' "$dump"; do sleep 0.2; done
  total=$(awk '/^summary:/ {print $2; exit}' "$dump")
  awk -v t="$total" -v n="$REQUESTS" 'BEGIN {printf "%.0f\n", t / n}'
}
echo "| Scenario ($REQUESTS requests each, lowest of $ROUNDS rounds) | Instructions per request |"
echo "|---|---:|"
for name in $SCENARIOS; do
  lowest=""
  for ROUND in $(seq 1 "$ROUNDS"); do
    n=$(count_once "$name")
    if [ -z "$lowest" ] || [ "$n" -lt "$lowest" ]; then lowest=$n; fi
  done
  printf '| %s | %s |\n' "$name" "$lowest"
done
