# SHM segments the bridge cannot use: a wrong size (another ABI made it) and one it may not
# write. Each gives one error naming the key, owner and mode; the bridge keeps running, retries,
# and recovers once the segment is fixed.
. "$(dirname "$0")/lib.sh"
shm_unit 11
shm_unit 12
mkseg() { # unit size mode
  /usr/bin/python3 -c "
import ctypes, ctypes.util, sys
libc = ctypes.CDLL(ctypes.util.find_library('c'), use_errno=True)
sys.exit(0 if libc.shmget(0x4E545030 + $1, $2, 0o1000 | $3) >= 0 else 1)"
}
mkseg 11 48 0o600 || fail "cannot make the test segment"
mkseg 12 96 0o600 || fail "cannot make the test segment"
chmod 711 "$T"
nobody_binaries

printf '[source a]\ntype = phc\ndevice = /dev/ptp0\ninterval = 0.25\noutputs = s\n[output s]\ntype = shm\nunit = 11\n' > "$T/a.conf"
start_bridge "$T/a.conf" FAKEDEV_PTP=/dev/ptp0
wait_for 5 bridge_log_has "wrong size" || fail "no size-mismatch message"
grep "wrong size" "$T/bridge.log"
bridge_log_has "0x4e54503b exists with the wrong size (size 48, owner uid 0 gid 0, mode 0600" \
  || fail "the message lacks key, size, owner or mode"
ipcrm -M 0x4e54503b
wait_for 6 bridge_log_has "created NTP SHM unit 11" || fail "did not recover after the segment was removed"
wait_for 3 bash -c "python3 $HERE/shmread.py 11 | awk '{exit !(\$2 == 0)}'" || fail "no samples after recovery"
stop_bridge

printf '[source b]\ntype = phc\ndevice = /dev/ptp0\noutputs = s\n[output s]\ntype = shm\nunit = 12\nmode = 0644\n' > "$T/b.conf"
chmod 644 "$T/b.conf"
: > "$T/bridge.log"
private_paths "$T/b.conf"
env LD_PRELOAD="$NOBODY_FAKELIB" FAKEDEV_PTP=/dev/ptp0 \
  setpriv --reuid=nobody --regid=nogroup --clear-groups "$NOBODY_BIN" -f -c "$T/b.conf" >> "$T/bridge.log" 2>&1 &
BRIDGE_PID=$!
PIDS+=("$BRIDGE_PID")
wait_for 5 bridge_log_has "not writable" || fail "no EACCES message"
grep "not writable" "$T/bridge.log"
bridge_log_has "0x4e54503c is not writable by uid 65534 (size 96, owner uid 0 gid 0, mode 0600" \
  || fail "the message lacks key, owner or mode"
sleep 1
kill -0 "$BRIDGE_PID" || fail "bridge exited"
echo ok
