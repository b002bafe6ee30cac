# chronyd killed and restarted mid-run: the same bridge process reconnects and samples reach
# the new chronyd within 2 s.
. "$(dirname "$0")/lib.sh"
start_chronyd "refclock SOCK $T/chrony/phc0.sock refid PHC0 poll 0 filter 1"
cat > "$T/bridge.conf" <<CONF
[source phc0]
type = phc
device = /dev/ptp0
interval = 0.25
outputs = chrony
[output chrony]
type = sock
path = $T/chrony/phc0.sock
CONF
start_bridge "$T/bridge.conf" FAKEDEV_PTP=/dev/ptp0 FAKEDEV_PTP0=offset_ns=37000000500
has_samples() { grep -q ' PHC0 ' "$T/chrony/refclocks.log"; }
wait_for 10 has_samples || fail "no samples before the restart"

for round in 1 2; do
  stop_chronyd
  note "round $round: chronyd stopped"
  sleep 2
  kill -0 "$BRIDGE_PID" || fail "bridge died while chronyd was down"
  rm -f "$T/chrony/refclocks.log"
  start_chronyd "refclock SOCK $T/chrony/phc0.sock refid PHC0 poll 0 filter 1"
  t0=$(date +%s%N)
  wait_for 2 has_samples || fail "no sample within 2 s of chronyd's restart"
  t1=$(date +%s%N)
  echo "round $round: first sample $(( (t1 - t0) / 1000000 )) ms after chronyd restarted"
done
grep -E "cannot send to|connected to .* after" "$T/bridge.log"
[ "$(grep -c 'cannot send to' "$T/bridge.log")" -eq 2 ] || fail "expected one outage message per outage"
bridge_log_has "connected to $T/chrony/phc0.sock after" || fail "no reconnect message"
stop_bridge
[ "$BRIDGE_RC" -eq 0 ] || fail "bridge exit code $BRIDGE_RC"
echo ok
