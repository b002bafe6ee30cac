# Kernel PPS numbered by gpsd's serial time reaches a real chronyd as full-time SOCK samples:
# the simulated /dev/pps0 fires 123456 ns before each true second (true minus system =
# +123456 ns); chronyd measures exactly that, within 10 ns. The serial-time fudge is
# calibrated first, as an admin would, from the offsets the bridge reports for gpsd, and only
# then is the PPS source added: an uncalibrated serial delay of more than 0.6 s would number
# the pulses one second off.
. "$(dirname "$0")/lib.sh"
PORT=29536
start_chronyd "refclock SOCK $T/chrony/nmea.sock refid NMEA poll 0 filter 1 noselect
refclock SOCK $T/chrony/pps.sock refid PPS poll 0 filter 1 prefer"
start_gpsfake tests/data/ublox-multignss.nmea $PORT
write_conf() { # serial fudge in seconds, then "pps" to add the PPS source
  cat > "$T/bridge.conf" <<CONF
[bridge]
log_level = debug
[source nmea]
type = gpsd
host = 127.0.0.1
port = $PORT
offset = $1
outputs = chrony-nmea
[output chrony-nmea]
type = sock
path = $T/chrony/nmea.sock
CONF
  [ "${2:-}" = pps ] && cat >> "$T/bridge.conf" <<CONF
[source pps]
type = pps
device = /dev/pps0
lock = nmea
outputs = chrony-pps
[output chrony-pps]
type = sock
path = $T/chrony/pps.sock
CONF
}
write_conf 0
start_bridge "$T/bridge.conf" FAKEDEV_PPS=/dev/pps0 FAKEDEV_PPS0=offset_ns=123456
three() { [ "$(bridge_offsets nmea | wc -l)" -ge 6 ]; }
wait_for 20 three || fail "no serial-time samples to calibrate from"
fudge=$(bridge_offsets nmea | tail -n 3 | awk '{s+=$1} END{printf "%.3f", -s/NR/1e9}')
echo "serial time runs $(bridge_offsets nmea | tail -n 1) ns from the system clock: fudge offset = $fudge s"
write_conf "$fudge" pps
kill -HUP "$BRIDGE_PID"

selected() { chronyc_ -n sources | grep -q '^#\* PPS'; }
wait_for 25 selected || { chronyc_ -n sources; fail "chronyd did not select PPS"; }
sleep 3
chronyc_ -n sources
st=$(chrony_system_time)
d=$(diff_ns "$st" 0.000123456)
echo "chronyd tracking: System time $st s (injected 0.000123456), error $d ns"
awk -v d="$d" 'BEGIN{exit !(d <= 10)}' || fail "PPS offset error $d ns > 10 ns"
raw=$(awk '$3 == "PPS" && $7 != "-" {print $7}' "$T/chrony/refclocks.log" | tail -n 4)
for r in $raw; do
  d=$(diff_ns "$r" 0.000123456)
  awk -v d="$d" 'BEGIN{exit !(d <= 10)}' || fail "PPS sample $r is $d ns off"
done
echo "chronyd PPS raw samples: $(echo $raw)"
bridge_log_has "seconds from nmea" || fail "PPS not locked to nmea"
stop_gpsfake
echo ok
