# A statime tracker reading the observation socket of a stand-in that behaves like statime 0.4
# (fakestatime.py; documents read from the real daemon): startup (no ports yet) -> FREERUN;
# Slave without an estimate yet (offset and delay exactly 0) never locks, even with
# lock_updates 1; synced -> LOCKED and the PHC gate opens with statime's UTC offset; master
# lost -> HOLDOVER -> FREERUN; a 3 s offset is beyond the threshold; garbage is dropped and
# counted, and after 3 bad documents in a row the last good state is stale (HOLDOVER); an
# overlong document is read to its end and dropped; the v0.3 document shape works; a snapshot
# that stops changing goes stale although every read carries a new uptime; a stopped statime
# is waited for, across a reload too, and never hung up on (which would stop its observer);
# statime gone (socket left behind) -> UNKNOWN.
. "$(dirname "$0")/lib.sh"
D=tests/data/statime
shm_unit 31
# Switched atomically: the stand-in must never read a half-written control file.
fixture() { readlink -f "$D/$1.json" > "$T/fixture.new" && mv "$T/fixture.new" "$T/fixture"; }
fixture startup
/usr/bin/python3 "$HERE/fakestatime.py" "$T/observe" "$T/fixture" 0.25 >> "$T/fakestatime.log" 2>&1 &
STATIME=$!
PIDS+=($STATIME)
wait_for 5 test -S "$T/observe" || fail "stand-in did not start"
write_conf() { # STALE_AFTER of tracker st1
  cat > "$T/bridge.conf" <<CONF
[tracker st]
type = statime
socket = $T/observe
poll_interval = 0.1
stale_after = 2
holdover = 1
[tracker st1]
type = statime
socket = $T/observe
poll_interval = 0.1
stale_after = $1
lock_updates = 1
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
}
write_conf 2
start_bridge "$T/bridge.conf" FAKEDEV_PTP=/dev/ptp0 FAKEDEV_PTP0=offset_ns=37000123456
state_line() { wait_for "$1" bridge_log_has "$2" || fail "expected: $2"; }
count() { grep -c -- "$1" "$T/bridge.log"; }
# state_nth SECONDS N PATTERN: the Nth log line matching PATTERN.
state_nth() { wait_for "$1" bash -c "[ \$(grep -c -- '$3' $T/bridge.log) -ge $2 ]" || fail "expected $2 x: $3"; }
serving() { ! grep -q "observer stops" "$T/fakestatime.log"; }
# mark; then new_line SECONDS PATTERN waits for PATTERN in the log lines written after mark.
mark() { MARK=$(wc -l < "$T/bridge.log"); }
has_new() { tail -n "+$((MARK + 1))" "$T/bridge.log" | grep -q -- "$1"; }
new_line() { wait_for "$1" has_new "$2" || fail "expected: $2"; }
# statime before its first BMCA: no ports yet.
state_line 5 "tracker st: UNKNOWN -> FREERUN: no port in SLAVE (no port)"
state_line 2 "tracker st1: UNKNOWN -> FREERUN: no port in SLAVE (no port)"

# Slave, but offset_from_master and mean_delay exactly 0: statime has no estimate yet.
fixture resynced-no-estimate
sleep 1
bridge_log_has "tracker st1: .* -> LOCKED" && fail "locked on statime's unestimated offset: $(grep 'st1: .* -> LOCKED' "$T/bridge.log")"
echo "no lock on an unestimated offset"

fixture synced
state_line 5 "tracker st: FREERUN -> LOCKED"
state_line 2 "tracker st1: FREERUN -> LOCKED: SLAVE, offset +4 ns"
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
# Back in Slave with the filter restarted (as after a SIGSTOP): no offset, not LOCKED.
fixture resynced-no-estimate
state_line 3 "tracker st: LOCKED -> HOLDOVER: no offset from master yet"
fixture synced
state_nth 3 2 "tracker st: HOLDOVER -> LOCKED"

for g in garbage-truncated garbage-not-object garbage-wrong-types garbage-huge-number garbage-empty; do
  fixture $g
  sleep 0.5
done
n=$(count "tracker st: statime document dropped")
grep "tracker st: statime document dropped" "$T/bridge.log" | sed 's/.*warning: //' | head -5
[ "$n" -ge 3 ] && [ "$n" -le 5 ] || fail "$n drop messages (expected 3..5, rate-limited)"
bridge_log_has "tracker st: LOCKED -> HOLDOVER: sync data is stale" \
  || fail "3 bad documents in a row did not make the state stale"

# Over 256 KiB: read to the end (never hung up on) and dropped.
{ printf '{'; head -c 300000 /dev/zero | tr '\0' ' '; } > "$T/overlong.json"
readlink -f "$T/overlong.json" > "$T/fixture.new" && mv "$T/fixture.new" "$T/fixture"
sleep 0.5
fixture v03-synced
n=$(count "tracker st: .* -> LOCKED")
wait_for 3 bash -c "[ \$(grep -c 'tracker st: .* -> LOCKED' $T/bridge.log) -gt $n ]" \
  || fail "the v0.3 document shape did not lock"
serving || fail "an overlong document was hung up on: the stand-in's observer stopped"

# A snapshot that stops changing (statime stuck) goes stale after stale_after (2 s here),
# although each read has a new uptime_seconds; the same snapshot read again is no new
# measurement, so it cannot count towards lock_updates.
fixture synced
sleep 0.5
n=$(count "tracker st: LOCKED -> HOLDOVER: sync data is stale")
touch "$T/fixture.frozen"
wait_for 4 bash -c "[ \$(grep -c 'tracker st: LOCKED -> HOLDOVER: sync data is stale' $T/bridge.log) -gt $n ]" \
  || fail "a frozen statime snapshot did not go stale"
fixture p2p # one new snapshot while frozen: st (3 updates) must not lock on its repeats
locks=$(count "tracker st: .* -> LOCKED")
sleep 1.5 # 15 polls of the same snapshot
[ "$(count "tracker st: .* -> LOCKED")" -eq "$locks" ] \
  || fail "repeats of a frozen snapshot counted as new measurements"
echo "frozen snapshot: stale after 2 s, repeats not counted"
rm "$T/fixture.frozen"
n=$(count "tracker st: .* -> LOCKED")
wait_for 4 bash -c "[ \$(grep -c 'tracker st: .* -> LOCKED' $T/bridge.log) -gt $n ]" \
  || fail "no lock once the snapshots change again"

# statime stopped for 25 poll intervals: the reads wait, the state goes stale, nothing is hung
# up on; once it runs again it still answers.
mark
kill -STOP "$STATIME"
new_line 4 "tracker st: LOCKED -> HOLDOVER: sync data is stale"
new_line 1 "tracker st: statime at .* has not answered for"
sleep 0.5
kill -CONT "$STATIME"
new_line 4 "tracker st: .* -> LOCKED"
new_line 1 "tracker st: statime answers again after"
serving || fail "a stopped statime was hung up on: its observer stopped"
has_new "tracker st.*UNKNOWN" && fail "UNKNOWN while statime was stopped"
echo "stopped statime: waited for, never hung up on"

# The same across a reload that replaces tracker st1 while its read is pending.
kill -STOP "$STATIME"
sleep 0.5
write_conf 3
mark
kill -HUP "$BRIDGE_PID"
state_line 3 "tracker st1: .* -> UNKNOWN: tracker stopped"
sleep 0.5
kill -CONT "$STATIME"
new_line 4 "tracker st1: .* -> LOCKED"
sleep 0.5
serving || fail "a connection pending across a reload was hung up on: the observer stopped"
echo "reload with a pending read: never hung up on"

kill "$STATIME"
wait "$STATIME" 2>/dev/null
test -S "$T/observe" || fail "the stand-in removed its socket (statime leaves it behind)"
state_line 3 "tracker st: LOCKED -> UNKNOWN: connection refused (statime is not running"
wait_for 2 leap_is 3 || fail "gate open with statime gone"
echo ok
