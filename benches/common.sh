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
