# The bridge's own talk with gpsd: (a) a device filter longer than libgps's 80-byte commands
# reaches gpsd whole, and reports of another receiver never pass for the configured one's;
# (b) gpsd's ERROR for an unknown device is reported with its words, and retried;
# (c) a gpsd whose listen queue is full (SYNs dropped, connect hangs) never stalls the loop:
# a PHC source keeps publishing while the connect times out and is retried.
. "$(dirname "$0")/lib.sh"
PORT=29538
HANG_PORT=29539
shm_unit 24
shm_unit 25
LONGDEV=/dev/serial/by-id/usb-u-blox_AG_-_www.u-blox.com_u-blox_GNSS_receiver-if00-port0

FAKEGPSD_WATCHLOG="$T/watch.log" /usr/bin/python3 "$HERE/fakegpsd.py" $PORT 0 \
  >> "$T/fakegpsd.log" 2>&1 &
FAKEGPSD=$!
PIDS+=($FAKEGPSD)
wait_for 5 gpsd_listening $PORT || fail "scripted gpsd did not start"
cat > "$T/bridge.conf" <<CONF
[source nmea]
type = gpsd
host = 127.0.0.1
port = $PORT
device = $LONGDEV
min_good_fixes = 1
offset = 0.3
outputs = nmea-shm
[output nmea-shm]
type = shm
unit = 24
CONF
start_bridge "$T/bridge.conf"
# (a) the whole filter arrives, and the scripted gpsd's /dev/ttyX reports are ignored
wait_for 5 grep -qF "\"device\":\"$LONGDEV\"" "$T/watch.log" || fail "WATCH without the whole device: $(cat "$T/watch.log")"
head -c 300 "$T/watch.log"
wait_for 6 bridge_log_has "no fix report from gpsd at 127.0.0.1:$PORT for $LONGDEV" ||
  fail "no warning for a device that sends nothing"
sleep 2
[ "$(shm_read 24 2>/dev/null | awk '{print $5}')" = "" ] || [ "$(shm_read 24 | awk '{print $4}')" = 0 ] ||
  fail "a report of /dev/ttyX was published for $LONGDEV: $(shm_read 24)"
echo "(a) ok: full WATCH sent, other receiver's reports ignored"

# the right device: samples flow
sed -i "s|^device = .*|device = /dev/ttyX|" "$T/bridge.conf"
kill -HUP "$BRIDGE_PID"
leap_is() { [ "$(shm_read 24 | awk '{print $2 " " $4}')" = "$1 1" ]; }
wait_for 8 leap_is 0 || fail "no samples for /dev/ttyX"
[ "$(shm_read 24 | awk '{print $1}')" = 0 ] || fail "serial offset $(shm_read 24)"
echo "(a) ok: /dev/ttyX's serial time published"

# (b) a gpsd that answers an unknown device with ERROR
kill "$FAKEGPSD"
wait "$FAKEGPSD" 2>/dev/null
FAKEGPSD_ERROR=1 /usr/bin/python3 "$HERE/fakegpsd.py" $PORT 0 >> "$T/fakegpsd.log" 2>&1 &
FAKEGPSD=$!
PIDS+=($FAKEGPSD)
wait_for 5 gpsd_listening $PORT || fail "scripted gpsd did not restart"
sed -i "s|^device = .*|device = /dev/ttyY|" "$T/bridge.conf"
kill -HUP "$BRIDGE_PID"
wait_for 8 bridge_log_has 'gpsd says "No such device as /dev/ttyY"; retrying' ||
  fail "gpsd's ERROR was not reported"
grep -F 'gpsd says' "$T/bridge.log" | head -n 2
echo "(b) ok"
stop_bridge
[ "$BRIDGE_RC" -eq 0 ] || fail "exit code $BRIDGE_RC"

# (c) a listener whose accept queue is full drops new SYNs: connect() would hang for minutes
/usr/bin/python3 - "$HANG_PORT" > "$T/hang.log" 2>&1 <<'PY' &
import socket, sys, time
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", int(sys.argv[1])))
srv.listen(0)
fillers = []
for _ in range(3):  # fill the queue; the ones beyond it wait in SYN-SENT
    c = socket.socket()
    c.setblocking(False)
    c.connect_ex(("127.0.0.1", int(sys.argv[1])))
    fillers.append(c)
print("ready", flush=True)
time.sleep(60)
PY
HANG=$!
PIDS+=($HANG)
wait_for 5 grep -q ready "$T/hang.log" || fail "the stuffed listener did not start"
cat > "$T/bridge.conf" <<CONF
[source nmea]
type = gpsd
host = 127.0.0.1
port = $HANG_PORT
outputs = nmea-shm
[output nmea-shm]
type = shm
unit = 24
[source phc0]
type = phc
device = /dev/ptp0
interval = 0.25
outputs = phc-shm
[output phc-shm]
type = shm
unit = 25
CONF
: > "$T/bridge.log"
start_bridge "$T/bridge.conf" FAKEDEV_PTP=/dev/ptp0 FAKEDEV_PTP0=offset_ns=37000000500
count() { shm_read 25 | awk '{print $5}'; }
wait_for 5 bash -c "[ -n \"\$(python3 $HERE/shmread.py 25 2>/dev/null)\" ]" || fail "no PHC samples"
c0=$(count)
sleep 3
c1=$(count)
echo "PHC samples during the hanging connect: $(( (c1 - c0) / 2 )) in 3 s"
[ $(( (c1 - c0) / 2 )) -ge 8 ] || fail "the loop stalled while gpsd's connect hung ($c0 -> $c1)"
wait_for 8 bridge_log_has "gpsd at 127.0.0.1:$HANG_PORT: Connection timed out; retrying" ||
  fail "the hanging connect was not timed out"
echo "(c) ok"
stop_bridge
[ "$BRIDGE_RC" -eq 0 ] || fail "exit code $BRIDGE_RC"
echo ok
