# Lines that made libgps 3.22's gps_unpack() spin for ever (tests/fuzz/regressions/gpsd/),
# sent by a scripted gpsd in the middle of a PPS stream: the daemon stays responsive (PPS
# samples keep reaching SHM, each line is dropped or rebuilt), and the stream is exact after.
. "$(dirname "$0")/lib.sh"
PORT=29540
shm_unit 26
FAKEGPSD_HOSTILE="$(pwd)/tests/fuzz/regressions/gpsd" \
  /usr/bin/python3 "$HERE/fakegpsd.py" $PORT 0 >> "$T/fakegpsd.log" 2>&1 &
PIDS+=($!)
wait_for 5 gpsd_listening $PORT || fail "scripted gpsd did not start"
cat > "$T/bridge.conf" <<CONF
[source gpspps]
type = gpsd
host = 127.0.0.1
port = $PORT
stream = pps
min_good_fixes = 1
outputs = pps
[output pps]
type = shm
unit = 26
CONF
start_bridge "$T/bridge.conf"
count() { shm_read 26 | awk '{print $5}'; }
wait_for 15 grep -q "hostile lines sent" "$T/fakegpsd.log" || fail "the hostile lines were not sent"
c0=$(count)
sleep 5
c1=$(count)
echo "SHM count $c0 -> $c1 in the 5 s after the hostile lines"
[ "$((c1 - c0))" -ge 3 ] || fail "the daemon stalled after the hostile lines (count $c0 -> $c1)"
valid() { shm_read 26 | awk '{exit !($2 == 0 && $4 == 1)}'; }
wait_for 10 valid || fail "no valid PPS sample after the hostile lines"
off=$(shm_read 26 | awk '{print $1}')
[ "$off" = 123456 ] || fail "gpsd PPS offset $off ns, expected 123456"
grep "malformed" "$T/bridge.log" | head -3
bridge_log_has "malformed message from gpsd dropped" || fail "the hostile lines were not counted"
stop_bridge
[ "$BRIDGE_RC" -eq 0 ] || fail "exit code $BRIDGE_RC"
echo ok
