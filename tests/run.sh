#!/bin/bash
# Runs every test: unit tests (normal and ASan+UBSan builds), the fake-device self-test, the
# fuzzers (regression inputs replayed, then FUZZ_TIME seconds each from a random seed, two at a
# time), and the system tests against real daemons with both binaries. Lists every skip with
# its reason and ends with "N passed, N failed". With RB_STRICT_SKIPS=1 (CI) a skip counts as
# a failure unless it is skip_before_debian's: software the running release does not package.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
ONLY=${1:-}
FUZZ_TIME=${FUZZ_TIME:-120}
FUZZ_SEED=${FUZZ_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
passed=0 failed=0 skipped=0
failures=() skips=()
LOGDIR=$BUILD/test-logs
mkdir -p "$LOGDIR"

selected() { [ -z "$ONLY" ] || [[ "$1" == *"$ONLY"* ]]; }
log_of() { echo "$LOGDIR/$(echo "$1" | tr '/ ' '__').log"; }

# report NAME RC SECONDS: counts and prints one finished case.
report() {
  local name=$1 rc=$2 took=$3 log reason
  log=$(log_of "$name")
  if [ "$rc" -eq 77 ]; then
    reason=$(tail -n 1 "$log")
    skips+=("$name: $reason")
    if [ "${RB_STRICT_SKIPS:-0}" = 1 ] && [[ "$reason" != "skipped, not on Debian "* ]]; then
      failed=$((failed + 1)); failures+=("$name (skipped in CI: $reason)")
      echo "FAIL $name: a skip in CI without an allowed reason: $reason"
    else
      skipped=$((skipped + 1)); echo "SKIP $name: $reason"
    fi
  elif [ "$rc" -eq 0 ]; then
    passed=$((passed + 1)); echo "PASS $name (${took}s)"
  else
    failed=$((failed + 1)); failures+=("$name"); echo "FAIL $name (${took}s, rc $rc; log $log)"
    tail -n 25 "$log" | sed 's/^/    /'
  fi
}

# timed NAME COMMAND...: runs one case into its log; writes "rc seconds" to the log's .rc file.
timed() {
  local name=$1 log start rc
  shift
  log=$(log_of "$name")
  start=$(date +%s.%N)
  "$@" >"$log" 2>&1
  rc=$?
  echo "$rc $(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN{printf "%.1f", e-s}')" > "$log.rc"
}

run_case() { # name, command...
  local name=$1 rc took
  selected "$name" || return 0
  timed "$@"
  read -r rc took < "$(log_of "$name").rc"
  report "$name" "$rc" "$took"
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

# Fuzzing. tests/fuzz/regressions/<target>/ holds inputs that once crashed or hung a fuzzer
# (<target> as in tests/fuzz/corpus/): each is replayed first, then every fuzzer runs from the
# shipped corpus and its regressions.
fuzz_replay() { # target binary: every regression input once, with the hang timeout
  local files=(tests/fuzz/regressions/"$1"/*)
  [ -e "${files[0]}" ] || { echo "no regression inputs in tests/fuzz/regressions/$1/"; return 0; }
  "$2" -timeout=10 -error_exitcode=1 "${files[@]}"
}
fuzz_long() { # target binary
  local t=$1 f=$2 corpus art rc
  # libFuzzer adds new inputs to its first corpus directory: give it a scratch one.
  corpus=$BUILD/fuzz-corpus/$t art=$BUILD/fuzz-artifacts/$t
  rm -rf "$corpus" "$art"; mkdir -p "$corpus" "$art"
  echo "fuzz_$t: seed $FUZZ_SEED, $FUZZ_TIME s"
  # -error_exitcode: libFuzzer's default, 77, is what a skip returns here
  "$f" -seed="$FUZZ_SEED" -max_total_time="$FUZZ_TIME" -timeout=10 -error_exitcode=1 -print_final_stats=1 \
    -artifact_prefix="$art/" "$corpus" tests/fuzz/corpus/"$t" \
    $([ -d tests/fuzz/regressions/"$t" ] && echo tests/fuzz/regressions/"$t")
  rc=$?
  for a in "$art"/*; do
    [ -f "$a" ] || continue
    echo "FOUND $a: keep it as a regression input:"
    echo "  cp $a tests/fuzz/regressions/$t/"
    # a CI log is all that remains of a clean clone: the input itself, to recreate it
    [ "$(stat -c %s "$a")" -le 65536 ] &&
      echo "  or: echo $(base64 -w0 "$a") | base64 -d > tests/fuzz/regressions/$t/$(basename "$a")"
  done
  return $rc
}
fuzz_targets=()
for f in "$BUILD"/fuzz/fuzz_*; do
  [ -x "$f" ] || continue
  t=${f##*/fuzz_}
  fuzz_targets+=("$t")
  run_case "fuzz/regressions-$t" fuzz_replay "$t" "$f"
done
# Two fuzzers at a time, one per core.
for ((i = 0; i < ${#fuzz_targets[@]}; i += 2)); do
  names=()
  for t in "${fuzz_targets[@]:i:2}"; do
    selected "fuzz/fuzz_$t" || continue
    [ -n "${seed_said:-}" ] || echo "fuzzing $FUZZ_TIME s per target, two at a time, seed $FUZZ_SEED (FUZZ_SEED=$FUZZ_SEED repeats it)"
    seed_said=1
    timed "fuzz/fuzz_$t" fuzz_long "$t" "$BUILD/fuzz/fuzz_$t" &
    names+=("fuzz/fuzz_$t")
  done
  wait
  for n in "${names[@]}"; do
    read -r rc took < "$(log_of "$n").rc"
    report "$n" "$rc" "$took"
    # how much was tried: libFuzzer's final count of executed inputs
    sed -n 's/^stat::number_of_executed_units: */    executions: /p' "$(log_of "$n")" | tail -n 1
  done
done

for variant in "" asan; do
  bin=$BUILD${variant:+/$variant}/refclock-bridge
  for t in tests/system/[0-9]*.sh; do
    # A test that never runs the bridge (a fact about a peer) gains nothing from ASan.
    [ -n "$variant" ] && grep -q '^# rb: runs no bridge' "$t" && continue
    RB_BIN=$bin RB_BUILD=$BUILD run_case "system${variant:+-$variant}/$(basename "$t" .sh)" bash "$t"
  done
done

echo
[ ${#skips[@]} -gt 0 ] && printf 'skipped: %s\n' "${skips[@]}"
[ ${#failures[@]} -gt 0 ] && printf 'failed: %s\n' "${failures[@]}"
if [ $skipped -gt 0 ]; then
  echo "$passed passed, $failed failed, $skipped skipped"
else
  echo "$passed passed, $failed failed"
fi
[ $failed -eq 0 ]
