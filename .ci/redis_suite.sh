#!/usr/bin/env bash
# Runs Redis 7.0.15's own test suite (../shared/redis-tests, or $REDIS_TESTS) against a
# fresh Redeno, unit by unit, for the units listed in README.md between the
# `suite-units` markers. A test that fails is a failure unless README.md lists it by
# name between the `suite-exceptions` markers (tests that need a command family that
# does not exist yet); a unit with such an unexpected failure is run once more on a
# fresh server, and only a test that fails both times counts.
# A listed test that passes is reported too, so the list stays exact. No tag is
# denied; the tests listed between the `suite-skips` markers are not run.
# Prints the per-unit table, the reruns, and ends with "suite: N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=suite_rules.sh
source .ci/suite_rules.sh

# The suite sits beside the checkout (../shared); /work/shared is where this
# workplace mounts it when the checkout is elsewhere.
TESTS=${REDIS_TESTS:-}
if [ -z "$TESTS" ]; then
  for candidate in ../shared/redis-tests /work/shared/redis-tests; do
    if [ -x "$candidate/run.sh" ]; then TESTS=$candidate; break; fi
  done
fi
[ -x "$TESTS/run.sh" ] || { echo "suite: no Redis test suite at $TESTS"; echo "suite: 0 passed, 1 failed"; exit 1; }
command -v tclsh >/dev/null || { echo "suite: tclsh is missing"; echo "suite: 0 passed, 1 failed"; exit 1; }

between() { sed -n "/<!-- $1:start -->/,/<!-- $1:end -->/p" README.md | grep -E '^- ' | sed 's/^- //'; }
mapfile -t UNITS < <(between suite-units | tr -d '`' | awk '{ print $1 }')
mapfile -t EXCEPTIONS < <(between suite-exceptions)
mapfile -t SKIPS < <(between suite-skips)

work=$(mktemp -d /tmp/redeno-suite.XXXXXX)
# runtest's skip file holds bare test names ("unit/x: name" in the README).
printf '%s\n' "${SKIPS[@]}" | grep -v '^$' | sed -E 's/^[^:]+: //' >"$work/skips"
# The V8 flags of `deno task start` in deno.json: the server runs as shipped.
shipped_v8_flags() { grep -o -- '--v8-flags=[^ "]*' deno.json | head -1; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Runs the given units on a fresh server; logs under $1.
run_units() {
  local logs=$1; shift
  local port; port=$(free_port)
  # DEBUG is on, as in the suite's own server config: the needs:debug tests use it.
  # shellcheck disable=SC2046 # the V8 flags `deno task start` runs with, one word
  deno run $(shipped_v8_flags) --allow-all src/main.ts --port "$port" --save '' --appendonly no \
    --enable-debug-command yes --dir "$work" >"$logs.server.log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 100); do
    redis-cli -p "$port" ping >/dev/null 2>&1 && break
    sleep 0.1
  done
  # No tag is denied: Redeno has DEBUG, PFDEBUG, replication and eviction, and runs
  # locally. The README's skipped tests are left out (runtest --skipfile).
  LOG_DIR=$logs DENY_TAGS="" RUNTEST_ARGS="--skipfile $work/skips" \
    "$TESTS/run.sh" 127.0.0.1 "$port" "$@" | tee "$logs.out"
  kill "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
}

# "name in tests/unit/x.tcl" lines of failed tests in a log folder, as "unit/x: name".
failures() {
  grep -h '^\[err\]: ' "$1"/unit_*.log 2>/dev/null |
    sed -E 's/^\[err\]: (.*) in tests\/(unit\/.*)\.tcl$/\2: \1/' | sort -u
}

# A unit that did not finish cleanly counts as a failure of its own.
broken() {
  awk '$1 ~ /^unit\// && ($4 != 0 || $7 !~ /^done/) { print $1 ": (unit did not finish)" }' "$1"
}

echo "--- Redis suite: ${#UNITS[@]} units"
run_units "$work/first" "${UNITS[@]}"
mapfile -t first < <(failures "$work/first"; broken "$work/first.out")
# Only units with a failure the README does not list get the rerun.
mapfile -t unexpected < <(printf '%s\n' "${first[@]}" | grep -v '^$' |
  grep -vxF -f <(printf '%s\n' "${EXCEPTIONS[@]}"))
mapfile -t rerun_units < <(printf '%s\n' "${unexpected[@]}" | grep -v '^$' | sed -E 's/: .*//' |
  sort -u)
final=("${first[@]}")
unfinished_first=()
if [ "${#rerun_units[@]}" -gt 0 ]; then
  echo "--- rerunning once: ${rerun_units[*]}"
  run_units "$work/second" "${rerun_units[@]}"
  mapfile -t second < <(failures "$work/second")
  # Units whose rerun did not finish cleanly prove nothing: their failures stand.
  mapfile -t unfinished < <(broken "$work/second.out" | sed -E 's/: .*//')
  # In a rerun unit a test fails only when it failed both times.
  mapfile -t final < <(for t in "${first[@]}"; do
    [ -n "$t" ] || continue
    unit=${t%%: *}
    if ! printf '%s\n' "${rerun_units[@]}" | grep -qxF "$unit" ||
      printf '%s\n' "${unfinished[@]}" | grep -qxF "$unit" ||
      printf '%s\n' "${second[@]}" | grep -qxF "$t"; then echo "$t"; fi
  done)
  # A unit that did not finish the first time counts its rerun's results.
  adopt_unfinished_reruns
  for t in "${first[@]}"; do
    if ! printf '%s\n' "${final[@]}" | grep -qxF "$t"; then echo "flaky (passed on rerun): $t"; fi
  done
fi

failed=0
for t in "${final[@]}"; do
  [ -n "$t" ] || continue
  if printf '%s\n' "${EXCEPTIONS[@]}" | grep -qxF "$t"; then
    echo "expected (listed in README.md with its reason): $t"
  else
    echo "FAILED: $t"
    failed=$((failed + 1))
  fi
done
for t in "${EXCEPTIONS[@]}"; do
  if ! printf '%s\n' "${final[@]}" | grep -qxF "$t"; then
    echo "listed as an exception but did not fail (update README.md): $t"
    failed=$((failed + 1))
  fi
done
passed=$(cat "$work"/first/unit_*.log 2>/dev/null | grep -c '^\[ok\]: ')
# The tests of a unit that did not finish the first time count from its rerun.
passed=$(passes_with_reruns "${passed:-0}")
# A run that ran nothing (no units found, server never up) is a failure too.
if [ "${passed:-0}" -eq 0 ]; then echo "FAILED: no test ran"; failed=$((failed + 1)); fi
echo "suite: ${passed:-0} passed, $failed failed"
rm -rf "$work"
[ "$failed" -eq 0 ]
