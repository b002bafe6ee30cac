# Bad input from gpsd: a real gpsd replaying a capture full of garbage keeps a good fix; a
# scripted gpsd that interleaves malformed JSON has every bad line dropped, counted and logged
# at a limited rate, while its PPS reports reach SHM exactly (gpsd PPS stream).
. "$(dirname "$0")/lib.sh"
PORT=29534
PORT2=29535
shm_unit 19
shm_unit 20
start_gpsfake tests/data/garbage.nmea $PORT
/usr/bin/python3 "$HERE/fakegpsd.py" $PORT2 3 >> "$T/fakegpsd.log" 2>&1 &
PIDS+=($!)
wait_for 5 gpsd_listening $PORT2 || fail "scripted gpsd did not start"
cat > "$T/bridge.conf" <<CONF
[source nmea]
type = gpsd
host = 127.0.0.1
port = $PORT
min_fix = 3d
outputs = ntpd
[output ntpd]
type = shm
unit = 19
[source gpspps]
type = gpsd
host = 127.0.0.1
port = $PORT2
stream = pps
outputs = pps
[output pps]
type = shm
unit = 20
CONF
start_bridge "$T/bridge.conf"
valid() { shm_read "$1" | awk '{exit !($2 == 0 && $4 == 1)}'; }
wait_for 20 valid 19 || fail "no valid serial time from the garbage capture"
wait_for 10 valid 20 || fail "no valid PPS time from the scripted gpsd"
sleep 8
valid 19 || fail "the garbage capture lost the fix"
off=$(shm_read 20 | awk '{print $1}')
[ "$off" = 123456 ] || fail "gpsd PPS offset $off ns, expected 123456"
grep "malformed" "$T/bridge.log" | head -3
n=$(grep -c "malformed message from gpsd dropped" "$T/bridge.log")
[ "$n" -ge 1 ] && [ "$n" -le 5 ] || fail "$n malformed-message lines: not rate-limited to 5 a minute"
bridge_log_has "gpsd at 127.0.0.1:$PORT2: connection lost" && fail "malformed input dropped the connection"
kill -0 "$BRIDGE_PID" || fail "bridge died"
stop_gpsfake
stop_bridge
[ "$BRIDGE_RC" -eq 0 ] || fail "exit code $BRIDGE_RC"
echo ok
