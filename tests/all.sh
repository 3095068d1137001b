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
  local status=$?
  end_step
  printf '\n==> durations\n'
  printf '%s\n' "${durations[@]}"
  printf '%5ds  whole suite (%s)\n' $((SECONDS - suite_started)) "$([ $status = 0 ] && echo passed || echo failed)"
}
trap report_durations EXIT

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

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "Python packages for the tests (aiosmtpd for tests/api/smtp.rs, schemathesis for tests/fuzz_api.sh)"
# Installs for the python3 on PATH; PIP_BREAK_SYSTEM_PACKAGES lets pip install next to Debian's own
# Python packages (PEP 668) on a fresh machine, older pips ignore it.
PIP_BREAK_SYSTEM_PACKAGES=1 PIP_ROOT_USER_ACTION=ignore \
  python3 -m pip install --quiet --disable-pip-version-check -r tests/requirements.txt

step "cargo test (unit and integration tests)"
cargo test --workspace --locked

step "API fuzzing (schemathesis against /api/openapi.json)"
cargo build --locked --bin teilhabe
bash tests/fuzz_api.sh target/debug/teilhabe

step "accessibility tests (axe-core in Chromium, every page in the sitemap)"
bash a11y-tests/install-deps.sh
(cd a11y-tests && TEILHABE_BIN="$PWD/../target/debug/teilhabe" npm test)
