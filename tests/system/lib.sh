# Shared helpers for system tests: a private temp tree, real daemons with CAP_SYS_TIME
# dropped, the bridge under the fake-device library, and cleanup of everything started.
set -u
RB_BIN=${RB_BIN:-build/refclock-bridge}
RB_BUILD=${RB_BUILD:-build}
RB_BIN=$(readlink -f "$RB_BIN")
FAKELIB=$(readlink -f "$RB_BUILD/tests/libfakedev.so")
NTPSEC_ROOT=${NTPSEC_ROOT:-/var/cache/refclock-bridge-test/ntpsec}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
T=$(mktemp -d /tmp/rbtest.XXXXXX)
chmod 700 "$T"
mkdir -p "$T/ctl"
PIDS=()
SHM_KEYS=()

cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  sleep 0.2
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
  for k in "${SHM_KEYS[@]}"; do ipcrm -M "$k" 2>/dev/null; done
  [ -n "${KEEP_T:-}" ] || rm -rf "$T"
}
trap cleanup EXIT

fail() { echo "FAIL: $*"; dump_logs; exit 1; }
skip() { echo "skipped: $*"; exit 77; }
note() { echo "--- $*"; }

dump_logs() {
  local f
  for f in "$T"/*.log "$T"/chrony/*.log; do
    [ -f "$f" ] && { echo "==== $f"; tail -n 30 "$f"; }
  done
}

# wait_for SECONDS COMMAND...: polls every 0.1 s until COMMAND succeeds.
wait_for() {
  local deadline=$(( $(date +%s%N) + ${1%.*} * 1000000000 )) t=$1
  shift
  while ! "$@" >/dev/null 2>&1; do
    [ "$(date +%s%N)" -gt "$deadline" ] && return 1
    sleep 0.1
  done
  return 0
}

# Every time daemon runs without CAP_SYS_TIME: "$NOTIME chronyd ...". (Not a shell function:
# a function run with & would be a subshell, and $! would not be the daemon's PID.)
NOTIME="setpriv --bounding-set -sys_time --"

# start_chronyd EXTRA_CONF_LINES: a private chronyd (-x) with its command socket in $T/chrony.
start_chronyd() {
  mkdir -p "$T/chrony"
  chmod 700 "$T/chrony"
  cat > "$T/chrony/chrony.conf" <<CONF
pidfile $T/chrony/chronyd.pid
driftfile $T/chrony/drift
bindcmdaddress $T/chrony/chronyd.sock
cmdport 0
port 0
logdir $T/chrony
log refclocks tracking
$1
CONF
  rm -f "$T/chrony/chronyd.pid"
  $NOTIME chronyd -x -d -u root -f "$T/chrony/chrony.conf" >> "$T/chronyd.log" 2>&1 &
  CHRONYD_PID=$!
  PIDS+=("$CHRONYD_PID")
  wait_for 5 test -S "$T/chrony/chronyd.sock" || fail "chronyd did not start"
}

stop_chronyd() {
  kill "$CHRONYD_PID" 2>/dev/null
  wait "$CHRONYD_PID" 2>/dev/null
}

chronyc_() { chronyc -h "$T/chrony/chronyd.sock" "$@"; }

# start_bridge CONF [FAKE ENV...]: the real binary with the fake /dev/ptpN library preloaded.
start_bridge() {
  local conf=$1
  shift
  env LD_PRELOAD="$FAKELIB" FAKEDEV_CTL="$T/ctl" "$@" "$RB_BIN" -f -c "$conf" >> "$T/bridge.log" 2>&1 &
  BRIDGE_PID=$!
  PIDS+=("$BRIDGE_PID")
}

stop_bridge() {
  kill "$BRIDGE_PID" 2>/dev/null
  wait "$BRIDGE_PID"
  BRIDGE_RC=$?
}

bridge_log_has() { grep -q -- "$1" "$T/bridge.log"; }

# shm_unit N: register the segment for removal at exit.
shm_unit() { SHM_KEYS+=("$(printf '0x%08x' $((0x4E545030 + $1)))"); }

# shm_read UNIT: prints "offset_ns leap precision valid count" of an NTP SHM segment.
shm_read() { /usr/bin/python3 "$HERE/shmread.py" "$1"; }

# The tracking offset chronyd reports (System time, seconds; positive = local slow).
chrony_system_time() { chronyc_ -c tracking | awk -F, '{print $5}'; }

# abs difference in ns between two decimal second values, via awk
diff_ns() { awk -v a="$1" -v b="$2" 'BEGIN{d=(a-b)*1e9; if(d<0)d=-d; printf "%.1f", d}'; }

# start_gpsfake CAPTURE PORT [START]: a real gpsd fed by gpsfake, replaying a shipped capture
# rebased to START (default: the next second + 1). gpsd runs in a private IPC namespace so
# the NTP SHM segments it creates at start-up vanish with it.
start_gpsfake() {
  local cap=$1 port=$2 start=${3:-now+1} pace replay="$T/replay-$2.nmea"
  /usr/bin/python3 "$HERE/../data/rebase_nmea.py" "$cap" "$replay" --start "$start" \
    || fail "cannot rebase $cap"
  pace=$(/usr/bin/python3 "$HERE/../data/rebase_nmea.py" --pace "$replay")
  TMPDIR=$T unshare --ipc gpsfake -1 -n -q -c "$pace" -W 1 -P "$port" "$replay" \
    >> "$T/gpsfake.log" 2>&1 &
  GPSFAKE_PID=$!
  PIDS+=("$GPSFAKE_PID")
  wait_for 10 gpsd_listening "$port" || fail "gpsd did not start on port $port"
  GPSD_PID=$(pgrep -f -- "gpsd .*-S $port" | head -n 1)
  PIDS+=("$GPSD_PID")
}
gpsd_listening() { ss -ltn "sport = :$1" | grep -q LISTEN; }

# gpsfake ignores SIGTERM (only its gpsd dies); kill it outright.
stop_gpsfake() {
  kill "$GPSD_PID" 2>/dev/null
  kill -9 "$GPSFAKE_PID" 2>/dev/null
  wait "$GPSFAKE_PID" 2>/dev/null
  wait_for 5 bash -c "! kill -0 $GPSD_PID 2>/dev/null"
}

# Offsets (ns) the bridge published for a source, from its debug log.
bridge_offsets() { sed -n "s/.*source $1: sample at [0-9.]* offset \([-+0-9]*\) ns.*/\1/p" "$T/bridge.log"; }
