# SIGHUP re-reads the configuration: a bad one is rejected and the running one kept; a good
# one is applied. SIGINT and SIGTERM stop cleanly with exit code 0.
. "$(dirname "$0")/lib.sh"
shm_unit 7
shm_unit 8
conf_for_unit() {
  printf '[source phc0]\ntype = phc\ndevice = /dev/ptp0\ninterval = 0.25\noutputs = s\n[output s]\ntype = shm\nunit = %s\n' "$1"
}
conf_for_unit 7 > "$T/bridge.conf"
start_bridge "$T/bridge.conf" FAKEDEV_PTP=/dev/ptp0 FAKEDEV_PTP0=offset_ns=37000000100
valid() { shm_read "$1" | awk '{exit !($2 == 0 && $4 == 1)}'; }
wait_for 5 valid 7 || fail "no samples on unit 7"

printf '[source phc0]\ntype = phc\ndevice = /dev/ptp0\nreadings = 99\noutputs = s\n' > "$T/bridge.conf"
kill -HUP "$BRIDGE_PID"
wait_for 3 bridge_log_has "reload rejected" || fail "bad reload not reported"
grep "reload rejected" "$T/bridge.log"
bridge_log_has "readings: 99 is out of range" || fail "the reload error does not name the key"
c1=$(shm_read 7 | awk '{print $5}')
sleep 1
c2=$(shm_read 7 | awk '{print $5}')
[ "$c2" -gt "$c1" ] || fail "the old configuration stopped after a rejected reload"

conf_for_unit 8 > "$T/bridge.conf"
kill -HUP "$BRIDGE_PID"
wait_for 5 valid 8 || fail "the new configuration (unit 8) was not applied"
wait_for 2 bridge_log_has "reloading" || fail "no reload message"
kill -INT "$BRIDGE_PID"
wait "$BRIDGE_PID"
rc=$?
[ $rc -eq 0 ] || fail "SIGINT exit code $rc"
bridge_log_has "received Interrupt, stopping" || fail "no stop message"
[ "$(shm_read 8 | awk '{print $2}')" = 3 ] || fail "unit 8 not left at leap 3"
echo ok
