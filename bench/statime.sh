#!/usr/bin/env bash
# statime sync-state detection (a part of `make bench`; prints figures, never pass/fail):
# the real statime 0.4.0 as a slave of a real ptp4l master in two network namespaces of our
# own (software timestamping, virtual-system-clock, no CAP_SYS_TIME), the bridge's statime
# tracker with its default poll_interval (1 s), stale_after and holdover, and max_offset
# 100 us (software timestamping wanders by microseconds). Over BENCH_STATIME_TRIALS trials
# (default 5), each from a fresh statime:
#   start -> LOCKED:        statime started -> its port in Slave (its own log), -> its first
#                           estimate in the observation document (read every 0.25 s), ->
#                           the bridge's LOCKED
#   master kill -> HOLDOVER: ptp4l master killed -> statime's own Slave -> Listening (its
#                           log), -> the observation document showing it, -> the bridge's
#                           HOLDOVER
# and the ratio bridge / statime. statime: STATIME_BIN, or ../shared/peers/statime/statime
# beside the checkout. Detail per trial in $BUILD/bench/statime-detail.txt, logs beside it.
set -u
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
TRIALS=${BENCH_STATIME_TRIALS:-5}
STATIME_BIN=${STATIME_BIN:-$(scripts/shared-dir.sh)/peers/statime/statime}
OUTDIR=$BUILD/bench
export RB_BIN=$BUILD/refclock-bridge RB_BUILD=$BUILD
[ -x "$RB_BIN" ] || { echo "bench: $RB_BIN missing; run make" >&2; exit 1; }
[ -x "$STATIME_BIN" ] || { echo "bench: statime: no statime at $STATIME_BIN (set STATIME_BIN); skipped"; exit 0; }
command -v setpriv >/dev/null || { echo "bench: setpriv missing; refusing to run time daemons" >&2; exit 1; }
STATIME_BIN=$(readlink -f "$STATIME_BIN")
mkdir -p "$OUTDIR"
OUTDIR=$(readlink -f "$OUTDIR")
# The tests' helpers: a private temp tree, the namespaces, ptp4l, cleanup of all of it on exit.
# shellcheck source=../tests/system/lib.sh
. tests/system/lib.sh
say() { echo "bench: $*" >&2; }
fail() { say "statime: $*"; cp "$T"/*.log "$OUTDIR/" 2>/dev/null; exit 1; }
WATCH=$(pwd)/tests/system/statime_watch.py

now() { date -u +%s.%N; }
after() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "") print "-"; else printf "%.3f", b - a }'; }
# first_after FILE REGEX SINCE: the epoch time of the first line at or after SINCE (epoch s)
# that matches REGEX (Python), from the UTC time stamp that starts the bridge's, statime's and
# statime_watch.py's lines (statime's colour codes removed); empty if none.
first_after() {
  /usr/bin/python3 - "$@" <<'PY'
import datetime, re, sys
path, rx, since = sys.argv[1], re.compile(sys.argv[2]), float(sys.argv[3])
for line in open(path, errors="replace"):
    line = re.sub(r"\x1b\[[0-9;]*m", "", line)
    m = re.match(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?)Z", line)
    if not m or not rx.search(line):
        continue
    t = datetime.datetime.fromisoformat(m.group(1)).replace(tzinfo=datetime.timezone.utc)
    if t.timestamp() >= since:
        print("%.6f" % t.timestamp())
        break
PY
}

ptp_netns_setup
statime_slave_setup
ptp4l_start m
cat > "$T/bridge.conf" <<CONF
[tracker st]
type = statime
socket = $T/observe
max_offset = 100000
CONF
start_bridge "$T/bridge.conf"
DETAIL=$OUTDIR/statime-detail.txt
echo "trial start->slave start->estimate start->LOCKED kill->statime_listening kill->observed kill->HOLDOVER" > "$DETAIL"
say "statime: $TRIALS trials (statime start -> LOCKED, master kill -> HOLDOVER)"
for ((i = 1; i <= TRIALS; i++)); do
  SLOG=$T/statime-$i.log WLOG=$T/watch-$i.log
  rm -f "$T/observe"
  mark=$(wc -l < "$T/bridge.log")
  t0=$(now)
  ip netns exec "$NS_S" $NOTIME "$STATIME_BIN" -c "$T/statime.toml" > "$SLOG" 2>&1 &
  STATIME=$!
  PIDS+=($STATIME)
  wait_for 10 test -S "$T/observe" || fail "statime did not create its socket"
  /usr/bin/python3 "$WATCH" "$T/observe" "$WLOG" 0.25 &
  WATCHER=$!
  PIDS+=($WATCHER)
  wait_for 120 bash -c "tail -n +$((mark + 1)) $T/bridge.log | grep -q 'tracker st: .* -> LOCKED'" \
    || fail "trial $i: no LOCKED within 120 s"
  t_lock=$(first_after "$T/bridge.log" "tracker st: .* -> LOCKED" "$t0")
  t_slave=$(first_after "$SLOG" "new state for port 1: .* -> Slave" "$t0")
  t_est=$(first_after "$WLOG" "Slave (?!0 0$)" "$t0")
  sleep 3
  mark=$(wc -l < "$T/bridge.log")
  t1=$(now)
  ptp4l_stop m
  wait_for 60 bash -c "tail -n +$((mark + 1)) $T/bridge.log | grep -q 'tracker st: LOCKED -> HOLDOVER'" \
    || fail "trial $i: no HOLDOVER within 60 s"
  t_hold=$(first_after "$T/bridge.log" "tracker st: LOCKED -> HOLDOVER" "$t1")
  t_listen=$(first_after "$SLOG" "new state for port 1: Slave -> " "$t1")
  t_seen=$(first_after "$WLOG" "Z (?!Slave )" "$t1")
  echo "$i $(after "$t0" "$t_slave") $(after "$t0" "$t_est") $(after "$t0" "$t_lock")" \
    "$(after "$t1" "$t_listen") $(after "$t1" "$t_seen") $(after "$t1" "$t_hold")" >> "$DETAIL"
  say "statime trial $i: $(tail -n 1 "$DETAIL")"
  kill "$WATCHER" "$STATIME" 2>/dev/null
  wait "$WATCHER" "$STATIME" 2>/dev/null
  cp "$SLOG" "$OUTDIR/statime-trial$i-statime.log"
  ptp4l_start m
done
cp "$T/bridge.log" "$OUTDIR/statime-bridge.log"

/usr/bin/python3 - "$DETAIL" <<'PY'
import sys
rows = [l.split() for l in open(sys.argv[1]).read().splitlines()[1:]]
def col(k):
    return sorted(float(r[k]) for r in rows if r[k] != "-")
def p50(v):
    if not v: return None
    m = len(v) // 2
    return v[m] if len(v) % 2 else (v[m - 1] + v[m]) / 2
def fmt(x): return "-" if x is None else "%.2f" % x
def line(name, k):
    v = col(k)
    print("   %-58s %6d %8s %8s" % (name, len(v), fmt(p50(v)), fmt(v[-1] if v else None)))
    return v
print("statime 0.4.0 sync-state detection (real statime slave of a real ptp4l master, seconds)")
print("   %-58s %6s %8s %8s" % ("from statime's start", "trials", "p50", "max"))
line("statime: port Listening -> Slave (its log)", 1)
est = line("statime: first estimate in its observation document", 2)
lock = line("bridge: LOCKED (poll 1 s, 3 updates)", 3)
print("   %-58s %6s %8s %8s" % ("from the master's kill", "", "", ""))
lst = line("statime: port Slave -> Listening (its log)", 4)
line("statime: its observation document shows it (0.25 s reads)", 5)
hold = line("bridge: HOLDOVER (poll 1 s)", 6)
def ratio(a, b):
    return "-" if not a or not b or not p50(b) else "%.2fx" % (p50(a) / p50(b))
print("   ratios of p50s: LOCKED / statime's first estimate %s; HOLDOVER / statime's own"
      " Slave -> Listening %s" % (ratio(lock, est), ratio(hold, lst)))
PY
