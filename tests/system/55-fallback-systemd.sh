# NTP fallback against a real systemd and a real chronyd unit, driven by a real ptp4l pair:
# PTP locked: chronyd off, the exclusive unit (standing for phc2sys@) on, the marker present.
# Master killed: once the tracker is FREERUN (holdover expired) and enter_after has passed, the
# exclusive unit stops, then chronyd starts; the marker goes; the hook runs. Master back:
# after exit_after, chronyd stops, then the exclusive unit starts again. Day 0: a chronyd
# already running with PTP not locked stays. The bridge as a unit, killed with SIGKILL: its
# ExecStopPost= (`refclock-bridge safe-state`) turns NTP on.
. "$(dirname "$0")/lib.sh"
. "$HERE/systemd_lib.sh"

ENTER=2 EXIT=4 HOLDOVER=1
start_user_systemd
chronyd_user_unit
user_unit phc2sys-fake.service <<UNIT
[Service]
ExecStart=/bin/sleep infinity
$(stop_stamp phc2sys-fake)
UNIT
sd_ start phc2sys-fake.service

cat > "$T/hook.sh" <<'HOOK'
#!/bin/sh
echo "$REFCLOCK_BRIDGE_FALLBACK_NAME $REFCLOCK_BRIDGE_FALLBACK_OLD $REFCLOCK_BRIDGE_FALLBACK_NEW $1: $REFCLOCK_BRIDGE_FALLBACK_REASON" >> "$(dirname "$0")/hook.log"
HOOK
chmod 755 "$T/hook.sh"

ptp_netns_setup
ptp4l_start s
ptp4l_start m
ptp4l_certain
# Locked before the bridge starts: it decides for PTP without passing through NTP.
wait_for 20 grep -q "to SLAVE" "$T/ptp4l-s.log" || fail "the ptp4l pair never synchronised"
cat > "$T/bridge.conf" <<CONF
$(ptp4l_tracker_conf ptp0 "holdover = $HOLDOVER")
[fallback ntp]
trackers = ptp0
enter_after = $ENTER
exit_after = $EXIT
min_interval = 2
unit = chronyd.service
exclusive_units = phc2sys-fake.service
marker = $T/insync
hook = $T/hook.sh arg1
CONF
$RB_BIN --check-config -c "$T/bridge.conf" || fail "config rejected"
start_bridge "$T/bridge.conf" DBUS_SYSTEM_BUS_ADDRESS="$SD_BUS"

# Milliseconds since the epoch of the first bridge log line matching a pattern.
log_ms() {
  local ts
  ts=$(grep -m1 -- "$1" "$T/bridge.log" | cut -d' ' -f1) || return 1
  [ -n "$ts" ] && echo $(( $(date -d "$ts" +%s%3N) ))
}
now_ms() { date +%s%3N; }
# Monotonic µs of a unit's state change (systemd's own timestamps).
unit_mono() { sd_ show -P "$2" "$1"; }

wait_for 20 bridge_log_has "fallback ntp: start -> ptp" || fail "never handed to PTP"
wait_for 3 test -e "$T/insync" || fail "no marker while PTP is good"
unit_is chronyd.service inactive || fail "chronyd runs while PTP is good"
unit_is phc2sys-fake.service active || fail "the exclusive unit was stopped while PTP is good"
note "PTP locked: chronyd $(unit_state chronyd.service), phc2sys-fake $(unit_state phc2sys-fake.service), marker present"

# The master killed.
kill_ms=$(now_ms)
ptp4l_stop m KILL
wait_for 15 unit_is chronyd.service active || fail "chronyd never started"
active_ms=$(now_ms)
freerun_ms=$(log_ms "tracker ptp0: HOLDOVER -> FREERUN") || fail "no FREERUN"
react=$((active_ms - freerun_ms))
note "master killed: FREERUN after $((freerun_ms - kill_ms)) ms, chronyd active $react ms after FREERUN (bound $((ENTER * 1000 + 1000)) ms), $((active_ms - kill_ms)) ms after the kill"
[ "$react" -le $((ENTER * 1000 + 1000)) ] || fail "chronyd active $react ms after the trigger"
# Last Sync to active: 3 Sync intervals (0.25 s) + holdover + enter_after + 1 s.
[ $((active_ms - kill_ms)) -le $((750 + HOLDOVER * 1000 + ENTER * 1000 + 1000)) ] || fail "too slow from the last Sync"
unit_is phc2sys-fake.service inactive || fail "the exclusive unit still runs beside chronyd"
a=$(stopped_us phc2sys-fake) b=$(unit_mono chronyd.service ExecMainStartTimestampMonotonic)
note "the exclusive unit stopped $(( (b - a) / 1000 )) ms before chronyd started"
[ "$a" -gt 0 ] && [ "$a" -le "$b" ] || fail "chronyd started before the exclusive unit stopped ($a, $b)"
[ ! -e "$T/insync" ] || fail "marker still there in fallback"
wait_for 3 grep -q "ntp ptp ntp arg1: PTP lost" "$T/hook.log" || fail "hook not run on entering: $(cat "$T/hook.log")"
grep "fallback ntp" "$T/bridge.log"

# The master back: chronyd stops after exit_after of LOCKED, then the exclusive unit starts.
ptp4l_start m
wait_for 20 bash -c "[ \$(grep -c 'tracker ptp0: .* -> LOCKED' $T/bridge.log) -ge 2 ]" || fail "never LOCKED again"
locked_ms=$(grep "tracker ptp0: .* -> LOCKED" "$T/bridge.log" | tail -1 | cut -d' ' -f1)
locked_ms=$(date -d "$locked_ms" +%s%3N)
wait_for 15 unit_is chronyd.service inactive || fail "chronyd never stopped"
stopped_ms=$(now_ms)
note "master back: chronyd stopped $((stopped_ms - locked_ms)) ms after LOCKED (exit_after $EXIT s)"
[ $((stopped_ms - locked_ms)) -ge $((EXIT * 1000 - 100)) ] || fail "chronyd stopped before exit_after"
[ $((stopped_ms - locked_ms)) -le $((EXIT * 1000 + 1000)) ] || fail "chronyd stopped late"
wait_for 5 unit_is phc2sys-fake.service active || fail "the exclusive unit did not start again"
a=$(stopped_us chronyd) b=$(unit_mono phc2sys-fake.service ExecMainStartTimestampMonotonic)
note "chronyd stopped $(( (b - a) / 1000 )) ms before the exclusive unit started"
[ "$a" -gt 0 ] && [ "$a" -le "$b" ] || fail "the exclusive unit started before chronyd stopped ($a, $b)"
wait_for 3 test -e "$T/insync" || fail "no marker after leaving fallback"
wait_for 3 grep -q "ntp ntp ptp arg1: PTP good" "$T/hook.log" || fail "hook not run on leaving"

# Day 0: chronyd running and PTP not locked when the bridge starts: chronyd stays.
stop_bridge
ptp4l_stop m KILL
sd_ stop phc2sys-fake.service
sd_ start chronyd.service
: > "$T/bridge.log"
start_bridge "$T/bridge.conf" DBUS_SYSTEM_BUS_ADDRESS="$SD_BUS"
wait_for 5 bridge_log_has "fallback ntp: start -> ntp: NTP was running at start" || fail "day 0 not seen"
sleep $((ENTER + 2))
unit_is chronyd.service active || fail "day 0: chronyd was stopped with PTP not locked"
note "day 0: chronyd kept running while PTP is not locked"
stop_bridge

# The bridge as a unit of this systemd, killed with SIGKILL: ExecStopPost= puts NTP on.
ptp4l_start m
sd_ stop chronyd.service
sd_ start phc2sys-fake.service
private_paths "$T/bridge.conf"
user_unit refclock-bridge.service <<UNIT
[Service]
Type=notify
Environment=DBUS_SYSTEM_BUS_ADDRESS=$SD_BUS
ExecStart=$RB_BIN -f -c $T/bridge.conf
ExecStopPost=$RB_BIN safe-state -c $T/bridge.conf
Restart=on-failure
RestartSec=30
StandardOutput=append:$T/bridge-unit.log
StandardError=append:$T/bridge-unit.log
UNIT
sd_ start refclock-bridge.service || fail "the bridge unit did not start"
wait_for 20 grep -q "fallback ntp: start -> ptp" "$T/bridge-unit.log" || fail "bridge unit: never PTP"
unit_is chronyd.service inactive || fail "chronyd runs while PTP is good (unit)"
pid=$(sd_ show -P MainPID refclock-bridge.service)
kill -9 "$pid"
wait_for 10 unit_is chronyd.service active || fail "SIGKILL: chronyd not started by ExecStopPost"
unit_is phc2sys-fake.service inactive || fail "SIGKILL: the exclusive unit still runs beside chronyd"
[ ! -e "$T/insync" ] || fail "SIGKILL: marker left behind"
note "SIGKILL: ExecStopPost= turned NTP on ($(grep -c 'safe state' "$T/hook.log") safe-state hook runs)"
sd_ stop refclock-bridge.service
echo "fallback with systemd: ok"
