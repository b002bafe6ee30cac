# The status socket and `refclock-bridge status`: a simulated PHC 37.000123456 s ahead (TAI,
# tai_offset 37) feeds a real chronyd over SOCK and an NTP SHM segment. The command finds the
# socket by -s and by -c, exits 0 while all is well, 1 once chronyd is gone, 2 with no daemon
# (nor with a server that never answers or answers something else);
# the JSON document carries what was injected. The socket has mode 0660 and the configured
# group (an unknown one: the daemon's); a reload keeps it or moves it; a stale socket file is
# replaced; a bridge whose socket another one serves waits for it with one warning.
. "$(dirname "$0")/lib.sh"
shm_unit 8
shm_unit 9
shm_unit 10
GROUP=adm
getent group "$GROUP" >/dev/null || GROUP=$(id -gn)
status() { "$RB_BIN" status "$@"; }
# json EXPR: evaluates a Python expression over the document d from $T/doc.json.
json() { /usr/bin/python3 -c "import json,sys; d=json.load(open('$T/doc.json')); print($1)"; }

start_chronyd "refclock SOCK $T/chrony/phc0.sock refid PHC0 poll 0 filter 1"
cat > "$T/bridge.conf" <<CONF
[bridge]
status_group = $GROUP
[source phc0]
type = phc
device = /dev/ptp0
interval = 0.25
timescale = tai
tai_offset = 37
outputs = chrony, ntpd
[output chrony]
type = sock
path = $T/chrony/phc0.sock
[output ntpd]
type = shm
unit = 8
CONF
start_bridge "$T/bridge.conf" FAKEDEV_PTP=/dev/ptp0 FAKEDEV_PTP0=offset_ns=37000123456,delay_ns=400
note "status socket $STATUS_SOCK"

# -s: healthy once the source is publishing and both outputs are up
wait_for 10 status -s "$STATUS_SOCK" || { status -s "$STATUS_SOCK"; fail "status did not exit 0"; }
samples() { [ "$(chronyc_ -c sources | awk -F, '$3 == "PHC0" {print $6}')" != 0 ]; }
wait_for 20 samples || fail "chronyd got no samples"
status -s "$STATUS_SOCK" > "$T/table.txt"
rc=$?
cat "$T/table.txt"
[ "$rc" = 0 ] || fail "status exit code $rc with chronyd reading"
grep -q "^healthy: 1 source ok; 2/2 outputs up$" "$T/table.txt" || fail "no healthy summary"
grep -Eq "^phc0 +phc +ok +\+123\.456us +[0-9.]+s " "$T/table.txt" || fail "no ok line for phc0"
grep -Eq "^chrony +sock +up " "$T/table.txt" || fail "no up line for the sock output"
grep -Eq "^ntpd +shm +up " "$T/table.txt" || fail "no up line for the shm output"
head -n 1 "$T/table.txt" |
  grep -q ", pid $BRIDGE_PID, up 00:00:[0-9][0-9], config $T/bridge.conf$" || fail "header line"

# -c: the socket named in the configuration
status -c "$T/bridge.conf" > /dev/null || fail "status -c exit code $?"

# --json: the document, pretty-printed, with what was injected
status -s "$STATUS_SOCK" --json > "$T/doc.json" || fail "status --json exit code $?"
/usr/bin/python3 -m json.tool "$T/doc.json" > /dev/null || fail "--json printed no JSON"
grep -q '^  "schema": 1,$' "$T/doc.json" || fail "not indented by 2"
for check in \
  'd["schema"] == 1 and d["healthy"] is True' \
  'd["daemon"]["pid"] == '"$BRIDGE_PID" \
  'd["daemon"]["config"] == "'"$T/bridge.conf"'"' \
  'len(d["daemon"]["config_digest"]) == 16 and d["daemon"]["reloads"] == 0' \
  'd["summary"] == "1 source ok; 2/2 outputs up"' \
  'd["time"] > d["daemon"]["started"]' \
  'len(d["sources"]) == 1 and len(d["outputs"]) == 2 and d["trackers"] == []' \
  'd["sources"][0]["name"] == "phc0" and d["sources"][0]["kind"] == "phc"' \
  'd["sources"][0]["state"] == "ok" and d["sources"][0]["healthy"] is True' \
  'd["sources"][0]["outputs"] == ["chrony", "ntpd"]' \
  'd["sources"][0]["published"] > 0 and d["sources"][0]["invalid"] == 0' \
  'd["sources"][0]["last_sample"]["offset_ns"] == 123456' \
  'd["sources"][0]["last_sample"]["time"] <= d["time"]' \
  'd["sources"][0]["health"]["outages"] == 0 and d["sources"][0]["health"]["last_error"] is None' \
  'd["outputs"][0]["name"] == "chrony" and d["outputs"][0]["connected"] is True' \
  'd["outputs"][0]["sent"] > 0 and d["outputs"][0]["healthy"] is True' \
  'd["outputs"][1]["name"] == "ntpd" and d["outputs"][1]["kind"] == "shm"' \
  'd["outputs"][1]["sent"] > 0 and d["outputs"][1]["connected"] is True' \
  'd["sources"][0]["endpoint"] == "/dev/ptp0" and d["sources"][0]["since"] <= d["time"]' \
  'd["sources"][0]["details"]["method"] == "precise"' \
  'd["sources"][0]["details"]["readings"] == 1' \
  'd["sources"][0]["last_sample"]["precision"] < 0' \
  'd["outputs"][0]["target"] == "'"$T"'/chrony/phc0.sock" and d["outputs"][0]["dropped"] == 0' \
  'd["outputs"][1]["details"] == {"unit": 8, "mode": "0600", "created": True}' \
  'd["outputs"][1]["health"] == {"down": False, "since": None, "outages": 0,
     "outage_seconds": 0.0, "last_error": None, "last_error_time": None}'; do
  [ "$(json "$check")" = True ] || fail "document: $check"
done
# times are RFC 3339 UTC with nanoseconds
rfc3339='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{9}Z$'
json 'd["sources"][0]["last_sample"]["time"]' | grep -Eq "$rfc3339" || fail "time format"
echo "published $(json 'd["sources"][0]["published"]'), sent $(json 'd["outputs"][0]["sent"]')"

# the socket: 0660, the configured group
perm=$(stat -c '%a %G %F' "$STATUS_SOCK")
echo "socket: $perm"
[ "$perm" = "660 $GROUP socket" ] || fail "socket is $perm, expected 660 $GROUP socket"

# usage errors exit 2
status --bogus 2>/dev/null; [ $? = 2 ] || fail "unknown option did not exit 2"
status -s "$STATUS_SOCK" -c "$T/bridge.conf" 2>/dev/null
[ $? = 2 ] || fail "-s with -c did not exit 2"
status -s "$STATUS_SOCK" extra 2>/dev/null; [ $? = 2 ] || fail "an argument did not exit 2"
echo "[source x]" > "$T/bad.conf"
status -c "$T/bad.conf" 2> "$T/err"; [ $? = 2 ] || fail "a bad -c config did not exit 2"
grep -q "bad.conf" "$T/err" || fail "no message for the bad config"

# Not a daemon: a socket that never answers (the command gives up after 5 s), one that answers
# something else. No daemon to talk to either way (2), with a message.
cat > "$T/fakestatus.py" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1])
s.listen(8)
while True:
    c, _ = s.accept()
    if sys.argv[2] == "garbage":
        c.sendall(b'{"schema": 1, "sources": []}\n')
        c.close()
    else:
        time.sleep(30)
PY
# fake_status MODE PATTERN: the command against a fake server exits 2 with one line matching.
fake_status() {
  /usr/bin/python3 "$T/fakestatus.py" "$T/fake-$1.sock" "$1" &
  PIDS+=($!)
  wait_for 5 test -S "$T/fake-$1.sock" || fail "the fake $1 server did not start"
  status -s "$T/fake-$1.sock" > /dev/null 2> "$T/err"
  rc=$?
  cat "$T/err"
  [ "$rc" = 2 ] || fail "status exit code $rc from a $1 server"
  [ "$(wc -l < "$T/err")" = 1 ] && grep -q "$2" "$T/err" || fail "message for a $1 server"
}
t0=$(date +%s%N)
fake_status silent "no complete answer within 5 s"
took=$((($(date +%s%N) - t0) / 1000000))
[ "$took" -ge 4900 ] && [ "$took" -lt 9000 ] || fail "gave up on a silent server after $took ms"
fake_status garbage 'not a status document (no "healthy")'

# A reload with the same socket keeps it; with another path, the socket moves.
ino=$(stat -c %i "$STATUS_SOCK")
kill -HUP "$BRIDGE_PID"
wait_for 5 bridge_log_has "reloading" || fail "no reload"
status -s "$STATUS_SOCK" > /dev/null || fail "status after a reload: exit code $?"
[ "$(stat -c %i "$STATUS_SOCK")" = "$ino" ] || fail "an unchanged socket was created afresh"
OLD_SOCK=$STATUS_SOCK STATUS_SOCK=$(dirname "$STATUS_SOCK")/moved/status.sock
sed -i "s|^status_socket = .*|status_socket = $STATUS_SOCK|" "$T/bridge.conf"
kill -HUP "$BRIDGE_PID"
wait_for 5 test -S "$STATUS_SOCK" || fail "the socket did not move"
[ -e "$OLD_SOCK" ] && fail "the old socket is left"
[ "$(stat -c '%a' "$(dirname "$STATUS_SOCK")")" = 755 ] || fail "socket directory mode"
status -s "$STATUS_SOCK" > /dev/null || fail "status at the moved socket: exit code $?"
status -c "$T/bridge.conf" > /dev/null || fail "status -c after the move: exit code $?"
[ "$(stat -c '%a %G' "$STATUS_SOCK")" = "660 $GROUP" ] || fail "moved socket's mode or group"

# chronyd goes away: its output is degraded, the command exits 1
stop_chronyd
degraded() { status -s "$STATUS_SOCK" > "$T/table.txt"; [ $? = 1 ]; }
wait_for 10 degraded || fail "status did not exit 1 without chronyd"
cat "$T/table.txt"
grep -q "^DEGRADED: 1 source ok; 1/2 outputs up$" "$T/table.txt" || fail "no degraded summary"
grep -Eq "^chrony +sock +(down|waiting) " "$T/table.txt" || fail "the sock output is not shown down"
status -s "$STATUS_SOCK" --json > "$T/doc.json"
for check in \
  'd["healthy"] is False and d["summary"] == "1 source ok; 1/2 outputs up"' \
  'd["outputs"][0]["healthy"] is False and d["outputs"][0]["connected"] is False' \
  'd["outputs"][0]["health"]["down"] is True and d["outputs"][0]["health"]["outages"] == 1' \
  'd["outputs"][0]["health"]["last_error"].startswith("cannot send to '"$T"'/chrony/phc0.sock")' \
  'd["outputs"][0]["health"]["last_error_time"] >= d["outputs"][0]["health"]["since"]' \
  'd["outputs"][1]["healthy"] is True'; do
  [ "$(json "$check")" = True ] || fail "document after chronyd stopped: $check"
done

# SIGKILL leaves a stale socket file: no daemon to talk to (2), with a message.
kill -9 "$BRIDGE_PID"
wait "$BRIDGE_PID" 2>/dev/null
[ -S "$STATUS_SOCK" ] || fail "socket file gone after SIGKILL"
status -s "$STATUS_SOCK" > /dev/null 2> "$T/err"
rc=$?
cat "$T/err"
[ "$rc" = 2 ] || fail "status exit code $rc with a stale socket"
grep -q "^refclock-bridge status: no daemon at $STATUS_SOCK: Connection refused$" "$T/err" ||
  fail "no message for the stale socket"

# other_bridge NAME UNIT [GROUP]: another bridge on the same status socket, logging to
# $T/NAME.log.
other_bridge() {
  cat > "$T/$1.conf" <<CONF
[bridge]
status_socket = $STATUS_SOCK
${3:+status_group = $3}
metrics = no
[source p]
type = phc
device = /dev/ptp0
interval = 1
outputs = s
[output s]
type = shm
unit = $2
CONF
  env LD_PRELOAD="$FAKELIB" FAKEDEV_CTL="$T/ctl" FAKEDEV_PTP=/dev/ptp0 \
    FAKEDEV_PTP0=offset_ns=37000000007 "$RB_BIN" -f -c "$T/$1.conf" >> "$T/$1.log" 2>&1 &
  OTHER_PID=$!
  PIDS+=("$OTHER_PID")
}
# A new bridge replaces the stale file.
other_bridge second 9
SECOND_PID=$OTHER_PID
wait_for 5 grep -q "serving $STATUS_SOCK" "$T/second.log" || fail "the second bridge does not serve"
grep -q "removing the stale $STATUS_SOCK" "$T/second.log" || fail "the stale socket was not removed"
wait_for 5 status -s "$STATUS_SOCK" || fail "the second bridge's status exit code $?"
# A third one finds it in use: one warning, then it waits with backoff...
other_bridge third 10 rb-no-such-group
THIRD_PID=$OTHER_PID
wait_for 5 grep -q "is served by another process; retrying" "$T/third.log" ||
  fail "the third bridge did not see the socket in use"
status -s "$STATUS_SOCK" --json > "$T/doc.json"
[ "$(json 'd["daemon"]["pid"]')" = "$SECOND_PID" ] || fail "not the second bridge's document"
# ...and takes over once the second stops (which removes its socket file).
kill "$SECOND_PID"
wait "$SECOND_PID"
[ $? = 0 ] || fail "second bridge exit code"
wait_for 20 grep -q "serving $STATUS_SOCK after" "$T/third.log" ||
  fail "the third bridge did not take over"
[ "$(grep -c "is served by another process" "$T/third.log")" = 1 ] ||
  fail "the warning was repeated"
grep -q "status socket" "$T/third.log" && grep "status socket" "$T/third.log"
wait_for 5 status -s "$STATUS_SOCK" || fail "the third bridge's status exit code $?"
status -s "$STATUS_SOCK" --json > "$T/doc.json"
[ "$(json 'd["daemon"]["pid"]')" = "$THIRD_PID" ] || fail "not the third bridge's document"
# ...with a group that does not exist: the daemon's own
grep -q "status socket: unknown group rb-no-such-group; keeping the default group" \
  "$T/third.log" || fail "no warning about the unknown group"
[ "$(stat -c '%a %G' "$STATUS_SOCK")" = "660 $(id -gn)" ] || fail "the third socket's mode or group"

# SIGTERM removes the socket file: no daemon to talk to (2)
kill "$THIRD_PID"
wait "$THIRD_PID"
[ $? = 0 ] || fail "third bridge exit code"
[ -e "$STATUS_SOCK" ] && fail "socket file left after SIGTERM"
status -s "$STATUS_SOCK" 2> "$T/err"
rc=$?
cat "$T/err"
[ "$rc" = 2 ] || fail "status exit code $rc with no daemon"
grep -q "^refclock-bridge status: no daemon at $STATUS_SOCK: No such file or directory$" "$T/err" ||
  fail "no message without a daemon"
echo ok
