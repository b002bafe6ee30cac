# The metrics file: a bridge with a fake PHC (37.000123456 s ahead, TAI) feeding a real chronyd
# over SOCK and a tracker following a real ptp4l pair writes $METRICS_DIR/refclock-bridge.prom
# every second. promtool finds nothing to say about it; the values are the injected ones (the
# offset to the ns); each rewrite is a new inode (rename); a clean stop removes it and leaves
# no temporary file. A missing directory is logged once and written to as soon as it exists;
# metrics = no on reload removes the file.
. "$(dirname "$0")/lib.sh"
command -v promtool >/dev/null || skip "promtool is not installed (make deps: package prometheus)"
ptp_netns_setup
start_chronyd "refclock SOCK $T/chrony/phc0.sock refid PHC0 poll 0 filter 1"
ptp4l_start s
ptp4l_start m
cat > "$T/bridge.conf" <<CONF
[bridge]
metrics_interval = 1
$(ptp4l_tracker_conf ptp)
[source phc0]
type = phc
device = /dev/ptp0
interval = 0.25
timescale = tai
tai_offset = 37
outputs = chrony
[output chrony]
type = sock
path = $T/chrony/phc0.sock
CONF
start_bridge "$T/bridge.conf" FAKEDEV_PTP=/dev/ptp0 FAKEDEV_PTP0=offset_ns=37000123456
PROM=$METRICS_DIR/refclock-bridge.prom
wait_for 10 test -f "$PROM" || fail "no $PROM"
ptp4l_certain

# value SERIES: the value of one series (name and labels exactly as written) in the file
value() { awk -v s="$1" 'index($0, s " ") == 1 {print $NF}' "$PROM"; }
inode() { stat -c %i "$PROM" 2>/dev/null; }
# next_write: waits for the next rewrite (a new inode) and copies it to $T/metrics.N
WRITES=0
next_write() {
  local before
  before=$(inode)
  wait_for 10 bash -c "[ \"\$(stat -c %i '$PROM' 2>/dev/null)\" != '$before' ] && [ -e '$PROM' ]" \
    || fail "$PROM was not rewritten (inode $before)"
  WRITES=$((WRITES + 1))
  cp "$PROM" "$T/metrics.$WRITES"
}

S='source="phc0",kind="phc"' TR='tracker="ptp",kind="ptp4l"' O='output="chrony",kind="sock"'
has() { grep -q "^$1" "$PROM"; }
wait_for 30 has "refclock_bridge_tracker_state{$TR,state=\"LOCKED\"} 1" \
  || { cat "$PROM"; fail "the tracker is not LOCKED in the metrics"; }
wait_for 10 has "refclock_bridge_source_up{$S} 1" || fail "source not up"
wait_for 10 has "refclock_bridge_output_samples_total{$O,result=\"sent\"} [1-9]" \
  || fail "nothing sent to chronyd"

next_write
lint=$(promtool check metrics < "$PROM" 2>&1)
rc=$?
[ -z "$lint" ] && [ $rc -eq 0 ] || { cat "$PROM"; echo "$lint"; fail "promtool: rc $rc"; }
echo "promtool check metrics: nothing to report" \
  "($(grep -c '^# TYPE' "$PROM") families, $(grep -vc '^#' "$PROM") series)"

ino1=$(inode)
PUBLISHED="refclock_bridge_source_samples_total{$S,result=\"published\"}"
p1=$(value "$PUBLISHED")
next_write
ino2=$(inode)
p2=$(value "$PUBLISHED")
echo "published samples: $p1, then $p2; inodes $ino1, then $ino2"
[ "$p2" -gt "$p1" ] 2>/dev/null || fail "samples_total did not grow ($p1 -> $p2)"
[ "$ino1" != "$ino2" ] || fail "rewritten in place (inode $ino1 twice)"

# The offset, to the ns: the file holds the decimal of the ns, which parses to the double of
# ns / 1e9.
off=$(value "refclock_bridge_source_offset_seconds{$S}")
python3 -c "import sys; v = float(sys.argv[1]); sys.exit(not (v == 123456 / 1e9))" "$off" \
  || fail "offset $off s, injected 0.000123456"
echo "source offset $off s (injected 0.000123456)"
[ "$(value "refclock_bridge_source_up{$S}")" = 1 ] || fail "source_up is not 1"
[ "$(value "refclock_bridge_source_state{$S,state=\"ok\"}")" = 1 ] || fail "source state is not ok"
now=$(date +%s)
last=$(value "refclock_bridge_source_last_sample_timestamp_seconds{$S}")
awk -v l="$last" -v n="$now" 'BEGIN{exit !(l > n - 10 && l < n + 2)}' \
  || fail "last sample at $last, now $now"
[ "$(value "refclock_bridge_output_connected{$O}")" = 1 ] || fail "output not connected"
[ "$(value "refclock_bridge_tracker_openshift_state{$TR}")" = 1 ] || fail "openshift state is not 1"
[ "$(value "refclock_bridge_tracker_transitions_total{$TR,from=\"FREERUN\",to=\"LOCKED\"}")" \
  -ge 1 ] || fail "no FREERUN -> LOCKED transition counted"
[ -n "$(value "refclock_bridge_tracker_offset_from_master_seconds{$TR}")" ] \
  || fail "no offset from master"
[ -n "$(value "refclock_bridge_tracker_clock_class{$TR}")" ] || fail "no clockClass"
[ "$(value refclock_bridge_healthy)" = 1 ] || fail "not healthy"
grep -E '^refclock_bridge_(healthy|source_(up|offset_s.*)|tracker_(openshift_state|clock_class))' \
  "$PROM"

stop_bridge
[ "$BRIDGE_RC" -eq 0 ] || fail "bridge exit code $BRIDGE_RC"
[ ! -e "$PROM" ] || fail "$PROM left behind at a clean stop"
ls -A "$METRICS_DIR" | grep -q . && { ls -la "$METRICS_DIR"; fail "files left in $METRICS_DIR"; }
echo "clean stop: $PROM removed, nothing left in $METRICS_DIR"

# A missing directory: one warning, however many intervals; written once it exists.
MISSING=$T/missing/metrics
cat > "$T/bridge2.conf" <<CONF
[bridge]
metrics_interval = 1
metrics_dir = $MISSING
[source phc0]
type = phc
device = /dev/ptp0
interval = 0.25
outputs = chrony
[output chrony]
type = sock
path = $T/chrony/phc0.sock
CONF
: > "$T/bridge.log"
start_bridge "$T/bridge2.conf" FAKEDEV_PTP=/dev/ptp0 FAKEDEV_PTP0=offset_ns=123456
wait_for 5 bridge_log_has "metrics: cannot create $MISSING/" \
  || fail "the missing directory was not logged"
sleep 3.5
n=$(grep -c "metrics: cannot" "$T/bridge.log")
[ "$n" -eq 1 ] || { grep metrics "$T/bridge.log"; fail "logged $n times, not once"; }
mkdir -p "$MISSING"
wait_for 5 test -f "$MISSING/refclock-bridge.prom" || fail "not written once the directory exists"
wait_for 5 bridge_log_has "metrics: writing $MISSING/refclock-bridge.prom again after" \
  || fail "the recovery was not logged"
grep "metrics:" "$T/bridge.log"

# metrics = no on reload: the file goes away.
sed -i 's/^metrics_interval = 1/metrics = no/' "$T/bridge2.conf"
kill -HUP "$BRIDGE_PID"
wait_for 5 bash -c "! test -e '$MISSING/refclock-bridge.prom'" || fail "metrics = no left the file"
echo "metrics = no on reload: file removed"
stop_bridge
[ "$BRIDGE_RC" -eq 0 ] || fail "bridge exit code $BRIDGE_RC"
echo ok
