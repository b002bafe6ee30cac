# PPS edges without a fresh, close second are dropped and counted, never mis-numbered:
# (a) serial time 0.5 s off: outside the +/-0.4 s window; (b) serial time goes stale (TOFF stops
# while gpsd still reports a fix): older than 1.1 s; (c) gpsd gone: lock source not valid;
# (d) with trust_system_clock = yes the system clock numbers the edges instead.
. "$(dirname "$0")/lib.sh"
PORT=29537
shm_unit 21
shm_unit 22
/usr/bin/python3 "$HERE/fakegpsd.py" $PORT 0 12 >> "$T/fakegpsd.log" 2>&1 &
FAKEGPSD=$!
PIDS+=($FAKEGPSD)
wait_for 5 gpsd_listening $PORT || fail "scripted gpsd did not start"
# The scripted gpsd's serial time is 0.3 s late: offset -0.2 makes it 0.5 s late.
cat > "$T/bridge.conf" <<CONF
[bridge]
log_level = debug
[source nmea]
type = gpsd
host = 127.0.0.1
port = $PORT
min_good_fixes = 1
offset = -0.2
outputs = nmea-shm
[output nmea-shm]
type = shm
unit = 22
[source pps]
type = pps
device = /dev/pps0
lock = nmea
outputs = pps-shm
[output pps-shm]
type = shm
unit = 21
CONF
start_bridge "$T/bridge.conf" FAKEDEV_PPS=/dev/pps0 FAKEDEV_PPS0=offset_ns=123456
wait_for 8 bridge_log_has "more than 0.4 s from a whole second" || fail "(a) no window drop"
bridge_log_has "source pps: publishing" && fail "(a) an edge was numbered with serial time 0.5 s off"
echo "(a) ok: $(grep -m1 'dropped' "$T/bridge.log" | sed 's/.*warning: //')"

# (b) fix the fudge: edges are numbered; then TOFF stops after cycle 12: edges go stale.
sed -i 's/^offset = -0.2/offset = 0.3/' "$T/bridge.conf"
kill -HUP "$BRIDGE_PID"
leap_is() { [ "$(shm_read 21 | awk '{print $2}')" = "$1" ]; }
wait_for 8 leap_is 0 || fail "(b) edges not numbered with a good serial time"
[ "$(shm_read 21 | awk '{print $1}')" = 123456 ] || fail "(b) PPS offset $(shm_read 21)"
wait_for 15 bridge_log_has "more than 1.1 s from the edge" || fail "(b) stale serial time not detected"
wait_for 3 leap_is 3 || fail "(b) SHM not at leap 3 with a stale lock"
echo "(b) ok: numbered while fresh, dropped once stale"

# (c) gpsd gone
kill "$FAKEGPSD"
wait_for 8 bridge_log_has "the lock source is not valid" || fail "(c) no drop for an invalid lock"
echo "(c) ok"

# No sample was ever published with a wrong second: every PPS offset is exactly 123456 ns.
bad=$(bridge_offsets pps | grep -vx '+123456' | head -n 3)
[ -z "$bad" ] || fail "mis-numbered PPS samples: $bad"

# (d) trust the system clock
printf '[source pps]\ntype = pps\ndevice = /dev/pps0\ntrust_system_clock = yes\noutputs = pps-shm\n[output pps-shm]\ntype = shm\nunit = 21\n' > "$T/bridge.conf"
kill -HUP "$BRIDGE_PID"
wait_for 5 leap_is 0 || fail "(d) the system clock did not number the edges"
[ "$(shm_read 21 | awk '{print $1}')" = 123456 ] || fail "(d) offset $(shm_read 21)"
echo "(d) ok"
n=$(grep -c "edge at .* dropped" "$T/bridge.log")
echo "$n drop messages logged (rate-limited to 5 a minute per source)"
stop_bridge
[ "$BRIDGE_RC" -eq 0 ] || fail "exit code $BRIDGE_RC"
echo ok
