# Every field of the status model, end to end, from the real binary through the status socket
# and `refclock-bridge status --json`: a PHC gated by a tracker of a real ptp4l pair, gpsd fed
# by gpsfake, a kernel PPS, a SOCK output to a real chronyd and an SHM output. Offsets to the
# nanosecond as injected; the grandmaster's identity as its ptp4l says; the counters and the
# health of an output across a chronyd restart and of a source across a vanished PHC; exit
# codes 0 (healthy) and 1 (degraded) of the command.
. "$(dirname "$0")/lib.sh"
PORT=29554
ptp_netns_setup
shm_unit 54
start_chronyd "refclock SOCK $T/chrony/phc0.sock refid PHC0 poll 0 filter 1
refclock SOCK $T/chrony/pps.sock refid PPS poll 0 filter 1 noselect"
start_gpsfake tests/data/ublox-multignss.nmea $PORT
ptp4l_start s
ptp4l_start m
ptp4l_certain
cat > "$T/bridge.conf" <<CONF
[bridge]
log_level = debug
$(ptp4l_tracker_conf ptp "holdover = 2")
[source phc0]
type = phc
device = /dev/ptp0
interval = 0.25
tracker = ptp
outputs = chrony
[output chrony]
type = sock
path = $T/chrony/phc0.sock
[source nmea]
type = gpsd
host = 127.0.0.1
port = $PORT
outputs = ntpd
[output ntpd]
type = shm
unit = 54
[source pps]
type = pps
device = /dev/pps0
trust_system_clock = yes
outputs = chrony-pps
[output chrony-pps]
type = sock
path = $T/chrony/pps.sock
CONF
start_bridge "$T/bridge.conf" FAKEDEV_PTP=/dev/ptp0 FAKEDEV_PTP0=offset_ns=37000123456 \
  FAKEDEV_PPS=/dev/pps0 FAKEDEV_PPS0=offset_ns=123456
status() { "$RB_BIN" status --json -s "$STATUS_SOCK" > "$T/status.json"; }
healthy() { status; }
wait_for 30 healthy || { cat "$T/status.json"; fail "not healthy: $(grep -o '"summary": *"[^"]*"' "$T/status.json")"; }
GM=$(pmc_ m 'GET DEFAULT_DATA_SET' | awk '$1 == "clockIdentity" {print $2}')
note "healthy; the master's clockIdentity is $GM"

# check.py DOC EXPR...: each EXPR, a Python expression over d (the document) and helpers, must
# hold; prints the failing ones.
check() { holds "$@" || fail "status fields"; }
# holds EXPR...: the same, without failing (for wait_for); reads the document anew.
holds() {
  status
  /usr/bin/python3 - "$T/status.json" "$@" <<'PY'
import json, re, sys
d = json.load(open(sys.argv[1]))
def src(n): return next(x for x in d["sources"] if x["name"] == n)
def out(n): return next(x for x in d["outputs"] if x["name"] == n)
def trk(n): return next(x for x in d["trackers"] if x["name"] == n)
rfc3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$")
def t(v): return isinstance(v, str) and bool(rfc3339.match(v))
bad = 0
for e in sys.argv[2:]:
    try:
        ok = eval(e)
    except Exception as x:
        ok, e = False, "%s (%s: %s)" % (e, type(x).__name__, x)
    if not ok:
        print("FAILED:", e)
        bad += 1
print("%d of %d checks hold" % (len(sys.argv) - 2 - bad, len(sys.argv) - 2))
sys.exit(1 if bad else 0)
PY
}

VERSION=$("$RB_BIN" -v | awk '{print $2}')
GPSD_V=$(gpsd -V 2>&1 | awk '{print $2; exit}')
check \
  "d['schema'] == 1 and d['healthy'] is True and t(d['time'])" \
  "d['summary'] == '3 sources ok; 3/3 outputs up; tracker ptp LOCKED'" \
  "d['daemon']['version'] == '$VERSION' and d['daemon']['config'] == '$T/bridge.conf'" \
  "re.match(r'^[0-9a-f]{16}$', d['daemon']['config_digest']) and t(d['daemon']['started'])" \
  "d['daemon']['reloads'] == 0 and d['daemon']['reloads_rejected'] == 0 and d['daemon']['pid'] == $BRIDGE_PID" \
  "[s['name'] for s in d['sources']] == ['phc0', 'nmea', 'pps']" \
  "src('phc0')['kind'] == 'phc' and src('phc0')['endpoint'] == '/dev/ptp0' and src('phc0')['outputs'] == ['chrony']" \
  "src('phc0')['state'] == 'ok' and t(src('phc0')['since']) and src('phc0')['healthy'] is True" \
  "src('phc0')['published'] > 0 and src('phc0')['lost'] == 0" \
  "src('phc0')['last_sample']['offset_ns'] == 123456 and t(src('phc0')['last_sample']['time'])" \
  "src('phc0')['details']['tracker'] == 'ptp' and src('phc0')['details']['gate_open'] is True" \
  "src('phc0')['details']['readings'] >= 1 and src('phc0')['details']['method'] in ('precise', 'extended', 'basic')" \
  "src('phc0')['health']['down'] is False and src('phc0')['health']['outages'] == 0" \
  "src('nmea')['kind'] == 'gpsd' and src('nmea')['endpoint'] == '127.0.0.1:$PORT' and src('nmea')['state'] == 'ok'" \
  "src('nmea')['details']['gpsd_version'] == '$GPSD_V' and src('nmea')['details']['fix_mode'] == 3" \
  "src('nmea')['details']['satellites_used'] > 0 and src('nmea')['details']['fix_ok'] is True" \
  "src('nmea')['details']['good_fixes'] >= 1 and src('nmea')['details']['stream'] == 'serial'" \
  "src('pps')['kind'] == 'pps' and src('pps')['endpoint'] == '/dev/pps0' and src('pps')['state'] == 'ok'" \
  "src('pps')['last_sample']['offset_ns'] == 123456" \
  "src('pps')['details']['edges'] >= 1 and src('pps')['details']['missed'] == 0 and src('pps')['details']['unnumbered'] == 0" \
  "src('pps')['details']['lock'] == 'system clock' and src('pps')['details']['edge'] == 'assert'" \
  "out('chrony')['kind'] == 'sock' and out('chrony')['target'] == '$T/chrony/phc0.sock'" \
  "out('chrony')['connected'] is True and out('chrony')['sent'] > 0 and out('chrony')['dropped'] == 0" \
  "out('ntpd')['kind'] == 'shm' and 'unit 54' in out('ntpd')['target'] and out('ntpd')['connected'] is True" \
  "out('ntpd')['details']['unit'] == 54 and out('ntpd')['details']['mode'] == '0600'" \
  "trk('ptp')['kind'] == 'ptp4l' and trk('ptp')['endpoint'] == '$T/ptp4l-s'" \
  "trk('ptp')['state'] == 'LOCKED' and trk('ptp')['openshift_state'] == 1 and t(trk('ptp')['since'])" \
  "'within +/-100000 ns' in trk('ptp')['reason'] and trk('ptp')['port_state'] == 'SLAVE'" \
  "abs(trk('ptp')['offset_ns']) <= 100000" \
  "trk('ptp')['grandmaster']['identity'] == '$GM' and trk('ptp')['grandmaster']['clock_class'] == 248" \
  "trk('ptp')['updates'] >= 3 and trk('ptp')['malformed'] == 0 and trk('ptp')['rejected'] == 0" \
  "trk('ptp')['transitions'][-1]['to'] == 'LOCKED' and t(trk('ptp')['transitions'][-1]['time'])" \
  "trk('ptp')['details']['domain'] == 0 and trk('ptp')['details']['reachable'] is True"
"$RB_BIN" status -s "$STATUS_SOCK" > "$T/table.txt"
rc=$?
cat "$T/table.txt"
[ $rc -eq 0 ] || fail "status exited $rc when healthy"
# The metrics file says the same (it is rewritten every 5 s), and promtool finds nothing to lint.
wait_for 7 grep -q '^refclock_bridge_healthy 1' "$METRICS_DIR/refclock-bridge.prom" || fail "metrics: not healthy"
prom=$METRICS_DIR/refclock-bridge.prom
grep -E '^refclock_bridge_(healthy|source_(up|offset_seconds|samples_total)|output_(connected|samples_total)|tracker_(state|openshift_state|offset_from_master_seconds|clock_class)[{ ])' "$prom" \
  | grep -v '} 0$' | grep -v 'pps\|nmea\|ntpd' || true
grep -q '^refclock_bridge_source_offset_seconds{source="phc0",kind="phc"} 0.000123456$' "$prom" || fail "metrics: phc0 offset"
grep -q '^refclock_bridge_tracker_openshift_state{tracker="ptp",kind="ptp4l"} 1$' "$prom" || fail "metrics: OpenShift state"
if command -v promtool > /dev/null; then
  lint=$(promtool check metrics < "$prom" 2>&1) || fail "promtool: $lint"
  [ -z "$lint" ] || fail "promtool: $lint"
fi

# gpsd goes away (its capture would end anyway): the source is lost, with gpsd's address.
stop_gpsfake
wait_for 5 holds "src('nmea')['state'] == 'lost'" > /dev/null || fail "the gpsd source is not lost"
check "src('nmea')['health']['down'] is True and 'gpsd at 127.0.0.1:$PORT' in src('nmea')['health']['last_error']" \
  "d['healthy'] is False and d['summary'] == '2 sources ok, 1 lost; 3/3 outputs up; tracker ptp LOCKED'"
"$RB_BIN" status -s "$STATUS_SOCK" > /dev/null
[ $? -eq 1 ] || fail "status did not exit 1 when degraded"

# chronyd restarts: the SOCK output is down, counted and explained, then up again.
sent0=$(/usr/bin/python3 -c "import json; print([o for o in json.load(open('$T/status.json'))['outputs'] if o['name'] == 'chrony'][0]['sent'])")
stop_chronyd
wait_for 5 holds "out('chrony')['connected'] is False" > /dev/null || fail "the output did not show chronyd gone"
check "out('chrony')['health']['down'] is True" \
  "out('chrony')['health']['outages'] == 1 and 'cannot send to $T/chrony/phc0.sock' in out('chrony')['health']['last_error']" \
  "t(out('chrony')['health']['since'])"
"$RB_BIN" status -s "$STATUS_SOCK" | grep chrony
start_chronyd "refclock SOCK $T/chrony/phc0.sock refid PHC0 poll 0 filter 1
refclock SOCK $T/chrony/pps.sock refid PPS poll 0 filter 1 noselect"
wait_for 10 holds "out('chrony')['connected'] is True and out('chrony')['sent'] > $sent0" > /dev/null \
  || fail "no samples to chronyd after it came back"
check "out('chrony')['connected'] is True and out('chrony')['health']['outages'] == 1" \
  "out('chrony')['health']['down'] is False and out('chrony')['health']['outage_seconds'] > 0" \
  "out('chrony')['sent'] > $sent0 and out('chrony')['dropped'] > 0"

# The PHC vanishes: the source is lost with the reason; it comes back.
touch "$T/ctl/ptp0.gone"
wait_for 5 holds "src('phc0')['state'] == 'lost'" > /dev/null || fail "the source did not show the PHC gone"
check "src('phc0')['state'] == 'lost' and src('phc0')['health']['down'] is True and src('phc0')['lost'] == 1" \
  "'/dev/ptp0' in src('phc0')['health']['last_error'] and src('phc0')['health']['outages'] == 1"
rm "$T/ctl/ptp0.gone"
wait_for 15 holds "src('phc0')['state'] == 'ok'" > /dev/null || fail "the PHC source did not come back"
check "src('phc0')['state'] == 'ok' and src('phc0')['health']['outages'] == 1 and src('phc0')['health']['down'] is False" \
  "src('phc0')['last_sample']['offset_ns'] == 123456"

# A reload is counted; the digest follows the configuration.
digest0=$(/usr/bin/python3 -c "import json; print(json.load(open('$T/status.json'))['daemon']['config_digest'])")
sed -i 's/^interval = 0.25/interval = 0.5/' "$T/bridge.conf"
kill -HUP "$BRIDGE_PID"
wait_for 5 bash -c "'$RB_BIN' status --json -s '$STATUS_SOCK' | grep -q '\"reloads\": 1'" || fail "reload not counted"
check "d['daemon']['reloads'] == 1 and d['daemon']['config_digest'] != '$digest0'"
echo ok
