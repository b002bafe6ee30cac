# The real statime 0.4.0 as a PTP slave of a real ptp4l master, in network namespaces joined
# by a veth (software timestamping, virtual-system-clock: statime steers no clock), with the
# bridge's statime tracker on its observation socket: no lock while statime has no estimate
# yet (offset and delay exactly 0), LOCKED; statime stopped for longer than the poll interval
# and continued: the bridge waited and statime still answers; master killed -> HOLDOVER ->
# FREERUN; master back -> LOCKED; statime killed -> UNKNOWN.
# statime is not packaged: STATIME_BIN, or peers/statime/statime in the ../shared beside the
# checkout (scripts/shared-dir.sh).
. "$(dirname "$0")/lib.sh"
STATIME_BIN=${STATIME_BIN:-$("$HERE/../../scripts/shared-dir.sh")/peers/statime/statime}
[ -x "$STATIME_BIN" ] || skip "no statime binary at $STATIME_BIN (set STATIME_BIN)"
STATIME_BIN=$(readlink -f "$STATIME_BIN")
"$STATIME_BIN" --version | grep -q "^statime-linux 0\.4\." \
  || fail "$STATIME_BIN is not statime-linux 0.4: $("$STATIME_BIN" --version 2>&1)"
ptp_netns_setup
statime_slave_setup
ptp4l_start m
statime_start() {
  ip netns exec "$NS_S" $NOTIME "$STATIME_BIN" -c "$T/statime.toml" >> "$T/statime.log" 2>&1 &
  STATIME=$!
  PIDS+=($STATIME)
}
statime_start
wait_for 10 test -S "$T/observe" || fail "statime did not create its observation socket"
/usr/bin/python3 "$HERE/statime_watch.py" "$T/observe" "$T/watch.log" 0.25 &
PIDS+=($!)
# Software timestamping wanders by microseconds: a wide max_offset.
cat > "$T/bridge.conf" <<CONF
[tracker st]
type = statime
socket = $T/observe
poll_interval = 0.5
stale_after = 3
holdover = 2
max_offset = 100000
CONF
start_bridge "$T/bridge.conf"
mark() { MARK=$(wc -l < "$T/bridge.log"); }
has_new() { tail -n "+$((MARK + 1))" "$T/bridge.log" | grep -q -- "$1"; }
new_line() { wait_for "$1" has_new "$2" || fail "expected within $1 s: $2"; }
log_time() { tail -n "+$((MARK + 1))" "$T/bridge.log" | grep -m1 -- "$1" | cut -d' ' -f1; }
answers() { /usr/bin/python3 "$HERE/statime_watch.py" --once "$T/observe"; }

mark
new_line 60 "tracker st: .* -> LOCKED"
grep "tracker st" "$T/bridge.log"
# statime reports offset_from_master 0 and mean_delay 0 for its first seconds in Slave; the
# lock must come after its first estimate.
lock=$(log_time "tracker st: .* -> LOCKED")
first=$(awk '$2 ~ /Slave/ && ($3 != 0 || $4 != 0) {print $1; exit}' "$T/watch.log")
zeros=$(awk '$2 ~ /Slave/ && $3 == 0 && $4 == 0' "$T/watch.log" | wc -l)
echo "statime in Slave without an estimate for $zeros reads; first estimate $first; LOCKED $lock"
[ -n "$first" ] && [[ "$first" < "$lock" ]] || fail "LOCKED at $lock before statime's first estimate ($first)"

# Stopped for 10 poll intervals: the bridge waits (no second connection, no hang-up), the
# state goes stale; continued, statime still answers everyone.
mark
kill -STOP "$STATIME"
sleep 5
kill -CONT "$STATIME"
sleep 1
answers || fail "statime's observer stopped after SIGSTOP/SIGCONT: a reader hung up on it"
has_new "tracker st: LOCKED -> HOLDOVER: sync data is stale" || fail "not stale while stopped"
has_new "tracker st: statime at .* has not answered for" || fail "the wait was not logged"
new_line 5 "tracker st: statime answers again after"
has_new "tracker st: .* -> UNKNOWN" && fail "UNKNOWN while statime was stopped"
new_line 60 "tracker st: .* -> LOCKED"
answers || fail "statime's observer stopped"
echo "SIGSTOP/SIGCONT: statime still answers"

mark
ptp4l_stop m
# statime's port leaves Slave about 3 announce intervals later; sometimes it flickers back into
# Slave for a moment first, with no estimate (offset and delay 0), which is a HOLDOVER too.
new_line 15 "tracker st: LOCKED -> HOLDOVER: "
has_new "tracker st: LOCKED -> HOLDOVER: \(no port in SLAVE (Listening)\|no offset from master yet\)" \
  || fail "HOLDOVER for another reason: $(grep 'LOCKED -> HOLDOVER' "$T/bridge.log" | tail -n 1)"
new_line 5 "tracker st: HOLDOVER -> FREERUN: holdover of 2 s expired"
ptp4l_start m
new_line 60 "tracker st: FREERUN -> LOCKED"

mark
kill -9 "$STATIME"
wait "$STATIME" 2>/dev/null
new_line 5 "tracker st: LOCKED -> UNKNOWN: connection refused (statime is not running"
grep "tracker st" "$T/bridge.log" | tail -n 6
echo ok
