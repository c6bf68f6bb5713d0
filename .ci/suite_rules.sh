# Sourced by .ci/redis_suite.sh and .ci/redis_suite_spawned.sh: how a unit that did
# not finish its first run counts. Both runners keep their results alike: one log a
# unit (unit/x -> unit_x.log) under "$work/first" and "$work/second", the first run's
# table in "$work/first.out", `broken` naming the units a table shows unfinished, and
# failures as "unit/x: test name" in the arrays `second` (the rerun's) and `final`.

# After a rerun: sets `unfinished_first` to the units that did not finish the first
# time and adds their rerun's failures to `final`; those stand, as the first run has
# none of that unit's results (a server or harness that could not start, a port
# still held by another run).
adopt_unfinished_reruns() {
  local t unit
  mapfile -t unfinished_first < <(broken "$work/first.out" | sed -E 's/: .*//')
  for t in "${second[@]}"; do
    [ -n "$t" ] || continue
    unit=${t%%: *}
    if printf '%s\n' "${unfinished_first[@]}" | grep -qxF "$unit" &&
      ! printf '%s\n' "${final[@]}" | grep -qxF "$t"; then final+=("$t"); fi
  done
}

# The tests passed in a log (0 when there is none).
count_ok() {
  local n=0
  [ -f "$1" ] && n=$(grep -c '^\[ok\]: ' "$1")
  echo "${n:-0}"
}

# Prints the first run's pass count ($1) with the passes of each unit in
# `unfinished_first` counted from its rerun instead.
passes_with_reruns() {
  local passed=$1 unit name
  for unit in "${unfinished_first[@]}"; do
    [ -n "$unit" ] || continue
    name="$(echo "$unit" | tr / _).log"
    [ -f "$work/second/$name" ] || continue
    passed=$((passed - $(count_ok "$work/first/$name") + $(count_ok "$work/second/$name")))
  done
  echo "$passed"
}
