# SIGHUP re-reads the configuration: a bad one is rejected and the running one kept; a good
# one is applied, and sources and outputs whose sections did not change keep running
# untouched. SIGINT and SIGTERM stop cleanly with exit code 0.
. "$(dirname "$0")/lib.sh"
shm_unit 7
shm_unit 8
shm_unit 9
write_conf() { # interval-of-b unit-of-b
  cat > "$T/bridge.conf" <<CONF
[source a]
type = phc
device = /dev/ptp0
interval = 0.25
outputs = sa
[output sa]
type = shm
unit = 7
[source b]
type = phc
device = /dev/ptp1
interval = $1
outputs = sb
[output sb]
type = shm
unit = $2
CONF
}
write_conf 0.25 8
start_bridge "$T/bridge.conf" FAKEDEV_PTP=/dev/ptp0,/dev/ptp1 FAKEDEV_PTP0=offset_ns=37000000100
valid() { shm_read "$1" | awk '{exit !($2 == 0 && $4 == 1)}'; }
wait_for 5 valid 7 || fail "no samples on unit 7"
wait_for 5 valid 8 || fail "no samples on unit 8"

cp "$T/bridge.conf" "$T/good.conf"
printf '[source a]\ntype = phc\ndevice = /dev/ptp0\nreadings = 99\noutputs = sa\n' > "$T/bridge.conf"
kill -HUP "$BRIDGE_PID"
wait_for 3 bridge_log_has "reload rejected" || fail "bad reload not reported"
grep "reload rejected" "$T/bridge.log"
bridge_log_has "readings: 99 is out of range" || fail "the reload error does not name the key"
c1=$(shm_read 7 | awk '{print $5}')
sleep 1
c2=$(shm_read 7 | awk '{print $5}')
[ "$c2" -gt "$c1" ] || fail "the old configuration stopped after a rejected reload"

# Change only source b's interval: b restarts, a and its output are left alone.
write_conf 0.5 8
kill -HUP "$BRIDGE_PID"
wait_for 3 bridge_log_has "reloading" || fail "no reload message"
sleep 1
[ "$(grep -c 'opened /dev/ptp1' "$T/bridge.log")" -eq 2 ] || fail "changed source b was not restarted"
[ "$(grep -c 'opened /dev/ptp0' "$T/bridge.log")" -eq 1 ] || fail "unchanged source a was restarted"
[ "$(grep -c 'NTP SHM unit 7' "$T/bridge.log")" -eq 1 ] || fail "unchanged output sa was reopened"
[ "$(grep -c 'NTP SHM unit 8' "$T/bridge.log")" -eq 1 ] || fail "unchanged output sb was reopened"

# Move b to another unit: its output is replaced, and b follows it.
write_conf 0.5 9
kill -HUP "$BRIDGE_PID"
wait_for 5 valid 9 || fail "the new output (unit 9) was not applied"
[ "$(shm_read 8 | awk '{print $2}')" = 3 ] || fail "the dropped output was not left at leap 3"
[ "$(grep -c 'opened /dev/ptp0' "$T/bridge.log")" -eq 1 ] || fail "unchanged source a was restarted"

kill -INT "$BRIDGE_PID"
wait "$BRIDGE_PID"
rc=$?
[ $rc -eq 0 ] || fail "SIGINT exit code $rc"
bridge_log_has "received Interrupt, stopping" || fail "no stop message"
[ "$(shm_read 9 | awk '{print $2}')" = 3 ] || fail "unit 9 not left at leap 3"
[ "$(shm_read 7 | awk '{print $2}')" = 3 ] || fail "unit 7 not left at leap 3"
echo ok
