#!/usr/bin/env bash
# The whole test suite: formatting, lints, Rust tests on SQLite and PostgreSQL, browser accessibility tests.
# Installs what it needs (Chromium from Debian, npm packages); safe to run on a fresh machine.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Each step's duration is kept and printed at the end, so a slow step shows in every run.
suite_started=$SECONDS
step_name=""
step_started=$SECONDS
durations=()
end_step() {
  [ -n "$step_name" ] && durations+=("$(printf '%5ds  %s' $((SECONDS - step_started)) "$step_name")")
  step_name=""
}
step() {
  end_step
  step_name="$*"
  step_started=$SECONDS
  printf '\n==> %s\n' "$*"
}
report_durations() {
  local status=${1:-$?}
  end_step
  printf '\n==> durations\n'
  printf '%s\n' "${durations[@]}"
  printf '%5ds  whole suite (%s)\n' $((SECONDS - suite_started)) "$([ $status = 0 ] && echo passed || echo failed)"
}
# Servers the suite starts (Meilisearch) are stopped when it ends, however it ends; then the durations.
cleanups=()
on_exit() {
  local status=$?
  local cleanup
  for cleanup in ${cleanups[@]+"${cleanups[@]}"}; do "$cleanup" || true; done
  report_durations "$status"
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

step "PostgreSQL"
if command -v pg_isready >/dev/null && ! pg_isready -q -h 127.0.0.1 -p 5432; then
  # The machine's cluster may be stopped after a reboot; start it if we can.
  if command -v pg_ctlcluster >/dev/null; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
    for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
  fi
fi
if command -v pg_isready >/dev/null && pg_isready -q -h 127.0.0.1 -p 5432; then
  echo "PostgreSQL reachable at 127.0.0.1:5432: the PostgreSQL variants run too"
  export TEILHABE_REQUIRE_POSTGRES=1
else
  echo "PostgreSQL not reachable: only SQLite variants run (set TEILHABE_TEST_POSTGRES_URL to use another server)"
  if [ "${CI:-}" = "true" ]; then echo "CI needs PostgreSQL" >&2; exit 1; fi
fi

step "installs in the background: Python packages, and Chromium, Java and npm packages for the browser suite"
# On a fresh machine these are minutes of downloading; they overlap the Rust build instead of
# following it. Each is waited for (and its output shown) where it is first needed.
declare -A background_pids=()
background_logs=$(mktemp -d)
# An install is not cut off half-way (an interrupted apt-get leaves its lock and half-set-up packages).
finish_background() {
  local pid
  for pid in "${background_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$background_logs"
}
cleanups+=(finish_background)
in_background() {
  local name=$1
  shift
  "$@" >"$background_logs/$name.log" 2>&1 &
  background_pids[$name]=$!
}
wait_for_background() {
  local name=$1 status=0
  wait "${background_pids[$name]}" || status=$?
  cat "$background_logs/$name.log"
  if [ "$status" != 0 ]; then echo "$name failed (exit $status)" >&2; exit 1; fi
}
# aiosmtpd for tests/api/smtp.rs, schemathesis for tests/fuzz_api.sh. Installs for the python3 on
# PATH; PIP_BREAK_SYSTEM_PACKAGES lets pip install next to Debian's own Python packages (PEP 668) on
# a fresh machine, older pips ignore it.
in_background python-packages env PIP_BREAK_SYSTEM_PACKAGES=1 PIP_ROOT_USER_ACTION=ignore \
  python3 -m pip install --quiet --disable-pip-version-check -r tests/requirements.txt
in_background browser-suite-dependencies bash a11y-tests/install-deps.sh

step "cargo fmt --check"
cargo fmt --all -- --check

step "build every target, linted by clippy (-D warnings)"
# Clippy runs as the compiler of the workspace's own crates while the tests are built, as `cargo
# clippy` itself does it (RUSTC_WORKSPACE_WRAPPER, CLIPPY_ARGS). A separate `cargo clippy` would
# analyse every dependency a second time: about two minutes of a cold build. Exported, so that the
# later cargo commands find their build fresh instead of compiling the crates again without it.
export RUSTC_WORKSPACE_WRAPPER="$(rustc --print sysroot)/bin/clippy-driver"
export CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__"
# A build from scratch gains nothing from incremental compilation's bookkeeping.
if [ "${CI:-}" = "true" ]; then export CARGO_INCREMENTAL=0; fi
cargo test --workspace --all-targets --locked --no-run

step "Meilisearch server (the search contract and the app's Meilisearch tests run against it)"
# A URL in the environment wins; otherwise the binary from ../shared/meilisearch (unpacked into
# target/), or `meilisearch` on the PATH, is started on a free port with a fresh database.
MEILISEARCH_XZ=../shared/meilisearch/meilisearch-1.50.0-linux-x86_64.xz
meili_pid=""
meili_db=""
stop_meilisearch() {
  if [ -n "$meili_pid" ]; then
    kill "$meili_pid" 2>/dev/null || true
    wait "$meili_pid" 2>/dev/null || true
    meili_pid=""
  fi
  if [ -n "$meili_db" ]; then rm -rf "$meili_db"; meili_db=""; fi
}
cleanups+=(stop_meilisearch)
meili_healthy() { curl -fsS --max-time 2 "$1/health" >/dev/null 2>&1; }
meili_bin=""
if [ -n "${TEILHABE_TEST_MEILISEARCH_URL:-}" ]; then
  if ! meili_healthy "$TEILHABE_TEST_MEILISEARCH_URL"; then
    echo "TEILHABE_TEST_MEILISEARCH_URL=$TEILHABE_TEST_MEILISEARCH_URL does not answer GET /health" >&2
    exit 1
  fi
  echo "using the Meilisearch server at $TEILHABE_TEST_MEILISEARCH_URL"
elif [ -f "$MEILISEARCH_XZ" ]; then
  mkdir -p target
  if [ ! -x target/meilisearch ] || [ "$MEILISEARCH_XZ" -nt target/meilisearch ]; then
    xz -dc "$MEILISEARCH_XZ" > target/meilisearch.part && chmod +x target/meilisearch.part
    mv target/meilisearch.part target/meilisearch
  fi
  meili_bin=target/meilisearch
elif command -v meilisearch >/dev/null; then
  meili_bin=$(command -v meilisearch)
fi
if [ -n "$meili_bin" ]; then
  meili_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  meili_key=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
  meili_db=$(mktemp -d)
  "$meili_bin" --db-path "$meili_db/data" --http-addr "127.0.0.1:$meili_port" \
    --master-key "$meili_key" --no-analytics >"$meili_db/log" 2>&1 &
  meili_pid=$!
  for _ in $(seq 1 100); do
    meili_healthy "http://127.0.0.1:$meili_port" && break
    kill -0 "$meili_pid" 2>/dev/null || break
    sleep 0.1
  done
  if ! meili_healthy "http://127.0.0.1:$meili_port"; then
    echo "Meilisearch ($meili_bin) did not start; its log:" >&2
    cat "$meili_db/log" >&2 || true
    exit 1
  fi
  export TEILHABE_TEST_MEILISEARCH_URL="http://127.0.0.1:$meili_port"
  export TEILHABE_TEST_MEILISEARCH_KEY="$meili_key"
  echo "started $("$meili_bin" --version 2>/dev/null || echo "$meili_bin") at $TEILHABE_TEST_MEILISEARCH_URL"
fi
if [ -z "${TEILHABE_TEST_MEILISEARCH_URL:-}" ]; then
  echo "SKIPPED: no Meilisearch (neither $MEILISEARCH_XZ, nor meilisearch on PATH, nor TEILHABE_TEST_MEILISEARCH_URL); the search contract runs for the embedded index only"
  if [ "${CI:-}" = "true" ]; then echo "CI needs Meilisearch" >&2; exit 1; fi
fi

step "unit and integration tests"
# The tests copy their PostgreSQL databases from templates they build once (tests/api/helpers.rs);
# they go when the suite ends, however it ends.
drop_test_templates() {
  command -v psql >/dev/null || return 0
  local url=${TEILHABE_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres} template
  # Under the lock the tests build templates with, so another run's template is not dropped half-built.
  local commands=(-c "SELECT pg_advisory_lock(7361206001)")
  for template in $(psql "$url" -Atc "SELECT datname FROM pg_database WHERE datname LIKE 'teilhabe_tmpl_%'" 2>/dev/null); do
    commands+=(-c "DROP DATABASE IF EXISTS \"$template\" WITH (FORCE)")
  done
  psql "$url" -q "${commands[@]}" >/dev/null 2>&1 || true
}
if [ -n "${TEILHABE_REQUIRE_POSTGRES:-}" ]; then cleanups+=(drop_test_templates); fi
wait_for_background python-packages
# Four at a time on two cores: the integration tests wait for HTTP answers, the databases and
# background jobs about half of the time (402 s with two threads, 318 s with four, 2026-12-04).
test_threads="${TEILHABE_TEST_THREADS:-4}"
if cargo nextest --version >/dev/null 2>&1; then
  # cargo-nextest runs each test in a process of its own and keeps all threads busy to the end
  # (the api tests: 262 s against 318 s with cargo test), and lists any test that failed at the end.
  cargo nextest run --workspace --locked --no-fail-fast --test-threads="$test_threads" \
    --status-level fail --final-status-level slow
else
  cargo test --workspace --locked -- --test-threads="$test_threads"
fi

step "API fuzzing (schemathesis against /api/openapi.json)"
# target/debug/teilhabe comes from the test build (the integration tests start it). A `cargo build`
# here would compile a good part of the dependencies again: only test builds unify their features
# with the dev-dependencies' (90 s on a warm machine, more from scratch).
bash tests/fuzz_api.sh target/debug/teilhabe

step "accessibility tests (axe-core in Chromium, every page in the sitemap)"
wait_for_background browser-suite-dependencies
(cd a11y-tests && TEILHABE_BIN="$PWD/../target/debug/teilhabe" npm test)
