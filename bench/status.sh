#!/usr/bin/env bash
# Status and metrics costs (part 10 of `make bench`; prints figures, never pass/fail), with 16
# fake PHCs at 16 Hz (the same fakes as bench/run.sh: TAI, 37.000123456 s ahead, EXTENDED):
#   a. instructions per sample (callgrind, marginal: long run minus short run), the bridge
#      with status and metrics on as shipped (metrics every 5 s; the status socket asked
#      every 10 s, as a monitoring agent would) against the bridge with metrics = no and no
#      queries (goal: within 5 %), and against phc2sys (one PHC: its cost per sample does
#      not depend on how many run);
#   b. the status socket with 16 sources and 2 trackers: a query (connect, read the whole
#      document) p50/p99 over BENCH_STATUS_QUERIES; `refclock-bridge status --json` against
#      `chronyc -c sources` with chronyd's 16 refclock PHCs, each run as a command;
#   c. one metrics write (snapshot, render, write, rename), as the bridge logs it at debug
#      level, against `chronyc -c sourcestats` written to a file and renamed (what a textfile
#      exporter script for chrony runs every interval);
#   d. the bridge's peak RSS (VmHWM) with all of this on (goal < 3.5 MiB).
# Never touches the clock: every daemon under setpriv without CAP_SYS_TIME, chronyd with -x.
set -u
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
SHORT=${BENCH_SHORT:-6}
LONG=${BENCH_STATUS_LONG:-36} # a metrics write every 5 s: enough of them to amortize
QUERIES=${BENCH_STATUS_QUERIES:-1000}
RUNS=${BENCH_STATUS_RUNS:-200}
N=16
INJECT_NS=37000123456
EXPECT_NS=123456
SHM_UNIT=116 # phc2sys's SHM units 116, 117 (keys 0x4e5450a4, a5)
RB_BIN=$(readlink -f "$BUILD/refclock-bridge")
FAKELIB=$(readlink -f "$BUILD/tests/libfakedev.so")
BENCH=$(pwd)/bench
PY=$(command -v python3)
NOTIME=(setpriv --bounding-set -sys_time --)
for f in "$RB_BIN" "$FAKELIB"; do [ -e "$f" ] || { echo "bench: $f missing; run make" >&2; exit 1; }; done
T=$(mktemp -d /tmp/rb-bench-status.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  for u in $SHM_UNIT $((SHM_UNIT + 1)); do ipcrm -M "$(printf '0x%08x' $((0x4E545030 + u)))" 2>/dev/null; done
  rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
say() { echo "bench: $*" >&2; }
have() { command -v "$1" >/dev/null; }
calc() { awk "BEGIN { printf \"$1\", $2 }"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b == 0) print "-"; else printf "%.2fx", a / b }'; }

FAKE_ENV=(LD_PRELOAD="$FAKELIB")
list=""
for ((i = 0; i < N; i++)); do
  list+="${list:+,}/dev/ptp$i"
  FAKE_ENV+=("FAKEDEV_PTP$i=offset_ns=$INJECT_NS,methods=extended+basic")
done
FAKE_ENV+=(FAKEDEV_PTP="$list")

conf() { # FILE FIRST_SOCKET METRICS(yes|no) TRACKERS(0|2) [LOG_LEVEL [METRICS_INTERVAL [COMBINE]]]
  local i
  printf '[bridge]\nlog_level = %s\nstatus_socket = %s.sock\nmetrics = %s\nmetrics_dir = %s\nmetrics_interval = %s\n' \
    "${5:-info}" "$1" "$3" "$(dirname "$1")" "${6:-5}" > "$1"
  for ((i = 0; i < N; i++)); do
    printf '[source phc%d]\ntype = phc\ndevice = /dev/ptp%d\ninterval = 0.0625\nreadings = 10\nmethod = extended\ncombine = %s\ntimescale = tai\ntai_offset = 37\noutputs = sock%d\n[output sock%d]\ntype = sock\npath = %s/s%d.sock\n' \
      "$i" "$i" "${7:-quantile}" "$i" "$i" "$T" $((i + $2)) >> "$1"
  done
  for ((i = 0; i < $4; i++)); do
    printf '[tracker ptp%d]\ntype = ptp4l\nsocket = %s/no-ptp4l-%d\n' "$i" "$T" "$i" >> "$1"
  done
}

wait_file() { local i; for ((i = 0; i < $1 * 20; i++)); do [ -e "$2" ] && return 0; sleep 0.05; done; return 1; }

# ---- a. instructions per sample -------------------------------------------------------------
# PRE is the last commit before the status model: its binary is built here from `git archive`.
PRE=${BENCH_STATUS_PRE:-09bd575}
declare -A CGPID CG_I CG_F CG_N
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
stop_wait() { local p; for p in "$@"; do kill "$p" 2>/dev/null; done; for p in "$@"; do wait "$p" 2>/dev/null; done; }

build_pre() {
  mkdir -p "$T/pre"
  git archive "$PRE" 2>/dev/null | tar -x -C "$T/pre" 2>/dev/null &&
    make -C "$T/pre" -s BUILD="$T/pre/build" VERSION="$PRE" all > "$T/pre/make.log" 2>&1 &&
    PRE_BIN=$T/pre/build/refclock-bridge
}

part_a() {
  local t0 first=0 n s poller
  have valgrind || { A_SKIP="valgrind missing"; return; }
  say "status.sh a: building $PRE (before the status model)"
  build_pre || say "cannot build $PRE: $(tail -n 2 "$T/pre/make.log" 2>/dev/null | tr '\n' ' ')"
  say "status.sh a: callgrind, ${SHORT} s and ${LONG} s runs: the bridge now and at $PRE, phc2sys; a metrics write, a status query"
  "$PY" "$BENCH/benchlib.py" sink "$T" $((8 * N)) "$T/sink.out" "$EXPECT_NS" &
  SINK=$!
  PIDS+=("$SINK")
  wait_file 5 "$T/sink.out.ready" || { A_SKIP="sink did not start"; return; }
  for n in offs offl pres prel mw sq mds mdl; do
    case $n in
      md*) conf "$T/$n.conf" $first no 0 info 5 min-delay ;;
      pre*) conf "$T/$n.conf" $first no 0 && sed -i '/^\[bridge\]/,/^metrics_interval/d' "$T/$n.conf" ;;
      mw) conf "$T/$n.conf" $first yes 0 debug 1 ;; # debug: it logs each write
      *) conf "$T/$n.conf" $first no 0 ;;
    esac
    first=$((first + N))
  done
  t0=$(date +%s%N)
  for n in offs offl mds mdl; do cg_start "$n" -- "$RB_BIN" -f -c "$T/$n.conf"; done
  if [ -n "${PRE_BIN:-}" ]; then
    for n in pres prel; do cg_start "$n" -- "$PRE_BIN" -f -c "$T/$n.conf"; done
  fi
  # the cost of one metrics write (every second here) and of one status query, alone
  cg_start mw --toggle-collect=tick -- "$RB_BIN" -f -c "$T/mw.conf"
  cg_start sq --toggle-collect=on_accept --toggle-collect=on_writable --toggle-collect=on_deadline -- \
    "$RB_BIN" -f -c "$T/sq.conf"
  if have phc2sys; then
    cg_start ps -- phc2sys -s /dev/ptp0 -c CLOCK_REALTIME -E ntpshm -M $SHM_UNIT -O -37 -R 16 -N 10 -m -q -l 5
    cg_start pl -- phc2sys -s /dev/ptp0 -c CLOCK_REALTIME -E ntpshm -M $((SHM_UNIT + 1)) -O -37 -R 16 -N 10 -m -q -l 5
  fi
  sleep 3 # valgrind's start-up
  "$PY" "$BENCH/statusbench.py" poll "$T/sq.conf.sock" 1 > "$T/sq.queries" &
  poller=$!
  PIDS+=("$poller")
  sleep "$(calc '%.3f' "$SHORT - ($(date +%s%N) - $t0) / 1e9")" 2>/dev/null
  stop_wait "${CGPID[offs]}" "${CGPID[mds]}" ${CGPID[pres]:+"${CGPID[pres]}"} ${CGPID[ps]:+"${CGPID[ps]}"}
  sleep "$(calc '%.3f' "$LONG - ($(date +%s%N) - $t0) / 1e9")" 2>/dev/null
  stop_wait "$poller"
  stop_wait "${CGPID[offl]}" "${CGPID[mdl]}" ${CGPID[prel]:+"${CGPID[prel]}"} ${CGPID[pl]:+"${CGPID[pl]}"} "${CGPID[mw]}" "${CGPID[sq]}"
  stop_wait "$SINK"
  first=0
  for n in offs offl pres prel mw sq mds mdl; do
    CG_N[$n]=$(awk -v a=$first -v b=$((first + N)) '$1 ~ /^[0-9]+$/ && $1 >= a && $1 < b {s += $2} END {print s + 0}' "$T/sink.out")
    first=$((first + N))
  done
  for n in offs offl pres prel ps pl mw sq mds mdl; do
    [ -s "$T/cg.$n" ] && read -r "CG_I[$n]" _ "CG_F[$n]" < <("$PY" "$BENCH/benchlib.py" cgparse "$T/cg.$n")
  done
  if [ -n "${CG_I[ps]:-}" ]; then
    for n in ps pl; do
      if [ "$n" = pl ]; then s=1; else s=0; fi
      CG_N[$n]=$("$PY" "$BENCH/benchlib.py" shmread $((SHM_UNIT + s)) | awk '{print int($1 / 2)}')
    done
  fi
  Q_SQ=$(( $(cat "$T/sq.queries" 2>/dev/null || echo 0) ))
  MW_WRITES=$(grep -c 'metrics: [0-9]* bytes in' "$T/mw.log")
}
marginal() { # SHORT LONG -> "samples Ir/sample Ir/sample-without-the-fake's-ioctl"
  local s=$1 l=$2
  [ -n "${CG_I[$s]:-}" ] && [ -n "${CG_I[$l]:-}" ] || return
  awk -v is="${CG_I[$s]}" -v il="${CG_I[$l]}" -v fs="${CG_F[$s]:-0}" -v fl="${CG_F[$l]:-0}" \
    -v ns="${CG_N[$s]:-0}" -v nl="${CG_N[$l]:-0}" \
    'BEGIN { dn = nl - ns; if (dn > 0) printf "%d %.0f %.0f\n", dn, (il - is) / dn, ((il - fl) - (is - fs)) / dn }'
}

# ---- b, c, d: latency, metrics write, RSS -----------------------------------------------------
part_bcd() {
  local pid d=$T/lat
  mkdir -p "$d"
  say "status.sh b-d: status queries, metrics writes, RSS (16 sources, 2 trackers)"
  "$PY" "$BENCH/benchlib.py" sink "$d" $N "$d/sink.out" "$EXPECT_NS" &
  PIDS+=("$!")
  LSINK=$!
  wait_file 5 "$d/sink.out.ready" || { B_SKIP="sink did not start"; return; }
  conf "$d/bridge.conf" 0 yes 2 debug 1
  sed -i "s|path = $T/s|path = $d/s|" "$d/bridge.conf"
  env "${FAKE_ENV[@]}" "${NOTIME[@]}" "$RB_BIN" -f -c "$d/bridge.conf" > "$d/bridge.log" 2>&1 &
  pid=$!
  PIDS+=("$pid")
  wait_file 5 "$d/bridge.conf.sock" || { B_SKIP="no status socket: $(tail -n 1 "$d/bridge.log")"; return; }
  sleep 3
  B_SOCK=$("$PY" "$BENCH/statusbench.py" query "$d/bridge.conf.sock" "$QUERIES")
  B_CMD=$("$PY" "$BENCH/statusbench.py" run "$RUNS" "$RB_BIN" status --json -s "$d/bridge.conf.sock")
  sleep 2
  C_WRITES=$(sed -n 's/.*metrics: \([0-9]*\) bytes in \([0-9]*\) us.*/\1 \2/p' "$d/bridge.log" |
    sort -k2 -n | awk '{v[NR] = $2; b = $1} END {if (NR) printf "%d %d %d %d\n", NR, v[int((NR + 1) / 2)], v[NR], b}')
  D_PROC=$("$PY" "$BENCH/benchlib.py" proc "$pid")
  stop_wait "$pid" "$LSINK"
  if have chronyd && have chronyc; then
    local c=$T/chrony
    mkdir -p "$c"
    chmod 700 "$c"
    printf 'pidfile %s/chronyd.pid\ndriftfile %s/drift\nbindcmdaddress %s/chronyd.sock\ncmdport 0\nport 0\n' "$c" "$c" "$c" > "$c/chrony.conf"
    for ((i = 0; i < N; i++)); do
      printf 'refclock PHC /dev/ptp%d poll 0 dpoll -4 filter 16 offset -37 refid PH%02d\n' "$i" "$i" >> "$c/chrony.conf"
    done
    env "${FAKE_ENV[@]}" "${NOTIME[@]}" chronyd -x -d -u root -f "$c/chrony.conf" > "$c/chronyd.log" 2>&1 &
    pid=$!
    PIDS+=("$pid")
    wait_file 5 "$c/chronyd.sock" && sleep 3
    local user=()
    chronyc -u root -v >/dev/null 2>&1 && user=(-u root)
    B_CHRONYC=$("$PY" "$BENCH/statusbench.py" run "$RUNS" chronyc "${user[@]}" -h "$c/chronyd.sock" -c sources)
    C_CHRONYC=$("$PY" "$BENCH/statusbench.py" run "$RUNS" sh -c \
      "chronyc ${user[*]} -h $c/chronyd.sock -c sourcestats > $c/chrony.prom.tmp && mv $c/chrony.prom.tmp $c/chrony.prom")
    stop_wait "$pid"
  fi
}

part_a
part_bcd

echo "10. Status and metrics, $N fake PHCs at 16 Hz ($(nproc) CPUs; bridge $("$RB_BIN" -v | awk '{print $2}'))"
echo "   a. instructions per sample (callgrind, marginal cost between ${SHORT} s and ${LONG} s runs, whole"
echo "      process; 'w/o fake' leaves out the fake PHC's ioctl, emulated kernel work)"
if [ -n "${A_SKIP:-}" ]; then
  echo "   SKIP: $A_SKIP"
else
  off=$(marginal offs offl) pre=$(marginal pres prel) p=$(marginal ps pl) md=$(marginal mds mdl)
  row() { # LABEL "samples ir ir_wo" BASE
    # shellcheck disable=SC2206
    local c=($2) b=($3)
    if [ -z "$2" ]; then printf '   %-56s SKIP\n' "$1"; return; fi
    printf '   %-56s %8s %9s %6s %9s %6s\n' "$1" "${c[0]}" "${c[1]}" "$(ratio "${c[1]}" "${b[1]}")" "${c[2]}" "$(ratio "${c[2]}" "${b[2]}")"
  }
  printf '   %-56s %8s %9s %6s %9s %6s\n' peer samples "Ir/sample" ratio "w/o fake" ratio
  row "bridge now, 16 PHCs (the status model kept, nothing asked)" "$off" "$off"
  row "bridge now, combine = min-delay (phc2sys's method)" "$md" "$off"
  row "bridge at $PRE, before the status model" "$pre" "$off"
  row "phc2sys -E ntpshm, 1 PHC (its cost per sample)" "$p" "$off"
  # shellcheck disable=SC2206
  o=($off) q=($pre) x=($p) m=($md)
  if [ -n "$off" ] && [ -n "$pre" ]; then
    echo "   goal (the status model's bookkeeping within 5 % per sample): $(awk -v a="${o[1]}" -v b="${q[1]}" \
      'BEGIN {d = 100 * (a - b) / b; printf "%+.1f %% -> %s", d, (d <= 5) ? "met" : "NOT met"}')"
  fi
  if [ -n "$off" ] && [ -n "$p" ]; then
    echo "   goal (bridge < phc2sys per sample with 16 PHCs): ${o[1]} vs ${x[1]} -> $(awk -v a="${o[1]}" -v b="${x[1]}" \
      'BEGIN {print (a < b) ? "met" : "NOT met"}') (w/o fake ioctl: ${o[2]} vs ${x[2]} -> $(awk -v a="${o[2]}" -v b="${x[2]}" \
      'BEGIN {print (a < b) ? "met" : "NOT met"}'))"
  fi
  if [ -n "$md" ] && [ -n "$p" ]; then
    echo "   goal, min-delay as phc2sys: ${m[1]} vs ${x[1]} -> $(awk -v a="${m[1]}" -v b="${x[1]}" \
      'BEGIN {print (a < b) ? "met" : "NOT met"}') (w/o fake ioctl: ${m[2]} vs ${x[2]} -> $(awk -v a="${m[2]}" -v b="${x[2]}" \
      'BEGIN {print (a < b) ? "met" : "NOT met"}'))"
  fi
  writes=${MW_WRITES:-0}
  per_write=$(awk -v i="${CG_I[mw]:-0}" -v n="$writes" 'BEGIN {if (n > 0) printf "%.0f", i / n}')
  per_query=$(awk -v i="${CG_I[sq]:-0}" -v n="${Q_SQ:-0}" 'BEGIN {if (n > 0) printf "%.0f", i / n}')
  echo "   one metrics write (--toggle-collect=tick): ${per_write:-?} Ir ($writes writes);" \
    "one status query (accept and write): ${per_query:-?} Ir ($Q_SQ queries)"
  if [ -n "$per_write" ] && [ -n "$per_query" ] && [ -n "$off" ]; then
    awk -v w="$per_write" -v q="$per_query" -v s="${o[1]}" 'BEGIN {
      a = (w / 5 + q / 60) / 256
      printf "   amortized as shipped (a write every 5 s, a query a minute, 256 samples/s): %.0f Ir per sample = %+.1f %%\n", a, 100 * a / s
    }'
  fi
fi
echo "   b. status with $N sources and 2 trackers: n, p50 us, p99 us, max us"
if [ -n "${B_SKIP:-}" ]; then
  echo "   SKIP: $B_SKIP"
else
  read -r n p50 p99 mx bytes <<< "${B_SOCK:-0 0 0 0 0}"
  printf '   %-58s %5s %8s %8s %8s\n' "status socket query (connect, read $bytes bytes)" "$n" "$p50" "$p99" "$mx"
  read -r n p50b p99b mx _ <<< "${B_CMD:-0 0 0 0 0}"
  printf '   %-58s %5s %8s %8s %8s\n' "refclock-bridge status --json (a command run)" "$n" "$p50b" "$p99b" "$mx"
  if [ -n "${B_CHRONYC:-}" ]; then
    read -r n p50c p99c mx _ <<< "$B_CHRONYC"
    printf '   %-58s %5s %8s %8s %8s   p50 %s, p99 %s\n' "chronyc -c sources, chronyd with 16 refclock PHC" "$n" "$p50c" "$p99c" "$mx" \
      "$(ratio "$p50c" "$p50b")" "$(ratio "$p99c" "$p99b")"
  else
    echo "   chronyc: SKIP (chronyd/chronyc missing)"
  fi
  echo "   c. one metrics write: n, p50 us, max us, bytes"
  read -r n p50 mx bytes <<< "${C_WRITES:-0 0 0 0}"
  printf '   %-58s %5s %8s %8s %8s\n' "bridge: snapshot, render, write, rename" "$n" "$p50" "$mx" "$bytes"
  if [ -n "${C_CHRONYC:-}" ]; then
    read -r n p50c p99c mx _ <<< "$C_CHRONYC"
    printf '   %-58s %5s %8s %8s %8s   p50 %s\n' "chronyc -c sourcestats > file; mv (an exporter script)" "$n" "$p50c" "$mx" "-" "$(ratio "$p50c" "$p50")"
  fi
  read -r _ hwm pss <<< "${D_PROC:-0 0 0}"
  echo "   d. bridge peak RSS with all of this on: $(calc '%.2f' "$hwm / 1024") MiB (PSS $(calc '%.2f' "$pss / 1024") MiB)" \
    "-> goal < 3.5 MiB $(awk -v h="$hwm" 'BEGIN {print (h < 3.5 * 1024) ? "met" : "NOT met"}')"
fi
