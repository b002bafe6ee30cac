#!/bin/bash
# Runs every test: unit tests (normal and ASan+UBSan builds), the fake-device self-test, fuzz
# smoke runs, and the system tests against real daemons with both binaries. Ends with
# "N passed, N failed".
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
ONLY=${1:-}
passed=0 failed=0 skipped=0
failures=()
LOGDIR=$BUILD/test-logs
mkdir -p "$LOGDIR"

run_case() { # name, command...
  local name=$1 log rc start
  shift
  [ -n "$ONLY" ] && [[ "$name" != *"$ONLY"* ]] && return
  log="$LOGDIR/$(echo "$name" | tr '/ ' '__').log"
  start=$(date +%s.%N)
  "$@" >"$log" 2>&1
  rc=$?
  local took
  took=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN{printf "%.1f", e-s}')
  if [ $rc -eq 0 ]; then
    passed=$((passed + 1)); echo "PASS $name (${took}s)"
  elif [ $rc -eq 77 ]; then
    skipped=$((skipped + 1)); echo "SKIP $name: $(tail -n 1 "$log")"
  else
    failed=$((failed + 1)); failures+=("$name"); echo "FAIL $name (${took}s, rc $rc; log $log)"
    tail -n 25 "$log" | sed 's/^/    /'
  fi
}

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=66:verify_asan_link_order=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=66

for variant in "" asan; do
  dir=$BUILD${variant:+/$variant}
  for t in "$dir"/tests/test_*; do
    [ -x "$t" ] && run_case "unit${variant:+-$variant}/$(basename "$t")" "$t"
  done
done
run_case "fake/selftest" "$BUILD/tests/fakedev_selftest" "$BUILD/tests/libfakedev.so"

for f in "$BUILD"/fuzz/fuzz_*; do
  [ -x "$f" ] || continue
  name=$(basename "$f")
  # libFuzzer adds new inputs to its first corpus directory: give it a scratch copy.
  corpus=$BUILD/fuzz-corpus/${name#fuzz_}
  rm -rf "$corpus"; mkdir -p "$corpus"
  cp tests/fuzz/corpus/"${name#fuzz_}"/* "$corpus"/
  run_case "fuzz/$name" "$f" -runs=50000 -max_total_time=30 -seed=1 "$corpus"
done

for variant in "" asan; do
  bin=$BUILD${variant:+/$variant}/refclock-bridge
  for t in tests/system/[0-9]*.sh; do
    RB_BIN=$bin RB_BUILD=$BUILD run_case "system${variant:+-$variant}/$(basename "$t" .sh)" bash "$t"
  done
done

echo
[ ${#failures[@]} -gt 0 ] && printf 'failed: %s\n' "${failures[@]}"
if [ $skipped -gt 0 ]; then
  echo "$passed passed, $failed failed, $skipped skipped"
else
  echo "$passed passed, $failed failed"
fi
[ $failed -eq 0 ]
