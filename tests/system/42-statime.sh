# A statime tracker reading the observation socket (a stand-in serving the shipped fixtures):
# startup (no ports yet) -> FREERUN; synced -> LOCKED and the PHC gate opens with statime's UTC offset; master lost -> HOLDOVER ->
# FREERUN; a 3 s offset is beyond the threshold; garbage is dropped and counted, and after 3
# bad documents in a row the last good state is stale (HOLDOVER); the v0.3 document shape
# works; statime gone -> UNKNOWN.
. "$(dirname "$0")/lib.sh"
D=tests/data/statime
shm_unit 31
fixture() { readlink -f "$D/$1.json" > "$T/fixture"; }
fixture startup
/usr/bin/python3 "$HERE/fakestatime.py" "$T/observe" "$T/fixture" 0.25 >> "$T/fakestatime.log" 2>&1 &
STATIME=$!
PIDS+=($STATIME)
wait_for 5 test -S "$T/observe" || fail "stand-in did not start"
cat > "$T/bridge.conf" <<CONF
[tracker st]
type = statime
socket = $T/observe
poll_interval = 0.1
stale_after = 2
holdover = 1
[source phc0]
type = phc
device = /dev/ptp0
interval = 0.25
tracker = st
tai_offset = 30
outputs = ntpd
[output ntpd]
type = shm
unit = 31
CONF
start_bridge "$T/bridge.conf" FAKEDEV_PTP=/dev/ptp0 FAKEDEV_PTP0=offset_ns=37000123456
state_line() { wait_for "$1" bridge_log_has "$2" || fail "expected: $2"; }
# state_nth SECONDS N PATTERN: the Nth log line matching PATTERN.
state_nth() { wait_for "$1" bash -c "[ \$(grep -c -- '$3' $T/bridge.log) -ge $2 ]" || fail "expected $2 x: $3"; }
# statime before its first BMCA: no ports yet.
state_line 5 "tracker st: UNKNOWN -> FREERUN: no port in SLAVE (no port)"
fixture synced
state_line 5 "tracker st: FREERUN -> LOCKED"
bridge_log_has "statime 0.4.0 at" || fail "version not logged"
leap_is() { [ "$(shm_read 31 | awk '{print $2}')" = "$1" ]; }
wait_for 3 leap_is 0 || fail "gate did not open"
[ "$(shm_read 31 | awk '{print $1}')" = 123456 ] || fail "statime's UTC offset 37 not used: $(shm_read 31)"

fixture master-lost
state_line 3 "tracker st: LOCKED -> HOLDOVER: no port in SLAVE (Listening)"
wait_for 2 leap_is 3 || fail "gate did not close"
state_line 3 "tracker st: HOLDOVER -> FREERUN: holdover of 1 s expired"

fixture synced
state_nth 3 2 "tracker st: FREERUN -> LOCKED"
fixture offset-3s
state_line 3 "tracker st: LOCKED -> HOLDOVER: offset +3000000000 ns beyond +/-100 ns"
fixture synced
state_line 3 "tracker st: HOLDOVER -> LOCKED"

for g in garbage-truncated garbage-not-object garbage-wrong-types garbage-huge-number garbage-empty; do
  fixture $g
  sleep 0.5
done
n=$(grep -c "statime document dropped" "$T/bridge.log")
grep "statime document dropped" "$T/bridge.log" | sed 's/.*warning: //' | head -5
[ "$n" -ge 3 ] && [ "$n" -le 5 ] || fail "$n drop messages (expected 3..5, rate-limited)"
bridge_log_has "tracker st: LOCKED -> HOLDOVER: sync data is stale" \
  || fail "3 bad documents in a row did not make the state stale"

fixture v03-synced
n=$(grep -c "tracker st: .* -> LOCKED" "$T/bridge.log")
wait_for 3 bash -c "[ \$(grep -c 'tracker st: .* -> LOCKED' $T/bridge.log) -gt $n ]" \
  || fail "the v0.3 document shape did not lock"

# A snapshot that stops changing (statime stuck) goes stale after stale_after (2 s here); the
# same snapshot read again is no new measurement, so it cannot count towards lock_updates.
n=$(grep -c "LOCKED -> HOLDOVER: sync data is stale" "$T/bridge.log")
touch "$T/fixture.frozen"
wait_for 4 bash -c "[ \$(grep -c 'LOCKED -> HOLDOVER: sync data is stale' $T/bridge.log) -gt $n ]" \
  || fail "a frozen statime snapshot did not go stale"
locks=$(grep -c "tracker st: .* -> LOCKED" "$T/bridge.log")
sleep 1.5 # 15 polls of the same snapshot
[ "$(grep -c "tracker st: .* -> LOCKED" "$T/bridge.log")" -eq "$locks" ] \
  || fail "repeats of a frozen snapshot counted as new measurements"
echo "frozen snapshot: stale after 2 s, repeats not counted"
rm "$T/fixture.frozen"
n=$(grep -c "tracker st: .* -> LOCKED" "$T/bridge.log")
wait_for 4 bash -c "[ \$(grep -c 'tracker st: .* -> LOCKED' $T/bridge.log) -gt $n ]" \
  || fail "no lock once the snapshots change again"
kill "$STATIME"
wait "$STATIME" 2>/dev/null
rm -f "$T/observe"
state_line 3 "tracker st: LOCKED -> UNKNOWN: no socket (statime is not running)"
wait_for 2 leap_is 3 || fail "gate open with statime gone"
echo ok
