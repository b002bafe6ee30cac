# gpsd absent at start, then started; later killed and restarted: the same bridge process
# reconnects with backoff each time and samples resume, with one log line per outage.
. "$(dirname "$0")/lib.sh"
PORT=29533
shm_unit 18
cat > "$T/bridge.conf" <<CONF
[source nmea]
type = gpsd
host = 127.0.0.1
port = $PORT
outputs = ntpd
[output ntpd]
type = shm
unit = 18
CONF
start_bridge "$T/bridge.conf"
wait_for 3 bridge_log_has "gpsd at 127.0.0.1:$PORT: .*retrying" || fail "no outage message at start"
sleep 2
count() { shm_read 18 | awk '{print $5}'; }
leap_is() { [ "$(shm_read 18 | awk '{print $2}')" = "$1" ]; }
start_gpsfake tests/data/gps-only.nmea $PORT
wait_for 20 leap_is 0 || fail "no samples once gpsd started"
bridge_log_has "gpsd at 127.0.0.1:$PORT is back" || fail "no reconnect message"
stop_gpsfake
wait_for 5 leap_is 3 || fail "gpsd gone but SHM not at leap 3"
kill -0 "$BRIDGE_PID" || fail "bridge died with gpsd"
start_gpsfake tests/data/ublox-multignss.nmea $PORT
c0=$(count)
wait_for 20 leap_is 0 || fail "no samples after gpsd restarted"
[ "$(count)" -gt "$c0" ] || fail "segment not written after the restart"
grep -E "gpsd at" "$T/bridge.log"
[ "$(grep -c 'retrying with backoff' "$T/bridge.log")" -eq 2 ] || fail "expected one message per outage"
[ "$(grep -c 'is back' "$T/bridge.log")" -eq 2 ] || fail "expected two recoveries"
stop_gpsfake
stop_bridge
[ "$BRIDGE_RC" -eq 0 ] || fail "exit code $BRIDGE_RC"
echo ok
