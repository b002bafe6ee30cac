#!/bin/bash
# make demo: the bridge on a simulated PHC feeding a private chronyd (clock control off), then
# what an admin would look at. Cleans up everything on exit or Ctrl-C.
# DEMO_HOLD=1 keeps it running until Ctrl-C.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
BIN=$(readlink -f "$BUILD/refclock-bridge")
FAKELIB=$(readlink -f "$BUILD/tests/libfakedev.so")
[ "$(id -u)" = 0 ] || { echo "demo: run as root (it starts a private chronyd)"; exit 1; }
for f in "$BIN" "$FAKELIB"; do [ -e "$f" ] || { echo "demo: $f is missing; run make demo"; exit 1; }; done

D=$(mktemp -d /tmp/refclock-bridge-demo.XXXXXX)
chmod 700 "$D"
PIDS=()
SHM_UNIT=14
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  sleep 0.3
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
  ipcrm -M "$(printf '0x%08x' $((0x4E545030 + SHM_UNIT)))" 2>/dev/null
  rm -rf "$D"
  echo "demo: cleaned up (processes stopped, SHM segment and $D removed)"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "A simulated PTP hardware clock /dev/ptp0, on TAI, 37.000123456 s ahead of this system clock"
echo "   (an LD_PRELOAD fake; the bridge runs its real ioctl code paths on it)"

cat > "$D/chrony.conf" <<CONF
pidfile $D/chronyd.pid
driftfile $D/drift
bindcmdaddress $D/chronyd.sock
cmdport 0
port 0
logdir $D
log refclocks
refclock SOCK $D/phc0.sock refid PHC0 poll 0 filter 1
refclock SHM $SHM_UNIT refid SHM0 poll 0 filter 1
CONF
cat > "$D/refclock-bridge.conf" <<CONF
[source phc0]
type = phc
device = /dev/ptp0
interval = 0.5
timescale = tai
tai_offset = 37
outputs = chrony-sock, chrony-shm

[output chrony-sock]
type = sock
path = $D/phc0.sock

[output chrony-shm]
type = shm
unit = $SHM_UNIT
CONF
say "Bridge configuration ($D/refclock-bridge.conf)"
cat "$D/refclock-bridge.conf"
"$BIN" --check-config -c "$D/refclock-bridge.conf" || exit 1

say "Starting a private chronyd (-x: it never touches the clock; CAP_SYS_TIME dropped)"
grep refclock "$D/chrony.conf"
setpriv --bounding-set -sys_time -- chronyd -x -d -u root -f "$D/chrony.conf" > "$D/chronyd.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 50); do [ -S "$D/chronyd.sock" ] && break; sleep 0.1; done

say "Starting refclock-bridge"
env LD_PRELOAD="$FAKELIB" FAKEDEV_PTP=/dev/ptp0 FAKEDEV_PTP0=offset_ns=37000123456,delay_ns=400 \
  "$BIN" -f -c "$D/refclock-bridge.conf" > "$D/bridge.log" 2>&1 &
PIDS+=($!)

cc() { chronyc -h "$D/chronyd.sock" "$@"; }
printf 'waiting for chronyd to select the bridge'
for _ in $(seq 60); do
  cc -n sources 2>/dev/null | grep -q '^#\* ' && break
  printf '.'; sleep 0.5
done
echo
sleep 2

say "The bridge's log"
cat "$D/bridge.log"
say "chronyc sources (PHC0 over SOCK and SHM0 over NTP SHM, both from one PHC)"
cc -n sources
say "chronyc tracking"
cc tracking
st=$(cc -c tracking | awk -F, '{print $5}')
say "Result"
echo "   injected: PHC 37.000123456 s ahead on TAI, TAI-UTC 37 s  =>  true UTC is 0.000123456 s ahead"
echo "   chronyd:  System time is $st s slow of the bridge's time"
echo "   chronyd's raw samples (refclocks.log, true minus system):"
awk '$3 ~ /PHC0|SHM0/ && $7 != "-" {print "     " $3, $7}' "$D/refclocks.log" | tail -n 4

if [ "${DEMO_HOLD:-0}" = 1 ]; then
  say "Running; Ctrl-C to stop and clean up"
  while sleep 1; do :; done
fi
