# gpsd may report the first receiver cycle several times at start: those reports are one cycle,
# so min_good_fixes = 3 needs three distinct fix times. The scripted gpsd sends four TPVs for
# the first second; the first two cycles' serial times must still be published as not valid.
. "$(dirname "$0")/lib.sh"
PORT=29541
shm_unit 27
FAKEGPSD_DUP_TPV=4 /usr/bin/python3 "$HERE/fakegpsd.py" $PORT 0 >> "$T/fakegpsd.log" 2>&1 &
PIDS+=($!)
wait_for 5 gpsd_listening $PORT || fail "scripted gpsd did not start"
cat > "$T/bridge.conf" <<CONF
[bridge]
log_level = debug
[source nmea]
type = gpsd
host = 127.0.0.1
port = $PORT
min_good_fixes = 3
offset = 0.3
outputs = ntpd
[output ntpd]
type = shm
unit = 27
CONF
start_bridge "$T/bridge.conf"
valid() { shm_read 27 | awk '{exit !($2 == 0 && $4 == 1)}'; }
wait_for 15 valid || fail "no valid serial time"
grep -E "fix after|sample at" "$T/bridge.log" | head -5
bridge_log_has "fix after 3 good fixes" || fail "no acquisition after 3 good fixes"
# Serial samples published before the first valid one: one per cycle before the third.
n=$(awk '/source nmea: sample at/ { if (/not valid/) n++; else exit } END { print n + 0 }' \
  "$T/bridge.log")
echo "$n serial samples not valid before the first valid one"
[ "$n" -ge 2 ] || fail "valid after $n cycles: repeated reports of one cycle counted as good fixes"
off=$(shm_read 27 | awk '{print $1}')
[ "$off" = 0 ] || fail "serial offset $off ns, expected 0 (0.3 s late, offset 0.3)"
stop_bridge
[ "$BRIDGE_RC" -eq 0 ] || fail "exit code $BRIDGE_RC"
echo ok
