# The PHC vanishes (a NIC reset) and comes back: SHM readers see leap 3 at once, the bridge
# retries with backoff, and samples resume with no restart.
. "$(dirname "$0")/lib.sh"
shm_unit 5
cat > "$T/bridge.conf" <<CONF
[source phc0]
type = phc
device = /dev/ptp0
interval = 0.25
outputs = ntpd
[output ntpd]
type = shm
unit = 5
CONF
start_bridge "$T/bridge.conf" FAKEDEV_PTP=/dev/ptp0 FAKEDEV_PTP0=offset_ns=37000000042
field() { shm_read 5 | awk -v f="$1" '{print $f}'; }
leap_is() { [ "$(field 2)" = "$1" ] && [ "$(field 4)" = 1 ]; }
wait_for 5 leap_is 0 || fail "no valid SHM sample"
[ "$(field 1)" = 42 ] || fail "offset $(field 1) ns, expected 42"

touch "$T/ctl/ptp0.gone"
wait_for 3 leap_is 3 || fail "SHM did not go to leap 3 when the PHC vanished"
count=$(field 5)
sleep 3
[ "$(field 5)" = "$count" ] || fail "samples kept coming while the PHC was gone"
kill -0 "$BRIDGE_PID" || fail "bridge died"
rm "$T/ctl/ptp0.gone"
t0=$(date +%s%N)
wait_for 10 leap_is 0 || fail "samples did not resume"
echo "resumed $(( ($(date +%s%N) - t0) / 1000000 )) ms after the PHC came back"
[ "$(field 1)" = 42 ] || fail "offset after recovery $(field 1) ns"
grep -E "lost|back|retrying" "$T/bridge.log"
bridge_log_has "source phc0: lost /dev/ptp0: No such device" || fail "no loss message"
bridge_log_has "/dev/ptp0 is back" || fail "no recovery message"
[ "$(grep -c 'retrying' "$T/bridge.log")" -eq 1 ] || fail "the outage was logged more than once"
stop_bridge
[ "$BRIDGE_RC" -eq 0 ] || fail "exit code $BRIDGE_RC"
[ "$(field 2)" = 3 ] || fail "leap is not 3 after the bridge stopped"
echo ok
