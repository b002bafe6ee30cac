# Gating through a lost fix (shipped capture: 15 cycles 3D, 10 without a fix, 20 with it again):
# SHM readers see leap 3 as soon as the fix goes and the SOCK stream stops; both resume only
# after 3 good fixes. Also run with min_satellites, which the capture's SKY reports satisfy.
. "$(dirname "$0")/lib.sh"
PORT=29532
shm_unit 17
start_chronyd "refclock SOCK $T/chrony/nmea.sock refid NMEA poll 0 filter 1 noselect"
start_gpsfake tests/data/fix-lost.nmea $PORT
cat > "$T/bridge.conf" <<CONF
[bridge]
log_level = debug
[source nmea]
type = gpsd
host = 127.0.0.1
port = $PORT
min_fix = 3d
min_satellites = 4
outputs = chrony, ntpd
[output chrony]
type = sock
path = $T/chrony/nmea.sock
[output ntpd]
type = shm
unit = 17
CONF
start_bridge "$T/bridge.conf"
leap_is() { [ "$(shm_read 17 | awk '{print $2}')" = "$1" ]; }
wait_for 15 leap_is 0 || fail "no valid sample before the loss"
wait_for 25 leap_is 3 || fail "SHM did not go to leap 3 when the fix was lost"
t_lost=$(date +%s)
bridge_log_has "fix lost (mode 1)" || fail "no fix-loss message"
n_lost=$(awk '$3 == "NMEA" && $7 != "-"' "$T/chrony/refclocks.log" | wc -l)
sleep 5
[ "$(awk '$3 == "NMEA" && $7 != "-"' "$T/chrony/refclocks.log" | wc -l)" -eq "$n_lost" ] \
  || fail "chronyd kept getting samples without a fix"
leap_is 3 || fail "SHM left leap 3 during the loss"
wait_for 20 leap_is 0 || fail "samples did not resume after re-acquisition"
echo "valid again $(( $(date +%s) - t_lost )) s after the loss"
[ "$(grep -c 'fix after 3 good fixes' "$T/bridge.log")" -eq 2 ] || fail "expected two acquisitions"
grep -E "fix lost|fix after" "$T/bridge.log"
# Not one sample published as valid between the loss and the third good fix.
awk '/fix lost/{lost=1} /fix after/{if(lost)lost=0} /sample at/ && lost && !/not valid/ {bad=1} END{exit bad}' \
  "$T/bridge.log" || fail "a valid sample was published while the fix was lost"
stop_gpsfake
echo ok
