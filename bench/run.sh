#!/usr/bin/env bash
# refclock-bridge benchmarks (`make bench`). Prints figures, never pass/fail: every benchmark
# runs the bridge and the peer it competes with against the same fake PHCs
# (build/tests/libfakedev.so), in the same run, and prints ratios. See bench/README.md.
#
#   1. user-space instructions per PHC sample (valgrind callgrind, marginal cost), for the
#      whole process and for the bridge's PHC -> output path alone (--toggle-collect=on_poll)
#   2. CPU% and memory with 16 PHCs at 16 Hz, plus gpsd's idle RSS as a reference
#   3. added error: the offset delivered minus the one injected
#   4. PPS edge -> sample sent latency (simulated /dev/pps0), bridge and gpsd
#   5. samples lost over a long run with faults injected (sink, gpsd, /dev/pps0, /dev/ptp0)
#   6. PTP sync-state detection with a real ptp4l pair in network namespaces: ptp4l's port
#      state change -> the bridge's tracker -> the PHC gate closed, and a silent master
#
# Never touches this machine's clock: every time daemon runs under setpriv without
# CAP_SYS_TIME, chronyd always with -x, gpsd in a private IPC namespace. Only Unix sockets and
# loopback are used, and for part 6 a veth pair between two network namespaces of our own
# (rb6m<PID>, rb6s<PID>), deleted on exit. Tunables (seconds): BENCH_SHORT=6 BENCH_LONG=18
# BENCH_LOAD=30 BENCH_WARMUP=2 BENCH_PPS_SECONDS=65 BENCH_FAULT_SECONDS=120; trials:
# BENCH_PTP_TRIALS=20 BENCH_PTP_SLOW_TRIALS=5; BENCH_PARTS="1 2 4 5 6 7 8 9 10 11".
#
#   Parts 7 to 11 are scripts of their own, run last, one at a time, and appended to the results:
#   7. bench/ptp4l_pushes.sh: linuxptp >= 4.0 TIME_SYNC pushes, last Sync -> HOLDOVER in Sync
#      intervals and spurious transitions, for stale_syncs 1, 2 and 3
#   8. bench/statime.sh: a real statime, start -> LOCKED and master killed -> HOLDOVER
#   9. bench/ntpd_rs.sh: a real ntpd-rs (Debian 13) as the sock consumer: offset error, restart
#      recovery
#   10. bench/status.sh: status and metrics: instructions per sample with them on and off (and
#      against phc2sys) with 16 PHCs, status query latency, a metrics write, peak RSS
#   11. bench/fallback.sh: the NTP fallback with a real systemd and ptp4l pair: PTP lost ->
#      chronyd active, re-lock -> chronyd stopped, gate closed -> chronyd selects its NTP server
set -u
cd "$(dirname "$0")/.." || exit 1

BUILD=${BUILD:-build}
SHORT=${BENCH_SHORT:-6}
LONG=${BENCH_LONG:-18}
LOAD=${BENCH_LOAD:-30}
WARM=${BENCH_WARMUP:-2}
PPS_SECS=${BENCH_PPS_SECONDS:-65}
FAULT_SECS=${BENCH_FAULT_SECONDS:-120}
PTP_TRIALS=${BENCH_PTP_TRIALS:-20}
PTP_SLOW_TRIALS=${BENCH_PTP_SLOW_TRIALS:-5}
PARTS=" ${BENCH_PARTS:-1 2 4 5 6 7 8 9 10 11} "
on() { [[ "$PARTS" == *" $1 "* ]]; }
N_PHC=16
INJECT_NS=37000123456 # PHC - CLOCK_REALTIME: TAI, 37 s ahead, plus 123456 ns
EXPECT_NS=123456      # what must arrive once tai_offset 37 is taken off
SHM_P1=112            # NTP SHM units of part 1's phc2sys runs (keys 0x4e5450a0, a1)
SHM_P2=96             # units of part 2's 16 phc2sys (keys 0x4e545090 .. 0x4e54509f)
SHM_P6=114            # part 6: the bridge's gated PHC output (key 0x4e5450a2)
NS_M=rb6m$$ NS_S=rb6s$$ VETH_M=rb6vm$$ VETH_S=rb6vs$$ # part 6's namespaces and veth ends
GPSD_PORT=29499       # part 1's idle gpsd (reference RSS)
P4_LOCK=29495         # part 4: fakegpsd.py numbering the bridge's PPS edges
P4_NMEA=29496         # part 4: NMEA feed for the gpsd peer (its whole seconds)
P4_GPSD=29497         # part 4: the gpsd peer
P5_GPS=29494          # part 5: fakegpsd.py, killed and restarted

RB_BIN=$(readlink -f "$BUILD/refclock-bridge")
FAKELIB=$(readlink -f "$BUILD/tests/libfakedev.so")
BENCH=$(pwd)/bench
# A run of only some parts (BENCH_PARTS) writes to build/bench/partial/, so that it never
# replaces the full results (build/bench/results.txt and the part files beside it).
OUTDIR=$BUILD/bench
for p in 1 2 4 5 6 7 8 9 10 11; do on "$p" || { OUTDIR=$BUILD/bench/partial; break; }; done
RESULTS=$OUTDIR/results.txt
FAKEGPSD=$(pwd)/tests/system/fakegpsd.py
NOTIME=(setpriv --bounding-set -sys_time --)
START_NS=$(date +%s%N)

for f in "$RB_BIN" "$FAKELIB"; do
  [ -e "$f" ] || { echo "bench: $f missing; run 'make all $BUILD/tests/libfakedev.so'" >&2; exit 1; }
done
command -v setpriv >/dev/null || { echo "bench: setpriv missing; refusing to run time daemons" >&2; exit 1; }
mkdir -p "$OUTDIR"

PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3 || true)

T=$(mktemp -d /tmp/rbbench.XXXXXX)
chmod 700 "$T"
PIDS=()
SHM_KEYS=()
NETNS=()     # network namespaces this run made (part 6)
VETH_MADE="" # the veth pair, while one end may still be outside them

cleanup() {
  local p k f
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  sleep 0.3
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
  # what part 5's fault runner and part 6's trial runners started and had not stopped yet
  # (they list them as they go)
  for f in "$T/p5/pids" "$T"/p6/*/pids; do
    [ -s "$f" ] || continue
    while read -r p; do kill -9 "$p" 2>/dev/null; done < "$f"
  done
  wait 2>/dev/null
  for k in "${SHM_KEYS[@]}"; do ipcrm -M "$k" 2>/dev/null; done
  netns_cleanup
  rm -rf "$T"
}

# Part 6's namespaces (deleting one also deletes the veth end in it).
netns_cleanup() {
  local ns
  for ns in "${NETNS[@]}"; do ip netns del "$ns" 2>/dev/null; done
  NETNS=()
  [ -n "$VETH_MADE" ] && ip link del "$VETH_M" 2>/dev/null
  VETH_MADE=""
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say() { echo "bench: $*" >&2; }
shm_key() { printf '0x%08x' $((0x4E545030 + $1)); }
shm_exists() { ipcs -m | awk -v k="$(shm_key "$1")" '$1 == k {f = 1} END {exit !f}'; }

# alive PID: running and not yet a zombie.
alive() {
  local s
  s=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
  [ -n "$s" ] && [ "$s" != Z ]
}

# stop_pids PID...: SIGTERM, up to 20 s to exit (callgrind writes its file on exit), then -9.
stop_pids() {
  local p i
  for p in "$@"; do kill "$p" 2>/dev/null; done
  for p in "$@"; do
    for ((i = 0; i < 200; i++)); do alive "$p" || break; sleep 0.1; done
    alive "$p" && { say "pid $p ignored SIGTERM; killing"; kill -9 "$p" 2>/dev/null; }
    wait "$p" 2>/dev/null
  done
}

wait_file() { # SECONDS PATH
  local i
  for ((i = 0; i < $1 * 10; i++)); do [ -e "$2" ] && return 0; sleep 0.1; done
  return 1
}

# The same fake PHCs for everybody: /dev/ptp0..15, 37.000123456 s ahead, no noise, 400 ns
# read window, and no PTP_SYS_OFFSET_PRECISE so that every peer reads with EXTENDED.
FAKE_ENV=(LD_PRELOAD="$FAKELIB")
list=""
for ((i = 0; i < N_PHC; i++)); do
  list+="${list:+,}/dev/ptp$i"
  FAKE_ENV+=("FAKEDEV_PTP$i=offset_ns=$INJECT_NS,methods=extended+basic")
done
FAKE_ENV+=(FAKEDEV_PTP="$list")

# Tools: a missing peer gives SKIP rows, not a failure. BENCH_WITHOUT="valgrind gpsd ..."
# pretends that tools are missing (to check the SKIP paths).
have() { [[ " ${BENCH_WITHOUT:-} " != *" $1 "* ]] && command -v "$1" >/dev/null; }
SKIP_PY="" SKIP_VG="" SKIP_P2S="" SKIP_CHR="" SKIP_GPSD="" SKIP_PTP=""
have python3 || SKIP_PY="python3 missing"
[ -n "$PY" ] || SKIP_PY="python3 missing"
have valgrind || SKIP_VG="valgrind missing"
have phc2sys || SKIP_P2S="phc2sys (linuxptp) missing"
have chronyd && have chronyc || SKIP_CHR="chronyd/chronyc missing"
have gpsd || SKIP_GPSD="gpsd missing"
have unshare || SKIP_GPSD="unshare missing (needed to keep gpsd's SHM segments private)"
have ptp4l && have pmc || SKIP_PTP="ptp4l/pmc (linuxptp) missing"
have ip || SKIP_PTP="ip (iproute2) missing"
shm_exists $SHM_P6 && SKIP_PTP="SHM key $(shm_key $SHM_P6) already in use"
for u in $SHM_P1 $((SHM_P1 + 1)); do
  shm_exists "$u" && SKIP_P2S="SHM key $(shm_key "$u") already in use"
done
for ((i = 0; i < N_PHC; i++)); do
  shm_exists $((SHM_P2 + i)) && SKIP_P2S="SHM key $(shm_key $((SHM_P2 + i))) already in use"
done
if [ -n "$SKIP_PY" ]; then
  SKIP_VG=$SKIP_PY SKIP_P2S=$SKIP_PY SKIP_CHR=$SKIP_PY SKIP_GPSD=$SKIP_PY SKIP_PTP=$SKIP_PY
fi
on 1 || SKIP_VG=${SKIP_VG:-"part 1 not in BENCH_PARTS"}
ver() { "$@" 2>&1 | head -n 1; }
V_CHR=$( [ -z "$SKIP_CHR" ] && chronyd -v 2>&1 | awk '{print $4; exit}')
V_P2S=$( [ -z "$SKIP_P2S" ] && ver phc2sys -v)
V_VG=$( [ -z "$SKIP_VG" ] && ver valgrind --version)
V_GPSD=$( [ -z "$SKIP_GPSD" ] && gpsd -V 2>&1 | awk '{print $2; exit}')
V_PTP=$( [ -z "$SKIP_PTP" ] && ver ptp4l -v)

bridge_conf() { # FILE READINGS SOCKDIR N [FIRST_SOCKET [COMBINE]]: sources phcI -> SOCKDIR/s(FIRST+I).sock
  local i
  : > "$1"
  for ((i = 0; i < $4; i++)); do
    cat >> "$1" <<CONF
[source phc$i]
type = phc
device = /dev/ptp$i
interval = 0.0625
readings = $2
method = extended
combine = ${6:-quantile}
timescale = tai
tai_offset = 37
outputs = sock$i
[output sock$i]
type = sock
path = $3/s$((i + ${5:-0})).sock
CONF
  done
  private_bridge "$1"
}

# private_bridge CONF: the bridge's status socket and metrics file beside its configuration,
# never the system's (CONF.sock, and refclock-bridge.prom in its directory).
private_bridge() {
  { printf '[bridge]\nstatus_socket = %s.sock\nmetrics_dir = %s\n' "$1" "$(dirname "$1")"
    cat "$1"; } > "$1.new" && mv "$1.new" "$1"
}

chrony_conf() { # DIR N
  local i
  mkdir -p "$1"
  chmod 700 "$1"
  cat > "$1/chrony.conf" <<CONF
pidfile $1/chronyd.pid
driftfile $1/drift
bindcmdaddress $1/chronyd.sock
cmdport 0
port 0
CONF
  for ((i = 0; i < $2; i++)); do
    printf 'refclock PHC /dev/ptp%d poll 0 dpoll -4 filter 16 offset -37 refid PH%02d\n' "$i" "$i" \
      >> "$1/chrony.conf"
  done
}

phc2sys_args() { # DEVICE UNIT
  echo "-s $1 -c CLOCK_REALTIME -E ntpshm -M $2 -O -37 -R 16 -N 10 -m -q -l 5"
}

# awk arithmetic helpers
calc() { awk "BEGIN { printf \"$1\", $2 }"; }

# ---------------------------------------------------------------------------------------------
# Part 1: instructions per sample under callgrind. Every peer runs twice, SHORT and LONG seconds
# of wall time; (instructions_long - instructions_short) / (samples_long - samples_short) is the
# marginal cost of one sample, with start-up and shutdown cancelled. All sixteen valgrind runs go
# at once: instruction counts do not depend on timing, and samples are counted, not assumed.
# ---------------------------------------------------------------------------------------------
declare -A CGPID CG_I CG_F CG_C CG_N
# b: the default combine (quantile), m: combine = min-delay; 10/25 readings; p: path only
P1_BRIDGE=(b10s b10l b25s b25l b10ps b10pl b25ps b25pl m10s m10l m10ps m10pl)
P1_RUNS=0
GPSD_HWM="" GPSD_PSS=""

cg_start() { # NAME [VALGRIND_OPTION...] -- CMD...
  local name=$1 vgopts=()
  shift
  while [ "$1" != -- ]; do vgopts+=("$1"); shift; done
  shift
  env "${FAKE_ENV[@]}" "${NOTIME[@]}" valgrind --tool=callgrind -q --callgrind-out-file="$T/cg.$name" \
    --compress-strings=no --compress-pos=no --dump-line=no "${vgopts[@]}" "$@" > "$T/$name.log" 2>&1 &
  CGPID[$name]=$!
  PIDS+=("$!")
}

# gpsd creates 9 SHM segments at start (NTP units 0-7 and its export segment): a private IPC
# namespace keeps them away from everybody's and removes them when gpsd exits.
gpsd_start() {
  unshare --ipc -- "${NOTIME[@]}" gpsd -N -n -S "$GPSD_PORT" -F "$T/gpsd.sock" > "$T/gpsd.log" 2>&1 &
  GPSD_PID=$!
  PIDS+=("$GPSD_PID")
}

gpsd_measure() {
  local r
  if alive "$GPSD_PID"; then
    r=$("$PY" "$BENCH/benchlib.py" proc "$GPSD_PID")
    GPSD_HWM=$(echo "$r" | awk '{print $2}')
    GPSD_PSS=$(echo "$r" | awk '{print $3}')
  else
    SKIP_GPSD="gpsd exited: $(tail -n 1 "$T/gpsd.log")"
  fi
  stop_pids "$GPSD_PID"
}

part1() {
  local names=() short=() long=() n t0 i k c
  if [ -n "$SKIP_VG" ]; then return; fi
  say "part 1: callgrind, ${SHORT} s and ${LONG} s runs of each peer, all at once"
  mkdir -p "$T/p1"
  "$PY" "$BENCH/benchlib.py" sink "$T/p1" ${#P1_BRIDGE[@]} "$T/p1/sink.out" "$EXPECT_NS" &
  SINK1=$!
  PIDS+=("$SINK1")
  wait_file 5 "$T/p1/sink.out.ready" || { SKIP_VG="SOCK sink did not start"; return; }
  # bridge: b10 (readings 10, as phc2sys -N 10), b25 (readings 25, as chronyd's fixed 25);
  # b10p/b25p: the same, collecting only inside on_poll (the PHC poll callback: ioctl,
  # combine, send to every output), the per-sample path without the event loop around it;
  # m10/m10p: 10 readings with combine = min-delay (phc2sys's method: the narrowest window)
  i=0
  for n in "${P1_BRIDGE[@]}"; do
    case $n in m*) c=min-delay ;; *) c=quantile ;; esac
    bridge_conf "$T/p1/$n.conf" "${n:1:2}" "$T/p1" 1 "$i" "$c"
    i=$((i + 1))
  done
  [ -z "$SKIP_GPSD" ] && gpsd_start
  t0=$(date +%s%N)
  for n in "${P1_BRIDGE[@]}"; do
    case $n in
      [bm]??p?) cg_start "$n" --toggle-collect=on_poll -- "$RB_BIN" -f -c "$T/p1/$n.conf" ;;
      *) cg_start "$n" -- "$RB_BIN" -f -c "$T/p1/$n.conf" ;;
    esac
    names+=("$n")
  done
  if [ -z "$SKIP_P2S" ]; then
    SHM_KEYS+=("$(shm_key $SHM_P1)" "$(shm_key $((SHM_P1 + 1)))")
    # shellcheck disable=SC2046
    cg_start p10s -- phc2sys $(phc2sys_args /dev/ptp0 $SHM_P1)
    # shellcheck disable=SC2046
    cg_start p10l -- phc2sys $(phc2sys_args /dev/ptp0 $((SHM_P1 + 1)))
    names+=(p10s p10l)
  fi
  if [ -z "$SKIP_CHR" ]; then
    for n in c25s c25l; do
      chrony_conf "$T/p1/$n" 1
      cg_start "$n" -- chronyd -x -d -u root -f "$T/p1/$n/chrony.conf"
      names+=("$n")
    done
  fi
  for n in "${names[@]}"; do
    case $n in *s) short+=("$n") ;; *l) long+=("$n") ;; esac
  done
  P1_RUNS=${#names[@]}
  if [ -z "$SKIP_GPSD" ]; then
    sleep 2
    gpsd_measure
  fi
  sleep "$(calc '%.3f' "$SHORT - ($(date +%s%N) - $t0) / 1e9")" 2>/dev/null
  for n in "${short[@]}"; do k+=" ${CGPID[$n]}"; done
  # shellcheck disable=SC2086
  stop_pids $k
  sleep "$(calc '%.3f' "$LONG - ($(date +%s%N) - $t0) / 1e9")" 2>/dev/null
  k=""
  for n in "${long[@]}"; do k+=" ${CGPID[$n]}"; done
  # shellcheck disable=SC2086
  stop_pids $k
  stop_pids "$SINK1"
  for n in "${names[@]}"; do
    if ! { [ -s "$T/cg.$n" ] &&
      read -r "CG_I[$n]" "CG_C[$n]" "CG_F[$n]" < <("$PY" "$BENCH/benchlib.py" cgparse "$T/cg.$n"); }; then
      CG_I[$n]=""
      say "no callgrind output for $n: $(tail -n 3 "$T/$n.log" | tr '\n' ' ')"
    fi
  done
  # samples: bridge from the sink, phc2sys from its SHM count (2 increments per sample),
  # chronyd from its PHC reads (one ioctl per sample; it has no output step)
  i=0
  for n in "${P1_BRIDGE[@]}"; do
    CG_N[$n]=$(awk -v i=$i '$1 == i {print $2}' "$T/p1/sink.out" 2>/dev/null)
    i=$((i + 1))
  done
  if [ -z "$SKIP_P2S" ]; then
    CG_N[p10s]=$("$PY" "$BENCH/benchlib.py" shmread $SHM_P1 | awk '{print int($1 / 2)}')
    CG_N[p10l]=$("$PY" "$BENCH/benchlib.py" shmread $((SHM_P1 + 1)) | awk '{print int($1 / 2)}')
    P1_P2S_ERR=$("$PY" "$BENCH/benchlib.py" shmread $((SHM_P1 + 1)) | awk -v e=$EXPECT_NS '{d = $2 - e; print d < 0 ? -d : d}')
  fi
  if [ -z "$SKIP_CHR" ]; then
    CG_N[c25s]=${CG_C[c25s]:-}
    CG_N[c25l]=${CG_C[c25l]:-}
  fi
  P1_SINK_ERR=$(awk '$1 == "all" {print $4, $3}' "$T/p1/sink.out" 2>/dev/null)
}

# p1_cost BASE -> "samples reads instr_per_sample instr_excl_fake" or "" if not measurable
p1_cost() {
  local s=${1}s l=${1}l
  [ -n "${CG_I[$s]:-}" ] && [ -n "${CG_I[$l]:-}" ] && [ -n "${CG_N[$s]:-}" ] && [ -n "${CG_N[$l]:-}" ] || return
  awk -v is="${CG_I[$s]}" -v il="${CG_I[$l]}" -v fs="${CG_F[$s]}" -v fl="${CG_F[$l]}" \
    -v cs="${CG_C[$s]}" -v cl="${CG_C[$l]}" -v ns="${CG_N[$s]}" -v nl="${CG_N[$l]}" 'BEGIN {
      dn = nl - ns
      if (dn <= 0) exit
      printf "%d %d %.0f %.0f\n", dn, cl - cs, (il - is) / dn, ((il - fl) - (is - fs)) / dn
    }'
}

# ---------------------------------------------------------------------------------------------
# Part 2: 16 PHCs at 16 Hz for LOAD seconds, one peer after the other (sequential, so that they
# do not compete for the 2 CPUs). CPU is the schedstat (ns) delta over the window after WARM
# seconds of start-up; memory is VmHWM (peak RSS) and Pss at the end of the window.
# ---------------------------------------------------------------------------------------------
declare -A P2_CPU P2_HWM P2_PSS P2_WALL P2_NOTE

measure() { # KEY PID... : WARM s start-up, then the LOAD s window
  local key=$1 a b t0 t1
  shift
  sleep "$WARM"
  t0=$(date +%s%N)
  a=$("$PY" "$BENCH/benchlib.py" proc "$@")
  sleep "$LOAD"
  t1=$(date +%s%N)
  b=$("$PY" "$BENCH/benchlib.py" proc "$@")
  P2_CPU[$key]=$(( $(echo "$b" | awk '{print $1}') - $(echo "$a" | awk '{print $1}') ))
  P2_HWM[$key]=$(echo "$b" | awk '{print $2}')
  P2_PSS[$key]=$(echo "$b" | awk '{print $3}')
  P2_WALL[$key]=$((t1 - t0))
}

part2_bridge() {
  local pid
  say "part 2: refclock-bridge, $N_PHC PHCs -> $N_PHC SOCK outputs, ${LOAD} s"
  mkdir -p "$T/p2"
  "$PY" "$BENCH/benchlib.py" sink "$T/p2" "$N_PHC" "$T/p2/sink.out" "$EXPECT_NS" &
  SINK2=$!
  PIDS+=("$SINK2")
  wait_file 5 "$T/p2/sink.out.ready" || { P2_NOTE[bridge]="SOCK sink did not start"; return; }
  bridge_conf "$T/p2/bridge.conf" 10 "$T/p2" "$N_PHC"
  env "${FAKE_ENV[@]}" "${NOTIME[@]}" "$RB_BIN" -f -c "$T/p2/bridge.conf" > "$T/p2/bridge.log" 2>&1 &
  pid=$!
  PIDS+=("$pid")
  measure bridge "$pid"
  P2_BRIDGE_MAP=$("$PY" "$BENCH/benchlib.py" rssmap "$pid" 8 2>/dev/null)
  alive "$pid" || P2_NOTE[bridge]="bridge exited early: $(tail -n 1 "$T/p2/bridge.log")"
  stop_pids "$pid"
  stop_pids "$SINK2"
  P2_SINK=$(awk '$1 == "all" {print $2, $3, $4, $5}' "$T/p2/sink.out" 2>/dev/null)
  P2_SINK_ZERO=$(awk '$1 != "all" && $2 == 0 {n++} END {print n + 0}' "$T/p2/sink.out" 2>/dev/null)
}

part2_phc2sys() {
  local pids=() i pid r cnt=0 err=0 bad=0
  [ -n "$SKIP_P2S" ] && return
  say "part 2: $N_PHC x phc2sys -E ntpshm, ${LOAD} s"
  for ((i = 0; i < N_PHC; i++)); do
    SHM_KEYS+=("$(shm_key $((SHM_P2 + i)))")
    # shellcheck disable=SC2046
    env "${FAKE_ENV[@]}" "${NOTIME[@]}" phc2sys $(phc2sys_args /dev/ptp$i $((SHM_P2 + i))) \
      > "$T/p2s.$i.log" 2>&1 &
    pid=$!
    PIDS+=("$pid")
    pids+=("$pid")
  done
  measure phc2sys "${pids[@]}"
  for i in "${!pids[@]}"; do
    alive "${pids[$i]}" || P2_NOTE[phc2sys]="phc2sys $i exited early: $(tail -n 1 "$T/p2s.$i.log")"
    r=$("$PY" "$BENCH/benchlib.py" shmread $((SHM_P2 + i))) || { bad=$((bad + 1)); continue; }
    cnt=$((cnt + $(echo "$r" | awk '{print int($1 / 2)}')))
    err=$(echo "$r" | awk -v e=$EXPECT_NS -v m="$err" '{d = $2 - e; d = d < 0 ? -d : d; print (d > m ? d : m)}')
    [ "$(echo "$r" | awk '{print $3}')" = 1 ] || bad=$((bad + 1))
  done
  stop_pids "${pids[@]}"
  P2_P2S="$cnt $err $bad"
}

part2_chronyd() {
  local pid d=$T/p2c
  [ -n "$SKIP_CHR" ] && return
  say "part 2: chronyd with $N_PHC refclock PHC, ${LOAD} s"
  chrony_conf "$d" "$N_PHC"
  env "${FAKE_ENV[@]}" "${NOTIME[@]}" chronyd -x -d -u root -f "$d/chrony.conf" > "$T/p2c.log" 2>&1 &
  pid=$!
  PIDS+=("$pid")
  wait_file 10 "$d/chronyd.sock" || { P2_NOTE[chronyd]="chronyd did not start"; stop_pids "$pid"; return; }
  measure chronyd "$pid"
  alive "$pid" || P2_NOTE[chronyd]="chronyd exited early: $(tail -n 1 "$T/p2c.log")"
  # reach 377 = the last 8 polls all gave a sample
  P2_CHR_REACH=$(chronyc -h "$d/chronyd.sock" -n -c sources 2>/dev/null | awk -F, '$1 == "#" && $6 == 377 {n++} END {print n + 0}')
  P2_CHR_ST=$(chronyc -h "$d/chronyd.sock" -c tracking 2>/dev/null | awk -F, '{print $5}')
  stop_pids "$pid"
}

# gpsd's idle RSS, the memory goal's reference: measured during part 1 (it is idle), or on its
# own when part 1 is skipped.
gpsd_reference() {
  [ -n "$SKIP_GPSD" ] || [ -n "$GPSD_HWM" ] && return
  say "gpsd idle reference"
  gpsd_start
  sleep 2
  gpsd_measure
}

# ---------------------------------------------------------------------------------------------
# Part 4: PPS edge -> sample sent. The simulated /dev/pps0 fires 123456 ns before each whole
# second. The bridge numbers the edges with a gpsd source fed by tests/system/fakegpsd.py and
# sends them to a SOCK output; the peer is gpsd 3.22 itself with /dev/pps0 as a PPS-only
# device, numbered by an NMEA feed, writing its chrony socket and PPS reports to a client.
# Latency = the kernel's timestamp of the datagram (af_unix stamps it when the sender queues
# it) - the edge's system time, recovered exactly from the sample (see benchlib.py ppslat).
# ---------------------------------------------------------------------------------------------
P4_NOTE="" P4_GPSD_NOTE=""
PPS_ENV=(FAKEDEV_PPS=/dev/pps0 "FAKEDEV_PPS0=offset_ns=$EXPECT_NS")
port_free() { ! ss -ltn "sport = :$1" 2>/dev/null | grep -q LISTEN; }
wait_port() { # SECONDS PORT: until something listens there
  local i
  for ((i = 0; i < $1 * 20; i++)); do port_free "$2" || return 0; sleep 0.05; done
  return 1
}

# gpsd classifies a device with stat() (gpsd_classify) before it opens it, and the fake
# emulates open() and ioctl() but not stat(): without a node at /dev/pps0 gpsd takes the path
# for a serial data source, reads EOF from the /dev/null behind it and never starts its PPS
# thread (checked with strace). So gpsd runs in a private mount namespace (as well as its
# private IPC namespace) where /dev is a small tmpfs holding the real null, zero, random and
# urandom, and /dev/pps0 is /dev/null bound in: stat() sees a character device, the fake
# answers every open() and ioctl() of the path. /run there is our directory, so gpsd's chrony
# socket /run/chrony.pps0.sock is our recorder. Nothing outside the namespace changes.
# shellcheck disable=SC2016 # expanded by the bash inside the namespace
NS_SETUP='set -e
d=$1
shift
for n in null zero random urandom; do : > "$d/$n.node"; mount --bind "/dev/$n" "$d/$n.node"; done
mount -t tmpfs -o mode=0755,size=64k rbbench-dev /dev
for n in null zero random urandom; do : > "/dev/$n"; mount --bind "$d/$n.node" "/dev/$n"; done
: > /dev/pps0
mount --bind "$d/null.node" /dev/pps0
mount --bind "$d/run" /run
exec "$@"'

part4() {
  local d=$T/p4 p t0 t1 bridge gpsd="" feed="" watch="" lock rec
  [ -n "$SKIP_PY" ] && { P4_NOTE=$SKIP_PY; return; }
  [ -r "$FAKEGPSD" ] || { P4_NOTE="$FAKEGPSD missing"; return; }
  for p in $P4_LOCK $P4_NMEA $P4_GPSD; do
    port_free "$p" || { P4_NOTE="TCP port $p in use"; return; }
  done
  say "part 4: PPS edge -> sample latency, bridge and gpsd, ${PPS_SECS} s"
  mkdir -p "$d/run"
  "$PY" "$BENCH/benchlib.py" rec "$d/rec" "$d/s0.sock" "$d/s1.sock" "$d/run/chrony.pps0.sock" \
    > "$d/rec.log" 2>&1 &
  rec=$!
  PIDS+=("$rec")
  wait_file 5 "$d/rec.ready" || { P4_NOTE="recorder did not start"; return; }
  "$PY" "$FAKEGPSD" "$P4_LOCK" 0 > "$d/fakegpsd.log" 2>&1 &
  lock=$!
  PIDS+=("$lock")
  cat > "$d/bridge.conf" <<CONF
[source gps]
type = gpsd
host = 127.0.0.1
port = $P4_LOCK
; fakegpsd.py's serial time is 0.3 s late
offset = 0.3
outputs = gps-sock
[output gps-sock]
type = sock
path = $d/s1.sock
[source pps]
type = pps
device = /dev/pps0
lock = gps
outputs = pps-sock
[output pps-sock]
type = sock
path = $d/s0.sock
CONF
  private_bridge "$d/bridge.conf"
  env LD_PRELOAD="$FAKELIB" "${PPS_ENV[@]}" "${NOTIME[@]}" "$RB_BIN" -f -c "$d/bridge.conf" \
    > "$d/bridge.log" 2>&1 &
  bridge=$!
  PIDS+=("$bridge")
  if [ -n "$SKIP_GPSD" ]; then
    P4_GPSD_NOTE=$SKIP_GPSD
  else
    "$PY" "$BENCH/benchlib.py" nmeafeed "$P4_NMEA" > "$d/nmea.log" 2>&1 &
    feed=$!
    PIDS+=("$feed")
    # gpsd -n opens its devices once, at start: the feed must be listening already
    wait_port 5 "$P4_NMEA" || P4_GPSD_NOTE="the NMEA feed did not start: $(tail -n 1 "$d/nmea.log")"
  fi
  if [ -z "$P4_GPSD_NOTE" ]; then
    unshare --ipc --mount --propagation private -- bash -c "$NS_SETUP" gpsd-ns "$d" \
      env LD_PRELOAD="$FAKELIB" "${PPS_ENV[@]}" "${NOTIME[@]}" \
      gpsd -N -n -S "$P4_GPSD" "tcp://127.0.0.1:$P4_NMEA" /dev/pps0 > "$d/gpsd.log" 2>&1 &
    gpsd=$!
    PIDS+=("$gpsd")
    "$PY" "$BENCH/benchlib.py" gpswatch "$P4_GPSD" "$d/watch" > "$d/watch.log" 2>&1 &
    watch=$!
    PIDS+=("$watch")
  fi
  # warm-up: the bridge's gpsd source needs 3 good fixes, gpsd more than 3 fixes from NMEA
  t0=$(($(date +%s%N) + 8000000000))
  t1=$((t0 + PPS_SECS * 1000000000))
  sleep "$(calc '%.3f' "($t1 - $(date +%s%N)) / 1e9 + 0.3")"
  alive "$bridge" || P4_NOTE="bridge exited early: $(tail -n 1 "$d/bridge.log")"
  if [ -n "$gpsd" ] && ! alive "$gpsd"; then
    P4_GPSD_NOTE="gpsd exited: $(grep -v '^gpsd:\(PROG\|IO\|INFO\)' "$d/gpsd.log" | tail -n 1)"
  fi
  # shellcheck disable=SC2086 # unset ones are empty
  stop_pids $watch $gpsd $feed "$bridge" "$lock"
  stop_pids "$rec"
  P4_BRIDGE=$("$PY" "$BENCH/benchlib.py" ppslat "$EXPECT_NS" "$t0" "$t1" "$d/rec" rec 0 2>/dev/null)
  if [ -z "$P4_GPSD_NOTE" ]; then
    P4_GPSD_SOCK=$("$PY" "$BENCH/benchlib.py" ppslat "$EXPECT_NS" "$t0" "$t1" "$d/rec" rec 2 2>/dev/null)
    P4_GPSD_JSON=$("$PY" "$BENCH/benchlib.py" ppslat "$EXPECT_NS" "$t0" "$t1" "$d/watch" watch 2>/dev/null)
    if [ "${P4_GPSD_SOCK%% *}" = 0 ] && [ "${P4_GPSD_JSON%% *}" = 0 ]; then
      P4_GPSD_NOTE="gpsd reported no PPS: $(grep -i 'pps\|error' "$d/gpsd.log" | tail -n 1)"
    fi
  fi
}

# ---------------------------------------------------------------------------------------------
# Part 5: samples lost over a long run with faults. The bridge reads /dev/ptp0 every 0.125 s
# and /dev/pps0, whose edges a gpsd source (fakegpsd.py) numbers, into three SOCK sockets;
# benchlib.py faultrun injects a fault every 10 s in turn and counts what arrives. It runs in
# the background during part 2 (its losses do not depend on CPU contention, and part 2
# measures only its own processes).
# ---------------------------------------------------------------------------------------------
P5_NOTE="" P5_PID=""

part5_start() {
  local d=$T/p5
  [ -n "$SKIP_PY" ] && { P5_NOTE=$SKIP_PY; return; }
  [ -r "$FAKEGPSD" ] || { P5_NOTE="$FAKEGPSD missing"; return; }
  port_free "$P5_GPS" || { P5_NOTE="TCP port $P5_GPS in use"; return; }
  say "part 5: fault run, ${FAULT_SECS} s, in the background"
  mkdir -p "$d/ctl"
  cat > "$d/bridge.conf" <<CONF
[source phc]
type = phc
device = /dev/ptp0
interval = 0.125
timescale = tai
tai_offset = 37
outputs = phc-sock
[output phc-sock]
type = sock
path = $d/s0.sock
[source gps]
type = gpsd
host = 127.0.0.1
port = $P5_GPS
offset = 0.3
outputs = gps-sock
[output gps-sock]
type = sock
path = $d/s2.sock
[source pps]
type = pps
device = /dev/pps0
lock = gps
outputs = pps-sock
[output pps-sock]
type = sock
path = $d/s1.sock
CONF
  private_bridge "$d/bridge.conf"
  env FAKEDEV_PTP=/dev/ptp0 "FAKEDEV_PTP0=offset_ns=$INJECT_NS" "${PPS_ENV[@]}" \
    "$PY" "$BENCH/benchlib.py" faultrun out="$d/out" dir="$d" conf="$d/bridge.conf" \
    bridge="$RB_BIN" fakelib="$FAKELIB" ctl="$d/ctl" fakegpsd="$FAKEGPSD" port="$P5_GPS" \
    python="$PY" seconds="$FAULT_SECS" warmup=8 phc_interval=0.125 pps_interval=0.2 \
    phc_offset_ns="$EXPECT_NS" pps_offset_ns="$EXPECT_NS" gps_phase=0.3 pids="$d/pids" \
    > "$d/faultrun.log" 2>&1 &
  P5_PID=$!
  PIDS+=("$P5_PID")
}

part5_finish() {
  local d=$T/p5
  [ -n "$P5_PID" ] || return
  wait "$P5_PID"
  cp "$d/out.bridge.log" "$OUTDIR/part5-bridge.log" 2>/dev/null
  if [ -s "$d/out" ]; then
    cp "$d/out.detail" "$OUTDIR/part5-detail.txt"
  else
    P5_NOTE="fault run failed: $(tail -n 2 "$d/faultrun.log" "$d/out.bridge.log" 2>/dev/null | tr '\n' ' ')"
  fi
}

# ---------------------------------------------------------------------------------------------
# Part 6: PTP sync-state detection. A real ptp4l pair (linuxptp 3.1.1, software timestamping,
# free_running 1 on both: ptp4l never touches a clock) in two network namespaces of our own,
# joined by a veth; the bridge's ptp4l tracker on the slave gates /dev/ptp0 (the fake) into
# SHM unit 114. benchlib.py ptptrials kills the master (SIGKILL), waits for the bridge's
# HOLDOVER and ptp4l's own LISTENING, restarts the master, waits for LOCKED, and so on:
#   slow: linuxptp's default intervals, stale_syncs 3: the silent master (last Sync ->
#         HOLDOVER), in the background during part 2 (it measures seconds);
#   fast: intervals of 0.25 s, stale_syncs 20 (so that only the port-state push can end
#         LOCKED): ptp4l's port state change -> the bridge's state change -> the gate closed,
#         at the end, alone (it measures fractions of a millisecond).
# ---------------------------------------------------------------------------------------------
P6_NOTE="" P6_SLOW_PID="" P6_NS_LEFT=""

part6_setup() {
  local e
  [ -n "$SKIP_PTP" ] && { P6_NOTE=$SKIP_PTP; return; }
  say "part 6: network namespaces $NS_M, $NS_S"
  mkdir -p "$T/p6"
  if ! e=$(ip netns add "$NS_M" 2>&1); then
    P6_NOTE="cannot create a network namespace: $e"
    return
  fi
  NETNS+=("$NS_M")
  if ! { ip netns add "$NS_S" && NETNS+=("$NS_S") &&
    ip link add "$VETH_M" type veth peer name "$VETH_S" && VETH_MADE=1 &&
    ip link set "$VETH_M" netns "$NS_M" && ip link set "$VETH_S" netns "$NS_S" && VETH_MADE="" &&
    ip -n "$NS_M" addr add 10.77.0.1/24 dev "$VETH_M" &&
    ip -n "$NS_S" addr add 10.77.0.2/24 dev "$VETH_S" &&
    ip -n "$NS_M" link set lo up && ip -n "$NS_S" link set lo up &&
    ip -n "$NS_M" link set "$VETH_M" up && ip -n "$NS_S" link set "$VETH_S" up; }; then
    P6_NOTE="cannot set up the veth pair between $NS_M and $NS_S"
    netns_cleanup
    return
  fi
  SHM_KEYS+=("$(shm_key $SHM_P6)")
}

part6_run() { # MODE TRIALS STALE_SYNCS: starts benchlib.py ptptrials in the background
  local d=$T/p6/$1
  mkdir -p "$d"
  "$PY" "$BENCH/benchlib.py" ptptrials mode="$1" trials="$2" stale_syncs="$3" dir="$d" \
    ns_m="$NS_M" ns_s="$NS_S" if_m="$VETH_M" if_s="$VETH_S" bridge="$RB_BIN" fakelib="$FAKELIB" \
    unit="$SHM_P6" out="$d/out" pids="$d/pids" > "$d/run.log" 2>&1 &
  P6_PID=$!
  PIDS+=("$P6_PID")
}

part6_slow_start() {
  [ -n "$P6_NOTE" ] && return
  say "part 6: ptp4l pair with default intervals, $PTP_SLOW_TRIALS master losses, in the background"
  part6_run slow "$PTP_SLOW_TRIALS" 3
  P6_SLOW_PID=$P6_PID
}

part6_collect() { # MODE
  local d=$T/p6/$1
  {
    echo "== $1: $(head -n 1 "$d/out" 2>/dev/null)"
    cat "$d/out.detail" 2>/dev/null
  } >> "$OUTDIR/part6-detail.txt"
  cp "$d/bridge.log" "$OUTDIR/part6-$1-bridge.log" 2>/dev/null
  cp "$d/ptp4l-s.log" "$OUTDIR/part6-$1-ptp4l-slave.log" 2>/dev/null
  [ -s "$d/out" ] || echo "note trial runner failed: $(tail -n 2 "$d/run.log" | tr '\n' ' ')" > "$d/out"
}

part6_slow_finish() {
  [ -n "$P6_SLOW_PID" ] || return
  wait "$P6_SLOW_PID"
  part6_collect slow
}

part6_fast() {
  [ -n "$P6_NOTE" ] && return
  say "part 6: ptp4l pair with 0.25 s intervals, $PTP_TRIALS master losses"
  part6_run fast "$PTP_TRIALS" 20
  wait "$P6_PID"
  part6_collect fast
}

part6_teardown() {
  local ns
  [ -d "$T/p6" ] || return
  netns_cleanup
  # nothing of ours may remain
  for ns in "$NS_M" "$NS_S"; do
    ip netns list 2>/dev/null | awk '{print $1}' | grep -qx "$ns" && P6_NS_LEFT+=" $ns"
  done
  ip link show "$VETH_M" > /dev/null 2>&1 && P6_NS_LEFT+=" $VETH_M"
}

# ---------------------------------------------------------------------------------------------
# Order: part 1 alone (16 valgrind runs at once), then part 2 with part 5 and part 6's default
# intervals in the background, then part 4 alone (a latency measurement wants a quiet machine),
# then part 6's fast intervals alone (for the same reason).
on 1 && part1
gpsd_reference
on 6 && rm -f "$OUTDIR"/part6-*
on 6 && part6_setup
on 6 && part6_slow_start
on 5 && part5_start
if on 2; then
  part2_bridge
  part2_phc2sys
  part2_chronyd
else
  P2_NOTE[bridge]="part 2 not in BENCH_PARTS" P2_NOTE[phc2sys]=${P2_NOTE[bridge]} P2_NOTE[chronyd]=${P2_NOTE[bridge]}
fi
on 5 && part5_finish
on 6 && part6_slow_finish
on 4 && part4
on 6 && part6_fast
on 6 && part6_teardown
END_NS=$(date +%s%N)

# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else printf "-" }'; }
mib() { awk -v k="$1" 'BEGIN { printf "%.2f MiB", k / 1024 }'; }

report() {
  local b10 b25 p10 c25 n
  echo "================ refclock-bridge benchmark results ================"
  echo "$(date -u +%Y-%m-%dT%H:%M:%SZ)  bridge $("$RB_BIN" -v | awk '{print $2}')  $(nproc) CPUs  $(uname -r)"
  echo "peers: phc2sys ${V_P2S:-?} (linuxptp), chronyd ${V_CHR:-?}, gpsd ${V_GPSD:-?}; ${V_VG:-valgrind ?}"
  echo "fake PHCs: /dev/ptp0..$((N_PHC - 1)), offset_ns=$INJECT_NS, delay_ns=400, no noise," \
    "methods=extended+basic (all peers read with PTP_SYS_OFFSET_EXTENDED)"
  echo
  echo "1. CPU cost per sample, PHC -> output (user-space instructions, callgrind)"
  echo "   marginal cost = (Ir[${LONG} s run] - Ir[${SHORT} s run]) / (samples[${LONG} s] - samples[${SHORT} s]);"
  echo "   $P1_RUNS valgrind runs at once. 'whole' counts every instruction of the process; 'path' only"
  echo "   those inside the bridge's PHC poll callback on_poll (--toggle-collect=on_poll: the ioctl,"
  echo "   combining the readings, sending to every output), so not sd-event's loop or the timerfd"
  echo "   read around it. Ir includes libfakedev.so (the same for every peer); 'w/o fake' removes"
  echo "   the instructions spent inside the fake's ioctl() (emulated kernel work)."
  printf '   %-44s %4s %7s %7s | %9s %6s %9s %6s | %9s %6s %9s %6s\n' peer rdgs samples "PHC rds" \
    "whole Ir" ratio "w/o fake" ratio "path Ir" ratio "w/o fake" ratio
  b10=$(p1_cost b10)
  b25=$(p1_cost b25)
  p10=$(p1_cost p10)
  c25=$(p1_cost c25)
  b10p=$(p1_cost b10p)
  b25p=$(p1_cost b25p)
  m10=$(p1_cost m10)
  m10p=$(p1_cost m10p)
  p1_row() { # LABEL READINGS COST BASECOST PATHCOST BASEPATH SKIPREASON PATHMARK|PATHNOTE
    local label=$1 rd=$2 cost=$3 base=${4:-$3} path=$5 bpath=${6:-$5} skip=$7 mark=${8:-} p=()
    if [ -n "$skip" ]; then
      printf '   %-44s %4s SKIP: %s\n' "$label" "$rd" "$skip"
      return
    elif [ -z "$cost" ]; then
      printf '   %-44s %4s SKIP: %s\n' "$label" "$rd" "no valid measurement (see logs)"
      return
    fi
    # shellcheck disable=SC2206 # the cost strings are space-separated fields
    local c=($cost) b=($base)
    if [ -n "$path" ]; then
      # shellcheck disable=SC2206
      local q=($path) bq=($bpath)
      p=("${q[2]}$mark" "$(ratio "${q[2]}" "${bq[2]}")" "${q[3]}$mark" "$(ratio "${q[3]}" "${bq[3]}")")
    else
      p=("${mark:-n/a}" "" "" "")
    fi
    printf '   %-44s %4s %7s %7s | %9s %6s %9s %6s | %9s %6s %9s %6s\n' "$label" "$rd" "${c[0]}" "${c[1]}" \
      "${c[2]}" "$(ratio "${c[2]}" "${b[2]}")" "${c[3]}" "$(ratio "${c[3]}" "${b[3]}")" "${p[@]}"
  }
  p1_row "refclock-bridge -> SOCK" 10 "$b10" "" "$b10p" "" "$SKIP_VG"
  p1_row "refclock-bridge -> SOCK, combine = min-delay" 10 "$m10" "$b10" "$m10p" "$b10p" "$SKIP_VG"
  p1_row "phc2sys -E ntpshm -> SHM" 10 "$p10" "$b10" "$p10" "$b10p" "${SKIP_VG:-$SKIP_P2S}" "*"
  p1_row "refclock-bridge -> SOCK" 25 "$b25" "" "$b25p" "" "$SKIP_VG"
  p1_row "chronyd refclock PHC (no output)" 25 "$c25" "$b25" "" "" "${SKIP_VG:-$SKIP_CHR}" "n/a (stripped)"
  echo "   (ratio = peer / the bridge row with the same readings, in the same column (the default"
  echo "   combine = quantile); the min-delay row uses the single narrowest reading, as phc2sys"
  echo "   does, instead of averaging the narrowest 30 %; chronyd 4.3"
  echo "   always takes 25 readings and has no output step; samples: bridge = datagrams at the"
  echo "   sink, phc2sys = SHM count/2, chronyd = its PHC reads; 'PHC rds' = calls into the fake's"
  echo "   ioctl. * phc2sys: its loop is clock_nanosleep -> read -> servo -> SHM write, nothing"
  echo "   else, so its path is its whole per-sample cost (its binary is stripped, too); chronyd's"
  echo "   is stripped and its PHC path runs inside its scheduler, so it has no path figure)"
  if [ -n "$b10$p10$b25$c25" ]; then
    echo "   where the instructions go (marginal self Ir/sample by ELF object):"
    for n in b10 p10 b25 c25 b10p m10 m10p; do
      [ -n "$(p1_cost $n)" ] || continue
      printf '     %-5s %s\n' "$n:" "$("$PY" "$BENCH/benchlib.py" cgdiff "$T/cg.${n}s" "$T/cg.${n}l" \
        "$(p1_cost $n | awk '{print $1}')")"
    done
    echo "     (b = bridge, m = bridge with combine = min-delay, p = phc2sys, c = chronyd;"
    echo "     10/25 = readings; b10p, m10p = the bridge's path only)"
  fi
  if [ -n "$p10" ]; then
    # shellcheck disable=SC2206
    local x=($p10)
    goal() { awk -v b="$1" -v p="$2" 'BEGIN {print (b < p) ? "met" : "NOT met"}'; }
    goal_line() { # LABEL COST
      # shellcheck disable=SC2206
      local y=($2)
      [ -n "$2" ] || return 0
      printf '     %-26s bridge %5s vs phc2sys %5s Ir -> %-7s (w/o fake ioctl: %5s vs %5s -> %s)\n' "$1" \
        "${y[2]}" "${x[2]}" "$(goal "${y[2]}" "${x[2]}")" "${y[3]}" "${x[3]}" "$(goal "${y[3]}" "${x[3]}")"
    }
    echo "   goal (bridge < phc2sys per sample, 10 readings):"
    goal_line "quantile, whole process:" "$b10"
    goal_line "quantile, path only:" "$b10p"
    goal_line "min-delay, whole process:" "$m10"
    goal_line "min-delay, path only:" "$m10p"
  fi
  echo
  echo "2. $N_PHC PHCs at 16 Hz, ${LOAD} s window after ${WARM} s start-up, one peer at a time"
  printf '   %-34s %5s %8s %10s %14s %12s %10s %10s\n' peer procs "CPU %" "CPU ms" "peak RSS" "PSS" "CPU ratio" "RSS ratio"
  p2_row() { # KEY LABEL PROCS SKIP
    local k=$1
    if [ -n "$4" ]; then
      printf '   %-34s %5s SKIP: %s\n' "$2" "$3" "$4"
    elif [ -z "${P2_CPU[$k]:-}" ]; then
      printf '   %-34s %5s SKIP: %s\n' "$2" "$3" "${P2_NOTE[$k]:-no measurement}"
    else
      printf '   %-34s %5s %8s %10s %14s %12s %10s %10s\n' "$2" "$3" \
        "$(awk -v c="${P2_CPU[$k]}" -v w="${P2_WALL[$k]}" 'BEGIN {printf "%.3f", 100 * c / w}')" \
        "$(awk -v c="${P2_CPU[$k]}" 'BEGIN {printf "%.1f", c / 1e6}')" \
        "$(mib "${P2_HWM[$k]}")" "$(mib "${P2_PSS[$k]}")" \
        "$(ratio "$(awk -v c="${P2_CPU[$k]}" -v w="${P2_WALL[$k]}" 'BEGIN {print c / w}')" \
          "$(awk -v c="${P2_CPU[bridge]:-0}" -v w="${P2_WALL[bridge]:-1}" 'BEGIN {print c / w}')")" \
        "$(ratio "${P2_HWM[$k]}" "${P2_HWM[bridge]:-0}")"
      [ -n "${P2_NOTE[$k]:-}" ] && printf '   %-34s note: %s\n' "" "${P2_NOTE[$k]}"
    fi
    return 0
  }
  p2_row bridge "refclock-bridge, 16 SOCK outputs" 1 "${SKIP_PY}"
  p2_row phc2sys "phc2sys x16 -E ntpshm (summed)" 16 "${SKIP_P2S}"
  p2_row chronyd "chronyd, 16 refclock PHC" 1 "${SKIP_CHR}"
  if [ -n "$SKIP_GPSD" ]; then
    printf '   %-34s %5s SKIP: %s\n' "gpsd idle, no devices (reference)" 1 "$SKIP_GPSD"
  elif [ -n "$GPSD_HWM" ]; then
    printf '   %-34s %5s %8s %10s %14s %12s %10s %10s\n' "gpsd idle, no devices (reference)" 1 - - \
      "$(mib "$GPSD_HWM")" "$(mib "$GPSD_PSS")" - "$(ratio "$GPSD_HWM" "${P2_HWM[bridge]:-0}")"
  fi
  [ -n "${P2_BRIDGE_MAP:-}" ] && echo "   bridge RSS by object (KiB): $P2_BRIDGE_MAP"
  echo "   (CPU % of one CPU; peak RSS = VmHWM, summed over processes for phc2sys, which counts"
  echo "   shared libraries 16 times: PSS shares them out; ratios are peer/bridge)"
  if [ -n "${P2_HWM[bridge]:-}" ] && [ -n "$GPSD_HWM" ]; then
    echo "   goal (bridge peak RSS with $N_PHC sources < gpsd idle RSS): $(awk -v b="${P2_HWM[bridge]}" \
      -v g="$GPSD_HWM" 'BEGIN {print (b < g) ? "met" : "NOT met"}')"
  fi
  echo
  echo "3. Added error: delivered offset - injected (expected $EXPECT_NS ns after tai_offset 37)"
  if [ -n "${P2_SINK:-}" ]; then
    # shellcheck disable=SC2086
    set -- $P2_SINK
    printf '   %-34s max |error| %s ns over %s samples on %s sockets (bad datagrams %s, silent sockets %s)\n' \
      "refclock-bridge SOCK (part 2)" "$3" "$1" "$N_PHC" "$2" "${P2_SINK_ZERO:-?}"
  else
    printf '   %-34s SKIP: %s\n' "refclock-bridge SOCK (part 2)" "${SKIP_PY:-${P2_NOTE[bridge]:-no sink results}}"
  fi
  if [ -n "${P1_SINK_ERR:-}" ]; then
    # shellcheck disable=SC2086
    set -- $P1_SINK_ERR
    printf '   %-34s max |error| %s ns (bad datagrams %s)\n' "refclock-bridge SOCK (part 1)" "$1" "$2"
  fi
  if [ -n "${P1_P2S_ERR:-}" ]; then
    printf '   %-34s max |error| %s ns (last sample)\n' "phc2sys SHM (part 1)" "$P1_P2S_ERR"
  fi
  if [ -n "${P2_P2S:-}" ]; then
    # shellcheck disable=SC2086
    set -- $P2_P2S
    printf '   %-34s max |error| %s ns, last sample of each of %s segments (%s samples; unreadable/invalid %s)\n' \
      "phc2sys SHM (part 2)" "$2" "$N_PHC" "$1" "$3"
  else
    printf '   %-34s SKIP: %s\n' "phc2sys SHM (part 2)" "${SKIP_P2S:-${P2_NOTE[phc2sys]:-no results}}"
  fi
  if [ -n "${P2_CHR_ST:-}" ]; then
    printf '   %-34s |tracking System time - injected| %s ns (filtered, %s/%s refclocks reach 377)\n' \
      "chronyd (part 2, informational)" \
      "$(awk -v s="$P2_CHR_ST" -v e=$EXPECT_NS 'BEGIN {d = s * 1e9 - e; printf "%.1f", d < 0 ? -d : d}')" \
      "${P2_CHR_REACH:-?}" "$N_PHC"
  elif [ -n "$SKIP_CHR" ]; then
    printf '   %-34s SKIP: %s\n' "chronyd (part 2, informational)" "$SKIP_CHR"
  fi
  echo
  echo "4. PPS edge -> sample sent: simulated /dev/pps0 (offset_ns=$EXPECT_NS, one pulse a second),"
  echo "   edges of a ${PPS_SECS} s window after 8 s of warm-up, both peers at once, nothing else running"
  printf '   %-44s %6s %8s %8s %8s %4s %9s %9s\n' peer pulses "p50 ms" "p99 ms" "max ms" bad "p50 ratio" "p99 ratio"
  p4_row() { # LABEL RESULT SKIP [BASE]
    if [ -n "$3" ]; then
      printf '   %-44s SKIP: %s\n' "$1" "$3"
    elif [ -z "$2" ] || [ "${2%% *}" = 0 ]; then
      printf '   %-44s SKIP: %s\n' "$1" "no samples in the window (see logs)"
    else
      # shellcheck disable=SC2086
      set -- "$1" $2 ${4:-$2}
      printf '   %-44s %6s %8s %8s %8s %4s %9s %9s\n' "$1" "$2" "$3" "$4" "$5" "$6" \
        "$(ratio "$3" "$9")" "$(ratio "$4" "${10}")"
      [ "$7" -lt "$2" ] && printf '   %-44s note: %s of %s stamped in user space (no kernel stamp)\n' "" \
        $(($2 - $7)) "$2"
    fi
  }
  if on 4; then
    p4_row "refclock-bridge pps (lock = gpsd src) -> SOCK" "${P4_BRIDGE:-}" "$P4_NOTE"
    p4_row "gpsd${V_GPSD:+ $V_GPSD} /dev/pps0 -> chrony socket" "${P4_GPSD_SOCK:-}" "${P4_NOTE:-$P4_GPSD_NOTE}" \
      "${P4_BRIDGE:-}"
    p4_row "gpsd${V_GPSD:+ $V_GPSD} /dev/pps0 -> JSON PPS report" "${P4_GPSD_JSON:-}" "${P4_NOTE:-$P4_GPSD_NOTE}" \
      "${P4_BRIDGE:-}"
    echo "   (latency = when the sample left: the kernel's SO_TIMESTAMPNS stamp, which af_unix takes"
    echo "   as the sender queues the datagram (for gpsd's JSON: the loopback TCP receive stamp) -"
    echo "   the edge's system time, exact: round(tv + offset) - offset. The bridge fetches without"
    echo "   blocking 0.2 ms after each expected edge; gpsd blocks in time_pps_fetch() in a thread, which"
    echo "   the fake wakes at the edge as the kernel would. gpsd runs with /dev/pps0 as a PPS-only"
    echo "   device, its seconds from an NMEA feed (benchlib.py nmeafeed), in private IPC and mount"
    echo "   namespaces: see bench/README.md. ratio = gpsd / bridge; bad = offset != $EXPECT_NS ns)"
  else
    echo "   SKIP: not in BENCH_PARTS"
  fi
  echo
  echo "5. Samples lost over ${FAULT_SECS} s with faults: PHC /dev/ptp0 every 0.125 s, /dev/pps0 locked to a"
  echo "   gpsd source (fakegpsd.py), each into its own SOCK socket; a fault every 10 s in turn"
  if ! on 5; then
    echo "   SKIP: not in BENCH_PARTS"
  elif [ -n "$P5_NOTE" ]; then
    echo "   SKIP: $P5_NOTE"
  else
    sed 's/^/   /' "$T/p5/out"
    echo "   (lost: faults = missing while a fault lasted or within its documented recovery after"
    echo "   it: SOCK reconnect 0.5 s; device reopen with backoff 0.5, 1, 2 s... after the next poll"
    echo "   or fetch noticed it; gpsd reconnect with that backoff plus min_good_fixes = 3 cycles."
    echo "   outside = every other missing sample. Times: build/bench/part5-detail.txt)"
  fi
  echo
  echo "6. PTP sync-state detection: a real ptp4l ${V_PTP:-?} pair (software timestamping, free_running 1)"
  echo "   in two network namespaces joined by a veth; the bridge's ptp4l tracker on the slave gates"
  echo "   /dev/ptp0 into SHM unit $SHM_P6; the master is SIGKILLed, then restarted once the loss is seen"
  p6() { awk -v k="$2" '$1 == k {print $2, $3, $4, $5}' "$T/p6/$1/out" 2>/dev/null; }
  p6_row() { # LABEL MODE KEY [s]: the percentiles of one interval, in ms (or s)
    local r
    r=$(p6 "$2" "$3")
    if [ -z "$r" ]; then
      printf '   %-62s %s\n' "$1" "no measurement"
    else
      # shellcheck disable=SC2086
      set -- "$1" $r "${4:-ms}"
      if [ "$6" = s ]; then
        printf '   %-62s %6s %9.3f %9.3f %9.3f\n' "$1" "$2" "$(calc '%.6f' "$3 / 1000")" \
          "$(calc '%.6f' "$4 / 1000")" "$(calc '%.6f' "$5 / 1000")"
      else
        printf '   %-62s %6s %9.3f %9.3f %9.3f\n' "$1" "$2" "$3" "$4" "$5"
      fi
    fi
  }
  p6_head() { # MODE: "trials T done D push P stale S other O" -> a line, and the runner's note
    local t
    t=$(awk '$1 == "trials" {printf "%s of %s trials done; HOLDOVER reasons: %s port-state push, %s stale syncs, %s other", $3, $2, $5, $7, $9}' "$T/p6/$1/out" 2>/dev/null)
    [ -n "$t" ] && echo "   $t"
    awk '$1 == "note" {sub(/^note /, ""); print "   note: " $0}' "$T/p6/$1/out" 2>/dev/null
  }
  if ! on 6; then
    echo "   SKIP: not in BENCH_PARTS"
  elif [ -n "$P6_NOTE" ]; then
    echo "   SKIP: $P6_NOTE"
  else
    echo "   (a), (b): intervals of 0.25 s (logAnnounceInterval -2, logSyncInterval -2, announceReceiptTimeout 3),"
    echo "   tracker stale_syncs = 20 (so only ptp4l's port-state push can end LOCKED), poll_interval = 0.25"
    printf '   %-62s %6s %9s %9s %9s\n' "interval (ms)" trials p50 p99 max
    p6_row "(a) ptp4l 'SLAVE to LISTENING' -> bridge 'LOCKED -> HOLDOVER'" fast a_rx
    p6_row "    the same from the two logs' own stamps (1 ms resolution)" fast a_log
    p6_row "(b) bridge 'LOCKED -> HOLDOVER' -> SHM leap 3 (gate closed)" fast b
    p6_row "(a+b) ptp4l 'SLAVE to LISTENING' -> SHM leap 3" fast e2e
    p6_row "master killed -> ptp4l 'SLAVE to LISTENING' (announce timeout)" fast kill_listen
    p6_head fast
    echo "   (lines stamped with CLOCK_MONOTONIC as they arrive through the pipes of ptp4l's stdout"
    echo "   and the bridge's stderr; the same loop reads the SHM segment's leap field every 0.1 ms,"
    echo "   and spins for 2 ms after any output, so (b) is an upper bound that includes the loop's"
    echo "   own work. The log stamps: ptp4l[CLOCK_MONOTONIC] and the bridge's CLOCK_REALTIME, both"
    echo "   truncated to the ms, joined with CLOCK_REALTIME - CLOCK_MONOTONIC sampled before each kill)"
    local e2e push slow_h
    e2e=$(p6 fast e2e)
    push=$(awk '$1 == "trials" {print $5, $3}' "$T/p6/fast/out" 2>/dev/null)
    if [ -n "$e2e" ] && [ -n "$push" ]; then
      # shellcheck disable=SC2086
      set -- $e2e $push
      echo "   goal (ptp4l's state change -> gate closed, pushed, p99 <= 10 ms): $(awk -v p="$3" \
        -v n="$5" -v d="$6" 'BEGIN {print (p <= 10 && n == d) ? "met" : "NOT met"}') (p99 $3 ms;" \
        "$5 of $6 by the push)"
    fi
    echo "   (c) linuxptp's default intervals (logSyncInterval 0 = 1 s, logAnnounceInterval 1 = 2 s,"
    echo "   announceReceiptTimeout 3), tracker stale_syncs = 3, poll_interval = 0.25"
    printf '   %-62s %6s %9s %9s %9s\n' "from the master's last Sync (s)" trials p50 p99 max
    p6_row "bridge 'LOCKED -> HOLDOVER' (sync data stale)" slow sync_hold s
    p6_row "SHM leap 3 (gate closed)" slow sync_closed s
    p6_row "ptp4l 'SLAVE to LISTENING' (its own announce timeout)" slow sync_listen s
    p6_row "(the master killed, after its last Sync)" slow sync_kill s
    p6_head slow
    echo "   (the last Sync = the slave's last 'master offset' line: with freq_est_interval 0 a"
    echo "   free-running ptp4l prints one per Sync; stamped as it arrives through the pipe)"
    slow_h=$(p6 slow sync_hold)
    if [ -n "$slow_h" ]; then
      # shellcheck disable=SC2086
      set -- $slow_h
      echo "   goal (last Sync -> bridge HOLDOVER <= 3 sync intervals + 1 poll = 3.25 s): $(awk -v p="$3" \
        'BEGIN {print (p <= 3250) ? "met" : "NOT met"}') (p99 $(calc '%.3f' "$3 / 1000") s)"
    fi
    echo "   how soon the loss of the PTP master is noticed:"
    printf '     %-50s %-22s %12s %12s\n' detector from p50 p99
    p6_cmp() { # LABEL FROM MODE KEY UNIT(ms|s)
      local r
      r=$(p6 "$3" "$4")
      [ -n "$r" ] || { printf '     %-50s %-22s %12s\n' "$1" "$2" "no measurement"; return; }
      # shellcheck disable=SC2086
      set -- "$1" "$2" $r "$5"
      if [ "$7" = s ]; then
        printf '     %-50s %-22s %12s %12s\n' "$1" "$2" "$(calc '%.3f s' "$4 / 1000")" "$(calc '%.3f s' "$5 / 1000")"
      else
        printf '     %-50s %-22s %12s %12s\n' "$1" "$2" "$(calc '%.3f ms' "$4")" "$(calc '%.3f ms' "$5")"
      fi
    }
    p6_cmp "bridge, port-state push (0.25 s intervals)" "ptp4l's LISTENING" fast e2e ms
    p6_cmp "bridge, stale syncs (default intervals)" "the last Sync" slow sync_closed s
    p6_cmp "ptp4l's own announce timeout (default)" "the last Sync" slow sync_listen s
    printf '     %-50s %-22s %12s %12s\n' "OpenShift ptp-sync-check timer (not run)" "the last Sync" \
      "600-900 s" "900 s"
    echo "     (bridge rows: until the gate is closed in SHM. OpenShift: computed, not run: its"
    echo "     MachineConfig script (every 5 min, OnCalendar=*:0/5) takes the last 'master offset' log"
    echo "     line as stale after SYNC_AGE = 600 s, so it notices 600 to 900 s after the last Sync;"
    echo "     /work/shared/reference/linuxptp.md section 5)"
    if [ -n "$P6_NS_LEFT" ]; then
      echo "   WARNING: left behind after deleting them:$P6_NS_LEFT"
    else
      echo "   network namespaces $NS_M, $NS_S and the veth pair: deleted (ip netns list has neither)"
    fi
  fi
  echo
  echo "runtime $(awk -v a="$START_NS" -v b="$END_NS" 'BEGIN {printf "%.0f", (b - a) / 1e9}') s"
}

report > "$T/report.txt"
echo
cat "$T/report.txt"
for part in 7:ptp4l_pushes 8:statime 9:ntpd_rs 10:status 11:fallback; do
  on "${part%%:*}" || continue
  script=$BENCH/${part#*:}.sh
  { echo; echo "================ part ${part%%:*}: bench/${part#*:}.sh ================"; } >> "$T/report.txt"
  if [ -x "$script" ]; then
    BUILD=$BUILD "$script" 2>&1 | tee -a "$T/report.txt"
  else
    echo "   SKIP: $script is missing" | tee -a "$T/report.txt"
  fi
done
cp "$T/report.txt" "$RESULTS"
echo "(also written to $RESULTS)"
