#!/usr/bin/env bash
# ptp4l >= 4.0 pushes every Sync (TIME_SYNC): how soon the ptp4l tracker sees a silent master,
# in Sync intervals from the last Sync it was pushed, for stale_syncs 1, 2 and 3 at once (three
# trackers on one slave), against ptp4l's own detection (its announce receipt timeout: the
# port leaves SLAVE), and how many spurious transitions the trackers make while Syncs flow
# (goal 0). A real ptp4l pair in two network namespaces of our own, software timestamping,
# free_running, Sync and Announce every 250 ms, announceReceiptTimeout 3; the master is
# SIGKILLed at a random phase of the Sync grid, BENCH_PUSH_KILLS times (10), after
# BENCH_PUSH_FLOW seconds (8) of LOCKED. Times are the bridge's log stamps (ms): the last
# "push of management id 0xc000" of a tracker before its HOLDOVER, its HOLDOVER, and ptp4l's
# "port 1 SLAVE -> ..." as pushed to it. Prints p50 / max; never pass/fail.
#
# Never touches this machine's clock: ptp4l with free_running 1, every daemon under setpriv
# without CAP_SYS_TIME. linuxptp: PTP4L_BIN, else the system's if it is >= 4.0, else
# /var/cache/refclock-bridge-test/linuxptp4 (make deps).
set -u
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
KILLS=${BENCH_PUSH_KILLS:-10}
FLOW=${BENCH_PUSH_FLOW:-8}
RB_BIN=$(readlink -f "$BUILD/refclock-bridge")
NOTIME="setpriv --bounding-set -sys_time --"
L4=/var/cache/refclock-bridge-test/linuxptp4/usr/sbin
if [ -z "${PTP4L_BIN:-}" ]; then
  if [ "$(ptp4l -v 2>&1 | cut -d. -f1)" -ge 4 ] 2>/dev/null; then PTP4L_BIN=ptp4l; else PTP4L_BIN=$L4/ptp4l; fi
fi
PMC_BIN=${PMC_BIN:-$(dirname "$(command -v "$PTP4L_BIN")")/pmc}
[ -x "$RB_BIN" ] || { echo "no $RB_BIN: make first"; exit 1; }
[ "$("$PTP4L_BIN" -v 2>&1 | cut -d. -f1)" -ge 4 ] 2>/dev/null || { echo "no linuxptp >= 4.0 ($PTP4L_BIN)"; exit 1; }

T=$(mktemp -d /tmp/rbpush.XXXXXX)
NS_M=rbpm$$ NS_S=rbps$$
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  sleep 0.2
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
  ip netns del "$NS_M" 2>/dev/null
  ip netns del "$NS_S" 2>/dev/null
  [ -n "${KEEP_T:-}" ] || rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ip netns add "$NS_M" && ip netns add "$NS_S" || exit 1
ip link add "rbpm$$" type veth peer name "rbps$$" || exit 1
ip link set "rbpm$$" netns "$NS_M"
ip link set "rbps$$" netns "$NS_S"
ip -n "$NS_M" addr add 10.78.0.1/24 dev "rbpm$$"
ip -n "$NS_S" addr add 10.78.0.2/24 dev "rbps$$"
for ns in "$NS_M" "$NS_S"; do ip -n "$ns" link set lo up; done
ip -n "$NS_M" link set "rbpm$$" up
ip -n "$NS_S" link set "rbps$$" up

ptp4l_start() { # m|s
  local side=$1 ns iface
  if [ "$side" = m ]; then ns=$NS_M iface=rbpm$$; else ns=$NS_S iface=rbps$$; fi
  printf '%s\n' "[global]" "free_running 1" "kernel_leap 0" "time_stamping software" \
    "uds_address $T/ptp4l-$side" "uds_ro_address $T/ptp4lro-$side" "logAnnounceInterval -2" \
    "logSyncInterval -2" "logMinDelayReqInterval -2" "announceReceiptTimeout 3" \
    "$([ "$side" = m ] && echo 'priority1 100' || echo 'clientOnly 1')" "[$iface]" > "$T/ptp4l-$side.cfg"
  ip netns exec "$ns" $NOTIME "$PTP4L_BIN" -f "$T/ptp4l-$side.cfg" -m >> "$T/ptp4l-$side.log" 2>&1 &
  PIDS+=($!)
  if [ "$side" = m ]; then PTP4L_M=$!; fi
  for _ in $(seq 50); do [ -S "$T/ptp4l-$side" ] && return 0; sleep 0.1; done
  echo "ptp4l ($side) did not start"; exit 1
}

# Seconds of day of the bridge log line's stamp.
stamp() { cut -c12-23 | awk -F: '{printf "%.3f\n", $1*3600+$2*60+$3}'; }
after() { tail -n +"$1" "$T/bridge.log"; }
# The state each tracker is in, from its latest transition since line $1.
all_in() { # MARK STATE
  local n
  for n in 1 2 3; do
    after "$1" | grep "tracker s$n: [A-Z]* -> " | tail -1 | grep -q -- "-> $2" || return 1
  done
}
wait_until() { # SECONDS COMMAND...
  local end=$((SECONDS + $1))
  shift
  until "$@"; do [ $SECONDS -ge $end ] && return 1; sleep 0.05; done
}

ptp4l_start s
{
  echo "[bridge]"
  echo "log_level = debug"
  echo "status_socket = $T/status.sock"
  echo "metrics_dir = $T"
  for n in 1 2 3; do
    printf '%s\n' "[tracker s$n]" "type = ptp4l" "socket = $T/ptp4l-s" \
      "client_address = $T/bridge-s$n.sock" "max_offset = 100000" "holdover = 600" "stale_syncs = $n"
  done
} > "$T/bridge.conf"
$NOTIME "$RB_BIN" -f -c "$T/bridge.conf" >> "$T/bridge.log" 2>&1 &
PIDS+=($!)
ip netns exec "$NS_S" "$PMC_BIN" -u -b 0 -s "$T/ptp4l-s" -i "$T/pmc.$$" 'SET SYNCHRONIZATION_UNCERTAIN_NP 0' > /dev/null

: > "$T/rows"
spurious=0 flowed=0 fails=0
for k in $(seq "$KILLS"); do
  mark=$(( $(wc -l < "$T/bridge.log") + 1 ))
  ptp4l_start m
  if ! wait_until 30 all_in "$mark" LOCKED; then
    echo "kill $k: the trackers did not all lock"; fails=$((fails + 1)); kill -9 "$PTP4L_M"; wait "$PTP4L_M" 2>/dev/null; continue
  fi
  flow=$(( $(wc -l < "$T/bridge.log") + 1 ))
  sleep "$FLOW"
  sleep "0.$(printf '%03d' $((RANDOM % 250)))"
  kill -9 "$PTP4L_M"
  wait "$PTP4L_M" 2>/dev/null
  killed=$(( $(wc -l < "$T/bridge.log") + 1 ))
  s=$(head -n $((killed - 1)) "$T/bridge.log" | tail -n +"$flow" | grep -c "tracker s[123]: [A-Z]* -> ")
  spurious=$((spurious + s))
  flowed=$((flowed + FLOW))
  if ! wait_until 10 bash -c "tail -n +$killed $T/bridge.log | grep -q 'tracker s1: port 1 SLAVE -> '" ||
     ! wait_until 5 all_in "$killed" HOLDOVER; then
    echo "kill $k: no HOLDOVER or no port change"; fails=$((fails + 1)); continue
  fi
  for n in 1 2 3; do
    hline=$(grep -n "tracker s$n: LOCKED -> HOLDOVER" "$T/bridge.log" | tail -1)
    h=$(echo "${hline#*:}" | stamp)
    why=$(echo "$hline" | sed 's/.*HOLDOVER: //')
    last=$(head -n "${hline%%:*}" "$T/bridge.log" | grep "tracker s$n: push of management id 0xc000" | tail -1 | stamp)
    port=$(after "$killed" | grep "tracker s$n: port 1 SLAVE -> " | head -1 | stamp)
    [ -n "$port" ] || port=$(after "$killed" | grep "tracker s1: port 1 SLAVE -> " | head -1 | stamp)
    echo "$n $last $h $port ${why// /_}" >> "$T/rows"
  done
done

awk -v spurious="$spurious" -v flowed="$flowed" -v fails="$fails" -v kills="$KILLS" '
function p50(a, n,   i, j, t) { for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j+1] = a[j]; a[j+1] = t } return a[int((n + 1) / 2)] }
function mx(a, n,   i, m) { m = a[1]; for (i = 2; i <= n; i++) if (a[i] > m) m = a[i]; return m }
{ n = $1; b = ($3 - $2) * 1000; p = ($4 - $2) * 1000; if (b < 0) b += 86400000; if (p < 0) p += 86400000
  c[n]++; B[n, c[n]] = b; P[n, c[n]] = p; R[n, c[n]] = b / p; if ($5 !~ /stale/) other[n]++ }
END {
  printf "ptp4l pushes (TIME_SYNC): Sync and Announce every 250 ms, announceReceiptTimeout 3; %d master kills (SIGKILL), %d failed\n", kills, fails
  printf "%-12s %-32s %-32s %-18s %s\n", "stale_syncs", "last Sync -> HOLDOVER p50 / max", "ptp4l port leaves SLAVE p50 / max", "ratio p50 / max", "HOLDOVER not from stale Syncs"
  for (n = 1; n <= 3; n++) {
    k = c[n]; if (!k) continue
    for (i = 1; i <= k; i++) { x[i] = B[n, i]; y[i] = P[n, i]; z[i] = R[n, i] }
    bp = p50(x, k); bm = mx(x, k); pp = p50(y, k); pm = mx(y, k); rp = p50(z, k); rm = mx(z, k)
    printf "%-12d %4.0f / %4.0f ms = %.2f / %.2f Syncs  %4.0f / %4.0f ms = %.2f / %.2f   %.2f / %.2f       %d of %d\n", n, bp, bm, bp / 250, bm / 250, pp, pm, pp / 250, pm / 250, rp, rm, other[n] + 0, k
  }
  printf "spurious transitions while Syncs flowed: %d in %d s (3 trackers)\n", spurious, flowed
}' "$T/rows"
