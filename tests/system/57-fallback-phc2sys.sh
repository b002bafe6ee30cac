# NTP fallback on an OpenShift-like node: phc2sys -a -r runs outside the bridge (real phc2sys,
# through the relay of phc2sys_lib.sh) and the fallback has phc2sys_auto = yes, a real systemd
# and a real chronyd unit, a real ptp4l pair. The master killed: the tracker leaves LOCKED while
# the port is still SLAVE, and phc2sys still steers: chronyd waits, and starts only after
# phc2sys's last clock write. The master back: phc2sys steers again at the SLAVE push and the
# bridge stops chronyd at once (the overlap is measured). safe-state leaves chronyd off while a
# port is SLAVE, and turns it on when none is.
. "$(dirname "$0")/lib.sh"
. "$HERE/systemd_lib.sh"
. "$HERE/phc2sys_lib.sh"

start_user_systemd
chronyd_user_unit

bins_for "$(linuxptp_major ptp4l)"
ptp_netns_setup
# The slave's announce timeout is 6 x 250 ms: a silent master leaves a window with the port
# still SLAVE, where phc2sys steers although the tracker has left LOCKED.
ptp4l_start s "announceReceiptTimeout 6"
ptp4l_start m
ptp4l_certain
LOG=$T/phc2sys.log
start_phc2sys
wait_for 20 bash -c "[ \$(grep -c -E '$STEER' $LOG) -ge 4 ]" || fail "phc2sys never steered"

cat > "$T/bridge.conf" <<CONF
$(ptp4l_tracker_conf ptp0)
[fallback ntp]
trackers = ptp0
holdover_is_loss = yes
enter_after = 0
exit_after = 3
min_interval = 0
unit = chronyd.service
phc2sys_auto = yes
CONF
start_bridge "$T/bridge.conf" DBUS_SYSTEM_BUS_ADDRESS="$SD_BUS"
wait_for 20 bridge_log_has "fallback ntp: start -> ptp" || fail "never PTP"
unit_is chronyd.service inactive || fail "chronyd runs while phc2sys steers"

# phc2sys's log stamps are CLOCK_MONOTONIC seconds; systemd's *TimestampMonotonic are µs.
last_write_us() { grep -E "$STEER" "$LOG" | tail -n 1 | sed -E 's/^phc2sys\[([0-9]+)\.([0-9]+)\].*/\1\2000/'; }
first_write_after_us() { # LINE
  tail -n +"$(($1 + 1))" "$LOG" | grep -m1 -E "$STEER" | sed -E 's/^phc2sys\[([0-9]+)\.([0-9]+)\].*/\1\2000/'
}

ptp4l_stop m KILL
wait_for 10 bridge_log_has "fallback ntp: PTP lost .* but phc2sys -a steers or may soon" \
  || fail "the fallback did not wait for phc2sys"
wait_for 15 unit_is chronyd.service active || fail "chronyd never started"
start_us=$(sd_ show -P ExecMainStartTimestampMonotonic chronyd.service)
sleep 1
last_us=$(last_write_us)
note "master killed: phc2sys's last clock write $(( (start_us - last_us) / 1000 )) ms before chronyd started"
[ "$last_us" -lt "$start_us" ] || fail "phc2sys wrote the clock after chronyd started"
grep "fallback ntp" "$T/bridge.log"

# The master back: phc2sys steers again on its own; the bridge stops chronyd at once.
mark=$(wc -l < "$LOG")
ptp4l_start m
wait_for 20 unit_is chronyd.service inactive || fail "chronyd not stopped when phc2sys steered again"
bridge_log_has "fallback ntp: ntp -> ptp: phc2sys -a takes the clock back" || fail "no phc2sys reason"
wait_for 5 bash -c "tail -n +$((mark + 1)) $LOG | grep -q -E '$STEER'" || fail "phc2sys did not steer again"
stop_us=$(stopped_us chronyd)
resume_us=$(first_write_after_us "$mark")
overlap=$(( (stop_us - resume_us) / 1000 ))
note "master back: chronyd stopped $overlap ms after phc2sys's first clock write (negative: before it)"
[ "$overlap" -le 0 ] || fail "chronyd and phc2sys both steered for $overlap ms"

# safe-state (the daemon stopped, as under ExecStopPost=) while the port is SLAVE: phc2sys
# has the clock, chronyd stays off.
stop_bridge
DBUS_SYSTEM_BUS_ADDRESS=$SD_BUS $RB_BIN safe-state -c "$T/bridge.conf" > "$T/safe1.log" 2>&1 \
  || { cat "$T/safe1.log"; fail "safe-state failed"; }
grep -q "phc2sys -a steers from a SLAVE port: NTP stays off" "$T/safe1.log" || { cat "$T/safe1.log"; fail "safe-state did not see the SLAVE port"; }
unit_is chronyd.service inactive || fail "safe-state started chronyd beside phc2sys"

# safe-state with no port SLAVE: NTP on.
ptp4l_stop m KILL
wait_for 10 bash -c "$(declare -f pmc_); NS_S=$NS_S T=$T PMC_BIN=$PMC_BIN pmc_ s 'GET PORT_DATA_SET' | grep -q 'portState *LISTENING'" \
  || fail "the port did not leave SLAVE"
DBUS_SYSTEM_BUS_ADDRESS=$SD_BUS $RB_BIN safe-state -c "$T/bridge.conf" > "$T/safe2.log" 2>&1 \
  || { cat "$T/safe2.log"; fail "safe-state failed"; }
unit_is chronyd.service active || { cat "$T/safe2.log"; fail "safe-state did not start chronyd with no port SLAVE"; }
stop_phc2sys
echo "fallback with phc2sys -a: ok"
