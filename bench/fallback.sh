#!/usr/bin/env bash
# NTP fallback (part 11 of `make bench`; prints figures, never pass/fail). A real ptp4l pair
# (software timestamping, free_running 1) in two network namespaces of our own, the bridge's
# ptp4l tracker on the slave, and a real systemd user manager (in a cgroup subtree and cgroup
# namespace of its own, tests/system/systemd_lib.sh) that the bridge's [fallback ntp] drives
# over D-Bus. Its chronyd.service is Type=forking like Debian's chrony.service, chronyd -x
# without CAP_SYS_TIME. BENCH_FB_TRIALS (20) trials of each:
#   1. port-state loss: the master stopped cleanly; the slave's port leaves SLAVE after its
#      announce timeout and ptp4l pushes it (holdover_is_loss = yes, enter_after = 0,
#      stale_syncs = 20 so that only the port state ends LOCKED): the tracker leaving LOCKED ->
#      chronyd ActiveState=active (systemd's own ActiveEnterTimestamp);
#   2. silent master: SIGSTOP, at a random phase of the 250 ms Sync grid, Announce every 1 s so
#      that ptp4l's own timeout (3 s) comes last; default holdover_is_loss = no with a 1 s
#      tracker holdover: the last Sync the slave received (TIME_STATUS_NP ingress_time, its
#      software receive stamp) -> chronyd active;
#   3. re-lock: the master back (restarted after 1, SIGCONT after 2): the tracker LOCKED ->
#      chronyd inactive (InactiveEnterTimestamp), minus exit_after (1 s);
#   4. gated mode: chronyd always running, fed by the bridge's PHC source (the fake
#      /dev/ptp0, gated by the tracker) through SOCK, with an NTP server on loopback (a second
#      chronyd, local stratum 8, port BENCH_FB_NTP_PORT): the tracker leaving LOCKED (the gate
#      closing) -> `chronyc -c sources` shows the NTP server selected (polled every 50 ms by
#      bench/fallback_watch.py), for chrony's defaults (timemaster-style: failover left to
#      chrony's source selection; BENCH_FB_DEFAULT_TRIALS (5), each capped at
#      BENCH_FB_DEFAULT_CAP s) and for the settings found fastest (BENCH_FB_GATED_TRIALS (20)).
# Against computed references (not run): the OpenShift 5-minute timer and ntpfailover.
# Never touches this machine's clock: ptp4l with free_running 1, chronyd with -x, every
# daemon under setpriv without CAP_SYS_TIME. Needs root (namespaces, cgroups).
set -u
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
TRIALS=${BENCH_FB_TRIALS:-20}
GATED_TRIALS=${BENCH_FB_GATED_TRIALS:-20}
DEFAULT_TRIALS=${BENCH_FB_DEFAULT_TRIALS:-5}
DEFAULT_CAP=${BENCH_FB_DEFAULT_CAP:-1800}
NTP_PORT=${BENCH_FB_NTP_PORT:-11223}
EXIT_AFTER=1
HOLDOVER=1
BENCH=$(pwd)/bench

say() { echo "   $*"; }
skip_part() { # REASON [EXIT CODE]
  echo "11. NTP fallback"
  say "SKIP: $1"
  exit "${2:-0}"
}
[ "$(id -u)" = 0 ] || skip_part "needs root (network namespaces, cgroups)"
for tool in ptp4l pmc chronyd chronyc ip setpriv /usr/bin/python3; do
  command -v "$tool" >/dev/null || skip_part "no $tool"
done
if [ ! -x "$BUILD/refclock-bridge" ] || [ ! -e "$BUILD/tests/libfakedev.so" ]; then
  skip_part "$BUILD/refclock-bridge or the fake library missing; run make" 1
fi
if ss -lun "sport = :$NTP_PORT" | grep -q ":$NTP_PORT"; then
  skip_part "UDP port $NTP_PORT is taken (BENCH_FB_NTP_PORT)"
fi

# The system tests' helpers: the temp tree, ptp4l pair, bridge and user manager, and their
# cleanup. A bench reports instead of failing.
RB_BIN=$BUILD/refclock-bridge RB_BUILD=$BUILD
# shellcheck source=tests/system/lib.sh
. tests/system/lib.sh
# shellcheck source=tests/system/systemd_lib.sh
. tests/system/systemd_lib.sh
trap 'exit 130' INT TERM
fail() { say "STOPPED: $*"; dump_logs | sed 's/^/   | /' | tail -n 60; exit 1; }
skip() { skip_part "$*"; }
OUT=$T/out
[ -n "${KEEP_T:-}" ] && say "(keeping $T)"
: > "$OUT"
[ -n "${BENCH_FB_DETAIL:-}" ] && : > "$BENCH_FB_DETAIL"
detail() { [ -n "${BENCH_FB_DETAIL:-}" ] && echo "$*" >> "$BENCH_FB_DETAIL"; return 0; }

# ---- time stamps --------------------------------------------------------------------------
# The bridge's log stamps (CLOCK_REALTIME, ms) and systemd's (CLOCK_REALTIME, us), in us.
log_us() { # PATTERN FROM_LINE: the first bridge log line after FROM_LINE that matches
  local ts
  ts=$(tail -n +"$2" "$T/bridge.log" | grep -m1 -- "$1" | cut -d' ' -f1)
  [ -n "$ts" ] && echo $(( $(date -d "$ts" +%s%3N) * 1000 ))
}
unit_us() { # UNIT PROPERTY
  local ts
  ts=$(sd_ show --timestamp=us+utc -P "$2" "$1")
  [ -n "$ts" ] && date -d "$ts" +%s%6N
}
lines() { wc -l < "$T/bridge.log"; }
tracker_in() { # STATE FROM_LINE: the tracker's latest transition since FROM_LINE ends in STATE
  tail -n +"$2" "$T/bridge.log" | grep "tracker ptp0: [A-Z]* -> " | tail -1 | grep -q -- "-> $1"
}
row() { echo "$*" >> "$OUT"; [ -n "${BENCH_FB_DETAIL:-}" ] && echo "$*" >> "$BENCH_FB_DETAIL"; return 0; }
# Forget a PID that was waited for, so that the cleanup never signals a reused one.
forget() {
  local p keep=()
  for p in "${PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
  PIDS=("${keep[@]}")
}
master_stop() { # SIGNAL
  ptp4l_stop m "$1"
  forget "$PTP4L_M"
}

# ---- the chronyd unit and the fallback ----------------------------------------------------
systemd_up() {
  start_user_systemd
  mkdir -m 700 "$T/fbchrony"
  printf '%s\n' "pidfile $T/fbchrony/chronyd.pid" "driftfile $T/fbchrony/drift" "cmdport 0" "port 0" \
    > "$T/fbchrony/chrony.conf"
  printf '%s\n' "[Service]" "Type=forking" "PIDFile=$T/fbchrony/chronyd.pid" \
    "ExecStart=/usr/sbin/chronyd -x -u root -f $T/fbchrony/chrony.conf" \
    "CapabilityBoundingSet=~CAP_SYS_TIME" | user_unit chronyd.service
  # An inactive unit that nothing references is unloaded at once, and its time stamps with it;
  # this one's ordering dependency keeps chronyd.service loaded between trials.
  printf '%s\n' "[Unit]" "After=chronyd.service" "[Service]" "ExecStart=/bin/sleep infinity" |
    user_unit fb-holder.service
  sd_ start fb-holder.service
}

# bridge_conf FILE TRACKER_LINES FALLBACK_LINES [MORE SECTIONS]
bridge_conf() {
  {
    printf '%s\n' "[tracker ptp0]" "type = ptp4l" "socket = $T/ptp4l-s" \
      "client_address = $T/bridge-ptp.sock" "max_offset = 100000" "poll_interval = 0.25"
    printf '%s\n' "$2"
    if [ -n "$3" ]; then
      printf '%s\n' "[fallback ntp]" "trackers = ptp0" "enter_after = 0" "exit_after = $EXIT_AFTER" \
        "min_interval = 0" "unit = chronyd.service" "marker = $T/insync"
      printf '%s\n' "$3"
    fi
    [ -n "${4:-}" ] && printf '%s\n' "$4"
  } > "$1"
  "$RB_BIN" --check-config -c "$1" > /dev/null || fail "config $1 rejected"
}

# pair_up ANNOUNCE_LOG_INTERVAL: a fresh ptp4l pair (Sync every 250 ms) and the slave told that
# its sync is certain (a free-running slave never leaves UNCALIBRATED otherwise).
pair_up() {
  ptp_netns_setup
  ptp4l_start s "logAnnounceInterval $1"
  ptp4l_start m "logAnnounceInterval $1"
  ptp4l_certain
  wait_for 20 grep -q "to SLAVE" "$T/ptp4l-s.log" || fail "the ptp4l pair never synchronised"
}
pair_down() {
  master_stop KILL
  ptp4l_stop s
  forget "$PTP4L_S"
  ptp_netns_cleanup
  NETNS=()
}
bridge_down() {
  stop_bridge
  forget "$BRIDGE_PID"
  sd_ stop chronyd.service 2>/dev/null
  : > "$T/bridge.log"
}
# Waits for PTP to own the clock: the tracker LOCKED since FROM_LINE and chronyd inactive.
ptp_owns() { # FROM_LINE
  wait_for 30 tracker_in LOCKED "$1" && wait_for 10 unit_is chronyd.service inactive
}

# ---- 1 and 3: port-state loss, re-lock ----------------------------------------------------
relock_row() { # MARK TRIAL: after the master is back, LOCKED -> chronyd inactive
  local locked stopped
  wait_for 30 tracker_in LOCKED "$1" || { detail "note: relock $2: never LOCKED"; return 1; }
  wait_for 10 unit_is chronyd.service inactive || { detail "note: relock $2: chronyd never stopped"; return 1; }
  locked=$(tail -n +"$1" "$T/bridge.log" | grep "tracker ptp0: [A-Z]* -> LOCKED" | tail -1 | cut -d' ' -f1)
  locked=$(( $(date -d "$locked" +%s%3N) * 1000 ))
  stopped=$(unit_us chronyd.service InactiveEnterTimestamp)
  [ -n "$stopped" ] || { detail "note: relock $2: no InactiveEnterTimestamp"; return 1; }
  row "relock $(( (stopped - locked) / 1000 - EXIT_AFTER * 1000 ))"
}

# CLOCK_REALTIME - CLOCK_MONOTONIC in us: ptp4l stamps its lines with CLOCK_MONOTONIC.
mono_offset_us() { /usr/bin/python3 -c 'import time; print((time.time_ns() - time.monotonic_ns()) // 1000)'; }
slave_lines() { wc -l < "$T/ptp4l-s.log"; }
slave_left_us() { # FROM_LINE OFFSET_US: the slave ptp4l's port leaving SLAVE, as it stamped it
  tail -n +"$1" "$T/ptp4l-s.log" | grep -m1 'port 1: SLAVE to ' |
    sed -n 's/^ptp4l\[\([0-9.]*\)\].*/\1/p' | awk -v o="$2" '{printf "%.0f\n", $1 * 1e6 + o}'
}

phase_port_state() {
  local k mark smark off left port fb active
  pair_up -2
  bridge_conf "$T/bridge.conf" "stale_syncs = 20" "holdover_is_loss = yes"
  start_bridge "$T/bridge.conf" DBUS_SYSTEM_BUS_ADDRESS="$SD_BUS"
  ptp_owns 1 || fail "(1) PTP never owned the clock"
  off=$(mono_offset_us)
  for ((k = 1; k <= TRIALS; k++)); do
    sleep 1
    mark=$(( $(lines) + 1 )) smark=$(( $(slave_lines) + 1 ))
    master_stop TERM
    if ! wait_for 10 unit_is chronyd.service active; then
      detail "note: port $k: chronyd not active"
    else
      left=$(log_us "tracker ptp0: LOCKED -> " "$mark")
      port=$(slave_left_us "$smark" "$off")
      fb=$(log_us "fallback ntp: ptp -> ntp" "$mark")
      active=$(unit_us chronyd.service ActiveEnterTimestamp)
      if [ -n "$left" ] && [ -n "$port" ] && [ -n "$fb" ] && [ -n "$active" ]; then
        row "port $(( (active - left) / 1000 )) $(( (active - port) / 1000 )) decision $(( (fb - left) / 1000 )) job $(( (active - fb) / 1000 ))"
      else
        detail "note: port $k: missing a stamp: left '$left' port '$port' fallback '$fb' active '$active'"
      fi
    fi
    mark=$(( $(lines) + 1 ))
    ptp4l_start m
    relock_row "$mark" "$k"
  done
  bridge_down
  pair_down
}

# ---- 2 and 3: a silent master -------------------------------------------------------------
ingress_us() { pmc_ s "GET TIME_STATUS_NP" | awk '$1 == "ingress_time" {printf "%.0f\n", $2 / 1000}'; }

phase_silent() {
  local k mark sync hold free active
  pair_up 0
  bridge_conf "$T/bridge.conf" "$(printf '%s\n' "stale_syncs = 3" "holdover = $HOLDOVER")" \
    "holdover_is_loss = no"
  start_bridge "$T/bridge.conf" DBUS_SYSTEM_BUS_ADDRESS="$SD_BUS"
  ptp_owns 1 || fail "(2) PTP never owned the clock"
  for ((k = 1; k <= TRIALS; k++)); do
    sleep "1.$(printf '%03d' $((RANDOM % 250)))"
    mark=$(( $(lines) + 1 ))
    kill -STOP "$PTP4L_M"
    if ! wait_for 10 unit_is chronyd.service active; then
      detail "note: silent $k: chronyd not active"
    else
      sync=$(ingress_us)
      hold=$(log_us "tracker ptp0: LOCKED -> HOLDOVER" "$mark")
      free=$(log_us "tracker ptp0: HOLDOVER -> FREERUN" "$mark")
      active=$(unit_us chronyd.service ActiveEnterTimestamp)
      if [ -n "$sync" ] && [ -n "$hold" ] && [ -n "$free" ] && [ -n "$active" ]; then
        row "silent $(( (active - sync) / 1000 )) hold $(( (hold - sync) / 1000 )) free $(( (free - sync) / 1000 )) freerun_active $(( (active - free) / 1000 )) net $(( (active - sync) / 1000 - HOLDOVER * 1000 )) why $(tail -n +"$mark" "$T/bridge.log" | grep -m1 'tracker ptp0: LOCKED -> HOLDOVER' | sed 's/.*HOLDOVER: //; s/ /_/g')"
      fi
    fi
    mark=$(( $(lines) + 1 ))
    kill -CONT "$PTP4L_M"
    relock_row "$mark" "$k"
  done
  bridge_down
  pair_down
}

# ---- 4: gated mode ------------------------------------------------------------------------
FAST_REFCLOCK=${BENCH_FB_FAST_REFCLOCK:-poll -4 filter 1}
FAST_SERVER=${BENCH_FB_FAST_SERVER:-minpoll -4 maxpoll -4 maxsamples 4}
WATCH=(/usr/bin/python3 "$BENCH/fallback_watch.py")

start_ntp_server() {
  mkdir -m 700 "$T/ntpsrv"
  cat > "$T/ntpsrv/chrony.conf" <<CONF
pidfile $T/ntpsrv/chronyd.pid
driftfile $T/ntpsrv/drift
bindcmdaddress $T/ntpsrv/chronyd.sock
cmdport 0
port $NTP_PORT
bindaddress 127.0.0.1
allow 127.0.0.1
local stratum 8
CONF
  $NOTIME chronyd -x -d -u root -f "$T/ntpsrv/chrony.conf" >> "$T/ntpsrv.log" 2>&1 &
  PIDS+=($!)
  wait_for 5 test -S "$T/ntpsrv/chronyd.sock" || fail "the NTP server did not start"
}
# start_client NAME REFCLOCK_OPTIONS SERVER_OPTIONS: a chronyd that always runs, in $T/NAME,
# its refclock SOCK at $T/NAME/phc0.sock. CLIENT[NAME] is its PID.
declare -A CLIENT
start_client() {
  local d=$T/$1
  mkdir -m 700 "$d"
  cat > "$d/chrony.conf" <<CONF
pidfile $d/chronyd.pid
driftfile $d/drift
bindcmdaddress $d/chronyd.sock
cmdport 0
port 0
refclock SOCK $d/phc0.sock refid PHC0 $2
server 127.0.0.1 port $NTP_PORT iburst $3
CONF
  $NOTIME chronyd -x -d -u root -f "$d/chrony.conf" >> "$T/$1.log" 2>&1 &
  CLIENT[$1]=$!
  PIDS+=($!)
  wait_for 5 test -S "$d/phc0.sock" || fail "chronyd $1 did not start"
}
stop_client() {
  kill "${CLIENT[$1]}" 2>/dev/null
  wait "${CLIENT[$1]}" 2>/dev/null
  forget "${CLIENT[$1]}"
}
watch_for() { # NAME SOURCE TIMEOUT [--reach]
  "${WATCH[@]}" "$T/$1/chronyd.sock" "$2" "$3" "${@:4}" "${CHRONYC_ARGS[@]}"
}
# The steady state before a gate closes: PTP LOCKED, chronyd on the PHC, its NTP server's
# last 8 polls answered.
steady() { # NAME TIMEOUT
  watch_for "$1" PHC0 "$2" > /dev/null && watch_for "$1" 127.0.0.1 "$2" --reach > /dev/null
}
gate_close() { # -> MARK: stops the master; the gate closes when the port leaves SLAVE
  GATE_MARK=$(( $(lines) + 1 ))
  master_stop TERM
}
gate_open() {
  local mark=$(( $(lines) + 1 ))
  ptp4l_start m
  wait_for 30 tracker_in LOCKED "$mark" || fail "(4) never LOCKED again"
}
closed_us() { log_us "tracker ptp0: LOCKED -> " "$GATE_MARK"; }
has_closed() { [ -n "$(closed_us)" ]; }

phase_gated() {
  local k sel close
  pair_up -2
  start_ntp_server
  start_client fast "$FAST_REFCLOCK" "$FAST_SERVER"
  bridge_conf "$T/bridge.conf" "stale_syncs = 20" "" "$(printf '%s\n' "[source phc0]" \
    "type = phc" "device = /dev/ptp0" "interval = 0.0625" "timescale = tai" "tai_offset = 37" \
    "tracker = ptp0" "outputs = fast" "[output fast]" "type = sock" "path = $T/fast/phc0.sock")"
  # The fake PHC runs exactly on TAI: the PHC and the NTP server agree on the time.
  start_bridge "$T/bridge.conf" FAKEDEV_PTP=/dev/ptp0 FAKEDEV_PTP0=offset_ns=37000000000
  wait_for 30 tracker_in LOCKED 1 || fail "(4) never LOCKED"
  for ((k = 1; k <= GATED_TRIALS; k++)); do
    steady fast 120 || { detail "note: gated fast $k: no steady state"; gate_open_if_needed; continue; }
    sleep "1.$(printf '%03d' $((RANDOM % 1000)))"
    gate_close
    sel=$(watch_for fast 127.0.0.1 60)
    close=$(closed_us)
    if [ "${sel%% *}" = timeout ] || [ -z "$close" ]; then
      detail "note: gated fast $k: $sel"
    else
      row "gated_fast $(( (${sel%% *} - close) / 1000 ))"
    fi
    gate_open
  done
  gated_defaults
  stop_bridge
  forget "$BRIDGE_PID"
  pair_down
}
gate_open_if_needed() { kill -0 "$PTP4L_M" 2>/dev/null || gate_open; }

# chrony's defaults: BENCH_FB_DEFAULT_TRIALS chronyd at once (started 15 s apart, so that
# their polls fall at different phases), each a trial of its own, fed by the same gate; it
# closes once they are all steady.
gated_defaults() {
  local i n=$DEFAULT_TRIALS close sel
  [ "$n" -gt 0 ] || return 0
  # these replace the fast client's output
  {
    sed '/^\[source phc0\]/,$d' "$T/bridge.conf"
    printf '%s\n' "[source phc0]" "type = phc" "device = /dev/ptp0" "interval = 0.0625" \
      "timescale = tai" "tai_offset = 37" "tracker = ptp0"
    printf 'outputs = '
    for ((i = 1; i <= n; i++)); do printf '%sdef%d' "$([ "$i" -gt 1 ] && echo ', ')" "$i"; done
    echo
    for ((i = 1; i <= n; i++)); do
      printf '%s\n' "[output def$i]" "type = sock" "path = $T/def$i/phc0.sock"
    done
  } > "$T/bridge-def.conf"
  "$RB_BIN" --check-config -c "$T/bridge-def.conf" > /dev/null || fail "config bridge-def.conf rejected"
  cp "$T/bridge-def.conf" "$T/bridge.conf"
  kill -HUP "$BRIDGE_PID"
  stop_client fast
  for ((i = 1; i <= n; i++)); do
    start_client "def$i" "" ""
    [ "$i" -lt "$n" ] && sleep 15
  done
  for ((i = 1; i <= n; i++)); do
    steady "def$i" 900 || detail "note: gated default $i: no steady state in 900 s"
  done
  sleep "$((RANDOM % 10))"
  gate_close
  local watchers=()
  for ((i = 1; i <= n; i++)); do
    "${WATCH[@]}" "$T/def$i/chronyd.sock" 127.0.0.1 "$DEFAULT_CAP" "${CHRONYC_ARGS[@]}" > "$T/def$i.sel" &
    watchers+=($!)
    PIDS+=($!)
  done
  wait_for 10 has_closed
  close=$(closed_us)
  for ((i = 1; i <= n; i++)); do
    wait "${watchers[i - 1]}"
    forget "${watchers[i - 1]}"
    sel=$(cat "$T/def$i.sel")
    if [ -z "$close" ]; then
      detail "note: gated default $i: the gate never closed"
    elif [ "${sel%% *}" = timeout ]; then
      row "gated_default $((DEFAULT_CAP * 1000)) timeout"
    else
      row "gated_default $(( (${sel%% *} - close) / 1000 ))"
    fi
  done
  gate_open
}

# ---- the report ----------------------------------------------------------------------------
# stats KEY FIELD [MINUS_FIELD]: "n p50 p99 max" of a field (less another) over the rows with
# that key; percentiles linearly interpolated.
stats() {
  awk -v k="$1" -v f="$2" -v g="${3:-0}" '
    $1 == k { x[++n] = $f - (g ? $g : 0) }
    function pct(p,   h, i) { h = (n - 1) * p + 1; i = int(h); return i >= n ? x[n] : x[i] + (h - i) * (x[i + 1] - x[i]) }
    END {
      if (!n) exit
      for (i = 2; i <= n; i++) { t = x[i]; for (j = i - 1; j >= 1 && x[j] > t; j--) x[j + 1] = x[j]; x[j + 1] = t }
      printf "%d %.0f %.0f %.0f\n", n, pct(0.5), pct(0.99), x[n]
    }' "$OUT"
}
line() { # LABEL KEY FIELD [MINUS_FIELD [s]]: one row in ms (or s)
  local r
  r=$(stats "$2" "$3" "${4:-}")
  if [ -z "$r" ]; then
    printf '   %-62s %s\n' "$1" "no measurement"
    return
  fi
  # shellcheck disable=SC2086
  set -- "$1" $r "${5:-ms}"
  if [ "$6" = s ]; then
    printf '   %-62s %6s %9.2f %9.2f %9.2f\n' "$1" "$2" "$(calc "$3 / 1000")" "$(calc "$4 / 1000")" "$(calc "$5 / 1000")"
  else
    printf '   %-62s %6s %9s %9s %9s\n' "$1" "$2" "$3" "$4" "$5"
  fi
}
calc() { awk "BEGIN { printf \"%.3f\", $1 }" 2>/dev/null || echo -; }
field() { stats "$1" "$2" "${3:-}" | awk -v i="$4" '{print $i}'; } # KEY FIELD MINUS INDEX(2 p50, 3 p99, 4 max)

atleast() { [ "${1%.*}" = "$((DEFAULT_CAP * 1000))" ] && printf '>= '; } # a p50/p99 at the cap
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b == 0) print "-"; else printf(a / b >= 100 ? "%.0fx" : "%.1fx", a / b) }'; }

report() {
  local v_ptp v_sd v_chr s50 s99 f50 f99 d50 d99 n_to
  v_ptp=$(ptp4l -v 2>&1)
  v_sd=$(systemctl --version | awk 'NR == 1 {print $2}')
  v_chr=$(chronyd -v | awk '{print $4}')
  echo "11. NTP fallback: the bridge's [fallback ntp] starts and stops chronyd.service (Type=forking,"
  echo "   chronyd $v_chr -x, no CAP_SYS_TIME) of a real systemd $v_sd user manager over D-Bus; a real"
  echo "   ptp4l $v_ptp pair (software timestamping, free_running 1, Sync every 250 ms) in two network"
  echo "   namespaces; enter_after = 0, exit_after = $EXIT_AFTER s, min_interval = 0, tracker poll_interval = 0.25"
  printf '   %-62s %6s %9s %9s %9s\n' "interval (ms)" trials p50 p99 max
  line "(1) port state: the tracker leaves LOCKED -> chronyd active" port 2
  line "    ptp4l's port leaves SLAVE (its own stamp) -> active" port 3
  line "    of which the decision (-> 'fallback ntp: ptp -> ntp')" port 5
  line "    of which the systemd job (StartUnit -> active)" port 7
  line "(2) silent master: its last Sync -> chronyd active" silent 2
  line "    last Sync -> tracker HOLDOVER (stale_syncs = 3)" silent 4
  line "    HOLDOVER -> FREERUN (holdover = $HOLDOVER s)" silent 6 4
  line "    FREERUN -> chronyd active" silent 8
  line "    last Sync -> chronyd active, less the holdover" silent 10
  line "(3) re-lock: tracker LOCKED -> chronyd inactive, - exit_after" relock 2
  echo "   (1): the master stopped (SIGTERM), Announce every 250 ms, announceReceiptTimeout 3;"
  echo "   holdover_is_loss = yes, stale_syncs = 20, so the trigger is ptp4l's pushed port state."
  echo "   (2): the master SIGSTOPped at a random phase, Announce every 1 s (ptp4l's own timeout"
  echo "   comes after 3 s, last); holdover_is_loss = no (the default). (3): every trial of (1)"
  echo "   and (2), the master restarted or SIGCONTed. Stamps: the bridge's log (CLOCK_REALTIME,"
  echo "   1 ms), systemd's ActiveEnterTimestamp and InactiveEnterTimestamp (1 us), ptp4l's log"
  echo "   (CLOCK_MONOTONIC, 1 ms), the slave's TIME_STATUS_NP ingress_time for the last Sync."
  echo
  echo "   (4) gated mode: chronyd always runs; the bridge feeds its refclock SOCK from the fake"
  echo "   /dev/ptp0 at 16 Hz, gated by the tracker; its NTP server is a chronyd on 127.0.0.1:$NTP_PORT"
  echo "   (local stratum 8). The gate closing (the tracker leaves LOCKED, as in (1)) ->"
  echo "   chronyc -c sources shows the server selected ('*'), polled every 50 ms"
  printf '   %-62s %6s %9s %9s %9s\n' "interval (s)" trials p50 p99 max
  line "fastest found: refclock SOCK ... $FAST_REFCLOCK" gated_fast 2 "" s
  echo "     server 127.0.0.1 ... iburst $FAST_SERVER"
  line "chrony's defaults (timemaster-style failover)" gated_default 2 "" s
  echo "     refclock SOCK ...; server 127.0.0.1 ... iburst"
  n_to=$(awk '$1 == "gated_default" && $3 == "timeout"' "$OUT" | wc -l)
  if awk '$1 == "gated_default"' "$OUT" | grep -q .; then
    echo "     each: $(awk '$1 == "gated_default" {printf "%s%s%.0f", n++ ? ", " : "", $3 == "timeout" ? ">= " : "", $2 / 1000}' "$OUT") s"
  fi
  [ "$n_to" -gt 0 ] && echo "     (>=: not selected within the cap, counted as $DEFAULT_CAP s; p99 and max are lower bounds)"
  f50=$(field gated_fast 2 "" 2) f99=$(field gated_fast 2 "" 3)
  d50=$(field gated_default 2 "" 2) d99=$(field gated_default 2 "" 3)
  echo "   ratio defaults / fastest: p50 $(atleast "$d50")$(ratio "$d50" "$f50"), p99 $(atleast "$d99")$(ratio "$d99" "$f99")"
  echo "   (each time an upper bound, late by at most one 50 ms poll. The defaults:"
  echo "   $DEFAULT_TRIALS chronyd at once, started 15 s apart, each a trial; the gate closed once, after"
  echo "   each had the PHC selected and its server's last 8 polls answered. chronyd drops an"
  echo "   unreachable refclock only once its reach register is empty (8 refclock polls) and its"
  echo "   newest sample is older than the oldest sample the server's statistics hold (up to"
  echo "   maxsamples server polls): max(8 x 2^poll, maxsamples x 2^maxpoll) = 0.5 s fastest;"
  echo "   with the defaults at least 8 x 16 s, and as long as the server's samples span, up to"
  echo "   64 x 1024 s. See bench/README.md, part 11)"
  echo
  s50=$(field silent 2 "" 2) s99=$(field silent 2 "" 3)
  echo "   compared with (computed from their parameters, not run):"
  printf '   %-44s %-28s %s\n' "detector" "PTP lost -> chronyd on" "PTP back -> chronyd off"
  printf '   %-44s %-28s %s\n' "bridge, silent master (2), p50 / p99" "$(calc "$s50 / 1000") / $(calc "$s99 / 1000") s" \
    "exit_after + $(field relock 2 "" 2) ms (3)"
  printf '   %-44s %-28s %s\n' "OpenShift ptp-sync-check, 5-minute timer" "600-900 s (p50 750 s)" "0-300 s"
  printf '   %-44s %-28s %s\n' "  ratio to the bridge (2), p50 / worst-p99" "$(ratio 750000 "$s50") / $(ratio 900000 "$s99")" ""
  printf '   %-44s %-28s %s\n' "OpenShift ntpfailover (ts2phc lines only)" "~5 s + one log line" "the first s3 line"
  printf '   %-44s %-28s %s\n' "  ratio to the bridge (2), p50" "$(ratio 5000 "$s50") (at 5 s)" ""
  printf '   %-44s %-28s %s\n' "  a ptp4l slave (OC, DU node) losing PTP" "never (not watched)" ""
  echo "   (the timer: OnCalendar=*:0/5 runs ptp-sync-check, which takes the last 'master offset'"
  echo "   log line as unsynced once it is older than SYNC_AGE = 600 s, then restarts chronyd:"
  echo "   600 s after the last Sync plus up to one 300 s period. ntpfailover: 5 s (ts2phcTolerance)"
  echo "   without a ts2phc 's3' line, and back at the first one with no hold-off."
  echo "   /work/shared/reference/linuxptp.md section 5, operations.md section 1)"
}

# BENCH_FB_REPORT_FROM=FILE prints the report of an earlier run's BENCH_FB_DETAIL file.
if [ -n "${BENCH_FB_REPORT_FROM:-}" ]; then
  OUT=$BENCH_FB_REPORT_FROM
  report
  exit 0
fi
START_S=$SECONDS
systemd_up
for phase in ${BENCH_FB_PHASES:-port silent gated}; do
  case $phase in
    port) phase_port_state ;;
    silent) phase_silent ;;
    gated) phase_gated ;;
  esac
done
report
echo "   runtime $((SECONDS - START_S)) s"
