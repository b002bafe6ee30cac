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

GPSD_PORT=${DEMO_GPSD_PORT:-29510}
say "The sources: a real gpsd replaying a shipped GNSS capture, a simulated PPS and a simulated PHC"
echo "   gpsd 3.22 via gpsfake, port $GPSD_PORT: tests/data/ublox-multignss.nmea (u-blox multi-GNSS, 3D fix),"
echo "     times rebased to now"
echo "   /dev/pps0: pulses 123456 ns before each true second (true time = system + 0.000123456 s)"
echo "   /dev/ptp0: a PHC on TAI, 37.000123456 s ahead of the system clock"
echo "   (the devices are an LD_PRELOAD fake; the bridge runs its real ioctl code on them)"

/usr/bin/python3 tests/data/rebase_nmea.py tests/data/ublox-multignss.nmea "$D/replay.nmea" --start now+1 >/dev/null
pace=$(/usr/bin/python3 tests/data/rebase_nmea.py --pace "$D/replay.nmea")
# gpsd gets a private IPC namespace: the NTP SHM segments it makes at start vanish with it.
TMPDIR=$D unshare --ipc gpsfake -1 -n -q -c "$pace" -W 1 -P "$GPSD_PORT" "$D/replay.nmea" > "$D/gpsfake.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 50); do ss -ltn "sport = :$GPSD_PORT" | grep -q LISTEN && break; sleep 0.1; done
# gpsfake ignores SIGTERM and leaves its gpsd behind if killed: stop gpsd by its own PID too.
PIDS+=($(pgrep -f -- "gpsd .*-S $GPSD_PORT"))

cat > "$D/chrony.conf" <<CONF
pidfile $D/chronyd.pid
driftfile $D/drift
bindcmdaddress $D/chronyd.sock
cmdport 0
port 0
logdir $D
log refclocks
refclock SOCK $D/nmea.sock refid NMEA poll 0 filter 1 noselect
refclock SOCK $D/pps.sock refid PPS poll 0 filter 1 prefer
refclock SOCK $D/phc0.sock refid PHC0 poll 0 filter 1
refclock SHM $SHM_UNIT refid SHM0 poll 0 filter 1 noselect
CONF
write_conf() { # serial-time fudge, seconds; then "pps" to add the PPS source
cat > "$D/refclock-bridge.conf" <<CONF
[bridge]
status_socket = $D/status.sock ; read by: refclock-bridge status -s $D/status.sock
metrics_dir = $D               ; refclock-bridge.prom, for node_exporter's textfile collector

[source nmea]
type = gpsd
host = 127.0.0.1
port = $GPSD_PORT
min_fix = 3d
offset = $1                 ; the receiver's serial delay, calibrated below
outputs = chrony-nmea

[source phc0]
type = phc
device = /dev/ptp0
interval = 0.5
timescale = tai
tai_offset = 37
outputs = chrony-phc0

[output chrony-nmea]
type = sock
path = $D/nmea.sock

[output chrony-pps]
type = sock
path = $D/pps.sock

[output ntpd-pps]
type = shm
unit = $SHM_UNIT

[output chrony-phc0]
type = sock
path = $D/phc0.sock
CONF
[ "${2:-}" = pps ] && cat >> "$D/refclock-bridge.conf" <<CONF

[source pps]
type = pps
device = /dev/pps0
lock = nmea                 ; each pulse gets its second from gpsd's time
outputs = chrony-pps, ntpd-pps
CONF
}
write_conf 0

say "Starting a private chronyd (-x: it never touches the clock; CAP_SYS_TIME dropped)"
grep refclock "$D/chrony.conf"
setpriv --bounding-set -sys_time -- chronyd -x -d -u root -f "$D/chrony.conf" > "$D/chronyd.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 50); do [ -S "$D/chronyd.sock" ] && break; sleep 0.1; done

say "Starting refclock-bridge ($D/refclock-bridge.conf)"
"$BIN" --check-config -c "$D/refclock-bridge.conf" || exit 1
env LD_PRELOAD="$FAKELIB" FAKEDEV_PTP=/dev/ptp0 FAKEDEV_PTP0=offset_ns=37000123456,delay_ns=400 \
  FAKEDEV_PPS=/dev/pps0 FAKEDEV_PPS0=offset_ns=123456 \
  "$BIN" -f -c "$D/refclock-bridge.conf" > "$D/bridge.log" 2>&1 &
BRIDGE_PID=$!
PIDS+=($BRIDGE_PID)

printf 'waiting for a 3D fix and serial time from gpsd'
for _ in $(seq 60); do
  # refclocks.log appears only with chronyd's first sample: until then the count is 0
  [ "$(cat "$D/refclocks.log" 2>/dev/null | grep -c 'NMEA')" -ge 3 ] && break
  printf '.'; sleep 0.5
done
echo
fudge=$(awk '$3 == "NMEA" && $7 != "-" {s += $7; n++} END {if (n) printf "%.3f", -s / n; else print 0}' "$D/refclocks.log")
say "Calibrating the serial delay: gpsd's time arrives $(awk -v f="$fudge" 'BEGIN{printf "%.0f", -f*1000}') ms off; offset = $fudge, add the PPS source, SIGHUP"
echo "   (PPS is added only now: pulses numbered with an uncalibrated serial time can be a second off)"
write_conf "$fudge" pps
kill -HUP "$BRIDGE_PID"

# A chronyc with -u drops to _chrony by default and cannot reach $D then; older ones stay root.
chronyc_user=""
chronyc -u root -v >/dev/null 2>&1 && chronyc_user="-u root"
# shellcheck disable=SC2086
cc() { chronyc $chronyc_user -h "$D/chronyd.sock" "$@"; }
printf 'waiting for chronyd to select PPS'
for _ in $(seq 60); do
  cc -n sources 2>/dev/null | grep -q '^#\* PPS' && break
  printf '.'; sleep 0.5
done
echo
sleep 2

say "The bridge's log"
cat "$D/bridge.log"
say "chronyc sources: PPS (numbered by gpsd) selected, PHC0 agreeing, NMEA for the seconds only"
cc -n sources
say "chronyc tracking"
cc tracking
say "refclock-bridge status: what the bridge says about each source, output and tracker"
"$BIN" status -s "$D/status.sock"
echo "   (exit code $?: 0 all healthy, 1 something degraded, 2 no daemon)"
say "Metrics for Prometheus ($D/refclock-bridge.prom, an excerpt)"
grep -E '^refclock_bridge_(source_(up|offset_seconds)|output_connected|healthy)' "$D/refclock-bridge.prom" \
  2>/dev/null || echo "   (no metrics file yet)"
st=$(cc -c tracking | awk -F, '{print $5}')
say "Result"
echo "   injected: pulses and PHC both say true time is system + 0.000123456 s"
echo "   chronyd:  System time is $st s slow of the bridge's time"
echo "   chronyd's latest raw samples (refclocks.log, true minus system):"
awk '$3 ~ /PPS|PHC0|SHM0/ && $7 != "-" {print "     " $3, $7}' "$D/refclocks.log" | tail -n 6

if [ "${DEMO_HOLD:-0}" = 1 ]; then
  say "Running; Ctrl-C to stop and clean up"
  while sleep 1; do :; done
fi
