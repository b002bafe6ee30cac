# A simulated PHC 37.000123456 s ahead (TAI), tai_offset 37: a real chronyd 4.3 reading the
# bridge through refclock SOCK measures 123456 ns, within 10 ns.
. "$(dirname "$0")/lib.sh"
start_chronyd "refclock SOCK $T/chrony/phc0.sock refid PHC0 poll 0 filter 1"
cat > "$T/bridge.conf" <<CONF
[source phc0]
type = phc
device = /dev/ptp0
interval = 0.5
timescale = tai
tai_offset = 37
outputs = chrony
[output chrony]
type = sock
path = $T/chrony/phc0.sock
CONF
start_bridge "$T/bridge.conf" FAKEDEV_PTP=/dev/ptp0 FAKEDEV_PTP0=offset_ns=37000123456,delay_ns=400

selected() { chronyc_ -n sources | grep -q '^#\* PHC0'; }
wait_for 20 selected || fail "chronyd did not select PHC0"
chronyc_ -n sources
sleep 2
st=$(chrony_system_time)
d=$(diff_ns "$st" 0.000123456)
echo "chronyd tracking: System time $st s (injected 0.000123456), error $d ns"
awk -v d="$d" 'BEGIN{exit !(d <= 10)}' || fail "offset error $d ns > 10 ns"

# chronyd's own refclock log: every raw sample (true - system) it took, to 1e-10 s
raw=$(awk '$3 == "PHC0" && $7 != "-" {print $7}' "$T/chrony/refclocks.log" | tail -n 5)
echo "refclocks.log raw offsets: $raw"
for r in $raw; do
  d=$(diff_ns "$r" 0.000123456)
  awk -v d="$d" 'BEGIN{exit !(d <= 10)}' || fail "raw sample $r is $d ns from the injected offset"
done
bridge_log_has "reads with PTP_SYS_OFFSET_PRECISE" || fail "auto probe did not pick PRECISE"
stop_bridge
[ "$BRIDGE_RC" -eq 0 ] || fail "bridge exit code $BRIDGE_RC"
echo "ok"
