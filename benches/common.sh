# Shared by benches/run.sh and benches/instructions.sh (sourced, not run): the generated data's size,
# a fresh data directory with the portal's benchmark settings, and waiting for the server.

COURSES="${BENCH_COURSES:-1000}"
DATES="${BENCH_DATES:-5000}"

# bench_environment PORT: a fresh data directory in DATA (the caller removes it), the portal's
# settings for a run on PORT (demo accounts off, no rate limits, warnings only), BASE its address.
bench_environment() {
  DATA="$(mktemp -d)"
  BASE="http://127.0.0.1:$1"
  export TEILHABE_DATA_DIR="$DATA" TEILHABE_BIND="127.0.0.1:$1" TEILHABE_DEMO=false \
    TEILHABE_RATE_LIMITS=off RUST_LOG=warn
}

# wait_for_health [SECONDS]: until the server at BASE answers /health, at most SECONDS (default 60;
# a server under valgrind starts slowly).
wait_for_health() {
  local seconds="${1:-60}"
  for _ in $(seq 1 $((seconds * 10))); do
    curl -fs "$BASE/health" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "the server at $BASE did not answer /health within $seconds s" >&2
  return 1
}

# course_slug: the address part of a generated course, the same one for the same data.
course_slug() {
  curl -fs "$BASE/api/v1/courses?per_page=1&page=500" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["slug"])'
}

# measure_row PID FIRST SECOND WRK_ARGS…: a 3 s warm-up, then wrk for MEASURE_DURATION (default 8s)
# against the server PID; prints a table row: FIRST, SECOND, requests/s, p99, the server's CPU time
# per request (utime + stime over the requests wrk counted) and the non-2xx answers.
measure_row() {
  local pid="$1" first="$2" second="$3"
  shift 3
  wrk -t2 -c32 -d3s "$@" >/dev/null
  local ticks_before ticks_after out
  ticks_before=$(awk '{print $14 + $15}' "/proc/$pid/stat")
  out=$(wrk -t2 -c32 -d"${MEASURE_DURATION:-8s}" --latency "$@")
  ticks_after=$(awk '{print $14 + $15}' "/proc/$pid/stat")
  awk -v first="$first" -v second="$second" -v ticks=$((ticks_after - ticks_before)) -v hz="$(getconf CLK_TCK)" '
    /Requests\/sec/ {rps = $2} /requests in/ {n = $1} $1 == "99%" {p99 = $2} /Non-2xx/ {errors = $NF}
    END {printf "| %s | %s | %.0f | %s | %.2f ms | %d |\n", first, second, rps, p99, ticks * 1000 / hz / n, errors}' <<<"$out"
}

