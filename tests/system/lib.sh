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
# A skip's last line is its reason. In CI (tests/run.sh with RB_STRICT_SKIPS=1) a skip counts
# as a failure, except skip_before_debian's: software this Debian release does not package.
skip() { echo "skipped: $*"; exit 77; }
# skip_before_debian N REASON: skips (allowed in CI) on Debian releases before N; returns on N
# and later, where the test must run.
skip_before_debian() {
  local v
  v=$(. /etc/os-release 2>/dev/null && echo "${VERSION_ID%%.*}")
  if [ "${v:-0}" -lt "$1" ] 2>/dev/null; then
    echo "skipped, not on Debian ${v:-?}: $2"
    exit 77
  fi
}
# note TEXT: a step of the test, with the seconds since it began (where the time goes).
RB_T0=$(date +%s%N)
note() { echo "--- [$(awk -v n="$(date +%s%N)" -v t="$RB_T0" 'BEGIN{printf "%.1f", (n - t) / 1e9}') s] $*"; }

# cgroup2_root PREFIX: sets ${PREFIX}_CG2 to the cgroup2 hierarchy: the host's (hybrid:
# .../unified; pure v2: /sys/fs/cgroup), or one mounted here (a chroot with a bare /sys, as in
# the Debian 13 run), which ${PREFIX}_CG2_MOUNT then names for the caller to unmount. Not in
# $(...): the variables must reach the caller.
cgroup2_root() {
  local p=$1 m
  for m in /sys/fs/cgroup/unified /sys/fs/cgroup; do
    if [ "$(stat -f -c %T "$m" 2>/dev/null)" = cgroup2fs ]; then
      printf -v "${p}_CG2" %s "$m"
      return 0
    fi
  done
  m=$T/cg2-$p
  mkdir -p "$m"
  mount -t cgroup2 cgroup2 "$m" || fail "cannot mount cgroup2"
  printf -v "${p}_CG2" %s "$m"
  printf -v "${p}_CG2_MOUNT" %s "$m"
}

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

# A chronyc that has the -u option drops to its compiled-in user (_chrony) by default and could
# then not reach a command socket under this 0700 tree: keep it root there. (Debian's 4.3 and
# 4.6 have no -u and stay root.)
CHRONYC_ARGS=()
chronyc -u root -v >/dev/null 2>&1 && CHRONYC_ARGS=(-u root)
chronyc_() { chronyc "${CHRONYC_ARGS[@]}" -h "$T/chrony/chronyd.sock" "$@"; }

# private_paths CONF: gives a bridge's configuration a status socket and a metrics directory
# of its own under $T (unless it names them), never the system's. STATUS_SOCK and METRICS_DIR
# name them, for the latest configuration.
BRIDGE_N=0
private_paths() {
  local conf=$1
  BRIDGE_N=$((BRIDGE_N + 1))
  # writable by any user: some tests run the bridge as nobody
  mkdir -p -m 1777 "$T/run-$BRIDGE_N" && chmod 1777 "$T/run-$BRIDGE_N"
  STATUS_SOCK=$T/run-$BRIDGE_N/status.sock METRICS_DIR=$T/run-$BRIDGE_N/metrics
  mkdir -p -m 1777 "$METRICS_DIR"
  grep -q '^status_socket' "$conf" && STATUS_SOCK=$(sed -n 's/^status_socket *= *//p' "$conf")
  grep -q '^metrics_dir' "$conf" && METRICS_DIR=$(sed -n 's/^metrics_dir *= *//p' "$conf")
  local add=()
  grep -q '^status_socket' "$conf" || add+=("status_socket = $STATUS_SOCK")
  grep -q '^metrics_dir' "$conf" || add+=("metrics_dir = $METRICS_DIR")
  [ ${#add[@]} -gt 0 ] || return 0
  if grep -q '^\[bridge\]' "$conf"; then
    printf '%s\n' "${add[@]}" > "$conf.add"
    sed -i "/^\[bridge\]/r $conf.add" "$conf"
    rm -f "$conf.add"
  else
    { echo "[bridge]"; printf '%s\n' "${add[@]}"; cat "$conf"; } > "$conf.new" && cat "$conf.new" > "$conf"
    rm -f "$conf.new"
  fi
}

# start_bridge CONF [FAKE ENV...]: the real binary with the fake /dev/ptpN library preloaded.
start_bridge() {
  local conf=$1
  shift
  private_paths "$conf"
  env LD_PRELOAD="$FAKELIB" FAKEDEV_CTL="$T/ctl" "$@" "$RB_BIN" -f -c "$conf" >> "$T/bridge.log" 2>&1 &
  BRIDGE_PID=$!
  PIDS+=("$BRIDGE_PID")
}

stop_bridge() {
  kill "$BRIDGE_PID" 2>/dev/null
  wait "$BRIDGE_PID"
  BRIDGE_RC=$?
}

# nobody_binaries: copies of the bridge and the fake library that the user nobody can run
# wherever the checkout lies (a clone under a 0700 home is not readable by nobody). Sets
# NOBODY_BIN and NOBODY_FAKELIB; leaves $T traversable (0711).
nobody_binaries() {
  chmod 711 "$T"
  mkdir -p -m 755 "$T/nobody"
  install -m 755 "$RB_BIN" "$T/nobody/refclock-bridge"
  install -m 644 "$FAKELIB" "$T/nobody/libfakedev.so"
  NOBODY_BIN=$T/nobody/refclock-bridge NOBODY_FAKELIB=$T/nobody/libfakedev.so
  setpriv --reuid=nobody --regid=nogroup --clear-groups test -x "$NOBODY_BIN" \
    || fail "$NOBODY_BIN is not executable by nobody"
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

# A real ptp4l pair (linuxptp 3.1.1) in two network namespaces joined by a veth: software
# timestamping, free_running on both (ptp4l never touches a clock), fast intervals.
# start_ptp_pair; then ptp4l_start m|s [EXTRA CONFIG LINES]. Sockets: $T/ptp4l-m, $T/ptp4l-s.
NETNS=()
ptp_netns_setup() {
  NS_M=rbm$$ NS_S=rbs$$
  ip netns add "$NS_M" && NETNS+=("$NS_M") || fail "cannot create network namespaces"
  ip netns add "$NS_S" && NETNS+=("$NS_S")
  ip link add "vm$$" type veth peer name "vs$$" || fail "cannot create a veth pair"
  ip link set "vm$$" netns "$NS_M"
  ip link set "vs$$" netns "$NS_S"
  ip -n "$NS_M" addr add 10.77.0.1/24 dev "vm$$"
  ip -n "$NS_S" addr add 10.77.0.2/24 dev "vs$$"
  for ns in "$NS_M" "$NS_S"; do ip -n "$ns" link set lo up; done
  ip -n "$NS_M" link set "vm$$" up
  ip -n "$NS_S" link set "vs$$" up
}
ptp_netns_cleanup() {
  local ns
  for ns in "${NETNS[@]}"; do ip netns del "$ns" 2>/dev/null; done
}
trap 'cleanup; ptp_netns_cleanup' EXIT

# The linuxptp binaries the ptp4l tests run: the system's, or another build through PTP4L_BIN /
# PMC_BIN (the master side through PTP4L_M_BIN / PMC_M_BIN, by default the same). scripts/deps.sh
# unpacks the other major version from the other release: 4.2 from Debian 13 on Debian 12
# ($LINUXPTP4_ROOT), 3.1.1 from Debian 12 on Debian 13 ($LINUXPTP3_ROOT).
# use_linuxptp4 / use_linuxptp3 switch both sides to that major version; RB_OTHER_LINUXPTP=1
# (the *-otherptp tests) switches to the version the system does not have.
PTP4L_BIN=${PTP4L_BIN:-ptp4l}
PMC_BIN=${PMC_BIN:-pmc}
LINUXPTP4_ROOT=${LINUXPTP4_ROOT:-/var/cache/refclock-bridge-test/linuxptp4}
LINUXPTP3_ROOT=${LINUXPTP3_ROOT:-/var/cache/refclock-bridge-test/linuxptp3}
linuxptp_major() { "$1" -v 2>&1 | sed -n '1s/^\([0-9]*\)\..*/\1/p'; }
# linuxptp_bins MAJOR: sets PTP4L_BIN/PMC_BIN to a linuxptp of that major version (4 means
# >= 4): the current one, the system's, or the one unpacked for it.
linuxptp_major_is() { # MAJOR PTP4L
  local v
  v=$(linuxptp_major "$2")
  [ "${v:-0}" -eq "$1" ] || { [ "$1" -ge 4 ] && [ "${v:-0}" -ge 4 ]; }
}
linuxptp_bins() {
  local root
  if [ "$1" -ge 4 ]; then root=$LINUXPTP4_ROOT; else root=$LINUXPTP3_ROOT; fi
  if linuxptp_major_is "$1" "$PTP4L_BIN"; then
    :
  elif linuxptp_major_is "$1" ptp4l; then
    PTP4L_BIN=ptp4l PMC_BIN=pmc
  elif [ -x "$root/usr/sbin/ptp4l" ]; then
    PTP4L_BIN=$root/usr/sbin/ptp4l PMC_BIN=$root/usr/sbin/pmc
  else
    fail "no linuxptp $1.x: neither the system's ptp4l nor $root (run make deps)"
  fi
}
use_linuxptp4() { linuxptp_bins 4; PTP4L_M_BIN=$PTP4L_BIN PMC_M_BIN=$PMC_BIN; }
use_linuxptp3() { linuxptp_bins 3; PTP4L_M_BIN=$PTP4L_BIN PMC_M_BIN=$PMC_BIN; }
# master_linuxptp3: the grandmaster only runs linuxptp 3.x. A free-running linuxptp >= 4.0
# grandmaster applies a pending leap second at once (clock_update_leap_status() reads a clock
# that free_running leaves invalid), so it can never announce leap61/leap59; 3.x announces it.
master_linuxptp3() {
  local p=$PTP4L_BIN m=$PMC_BIN
  linuxptp_bins 3
  PTP4L_M_BIN=$PTP4L_BIN PMC_M_BIN=$PMC_BIN PTP4L_BIN=$p PMC_BIN=$m
}
PTP4L_M_BIN=${PTP4L_M_BIN:-$PTP4L_BIN}
PMC_M_BIN=${PMC_M_BIN:-$PMC_BIN}
if [ -n "${RB_OTHER_LINUXPTP:-}" ]; then
  if [ "$(linuxptp_major ptp4l)" -ge 4 ] 2>/dev/null; then use_linuxptp3; else use_linuxptp4; fi
fi

# ptp4l_start m|s [EXTRA...]: starts (or restarts) one side; PTP4L_M / PTP4L_S hold the PIDs.
ptp4l_start() {
  local side=$1 ns iface
  shift
  if [ "$side" = m ]; then ns=$NS_M iface=vm$$; else ns=$NS_S iface=vs$$; fi
  {
    echo "[global]"
    echo "free_running 1"
    echo "kernel_leap 0"
    echo "time_stamping software"
    echo "uds_address $T/ptp4l-$side"
    echo "logAnnounceInterval -2"
    echo "logSyncInterval -2"
    echo "logMinDelayReqInterval -2"
    echo "announceReceiptTimeout 3"
    if [ "$side" = m ]; then echo "priority1 100"; else echo "slaveOnly 1"; fi
    printf '%s\n' "$@"
    echo "[$iface]"
  } > "$T/ptp4l-$side.cfg"
  local bin=$PTP4L_BIN
  [ "$side" = m ] && bin=$PTP4L_M_BIN
  echo "ptp4l $side: $bin $("$bin" -v 2>&1)" >> "$T/ptp4l-$side.log"
  ip netns exec "$ns" $NOTIME "$bin" -f "$T/ptp4l-$side.cfg" -m >> "$T/ptp4l-$side.log" 2>&1 &
  PIDS+=($!)
  if [ "$side" = m ]; then PTP4L_M=$!; else PTP4L_S=$!; fi
  wait_for 5 test -S "$T/ptp4l-$side" || fail "ptp4l ($side) did not create its socket"
}

# ptp4l_tracker_conf NAME [EXTRA LINES...]: the [tracker NAME] section that follows the slave
# of ptp4l_start, for a configuration's heredoc: $(ptp4l_tracker_conf ptp "holdover = 2").
ptp4l_tracker_conf() {
  local name=$1
  shift
  printf '[tracker %s]\ntype = ptp4l\nsocket = %s\nclient_address = %s\nmax_offset = 100000\n' \
    "$name" "$T/ptp4l-s" "$T/bridge-$name.sock"
  [ $# -eq 0 ] || printf '%s\n' "$@"
}

# pmc_ SIDE COMMAND...: linuxptp's own pmc against one side.
pmc_() {
  local side=$1 ns bin=$PMC_BIN
  shift
  if [ "$side" = m ]; then ns=$NS_M bin=$PMC_M_BIN; else ns=$NS_S; fi
  ip netns exec "$ns" "$bin" -u -b 0 -s "$T/ptp4l-$side" -i "$T/pmc.$side.$$" "$@"
}

# A free-running slave never leaves UNCALIBRATED unless told its sync is certain.
ptp4l_certain() {
  wait_for 5 bash -c "$(declare -f pmc_); NS_M=$NS_M NS_S=$NS_S T=$T PMC_BIN=$PMC_BIN PMC_M_BIN=$PMC_M_BIN pmc_ s 'SET SYNCHRONIZATION_UNCERTAIN_NP 0' | grep -q 'uncertain *0'" \
    || fail "could not set SYNCHRONIZATION_UNCERTAIN_NP on the slave"
}

ptp4l_stop() { # m|s [SIGNAL]
  local pid
  if [ "$1" = m ]; then pid=$PTP4L_M; else pid=$PTP4L_S; fi
  kill "-${2:-TERM}" "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
}

# statime_slave_setup: after ptp_netns_setup, readies the slave side for a real statime 0.4:
# it takes its clock identity from a globally administered MAC (a veth's random local one makes
# it panic) and needs a route for the PTP multicast groups. Writes $T/statime.toml: software
# timestamping, a virtual system clock (statime steers no clock), observation at $T/observe.
statime_slave_setup() {
  ip -n "$NS_S" link set "vs$$" down
  ip -n "$NS_S" link set "vs$$" address 9c:6b:00:05:17:21
  ip -n "$NS_S" link set "vs$$" up
  ip -n "$NS_S" route add 224.0.0.0/4 dev "vs$$"
  cat > "$T/statime.toml" <<CONF
loglevel = "info"
domain = 0
slave-only = true
virtual-system-clock = true

[[port]]
interface = "vs$$"
network-mode = "ipv4"
hardware-clock = "none"
announce-interval = 0
sync-interval = 0
delay-interval = 0
delay-mechanism = "E2E"

[observability]
observation-path = "$T/observe"
CONF
}
