# Each bad configuration gives one message naming the file, section and key, exits 78, and
# opens no device, socket or segment first.
. "$(dirname "$0")/lib.sh"
n=0
for conf in tests/configs/bad/*.conf; do
  expect=$(sed -n 's/^; expect: //p' "$conf" | head -n 1)
  [ -n "$expect" ] || fail "$conf has no '; expect:' line"
  # LeakSanitizer cannot run under ptrace; the --check-config run below checks for leaks.
  ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" \
    strace -f -qq -e trace=open,openat,socket,shmget,connect -o "$T/strace" \
    "$RB_BIN" -c "$conf" > "$T/out" 2> "$T/err"
  rc=$?
  [ $rc -eq 78 ] || fail "$conf: exit $rc, expected 78 ($(cat "$T/err"))"
  [ "$(wc -l < "$T/err")" -eq 1 ] || fail "$conf: expected one line, got: $(cat "$T/err")"
  grep -qF -- "$conf: " "$T/err" || fail "$conf: message does not name the file: $(cat "$T/err")"
  grep -qF -- "$expect" "$T/err" || fail "$conf: expected '$expect', got: $(cat "$T/err")"
  if grep -E '/dev/ptp|shmget|socket\(AF_UNIX|socket\(AF_INET' "$T/strace"; then
    fail "$conf: something was opened before the configuration was validated"
  fi
  # --check-config reports the same and exits the same way
  "$RB_BIN" --check-config -c "$conf" > /dev/null 2>&1
  [ $? -eq 78 ] || fail "$conf: --check-config did not exit 78"
  echo "ok $conf: $(cat "$T/err")"
  n=$((n + 1))
done
"$RB_BIN" --check-config -c examples/refclock-bridge.conf || fail "the shipped example is rejected"
"$RB_BIN" -c /nonexistent.conf 2> "$T/err"
[ $? -eq 78 ] && grep -q "/nonexistent.conf: cannot open: No such file" "$T/err" || fail "missing file"
mkdir "$T/conf.d"
"$RB_BIN" -c "$T/conf.d" 2> "$T/err"
[ $? -eq 78 ] && grep -q "conf.d: not a regular file" "$T/err" || fail "a directory was taken as a config"
echo "$n bad configurations rejected"
