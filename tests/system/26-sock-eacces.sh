# A bridge that may not write to chronyd's root-owned socket says who owns it, its mode, and
# what to change; it keeps running and retrying.
. "$(dirname "$0")/lib.sh"
id nobody >/dev/null 2>&1 || fail "no user 'nobody' (Debian always has it)"
chmod 711 "$T"
mkdir -m 755 "$T/sock"
start_chronyd "refclock SOCK $T/sock/phc0.sock refid PHC0 poll 0 filter 1"
nobody_binaries
cat > "$T/bridge.conf" <<CONF
[source phc0]
type = phc
device = /dev/ptp0
outputs = chrony
[output chrony]
type = sock
path = $T/sock/phc0.sock
CONF
chmod 644 "$T/bridge.conf"
private_paths "$T/bridge.conf"
env LD_PRELOAD="$NOBODY_FAKELIB" FAKEDEV_PTP=/dev/ptp0 FAKEDEV_CTL="$T/ctl" \
  setpriv --reuid=nobody --regid=nogroup --clear-groups "$NOBODY_BIN" -f -c "$T/bridge.conf" >> "$T/bridge.log" 2>&1 &
BRIDGE_PID=$!
PIDS+=("$BRIDGE_PID")
wait_for 5 bridge_log_has "permission denied" || fail "no permission message"
grep "permission denied" "$T/bridge.log"
bridge_log_has "owner root:root, mode 0755" || fail "the message does not give owner and mode"
sleep 1.5
kill -0 "$BRIDGE_PID" || fail "bridge exited"
[ "$(grep -c 'permission denied' "$T/bridge.log")" -eq 1 ] || fail "repeated the message"
# The fix the message suggests works without restarting the bridge.
chmod 777 "$T/sock/phc0.sock"
wait_for 3 bridge_log_has "connected to $T/sock/phc0.sock after" || fail "did not connect after the fix"
echo ok
