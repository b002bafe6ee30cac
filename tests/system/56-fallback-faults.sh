# NTP fallback when things go wrong, against a real systemd: an unknown unit, a unit whose
# condition fails, a hook that hangs, no bus at all (then the bus appears): each is logged
# with its reason and retried, the daemon stays up and its loop keeps its 4 Hz schedule. The
# marker and the hook each work alone. An input flapping every second toggles at most once per
# min_interval. The triggers: a PHC source that vanishes (the fake device), and for the
# flapping a statime tracker whose stand-in (fakestatime.py) switches every second between an
# offset within the threshold and one of 3 s beyond it.
. "$(dirname "$0")/lib.sh"
. "$HERE/systemd_lib.sh"

start_user_systemd
chronyd_user_unit
user_unit cond.service <<UNIT
[Unit]
ConditionPathExists=$T/no-such-file
[Service]
ExecStart=/bin/sleep infinity
UNIT
printf '#!/bin/sh\nexec sleep 100\n' > "$T/hang.sh"
printf '#!/bin/sh\necho "$REFCLOCK_BRIDGE_FALLBACK_NAME $REFCLOCK_BRIDGE_FALLBACK_OLD $REFCLOCK_BRIDGE_FALLBACK_NEW" >> %s\n' \
  "$T/hook.log" > "$T/hook.sh"
chmod 755 "$T/hang.sh" "$T/hook.sh"
shm_unit 56
shm_unit 57
D=tests/data/statime
fixture() { readlink -f "$D/$1.json" > "$T/fixture.new" && mv "$T/fixture.new" "$T/fixture"; }
fixture synced
/usr/bin/python3 "$HERE/fakestatime.py" "$T/observe" "$T/fixture" 0.25 >> "$T/fakestatime.log" 2>&1 &
PIDS+=($!)
wait_for 5 test -S "$T/observe" || fail "statime stand-in did not start"

cat > "$T/bridge.conf" <<CONF
[bridge]
log_level = debug
[source phc0]
type = phc
device = /dev/ptp0
interval = 0.25
outputs = shm0
[output shm0]
type = shm
unit = 56
; never watched: its samples show the loop's schedule
[source phc1]
type = phc
device = /dev/ptp1
interval = 0.25
outputs = shm1
[output shm1]
type = shm
unit = 57
[fallback unknown]
sources = phc0
enter_after = 0.5
unit = nosuch.service
[fallback cond]
sources = phc0
enter_after = 0.5
unit = cond.service
[fallback hang]
sources = phc0
enter_after = 0.5
unit = none
hook = $T/hang.sh
hook_timeout = 1
[fallback marker]
sources = phc0
enter_after = 0.5
unit = none
marker = $T/insync
[fallback hook]
sources = phc0
enter_after = 0.5
unit = none
hook = $T/hook.sh
[tracker st]
type = statime
socket = $T/observe
poll_interval = 0.1
lock_updates = 1
[fallback flap]
trackers = st
holdover_is_loss = yes
enter_after = 0
exit_after = 0
min_interval = 4
unit = chronyd.service
CONF
start_bridge "$T/bridge.conf" DBUS_SYSTEM_BUS_ADDRESS="$SD_BUS" FAKEDEV_PTP=/dev/ptp0,/dev/ptp1 \
  FAKEDEV_PTP0=offset_ns=1000 FAKEDEV_PTP1=offset_ns=2000
wait_for 10 bridge_log_has "fallback marker: start -> ptp" || fail "never PTP"
wait_for 3 test -e "$T/insync" || fail "marker alone: not created while PTP is good"
wait_for 3 grep -q "hook start ptp" "$T/hook.log" || fail "hook alone: not run for PTP"
unit_is chronyd.service inactive || fail "chronyd runs while PTP is good"

# The PHC vanishes: PTP is lost for every fallback but flap.
touch "$T/ctl/ptp0.gone"
wait_for 3 bridge_log_has "fallback unknown: .*nosuch.service: StartUnit: Unit nosuch.service not found.*retrying" \
  || fail "unknown unit: no clear log"
wait_for 3 bridge_log_has "fallback cond: .*cond.service: not started: .*ConditionPathExists=$T/no-such-file" \
  || fail "failed condition: no clear log"
wait_for 5 bridge_log_has "fallback hang: hook $T/hang.sh killed after 1 s" || fail "hanging hook: not killed"
wait_for 3 bash -c "[ ! -e $T/insync ]" || fail "marker alone: not removed in fallback"
wait_for 3 grep -q "hook ptp ntp" "$T/hook.log" || fail "hook alone: not run for NTP"
grep -E "fallback (unknown|cond|hang)" "$T/bridge.log" | head -8
# Retried with backoff, not in a tight loop.
sleep 3
n=$(grep -c "fallback unknown: .*not found" "$T/bridge.log")
[ "$n" -le 2 ] || fail "unknown unit logged $n times in 3 s"
kill -0 "$BRIDGE_PID" || fail "the bridge died"
# The loop kept its schedule through all of it: phc1's samples never paused.
awk '/source phc1: sample at/ {split($1, a, "T"); split(a[2], b, ":"); t = b[1]*3600 + b[2]*60 + b[3];
     if (last && t - last > 0.5) { print "gap " t - last " s at " $1; bad = 1 } last = t }
     END { exit bad }' "$T/bridge.log" || fail "the loop missed its schedule"
note "unknown unit, failed condition, hanging hook: logged, retried, loop on schedule"

# The offset flapping around the threshold every second for 16 s: at most one toggle per
# min_interval (4 s).
wait_for 5 bridge_log_has "fallback flap: start -> ptp" || fail "flap: never PTP"
for i in $(seq 8); do
  fixture offset-3s; sleep 1
  fixture synced; sleep 1
done
sleep 5
unit_is chronyd.service inactive || fail "flap: chronyd still runs with PTP good"
grep -E "fallback flap: (ptp|ntp) -> " "$T/bridge.log" | cut -d' ' -f1 > "$T/toggles"
n=$(wc -l < "$T/toggles")
[ "$n" -ge 3 ] || fail "flap: only $n toggles"
awk '{split($1, a, "T"); split(a[2], b, ":"); t = b[1]*3600 + b[2]*60 + b[3];
      if (last && t - last < 3.99) { print "toggles " t - last " s apart"; bad = 1 } last = t }
     END { exit bad }' "$T/toggles" || fail "flap: two toggles inside min_interval"
bridge_log_has "fallback flap: toggle to .* refused" || fail "flap: no refusal logged"
note "flapping for 16 s: $n toggles, none closer than min_interval; $(grep -c 'fallback flap: toggle to .* refused' "$T/bridge.log") refusals logged"
stop_bridge

# No bus at all: logged and retried; when the bus appears, the unit starts.
: > "$T/bridge.log"
sd_ stop chronyd.service
cat > "$T/nobus.conf" <<CONF
[source phc0]
type = phc
device = /dev/ptp0
interval = 0.25
outputs = shm0
[output shm0]
type = shm
unit = 56
[fallback ntp]
sources = phc0
enter_after = 0
unit = chronyd.service
CONF
touch "$T/ctl/ptp0.gone"
start_bridge "$T/nobus.conf" DBUS_SYSTEM_BUS_ADDRESS="unix:path=$T/later-bus" FAKEDEV_PTP=/dev/ptp0
wait_for 5 bridge_log_has "fallback ntp: .*cannot connect to the system bus: No such file or directory; retrying" \
  || fail "no bus: no clear log"
sleep 2
kill -0 "$BRIDGE_PID" || fail "no bus: the bridge died"
ln -s "$SD_DIR/xdg/bus" "$T/later-bus"
wait_for 40 unit_is chronyd.service active || fail "no bus: chronyd not started once the bus appeared"
grep "fallback ntp" "$T/bridge.log"
stop_bridge
echo "fallback faults: ok"
