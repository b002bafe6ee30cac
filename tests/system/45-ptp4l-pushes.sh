# linuxptp >= 4.0 pushes every Sync (TIME_SYNC): with Syncs every 250 ms and stale_syncs 1, 2
# and 3, the trackers stay LOCKED while Syncs flow, with no spurious HOLDOVER (the window has
# a margin for Sync jitter); the master killed: each goes to HOLDOVER because its sync data is
# stale (before ptp4l's own announce timeout), no earlier than its window after the last Sync
# and within it plus the timer's and logging's slack (ptp4l's own timeout is made longer).
. "$(dirname "$0")/lib.sh"
use_linuxptp4
ptp_netns_setup
ptp4l_start m
# The slave's own announce timeout (10 x 250 ms) must not beat the longest window (875 ms):
# this test is about the stale windows.
ptp4l_start s "announceReceiptTimeout 10"
ptp4l_certain
pmc_ s 'GET PORT_DATA_SET' | grep -q 'announceReceiptTimeout *10$' || fail "the slave's announceReceiptTimeout is not 10"
{
  echo "[bridge]"
  echo "log_level = debug"
  for n in 1 2 3; do
    echo "[tracker s$n]"
    echo "type = ptp4l"
    echo "socket = $T/ptp4l-s"
    echo "client_address = $T/bridge-s$n.sock"
    echo "max_offset = 100000"
    echo "stale_syncs = $n"
  done
} > "$T/bridge.conf"
start_bridge "$T/bridge.conf"
for n in 1 2 3; do
  wait_for 20 bridge_log_has "tracker s$n: .* -> LOCKED" || fail "tracker s$n never LOCKED"
done
bridge_log_has "tracker s1: push of management id 0xc000" || fail "no TIME_STATUS_NP pushes (TIME_SYNC)"
# Let all three settle, then watch 20 s of Syncs: not one transition.
sleep 1
mark=$(( $(wc -l < "$T/bridge.log") + 1 ))
sleep 20
spurious=$(tail -n +"$mark" "$T/bridge.log" | grep -c "tracker s[123]: [A-Z]* -> ")
tail -n +"$mark" "$T/bridge.log" | grep "tracker s[123]: [A-Z]* -> " | head -5
# Gaps between the pushed Syncs the bridge saw (ms): the jitter the window must absorb.
tail -n +"$mark" "$T/bridge.log" | grep "tracker s1: push of management id 0xc000" | cut -c12-23 \
  | awk -F: '{t=$1*3600+$2*60+$3; if (p) printf "%.0f\n", (t-p)*1000; p=t}' | sort -n \
  | awk '{g[NR]=$1} END {printf "Sync gaps seen: %d, min %d ms, median %d ms, max %d ms\n", NR, g[1], g[int(NR/2)+1], g[NR]}'
echo "spurious transitions in 20 s while Syncs flow: $spurious"
[ "$spurious" -eq 0 ] || fail "$spurious spurious transitions while Syncs flowed"

mark=$(( $(wc -l < "$T/bridge.log") + 1 ))
ptp4l_stop m
for n in 1 2 3; do
  wait_for 5 bash -c "tail -n +$mark $T/bridge.log | grep -q 'tracker s$n: LOCKED -> HOLDOVER'" \
    || fail "tracker s$n: no HOLDOVER after the master died"
done
sleep 0.5
for n in 1 2 3; do
  line=$(tail -n +"$mark" "$T/bridge.log" | grep "tracker s$n: LOCKED -> HOLDOVER")
  echo "$line" | grep -q "sync data is stale" || fail "tracker s$n: HOLDOVER not from stale Syncs: $line"
  last=$(head -n "$(grep -n "tracker s$n: LOCKED -> HOLDOVER" "$T/bridge.log" | tail -1 | cut -d: -f1)" "$T/bridge.log" \
    | grep "tracker s$n: push of management id 0xc000" | tail -1 | cut -c12-23)
  held=$(echo "$line" | cut -c12-23)
  ms=$(awk -v a="$last" -v b="$held" 'BEGIN{split(a,x,":"); split(b,y,":"); printf "%.0f", ((y[1]*3600+y[2]*60+y[3])-(x[1]*3600+x[2]*60+x[3]))*1000}')
  # The window for 250 ms Syncs: n x 250 ms + 125 ms margin.
  win=$(( n * 250 + 125 ))
  echo "stale_syncs $n: HOLDOVER $ms ms after the last pushed Sync (window $win ms)"
  [ "$ms" -ge $(( win - 2 )) ] || fail "tracker s$n: HOLDOVER before its window ($ms ms < $win ms)"
  [ "$ms" -le $(( win + 100 )) ] || fail "tracker s$n: HOLDOVER $ms ms after the last Sync, window $win ms"
done
stop_bridge
[ "$BRIDGE_RC" -eq 0 ] || fail "exit code $BRIDGE_RC"
echo ok
