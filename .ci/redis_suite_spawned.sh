#!/usr/bin/env bash
# Runs Redis 7.0.15's own test suite (../shared/redis-tests, or $REDIS_TESTS) in its
# spawned-server mode: runtest without --host starts `src/redis-server <config>` for
# every server a test wants, and here that is tools/suite/redis-server, which execs
# Redeno. So the tests external mode skips (`external:skip`: restarts, start-up
# config, log files, several servers) run too. Units: README.md between the
# `suite-spawned-units` markers; a failing test fails unless README.md lists it between
# the `suite-spawned-exceptions` markers. A unit with a failure not listed is run once
# more, and only a test that fails both times counts; a listed test that passes is
# reported too, so the list stays exact. The tests listed between the
# `suite-spawned-skips` markers are not run (runtest --skipfile): they wait on a
# forked child process Redeno does not have, and hang. Ends with
# "suite-spawned: N passed, M failed".
#
# Usage: .ci/redis_suite_spawned.sh [UNIT...]   (units given here replace README's list)
#
# Environment (defaults in brackets):
#   BASEPORT      first port for spawned servers; the harness's own port is just below
#                 it, and it probes PORT+10000 for each port it hands out [12111: clear
#                 of the external run's 21079-29110 (runtest's defaults) and of the
#                 kernel's ephemeral ports (32768 and up), so the two runs never meet]
#   PORTCOUNT     how many ports from BASEPORT the servers may use [1000]
#   UNIT_TIMEOUT  wall-clock seconds per unit, then the unit is killed [600]
#   IDLE_TIMEOUT  runtest --timeout: seconds without a test finishing [60; the slowest
#                 test of README's units takes about 15 s, the whole list 2 minutes]
#   DENY_TAGS     tags never run [none: Redeno has DEBUG and PFDEBUG, evicts, and
#                 runs as a local process here]
#   EXTRA_TAGS    appended to the --tags filter, e.g. "-slow"
#   RUNTEST_ARGS  more runtest arguments, e.g. "--baseport 24100 --portcount 400"
#                 (they come last, so they win over BASEPORT/PORTCOUNT)
#   LOG_DIR       keep the logs there [a temporary folder, removed at the end]
#   RERUN         0: no second run of failing units (when investigating) [1]
set -uo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=suite_rules.sh
source .ci/suite_rules.sh
ROOT=$PWD

TESTS=${REDIS_TESTS:-}
if [ -z "$TESTS" ]; then
  for candidate in ../shared/redis-tests /work/shared/redis-tests; do
    if [ -d "$candidate/suite/tests" ]; then TESTS=$candidate; break; fi
  done
fi
fail() { echo "suite-spawned: $1"; echo "suite-spawned: 0 passed, 1 failed"; exit 1; }
[ -d "$TESTS/suite/tests" ] || fail "no Redis test suite at $TESTS"
command -v tclsh >/dev/null || fail "tclsh is missing"
command -v deno >/dev/null || fail "deno is missing"

BASEPORT=${BASEPORT:-12111}
PORTCOUNT=${PORTCOUNT:-1000}
UNIT_TIMEOUT=${UNIT_TIMEOUT:-600}
IDLE_TIMEOUT=${IDLE_TIMEOUT:-60}
DENY_TAGS=${DENY_TAGS-}
EXTRA_TAGS=${EXTRA_TAGS:-}
RUNTEST_ARGS=${RUNTEST_ARGS:-}
RERUN=${RERUN:-1}

between() { sed -n "/<!-- $1:start -->/,/<!-- $1:end -->/p" README.md | grep -E '^- ' | sed 's/^- //'; }
if [ $# -gt 0 ]; then
  UNITS=()
  for u in "$@"; do u=${u#tests/}; u=${u%.tcl}; case "$u" in unit/* | integration/*) ;; *) u=unit/$u ;; esac; UNITS+=("$u"); done
else
  mapfile -t UNITS < <(between suite-spawned-units | tr -d '`' | awk '{ print $1 }')
fi
mapfile -t EXCEPTIONS < <(between suite-spawned-exceptions)
# Tests not run at all ("unit/x: name"): they hang rather than fail (see README.md).
mapfile -t SKIPS < <(between suite-spawned-skips)
[ "${#UNITS[@]}" -gt 0 ] || fail "no units listed in README.md (suite-spawned-units)"

work=$(mktemp -d /tmp/redeno-spawned.XXXXXX)
KEEP_LOGS=${LOG_DIR:-}
SUITE=$work/suite
cp -R "$TESTS/suite/." "$SUITE/" && chmod -R u+w "$SUITE" || fail "cannot copy the suite"
# The launcher by its real path (it finds the checkout from there); the tools some
# tests exec (redis-cli, redis-benchmark, redis-check-aof) are the installed ones.
ln -s "$ROOT/tools/suite/redis-server" "$SUITE/src/redis-server"
for b in redis-cli redis-benchmark redis-check-aof redis-check-rdb; do
  if command -v "$b" >/dev/null; then ln -s "$(command -v "$b")" "$SUITE/src/$b"; fi
done
# Compile once now rather than inside the first test's start-up wait.
deno cache --quiet --config "$ROOT/deno.json" "$ROOT/src/main.ts" || fail "deno cache failed"

TAGS=""
for t in $DENY_TAGS; do TAGS="$TAGS -${t#-}"; done
TAGS=$(echo $TAGS $EXTRA_TAGS)
ARGS=(--clients 1 --timeout "$IDLE_TIMEOUT" --baseport "$BASEPORT" --portcount "$PORTCOUNT"
  --durable --ignore-encoding)
[ -n "$TAGS" ] && ARGS+=(--tags "$TAGS")
# shellcheck disable=SC2206
ARGS+=($RUNTEST_ARGS)

# Servers a killed unit left running: Deno processes whose working directory is
# inside the suite copy (each spawned server chdirs to its tests/tmp/server.* dir).
reap() {
  local p cwd
  for p in /proc/[0-9]*; do
    cwd=$(readlink "$p/cwd" 2>/dev/null) || continue
    case "$cwd" in "$SUITE"/*) ;; *) continue ;; esac
    case "$(readlink "$p/exe" 2>/dev/null)" in */deno) kill -KILL "${p#/proc/}" 2>/dev/null ;; esac
  done
}

count() { grep -c "^\[$1\]" "$2"; }
TPID=
trap '[ -n "$TPID" ] && kill -TERM -- "-$TPID" 2>/dev/null; reap; rm -rf "$work"; echo "interrupted" >&2; exit 130' INT TERM

# Runs the given units; logs in folder $1, the table in $1.out.
run_units() {
  local logs=$1; shift
  mkdir -p "$logs"
  {
    echo "runtest ${ARGS[*]} --single UNIT   (per unit: timeout ${UNIT_TIMEOUT}s)"
    printf '%-26s %5s %5s %9s %7s %5s  %s\n' unit ok err exc/crash skipped secs status
  } | tee "$logs.out"
  local u log t0 rc ok err exc skip status secs skipfile skipping
  for u in "$@"; do
    log="$logs/$(echo "$u" | tr / _).log"
    if [ ! -f "$SUITE/tests/$u.tcl" ]; then
      printf '%-26s %5s %5s %9s %7s %5s  %s\n' "$u" - - 1 - - "MISSING" | tee -a "$logs.out"
      continue
    fi
    t0=$SECONDS
    skipfile="${log%.log}.skip"
    printf '%s\n' "${SKIPS[@]}" | { grep -F "$u: " || true; } | sed "s|^$u: ||" >"$skipfile"
    skipping=()
    [ -s "$skipfile" ] && skipping=(--skipfile "$skipfile")
    # timeout runs in its own process group and kills all of it on expiry: runtest,
    # its test client and the servers they started. TERM=dumb: no colour codes.
    (cd "$SUITE" && TERM=dumb exec timeout -k 10 "$UNIT_TIMEOUT" ./runtest \
      "${skipping[@]}" "${ARGS[@]}" --single "$u") >"$log" 2>&1 &
    TPID=$!
    wait "$TPID"; rc=$?
    TPID=
    reap
    sed -i 's/\x1b\[[0-9;]*m//g' "$log"
    secs=$((SECONDS - t0))
    ok=$(count ok "$log"); err=$(count err "$log"); exc=$(count exception "$log")
    skip=$(($(count skip "$log") + $(count ignore "$log")))
    if grep -q '^\[TIMEOUT\]' "$log"; then
      status="TIMEOUT (idle ${IDLE_TIMEOUT}s)"; exc=$((exc + 1))
    elif [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
      status="TIMEOUT (unit ${UNIT_TIMEOUT}s)"; exc=$((exc + 1))
    elif [ "$exc" -gt 0 ]; then
      status="EXCEPTION"
    elif grep -q '^\[1/1 done\]' "$log" && { [ "$rc" = 0 ] || [ "$rc" = 1 ]; }; then
      if [ "$err" -gt 0 ]; then status="done, failures"; else status="done"; fi
    else
      status="CRASH (rc=$rc)"; exc=$((exc + 1))
    fi
    printf '%-26s %5d %5d %9d %7d %5d  %s\n' "$u" "$ok" "$err" "$exc" "$skip" "$secs" "$status" |
      tee -a "$logs.out"
  done
}

# Failed tests of a log folder, as "unit/x: name". An error outside any test (a
# server that did not start, a command that failed in a start_server block) has no
# "in tests/..." part: it is named by its unit and the start of its message.
failures() {
  local log unit
  for log in "$1"/*.log; do
    [ -f "$log" ] || continue
    unit=$(grep -a -m1 '^Testing ' "$log" | cut -d' ' -f2)
    [ -n "$unit" ] || unit=$(basename "$log" .log | tr _ /)
    grep -a '^\[err\]: ' "$log" | sed -E \
      -e 's/^\[err\]: (.*) in tests\/(.*)\.tcl$/\2: \1/' \
      -e "t" -e "s|^\\[err\\]: *(.{0,60}).*|$unit: (outside a test) \\1|"
  done | sort -u
}
# A unit that did not finish cleanly counts as a failure of its own.
broken() {
  awk 'NR > 2 && ($4 != 0 || $7 !~ /^done/) { print $1 ": (unit did not finish)" }' "$1"
}

echo "--- Redis suite, spawned servers: ${#UNITS[@]} units, suite copy $SUITE"
run_units "$work/first" "${UNITS[@]}"
mapfile -t first < <(failures "$work/first"; broken "$work/first.out")
mapfile -t unexpected < <(printf '%s\n' "${first[@]}" | grep -v '^$' |
  grep -vxF -f <(printf '%s\n' "${EXCEPTIONS[@]}"))
mapfile -t rerun_units < <(printf '%s\n' "${unexpected[@]}" | grep -v '^$' | sed -E 's/: .*//' |
  sort -u)
final=("${first[@]}")
unfinished_first=()
if [ "${#rerun_units[@]}" -gt 0 ] && [ "$RERUN" = 1 ]; then
  echo "--- rerunning once: ${rerun_units[*]}"
  run_units "$work/second" "${rerun_units[@]}"
  mapfile -t second < <(failures "$work/second")
  mapfile -t unfinished < <(broken "$work/second.out" | sed -E 's/: .*//')
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
if [ $# -eq 0 ]; then
  for t in "${EXCEPTIONS[@]}"; do
    if ! printf '%s\n' "${final[@]}" | grep -qxF "$t"; then
      echo "listed as an exception but did not fail (update README.md): $t"
      failed=$((failed + 1))
    fi
  done
fi
passed=$(cat "$work"/first/*.log 2>/dev/null | grep -c '^\[ok\]: ')
# The tests of a unit that did not finish the first time count from its rerun.
passed=$(passes_with_reruns "${passed:-0}")
if [ "${passed:-0}" -eq 0 ]; then echo "FAILED: no test ran"; failed=$((failed + 1)); fi
if [ -n "$KEEP_LOGS" ]; then
  mkdir -p "$KEEP_LOGS" && cp -R "$work/first" "$work/first.out" "$KEEP_LOGS/" &&
    { [ ! -d "$work/second" ] || cp -R "$work/second" "$work/second.out" "$KEEP_LOGS/"; }
  echo "logs: $KEEP_LOGS"
fi
echo "suite-spawned: ${passed:-0} passed, $failed failed"
rm -rf "$work"
[ "$failed" -eq 0 ]
